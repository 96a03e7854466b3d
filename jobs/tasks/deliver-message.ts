import type { Task } from "graphile-worker";
import { z } from "zod";
import { parsePayload } from "../payload.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";

const Payload = z.object({ messageId: z.string().min(1) });

/**
 * Sends one outbox message under the contact policy (see app/utils/delivery.server.ts), on a
 * connection of the worker's own pool. A failed send throws so graphile-worker retries with its
 * backoff; the last attempt marks it FAILED.
 */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(Payload, payload, helpers);
  if (!parsed) return;
  const result = await deliverMessage({
    messageId: parsed.messageId,
    now: new Date(),
    attempt: helpers.job.attempts,
    maxAttempts: helpers.job.max_attempts,
    withClient: helpers.withPgClient,
  });
  if (result.outcome === "busy") {
    // Retry later: if the holder sends it, the retry finds it sent; if the holder died before
    // committing, the retry sends it. Completing now could lose the message.
    throw new Error(
      `Message ${parsed.messageId} is being sent by another worker; will check again`,
    );
  }
  if (result.outcome === "failed" && !result.final) {
    throw new Error(`Message ${parsed.messageId} was not sent: ${result.error}`);
  }
};

export default task;
