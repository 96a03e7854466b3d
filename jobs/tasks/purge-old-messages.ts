import type { Task } from "graphile-worker";
import { CronPayload, cronNow } from "../cron.ts";
import { parsePayload } from "../payload.ts";
import { purgeOldMessages } from "~/models/privacy.server.ts";
import { getEnv } from "~/utils/env.server.ts";

/**
 * Daily (jobs/crontab): message subjects and bodies, and the texts people sent us, older than
 * RETENTION_DAYS are cleared, and finished webhook deliveries as old are deleted. Safe to run again: a purged row is never touched twice.
 */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(CronPayload, payload, helpers);
  if (!parsed) return;
  const { messages, inboundSms, webhookDeliveries } = await purgeOldMessages({
    retentionDays: getEnv().RETENTION_DAYS,
    now: cronNow(parsed),
  });
  if (messages + inboundSms + webhookDeliveries > 0) {
    helpers.logger.info(
      `Purged the bodies of ${messages} messages and ${inboundSms} received texts, and ${webhookDeliveries} webhook deliveries, older than ${getEnv().RETENTION_DAYS} days.`,
    );
  }
};

export default task;
