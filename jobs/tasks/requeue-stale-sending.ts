import type { Task } from "graphile-worker";
import { DELIVERY_JOB_MAX_ATTEMPTS, requeueStaleSending } from "~/models/message.server.ts";

/**
 * Every few minutes (jobs/crontab), and when a worker starts (jobs/worker.ts): messages left
 * SENDING by a worker that died or lost its database connection mid-send go back to QUEUED with a
 * new delivery job. Messages whose worker is still sending them are left alone.
 */
const task: Task = async (_payload, helpers) => {
  const ids = await requeueStaleSending({
    client: helpers,
    jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS,
  });
  if (ids.length > 0) {
    helpers.logger.info(`Requeued ${ids.length} interrupted message(s): ${ids.join(", ")}`);
  }
};

export default task;
