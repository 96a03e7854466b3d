import { timingSafeEqual } from "node:crypto";
import type { ActionFunctionArgs } from "@remix-run/node";
import { getEnv } from "~/utils/env.server.ts";
import { checkWebhookRefusals, countWebhookRefusal } from "~/utils/rate-limit.server.ts";
import { unsubscribeByMail } from "~/utils/unsubscribe.server.ts";

/**
 * Mail to the List-Unsubscribe mailto address (unsubscribe+TOKEN@domain), posted by a mail
 * provider's inbound route (Mailgun, SendGrid Inbound Parse, Postmark and the like) as a form or
 * as JSON. The secret comes as ?key= or as the password of HTTP Basic auth. Only the recipient
 * fields are read; the mail's body and attachments are ignored.
 */

const MAX_BYTES = 5 * 1024 * 1024;
const RECIPIENT_FIELDS = new Set([
  "to",
  "recipient",
  "recipients",
  "envelope",
  "originalrecipient",
  "tofull",
  "email",
  "delivered-to",
  "x-original-to",
]);

function secretMatches(given: string | null, secret: string) {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function givenSecret(request: Request): string | null {
  const key = new URL(request.url).searchParams.get("key");
  if (key) return key;
  const auth = request.headers.get("authorization");
  if (!auth?.startsWith("Basic ")) return null;
  const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1);
}

/** Every string under a recipient field, at any depth (Postmark's ToFull is a list of objects). */
function recipientStrings(value: unknown, underRecipient = false, depth = 0): string[] {
  if (depth > 4) return [];
  if (typeof value === "string") {
    if (!underRecipient) return [];
    // SendGrid's envelope is JSON inside a form field.
    if (value.startsWith("{")) {
      try {
        return [value, ...recipientStrings(JSON.parse(value), true, depth + 1)];
      } catch {
        return [value];
      }
    }
    return [value];
  }
  if (Array.isArray(value))
    return value.flatMap((v) => recipientStrings(v, underRecipient, depth + 1));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) =>
      recipientStrings(v, underRecipient || RECIPIENT_FIELDS.has(key.toLowerCase()), depth + 1),
    );
  }
  return [];
}

export async function action({ request }: ActionFunctionArgs) {
  const secret = getEnv().INBOUND_EMAIL_SECRET;
  if (!secret) return new Response("Not found", { status: 404 });
  const refusedBefore = await checkWebhookRefusals(request);
  if (refusedBefore) return refusedBefore;
  if (!secretMatches(givenSecret(request), secret)) {
    await countWebhookRefusal(request);
    return new Response("Forbidden", { status: 403 });
  }
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BYTES) {
    return new Response("Too large", { status: 413 });
  }
  let fields: unknown;
  try {
    const type = request.headers.get("content-type") ?? "";
    fields = type.includes("application/json")
      ? await request.json()
      : Object.fromEntries(
          [...(await request.formData()).entries()].filter(([, v]) => typeof v === "string"),
        );
  } catch {
    return new Response("Send the mail as a form or as JSON.", { status: 400 });
  }
  const unsubscribed = await unsubscribeByMail({ recipients: recipientStrings(fields) });
  // Always 200 for a mail we read: a provider would retry anything else, for a mail that will never
  // mean more than it does now.
  return Response.json({ unsubscribed });
}

export function loader() {
  return new Response("Use POST.", { status: 405, headers: { Allow: "POST" } });
}
