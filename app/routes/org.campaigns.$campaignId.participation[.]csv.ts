import type { LoaderFunctionArgs } from "@remix-run/node";
import { orNotFound } from "~/models/campaign.server.ts";
import { csvResponse, exportCampaignParticipation } from "~/models/exports.server.ts";
import { parseReportFilters } from "~/reports/filters.ts";
import { requireUser } from "~/utils/session.server.ts";

/** /org/campaigns/<id>/participation.csv?<filters>: one row per volunteer, streamed. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { filters } = parseReportFilters(new URL(request.url).searchParams);
  const found = await orNotFound(
    exportCampaignParticipation({
      actorId: user.id,
      campaignId: params.campaignId ?? "",
      filters,
      signal: request.signal,
    }),
  );
  return csvResponse(found);
}
