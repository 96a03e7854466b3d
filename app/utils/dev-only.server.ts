import { getEnv } from "~/utils/env.server.ts";

/** The development outbox does not exist unless OUTBOX_PREVIEW is on (never in a deployment by default). */
export function requireOutboxPreview() {
  if (!getEnv().OUTBOX_PREVIEW) throw new Response("Not found", { status: 404 });
}
