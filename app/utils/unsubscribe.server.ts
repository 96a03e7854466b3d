import { createHmac, timingSafeEqual } from "node:crypto";
import type { Channel } from "~/generated/prisma/client.ts";
import {
  getUnsubscribeContact,
  hasOptedOut,
  liftSuppressions,
  suppressAddress,
} from "~/models/opt-out.server.ts";
import { getEnv, getSessionSecret } from "~/utils/env.server.ts";

/**
 * Unsubscribe links and RFC 8058 one-click unsubscribe.
 *
 * A token is `<userId>.<E|S>.<mac>`, the mac being HMAC-SHA256(SESSION_SECRET,
 * "onward-unsubscribe:v1:<userId>:<EMAIL|SMS>") cut to 128 bits, base64url. Tokens never expire:
 * a link in an old email must still work. They are revoked all at once by changing
 * SESSION_SECRET, and one person's die with their account (a deleted account is "not found").
 */

const CHANNEL_LETTER: Record<Channel, string> = { EMAIL: "E", SMS: "S" };
const LETTER_CHANNEL: Record<string, Channel> = { E: "EMAIL", S: "SMS" };
const MAC_BYTES = 16;
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,64})\.([ES])\.([A-Za-z0-9_-]{22})$/;

function mac(userId: string, channel: Channel) {
  return createHmac("sha256", getSessionSecret())
    .update(`onward-unsubscribe:v1:${userId}:${channel}`)
    .digest()
    .subarray(0, MAC_BYTES);
}

export function makeUnsubscribeToken({ userId, channel }: { userId: string; channel: Channel }) {
  return `${userId}.${CHANNEL_LETTER[channel]}.${mac(userId, channel).toString("base64url")}`;
}

/** The person and channel a token was made for, or null if it isn't one of ours. */
export function readUnsubscribeToken(
  token: string | null | undefined,
): { userId: string; channel: Channel } | null {
  if (typeof token !== "string" || token.length > 120) return null;
  const match = TOKEN_PATTERN.exec(token);
  const [, userId, letter, given] = match ?? [];
  const channel = letter ? LETTER_CHANNEL[letter] : undefined;
  if (!userId || !channel || !given) return null;
  const expected = mac(userId, channel);
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return { userId, channel };
}

export function unsubscribeUrl({ userId, channel }: { userId: string; channel: Channel }) {
  return `${getEnv().APP_URL}/unsubscribe/${makeUnsubscribeToken({ userId, channel })}`;
}

/** The address unsubscribe mails go to, "unsubscribe+TOKEN@domain", or null when switched off. */
export function unsubscribeMailto(token: string): string | null {
  const env = getEnv();
  if (env.UNSUBSCRIBE_MAILTO === "none") return null;
  const address =
    env.UNSUBSCRIBE_MAILTO ?? `unsubscribe@${mailDomain(env.MAIL_FROM) ?? "onward.local"}`;
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at)}+${token}${address.slice(at)}`;
}

function mailDomain(from: string): string | null {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf("@") + 1).trim();
  return address.includes("@") && domain !== "" ? domain : null;
}

/**
 * The headers that let a mail client offer "Unsubscribe" and do it in one click (RFC 2369 and
 * RFC 8058). The mail must be DKIM-signed over both headers for providers to trust them.
 */
export function listUnsubscribeHeaders({
  userId,
  channel = "EMAIL",
}: {
  userId: string;
  channel?: "EMAIL";
}): { "List-Unsubscribe": string; "List-Unsubscribe-Post": string } {
  const token = makeUnsubscribeToken({ userId, channel });
  const mailto = unsubscribeMailto(token);
  return {
    "List-Unsubscribe": [
      `<${getEnv().APP_URL}/unsubscribe/${token}>`,
      ...(mailto ? [`<mailto:${mailto}>`] : []),
    ].join(", "),
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };
}

export type UnsubscribeState =
  { ok: true; channel: Channel; optedOut: boolean; address: string | null } | { ok: false };

/** What the unsubscribe page shows for a token: whether the person is opted out now. */
export async function getUnsubscribeState(token: string | undefined): Promise<UnsubscribeState> {
  const read = readUnsubscribeToken(token);
  if (!read) return { ok: false };
  const person = await getUnsubscribeContact({ userId: read.userId });
  if (!person) return { ok: false };
  const address = read.channel === "EMAIL" ? person.email : person.phone;
  const optedOut = await hasOptedOut({ userId: person.id, channel: read.channel, address });
  return { ok: true, channel: read.channel, optedOut, address };
}

const WORDING: Record<"out" | "in", Record<Channel, string>> = {
  out: {
    EMAIL: "Stop emails from Onward (unsubscribe link)",
    SMS: "Stop texts from Onward (unsubscribe link)",
  },
  in: {
    EMAIL: "Turn emails from Onward back on (unsubscribe link)",
    SMS: "Turn texts from Onward back on (unsubscribe link)",
  },
};

/**
 * Opts the token's person out of (or back into) the channel: a Suppression UNSUBSCRIBED and a
 * consent withdrawal, or the suppression lifted and consent granted. Repeating it writes nothing.
 */
export async function changeSubscription({
  token,
  subscribe,
  source,
  now = new Date(),
}: {
  token: string | undefined;
  subscribe: boolean;
  /** "one-click" (a mail client's RFC 8058 POST) or "unsubscribe-page". */
  source: string;
  now?: Date;
}): Promise<{ ok: true } | { ok: false }> {
  const read = readUnsubscribeToken(token);
  if (!read) return { ok: false };
  const person = await getUnsubscribeContact({ userId: read.userId });
  if (!person) return { ok: false };
  const address = read.channel === "EMAIL" ? person.email : person.phone;
  if (subscribe) {
    await liftSuppressions({
      channel: read.channel,
      address,
      userId: person.id,
      reasons: ["UNSUBSCRIBED"],
      consent: { wording: WORDING.in[read.channel], source },
      now,
    });
    return { ok: true };
  }
  await suppressAddress({
    channel: read.channel,
    address,
    userId: person.id,
    reason: "UNSUBSCRIBED",
    detail: source,
    consent: { wording: WORDING.out[read.channel], source },
    now,
  });
  return { ok: true };
}

/** "unsubscribe+TOKEN@domain": the token in the local part of a mailto unsubscribe address. */
const MAILTO_TOKEN = /\+([A-Za-z0-9_-]{1,64}\.[ES]\.[A-Za-z0-9_-]{22})@/g;

/**
 * A mail that reached an unsubscribe+TOKEN@ address (RFC 2369 mailto unsubscribe), as a mail
 * provider's inbound route reports it: every valid token among the recipients opts its person
 * out. Returns how many people that was; a recipient that isn't one of ours changes nothing.
 */
export async function unsubscribeByMail({
  recipients,
  now = new Date(),
}: {
  recipients: string[];
  now?: Date;
}): Promise<number> {
  const tokens = new Set<string>();
  for (const recipient of recipients) {
    for (const match of recipient.slice(0, 10_000).matchAll(MAILTO_TOKEN)) {
      if (match[1] && readUnsubscribeToken(match[1])) tokens.add(match[1]);
    }
  }
  let done = 0;
  for (const token of [...tokens].slice(0, 20)) {
    const result = await changeSubscription({ token, subscribe: false, source: "mailto", now });
    if (result.ok) done++;
  }
  return done;
}
