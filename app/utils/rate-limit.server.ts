import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { pool } from "~/utils/db.server.ts";
import { clientIp } from "~/utils/request.server.ts";

type Limit = { keyPrefix: string; points: number; durationSeconds: number };

/**
 * Every limit in one place, so they can be read and tuned together. Each is sized so that people
 * using Onward as meant never meet it, and a script hammering a form does within minutes.
 */
export const LIMITS = {
  signInPerIdentifier: { keyPrefix: "signin_id", points: 5, durationSeconds: 15 * 60 },
  signInPerIp: { keyPrefix: "signin_ip", points: 30, durationSeconds: 15 * 60 },
  codeAttemptsPerIdentifier: { keyPrefix: "code_id", points: 10, durationSeconds: 15 * 60 },
  codeAttemptsPerIp: { keyPrefix: "code_ip", points: 50, durationSeconds: 15 * 60 },
  /**
   * New accounts from one address. A whole meeting joining from the venue's wifi, or many phones
   * behind one mobile network's address, is a few dozen in ten minutes.
   */
  signUpPerIp: { keyPrefix: "signup_ip", points: 60, durationSeconds: 10 * 60 },
  /**
   * Report and skip POSTs by one volunteer. A phone coming back into signal sends every report it
   * kept offline at once, and may send some twice; nobody does sixty tasks in ten minutes.
   */
  reportPerUser: { keyPrefix: "report_user", points: 60, durationSeconds: 10 * 60 },
  /**
   * Report and skip POSTs from one address, for a flood spread over many accounts. Generous: a
   * canvassing day on one wifi, or a thousand volunteers behind one proxy, must get through.
   */
  reportPerIp: { keyPrefix: "report_ip", points: 3_000, durationSeconds: 10 * 60 },
  /**
   * Webhook requests refused (a bad signature or secret) from one address. Only refusals count:
   * Twilio and mail providers post from shared addresses, and a 429 on a real delivery report
   * would lose it. After this many, that address gets 429 until the window passes.
   */
  webhookRefusalsPerIp: { keyPrefix: "webhook_bad_ip", points: 30, durationSeconds: 15 * 60 },
} satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

const limiters = new Map<LimitName, RateLimiterPostgres>();

function limiter(name: LimitName) {
  let found = limiters.get(name);
  if (!found) {
    const limit = LIMITS[name];
    found = new RateLimiterPostgres({
      storeClient: pool,
      tableName: "rate_limits",
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix: limit.keyPrefix,
      points: limit.points,
      duration: limit.durationSeconds,
    });
    limiters.set(name, found);
  }
  return found;
}

export type RateResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Spends one point of a limit; several keys are checked together (at once, each its own statement)
 * and all must have room.
 */
export async function consume(
  checks: Array<{ limit: LimitName; key: string | null }>,
): Promise<RateResult> {
  const waits = await Promise.all(
    checks.map(async ({ limit, key }) => {
      if (!key) return 0;
      try {
        await limiter(limit).consume(key);
        return 0;
      } catch (error) {
        if (error instanceof RateLimiterRes) return Math.ceil(error.msBeforeNext / 1000);
        throw error;
      }
    }),
  );
  const retryAfterSeconds = Math.max(0, ...waits);
  return retryAfterSeconds > 0 ? { ok: false, retryAfterSeconds } : { ok: true };
}

/** Whether a limit has run out for a key, without spending a point. */
export async function check(limit: LimitName, key: string | null): Promise<RateResult> {
  if (!key) return { ok: true };
  const state = await limiter(limit).get(key);
  if (state && state.consumedPoints >= LIMITS[limit].points && state.msBeforeNext > 0) {
    return { ok: false, retryAfterSeconds: Math.ceil(state.msBeforeNext / 1000) };
  }
  return { ok: true };
}

/** The Retry-After header for a refused request (RFC 9110). */
export function retryAfter(result: { retryAfterSeconds: number }) {
  return { "Retry-After": String(Math.max(1, result.retryAfterSeconds)) };
}

/**
 * A route's `headers` export that passes its action's Retry-After on to the page: a document
 * request takes its headers from this, not from the action's answer.
 */
export function retryAfterHeaders({ actionHeaders }: { actionHeaders: Headers }): HeadersInit {
  const value = actionHeaders.get("Retry-After");
  return value ? { "Retry-After": value } : {};
}

/** A report or skip POST: counted per volunteer, and (generously) per address. */
export function consumeReportLimit({ userId, ip }: { userId: string; ip: string | null }) {
  return consume([
    { limit: "reportPerUser", key: userId },
    { limit: "reportPerIp", key: ip },
  ]);
}

export function reportLimitMessage({ retryAfterSeconds }: { retryAfterSeconds: number }) {
  return `You've sent a lot of reports in the last few minutes. Please wait ${waitWords(retryAfterSeconds)} and send this one again.`;
}

/**
 * A webhook caller that has been refused too often (bad signatures or secrets) gets 429 until the
 * window passes; null when it may go on. Callers that get through are never counted.
 */
export async function checkWebhookRefusals(request: Request): Promise<Response | null> {
  const limited = await check("webhookRefusalsPerIp", clientIp(request));
  if (limited.ok) return null;
  return new Response("Too many refused requests from this address. Try again later.", {
    status: 429,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...retryAfter(limited) },
  });
}

export async function countWebhookRefusal(request: Request) {
  await consume([{ limit: "webhookRefusalsPerIp", key: clientIp(request) }]);
}

/** Plain words for how long to wait. */
export function waitWords(seconds: number) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? "a minute" : `${minutes} minutes`;
}
