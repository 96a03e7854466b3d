import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { pool } from "~/utils/db.server.ts";

type Limit = { keyPrefix: string; points: number; durationSeconds: number };

/** Every limit in one place, so they can be read and tuned together. */
export const LIMITS = {
  signInPerIdentifier: { keyPrefix: "signin_id", points: 5, durationSeconds: 15 * 60 },
  signInPerIp: { keyPrefix: "signin_ip", points: 30, durationSeconds: 15 * 60 },
  codeAttemptsPerIdentifier: { keyPrefix: "code_id", points: 10, durationSeconds: 15 * 60 },
  codeAttemptsPerIp: { keyPrefix: "code_ip", points: 50, durationSeconds: 15 * 60 },
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

/** Spends one point of a limit; several keys are checked together and all must have room. */
export async function consume(
  checks: Array<{ limit: LimitName; key: string | null }>,
): Promise<RateResult> {
  let retryAfterSeconds = 0;
  for (const { limit, key } of checks) {
    if (!key) continue;
    try {
      await limiter(limit).consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil(error.msBeforeNext / 1000));
      } else {
        throw error;
      }
    }
  }
  return retryAfterSeconds > 0 ? { ok: false, retryAfterSeconds } : { ok: true };
}

/** Plain words for how long to wait. */
export function waitWords(seconds: number) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? "a minute" : `${minutes} minutes`;
}
