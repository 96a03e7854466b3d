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

export type RateResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A limit's row in rate_limits: the limit's prefix and the key (an address, a person's id…). Also
 * how account deletion finds a person's counts.
 */
export function limitKey(limit: LimitName, key: string) {
  return `${LIMITS[limit].keyPrefix}:${key}`;
}

/**
 * Each key's count in its window, raised by one; a window that has passed starts again at one. The
 * rows are taken in key order, so two requests counting the same keys can't deadlock.
 */
const CONSUME_SQL = `
INSERT INTO rate_limits AS r (key, points, expire)
SELECT k.key, 1, $2::bigint + k.ms FROM json_to_recordset($1::json) AS k(key text, ms bigint)
ORDER BY k.key
ON CONFLICT (key) DO UPDATE SET
  points = CASE WHEN r.expire <= $2::bigint THEN 1 ELSE r.points + 1 END,
  expire = CASE WHEN r.expire <= $2::bigint THEN EXCLUDED.expire ELSE r.expire END
RETURNING key, points, expire`;

/**
 * Spends one point of each limit for its key, all in one statement, and says whether all of them
 * had room; a check without a key counts nothing. Counts live in the unlogged rate_limits table
 * (milliseconds since 1970 for the end of each window), shared by every web process.
 */
export async function consume(
  checks: Array<{ limit: LimitName; key: string | null }>,
): Promise<RateResult> {
  const keyed = new Map<string, LimitName>();
  for (const { limit, key } of checks) if (key) keyed.set(limitKey(limit, key), limit);
  if (keyed.size === 0) return { ok: true };
  const now = Date.now();
  const { rows } = await pool.query<{ key: string; points: number; expire: string }>({
    name: "onward-rate-consume",
    text: CONSUME_SQL,
    values: [
      JSON.stringify(
        [...keyed].map(([key, limit]) => ({ key, ms: LIMITS[limit].durationSeconds * 1000 })),
      ),
      now,
    ],
  });
  let retryAfterMs = 0;
  for (const row of rows) {
    const limit = keyed.get(row.key);
    if (limit && row.points > LIMITS[limit].points) {
      retryAfterMs = Math.max(retryAfterMs, Number(row.expire) - now);
    }
  }
  return retryAfterMs > 0
    ? { ok: false, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }
    : { ok: true };
}

/** Whether a limit has run out for a key, without spending a point. */
export async function check(limit: LimitName, key: string | null): Promise<RateResult> {
  if (!key) return { ok: true };
  const now = Date.now();
  const { rows } = await pool.query<{ points: number; expire: string }>({
    name: "onward-rate-check",
    text: "SELECT points, expire FROM rate_limits WHERE key = $1 AND expire > $2::bigint",
    values: [limitKey(limit, key), now],
  });
  const row = rows[0];
  if (row && row.points >= LIMITS[limit].points) {
    return { ok: false, retryAfterSeconds: Math.ceil((Number(row.expire) - now) / 1000) };
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
