import { z } from "zod";

/** What graphile-worker's cron puts in a job's payload: the time it was due (ISO). */
export const CronPayload = z.object({
  _cron: z.object({ ts: z.string(), backfilled: z.boolean().optional() }).optional(),
});

/** The moment the cron job stands for: its scheduled time, even when it runs late (backfill). */
export function cronNow(payload: z.output<typeof CronPayload>): Date {
  const ts = payload._cron?.ts ? new Date(payload._cron.ts) : null;
  return ts && !Number.isNaN(ts.getTime()) ? ts : new Date();
}
