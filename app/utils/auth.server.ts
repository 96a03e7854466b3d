import {
  createHash,
  createHmac,
  randomBytes,
  randomInt,
  randomUUID,
  timingSafeEqual,
} from "node:crypto";
import { createElement } from "react";
import SignInLinkEmail, { signInLinkSubject } from "../../emails/sign-in-link.tsx";
import type { Identifier } from "~/schemas/contact.ts";
import {
  closeOpenCodes,
  createLoginToken,
  findLoginTokenByHash,
  findNewestOpenCode,
  recordWrongCode,
  useLoginToken,
} from "~/models/login-token.server.ts";
import { findUserByEmail, findUserByPhone } from "~/models/user.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { getEnv, getSessionSecret } from "~/utils/env.server.ts";
import { sendTransactional } from "~/utils/outbox.server.ts";
import { consume, waitWords } from "~/utils/rate-limit.server.ts";

export const LINK_MINUTES = 15;
export const CODE_MINUTES = 10;
export const MAX_CODE_ATTEMPTS = 5;

function hashLinkToken(token: string) {
  return createHash("sha256").update(token).digest("hex");
}

/** Codes are only 6 digits, so they are keyed with the server's secret and the token's id. */
function hashCode(tokenId: string, code: string) {
  return createHmac("sha256", getSessionSecret()).update(`${tokenId}:${code}`).digest("hex");
}

function minutesFrom(now: Date, minutes: number) {
  return new Date(now.getTime() + minutes * 60 * 1000);
}

export type SignInRequestResult = { ok: true } | { ok: false; error: string };

/**
 * Sends a sign-in link (email) or code (SMS) if an account has that address. The answer is the
 * same either way, so nobody can learn who has an account.
 */
export async function requestSignIn({
  identifier,
  ip,
  redirectTo,
  now = new Date(),
}: {
  identifier: Identifier;
  ip: string | null;
  redirectTo: string | null;
  now?: Date;
}): Promise<SignInRequestResult> {
  const address = identifier.channel === "EMAIL" ? identifier.email : identifier.phone;
  const limited = await consume([
    { limit: "signInPerIdentifier", key: address },
    { limit: "signInPerIp", key: ip },
  ]);
  if (!limited.ok) {
    return {
      ok: false,
      error: `You have asked for a lot of sign-in messages. Please wait ${waitWords(limited.retryAfterSeconds)} and try again.`,
    };
  }

  const user =
    identifier.channel === "EMAIL"
      ? await findUserByEmail({ email: identifier.email })
      : await findUserByPhone({ phone: identifier.phone });
  if (!user) return { ok: true };

  const id = randomUUID();
  if (identifier.channel === "EMAIL") {
    const token = randomBytes(32).toString("base64url");
    await createLoginToken({
      id,
      userId: user.id,
      channel: "EMAIL",
      tokenHash: hashLinkToken(token),
      expiresAt: minutesFrom(now, LINK_MINUTES),
      redirectTo,
      ip,
    });
    const link = `${getEnv().APP_URL}/auth/verify?${new URLSearchParams({ token })}`;
    const email = await renderEmail(
      createElement(SignInLinkEmail, { name: user.name, link, minutes: LINK_MINUTES }),
    );
    const sent = await sendTransactional({
      userId: user.id,
      channel: "EMAIL",
      kind: "SIGN_IN_LINK",
      dedupeKey: `sign-in:${id}`,
      to: identifier.email,
      subject: signInLinkSubject(),
      text: email.text,
      html: email.html,
      redacted: { text: "A sign-in link (not stored, for safety)." },
    });
    return sent.ok
      ? { ok: true }
      : { ok: false, error: "We could not send the email just now. Please try again in a minute." };
  }

  await closeOpenCodes({ userId: user.id, now });
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  await createLoginToken({
    id,
    userId: user.id,
    channel: "SMS",
    tokenHash: hashCode(id, code),
    expiresAt: minutesFrom(now, CODE_MINUTES),
    redirectTo,
    ip,
  });
  const sent = await sendTransactional({
    userId: user.id,
    channel: "SMS",
    kind: "SIGN_IN_CODE",
    dedupeKey: `sign-in:${id}`,
    to: identifier.phone,
    text: `${code} is your Onward sign-in code. It works for ${CODE_MINUTES} minutes. Don't share it.`,
    redacted: { text: "A sign-in code (not stored, for safety)." },
  });
  return sent.ok
    ? { ok: true }
    : { ok: false, error: "We could not send the text just now. Please try again in a minute." };
}

export type VerifyResult =
  { ok: true; userId: string; redirectTo: string | null } | { ok: false; error: string };

export async function verifyLinkToken({
  token,
  now = new Date(),
}: {
  token: string;
  now?: Date;
}): Promise<VerifyResult> {
  const found = token ? await findLoginTokenByHash({ tokenHash: hashLinkToken(token) }) : null;
  if (!found || found.channel !== "EMAIL") {
    return {
      ok: false,
      error: "This sign-in link isn't right. It may have been cut short. Ask for a new one.",
    };
  }
  if (found.usedAt) {
    return {
      ok: false,
      error: "This sign-in link has already been used. Each link works once. Ask for a new one.",
    };
  }
  if (found.expiresAt <= now) {
    return {
      ok: false,
      error: `This sign-in link has expired. Links work for ${LINK_MINUTES} minutes. Ask for a new one.`,
    };
  }
  if (!(await useLoginToken({ id: found.id, now }))) {
    return {
      ok: false,
      error: "This sign-in link has already been used. Each link works once. Ask for a new one.",
    };
  }
  return { ok: true, userId: found.userId, redirectTo: found.redirectTo };
}

const WRONG_CODE = "That code isn't right. Check the text message and try again.";
const NO_CODE = "That code has expired or been used. Ask for a new code.";

export async function verifyCode({
  phone,
  code,
  ip,
  now = new Date(),
}: {
  phone: string;
  code: string;
  ip: string | null;
  now?: Date;
}): Promise<VerifyResult> {
  const limited = await consume([
    { limit: "codeAttemptsPerIdentifier", key: phone },
    { limit: "codeAttemptsPerIp", key: ip },
  ]);
  if (!limited.ok) {
    return {
      ok: false,
      error: `Too many tries. Please wait ${waitWords(limited.retryAfterSeconds)} and ask for a new code.`,
    };
  }
  const user = await findUserByPhone({ phone });
  const open = user ? await findNewestOpenCode({ userId: user.id, now }) : null;
  if (!user || !open) return { ok: false, error: user ? NO_CODE : WRONG_CODE };
  if (open.attempts >= MAX_CODE_ATTEMPTS) {
    return {
      ok: false,
      error: "That code was entered wrongly too many times. Ask for a new code.",
    };
  }
  const expected = Buffer.from(open.tokenHash, "hex");
  const given = Buffer.from(hashCode(open.id, code), "hex");
  if (!timingSafeEqual(expected, given)) {
    await recordWrongCode({ id: open.id });
    return { ok: false, error: WRONG_CODE };
  }
  if (!(await useLoginToken({ id: open.id, now }))) return { ok: false, error: NO_CODE };
  return { ok: true, userId: user.id, redirectTo: open.redirectTo };
}
