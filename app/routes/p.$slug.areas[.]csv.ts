import type { LoaderFunctionArgs } from "@remix-run/node";
import { areasCsv, getPublicOutcomes, openDataResponse } from "~/models/public-outcomes.server.ts";

/**
 * /p/<slug>/areas.csv: the public figures by area, small areas merged (ADR 017), cacheable, with
 * an ETag. 404 unless the campaign's public page is on.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const outcomes = await getPublicOutcomes({ slug: params.slug ?? "" });
  if (!outcomes) throw new Response("Not found", { status: 404 });
  const name = outcomes.campaign.slug.replace(/[^A-Za-z0-9_-]+/g, "-") || "campaign";
  return openDataResponse({
    request,
    body: areasCsv(outcomes),
    contentType: "text/csv; charset=utf-8",
    lastModified: outcomes.lastModified,
    filename: `${name}-areas.csv`,
  });
}
