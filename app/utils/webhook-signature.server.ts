import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Signing outgoing webhooks (ADR 018), in the style of Stripe's: the header
 *
 *   Onward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * with one v1 per secret in use (two for a day after the secret is rolled). The timestamp is inside
 * what is signed, so a receiver that refuses old timestamps can't be replayed to later. Pure: no
 * I/O, no clock unless given one.
 */

export const SIGNATURE_HEADER = "Onward-Signature";
/** How old (or how far ahead) a signature's timestamp may be before a receiver should refuse it. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = "whsec_";

/** A new signing secret: "whsec_" and 32 random bytes, base64url. The whole string is the key. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** The secret with all but its last four characters hidden, for pages that show it in passing. */
export function maskSecret(secret: string): string {
  return `${SECRET_PREFIX}${"•".repeat(8)}${secret.slice(-4)}`;
}

/** Hex HMAC-SHA256 of "<timestamp>.<body>" under the secret (used as UTF-8 bytes, as is). */
export function computeSignature({
  secret,
  timestamp,
  body,
}: {
  secret: string;
  timestamp: number;
  body: string;
}): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
}

/** The Onward-Signature header for a body sent at `timestamp` (unix seconds). */
export function signatureHeader({
  secrets,
  timestamp,
  body,
}: {
  /** The current secret first; an old one still valid after a roll after it. */
  secrets: readonly string[];
  timestamp: number;
  body: string;
}): string {
  if (secrets.length === 0) throw new Error("A webhook needs a secret to be signed");
  const parts = secrets.map((secret) => `v1=${computeSignature({ secret, timestamp, body })}`);
  return [`t=${timestamp}`, ...parts].join(",");
}

export type ParsedSignature = { timestamp: number; signatures: string[] };

/** Reads "t=…,v1=…[,v1=…]"; unknown schemes are ignored. Null when there is no t or no v1. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: "malformed" | "outside-tolerance" | "mismatch" };

/**
 * What a receiver does (and what the README shows): parse the header, refuse a timestamp more than
 * the tolerance away from now, then compare the expected signature with each v1 in constant time.
 */
export function verifyWebhookSignature({
  secret,
  header,
  body,
  now = new Date(),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
}: {
  secret: string;
  header: string | null | undefined;
  /** The raw body exactly as received, before any JSON parsing. */
  body: string;
  now?: Date;
  toleranceSeconds?: number;
}): VerifyResult {
  const parsed = header ? parseSignatureHeader(header) : null;
  if (!parsed) return { ok: false, reason: "malformed" };
  if (Math.abs(Math.floor(now.getTime() / 1000) - parsed.timestamp) > toleranceSeconds) {
    return { ok: false, reason: "outside-tolerance" };
  }
  const expected = Buffer.from(
    computeSignature({ secret, timestamp: parsed.timestamp, body }),
    "hex",
  );
  const matches = parsed.signatures.some((signature) =>
    timingSafeEqual(expected, Buffer.from(signature, "hex")),
  );
  return matches ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: "mismatch" };
}
