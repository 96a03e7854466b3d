import type { JobHelpers } from "graphile-worker";
import type { z } from "zod";

/**
 * Parses a job's payload. Queued jobs may carry an old or broken shape; one that can never work is
 * reported once and dropped (returns null) rather than retried for a day.
 */
export function parsePayload<S extends z.ZodType>(
  schema: S,
  payload: unknown,
  helpers: JobHelpers,
): z.output<S> | null {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  helpers.logger.error(
    `Job ${helpers.job.id} (${helpers.job.task_identifier}) has a payload it can't use and was dropped: ${issue?.path.join(".") || "payload"} ${issue?.message ?? "is not valid"}`,
  );
  return null;
}
