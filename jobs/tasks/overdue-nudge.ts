import type { Task } from "graphile-worker";
import { z } from "zod";
import { parsePayload } from "../payload.ts";
import { queueOverdueNudge } from "~/loop/nudges.server.ts";

const Payload = z.object({ assignmentId: z.string().min(1) });

/** Scheduled for dueAt + overdueHours (job_key overdue:<assignmentId>); does nothing if closed. */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(Payload, payload, helpers);
  if (parsed) await queueOverdueNudge({ assignmentId: parsed.assignmentId });
};

export default task;
