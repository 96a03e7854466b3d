import type { Task } from "graphile-worker";
import { CronPayload, cronNow } from "../cron.ts";
import { parsePayload } from "../payload.ts";
import { reengageIdleVolunteers } from "~/loop/nudges.server.ts";

/** Daily (jobs/crontab): one "we miss you" to each volunteer idle for the campaign's idleDays. */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(CronPayload, payload, helpers);
  if (!parsed) return;
  const { queued, people } = await reengageIdleVolunteers({ now: cronNow(parsed) });
  if (people > 0) helpers.logger.info(`Re-engage: ${people} people, ${queued} messages queued.`);
};

export default task;
