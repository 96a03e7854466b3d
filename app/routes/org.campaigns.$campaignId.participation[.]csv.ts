import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordCampaignExport } from "~/models/audit.server.ts";
import { orNotFound } from "~/models/campaign.server.ts";
import { csvResponse, exportCampaignParticipation } from "~/models/exports.server.ts";
import { parseReportFilters } from "~/reports/filters.ts";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

/** /org/campaigns/<id>/participation.csv?<filters>: one row per volunteer, streamed. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { filters } = parseReportFilters(new URL(request.url).searchParams);
  // Recorded before the download starts: the file can't be taken back once it is under way.
  await orNotFound(
    recordCampaignExport({
      actorId: user.id,
      campaignId: params.campaignId ?? "",
      kind: "participation",
      filters,
      ip: clientIp(request),
    }),
  );
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
