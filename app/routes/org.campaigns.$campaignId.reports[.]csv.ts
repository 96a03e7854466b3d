import type { LoaderFunctionArgs } from "@remix-run/node";
import { orNotFound } from "~/models/campaign.server.ts";
import { csvResponse, exportCampaignReports } from "~/models/exports.server.ts";
import { parseReportFilters } from "~/reports/filters.ts";
import { requireUser } from "~/utils/session.server.ts";

/** /org/campaigns/<id>/reports.csv?<filters>: every matching report, streamed (owners, organisers). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { filters } = parseReportFilters(new URL(request.url).searchParams);
  const found = await orNotFound(
    exportCampaignReports({
      actorId: user.id,
      campaignId: params.campaignId ?? "",
      filters,
      signal: request.signal,
    }),
  );
  return csvResponse(found);
}
