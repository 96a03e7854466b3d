import type { Task } from "graphile-worker";
import { CronPayload, cronNow } from "../cron.ts";
import { parsePayload } from "../payload.ts";
import { expireOverdueTasks } from "~/loop/nudges.server.ts";

/** Daily (jobs/crontab): tasks left open the campaign's expireDays after they were due close. */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(CronPayload, payload, helpers);
  if (!parsed) return;
  const { expired } = await expireOverdueTasks({ now: cronNow(parsed) });
  if (expired > 0) helpers.logger.info(`Expired ${expired} overdue tasks.`);
};

export default task;
