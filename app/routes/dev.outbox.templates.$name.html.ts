import type { LoaderFunctionArgs } from "@remix-run/node";
import { isTemplateName, previewTemplate } from "../../emails/templates.ts";
import { requireOutboxPreview } from "~/utils/dev-only.server.ts";
import { renderEmail } from "~/utils/email.server.ts";

/** A template's HTML with its preview props, as a mail client would show it. */
export async function loader({ params }: LoaderFunctionArgs) {
  requireOutboxPreview();
  const name = params.name ?? "";
  if (!isTemplateName(name)) throw new Response("Not found", { status: 404 });
  const { html } = await renderEmail(previewTemplate(name).element);
  return new Response(html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    },
  });
}
