import type { Task } from "graphile-worker";
import { z } from "zod";
import { parsePayload } from "../payload.ts";
import { handleSmsStatus } from "~/utils/sms-inbound.server.ts";

/** A Twilio delivery report that came before its text's id was saved (job_key sms-status:…). */
const Payload = z.object({
  messageSid: z.string().min(1),
  status: z.string().min(1),
  errorCode: z.string().nullable(),
  to: z.string().nullable(),
  at: z.iso.datetime(),
});

/**
 * Applies the report once the send that made the text has committed. While the id is still
 * unknown the job throws, so graphile-worker tries again with backoff; the last attempt acts on
 * the address alone (a number that can't take texts is still suppressed).
 */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(Payload, payload, helpers);
  if (!parsed) return;
  const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts;
  await handleSmsStatus({
    messageSid: parsed.messageSid,
    status: parsed.status,
    errorCode: parsed.errorCode,
    to: parsed.to,
    now: new Date(parsed.at),
    unknown: lastAttempt ? "settle" : "retry",
  });
};

export default task;
