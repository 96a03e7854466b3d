import type { Task } from "graphile-worker";
import { CronPayload, cronNow } from "../cron.ts";
import { parsePayload } from "../payload.ts";
import { foldReportDays } from "~/models/reports.server.ts";

/**
 * Daily (jobs/crontab): the report rollup's rows for days that can no longer take a new report
 * (before yesterday, in any time zone) are folded from their stripes into one row each. The
 * figures don't change; the table stays small. Safe to run again: a folded day has nothing left
 * to fold.
 */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(CronPayload, payload, helpers);
  if (!parsed) return;
  const folded = await foldReportDays({ now: cronNow(parsed) });
  if (folded > 0) helpers.logger.info(`Folded ${folded} report rollup stripes into their days.`);
};

export default task;
