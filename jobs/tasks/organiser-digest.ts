import type { Task } from "graphile-worker";
import { CronPayload, cronNow } from "../cron.ts";
import { parsePayload } from "../payload.ts";
import { queueOrganiserDigests } from "~/loop/nudges.server.ts";

/**
 * Hourly (jobs/crontab), so that each organisation gets its digest at 08:00 on Monday in its own
 * timezone; an hour with no such organisation does nothing.
 */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(CronPayload, payload, helpers);
  if (!parsed) return;
  const { organisations, queued } = await queueOrganiserDigests({ now: cronNow(parsed) });
  if (organisations > 0) {
    helpers.logger.info(`Organiser digest: ${organisations} organisations, ${queued} emails.`);
  }
};

export default task;
