import { createHmac, timingSafeEqual } from "node:crypto";
import { getEnv } from "~/utils/env.server.ts";
import { fitSms } from "~/utils/sms-text.ts";

/**
 * Twilio's side of our webhooks: checking that a request really comes from Twilio, and answering
 * it in TwiML. https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */

/** Twilio's own limit for a form post is far below this; anything bigger is not Twilio. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * X-Twilio-Signature as Twilio computes it: HMAC-SHA1, keyed with the auth token, of the full URL
 * Twilio called followed by every POST parameter's name and value, sorted by name (then value,
 * for a repeated name), with no separators; base64.
 */
export function twilioSignature({
  authToken,
  url,
  params,
}: {
  authToken: string;
  url: string;
  params: URLSearchParams | Iterable<[string, string]>;
}): string {
  const pairs = [...params].sort(([nameA, valueA], [nameB, valueB]) =>
    nameA === nameB ? compare(valueA, valueB) : compare(nameA, nameB),
  );
  const data = pairs.reduce((text, [name, value]) => text + name + value, url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** Code-unit order, which is what Twilio's "case-sensitive Unix sort" comes to for ASCII names. */
function compare(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameSignature(expected: string, given: string) {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type TwilioWebhook =
  { ok: true; params: URLSearchParams } | { ok: false; status: 403 | 405 | 413; message: string };

async function readBody(request: Request): Promise<string | null> {
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  if (declared > MAX_BODY_BYTES) return null;
  const body = await request.arrayBuffer();
  return body.byteLength > MAX_BODY_BYTES ? null : new TextDecoder().decode(body);
}

/**
 * Reads a webhook's form parameters if, and only if, X-Twilio-Signature proves Twilio sent them.
 * The URL signed is APP_URL plus the path and query we were called on: Twilio signs the public
 * address it called, which a proxy in front of us may not pass on.
 */
export async function readTwilioWebhook(request: Request): Promise<TwilioWebhook> {
  if (request.method !== "POST") return { ok: false, status: 405, message: "Use POST." };
  const env = getEnv();
  const authToken = env.TWILIO_AUTH_TOKEN;
  const given = request.headers.get("X-Twilio-Signature");
  if (!authToken) {
    return { ok: false, status: 403, message: "Twilio is not set up on this server." };
  }
  if (!given) return { ok: false, status: 403, message: "This request is not signed." };
  const contentType = request.headers.get("Content-Type") ?? "";
  if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return { ok: false, status: 403, message: "This request is not signed." };
  }
  const body = await readBody(request);
  if (body === null) return { ok: false, status: 413, message: "This request is too large." };
  const params = new URLSearchParams(body);
  const called = new URL(request.url);
  const url = `${env.APP_URL}${called.pathname}${called.search}`;
  if (!sameSignature(twilioSignature({ authToken, url, params }), given)) {
    return { ok: false, status: 403, message: "This request's signature is not right." };
  }
  return { ok: true, params };
}

/** Escapes text for an XML element's content (quotes need no escaping there). */
function escapeXml(text: string) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The most parts a reply may take; replies are written to fit in one or two. */
export const REPLY_MAX_SEGMENTS = 3;

/** A TwiML answer: the reply as one text (kept GSM-7 and short), or no reply at all. */
export function twimlResponse(reply: string | null): Response {
  const xml =
    reply === null || reply.trim() === ""
      ? "<Response/>"
      : `<Response><Message>${escapeXml(fitSms(reply, { maxSegments: REPLY_MAX_SEGMENTS }))}</Message></Response>`;
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>${xml}`, {
    status: 200,
    headers: { "Content-Type": "text/xml; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** The answer to a request that failed the checks above: a short text, and nothing written. */
export function webhookRefusal(refused: Extract<TwilioWebhook, { ok: false }>): Response {
  return new Response(refused.message, {
    status: refused.status,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      ...(refused.status === 405 ? { Allow: "POST" } : {}),
    },
  });
}
