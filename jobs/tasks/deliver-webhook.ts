import type { Task } from "graphile-worker";
import { z } from "zod";
import { parsePayload } from "../payload.ts";
import { deliverWebhook } from "~/models/webhooks.server.ts";

const Payload = z.object({ deliveryId: z.string().min(1) });

/**
 * One attempt at an outgoing webhook (app/models/webhooks.server.ts). A receiver's failure is not
 * the job's: the attempt is recorded on the delivery row and the next one scheduled as a new job,
 * so the job completes. It throws only when another attempt holds the row, to look again later.
 */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(Payload, payload, helpers);
  if (!parsed) return;
  const result = await deliverWebhook({ deliveryId: parsed.deliveryId, now: new Date() });
  switch (result.outcome) {
    case "busy":
      throw new Error(
        `Webhook delivery ${parsed.deliveryId} is being sent by another worker; will check again`,
      );
    case "retrying":
      helpers.logger.info(
        `Webhook delivery ${parsed.deliveryId} attempt ${result.attempt} failed (${result.error}); next at ${result.nextAttemptAt.toISOString()}`,
      );
      break;
    case "failed":
      helpers.logger.info(
        `Webhook delivery ${parsed.deliveryId} failed for good after attempt ${result.attempt}: ${result.error}`,
      );
      break;
    default:
      break;
  }
};

export default task;
