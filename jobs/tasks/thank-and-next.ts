import type { Task } from "graphile-worker";
import { z } from "zod";
import { parsePayload } from "../payload.ts";
import { queueThanksAndNext } from "~/loop/nudges.server.ts";

/** The assignment that was just reported (job_key thanks:<assignmentId>). */
const Payload = z.object({ assignmentId: z.string().min(1) });

/** One "thank you, here's your next task" message after a report. */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(Payload, payload, helpers);
  if (parsed) await queueThanksAndNext({ assignmentId: parsed.assignmentId });
};

export default task;
