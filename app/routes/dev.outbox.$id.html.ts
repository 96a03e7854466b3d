import type { LoaderFunctionArgs } from "@remix-run/node";
import { getOutboxMessage } from "~/models/message.server.ts";
import { requireOutboxPreview } from "~/utils/dev-only.server.ts";

/** The email's HTML as a mail client would show it: inline styles allowed, scripts never. */
export async function loader({ params }: LoaderFunctionArgs) {
  requireOutboxPreview();
  const message = await getOutboxMessage({ id: params.id ?? "" });
  if (!message?.bodyHtml) throw new Response("Not found", { status: 404 });
  return new Response(message.bodyHtml, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    },
  });
}
