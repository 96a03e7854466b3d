import type { LoaderFunctionArgs } from "@remix-run/node";
import {
  getPublicOutcomes,
  openDataResponse,
  outcomesJson,
} from "~/models/public-outcomes.server.ts";
import { getEnv } from "~/utils/env.server.ts";

/**
 * /p/<slug>/outcomes.json: the public outcomes page's figures as open data (format in ADR 017),
 * for any site or script (CORS open), cacheable, with an ETag. 404 unless the page is public.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const outcomes = await getPublicOutcomes({ slug: params.slug ?? "" });
  if (!outcomes) throw new Response("Not found", { status: 404 });
  return openDataResponse({
    request,
    body: `${JSON.stringify(outcomesJson(outcomes, { appUrl: getEnv().APP_URL }), null, 2)}\n`,
    contentType: "application/json; charset=utf-8",
    lastModified: outcomes.lastModified,
  });
}
