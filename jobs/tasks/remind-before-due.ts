import type { Task } from "graphile-worker";
import { z } from "zod";
import { parsePayload } from "../payload.ts";
import { queueReminder } from "~/loop/nudges.server.ts";

const Payload = z.object({ assignmentId: z.string().min(1) });

/** Scheduled for dueAt − reminderHours (job_key remind:<assignmentId>); does nothing if reported. */
const task: Task = async (payload, helpers) => {
  const parsed = parsePayload(Payload, payload, helpers);
  if (parsed) await queueReminder({ assignmentId: parsed.assignmentId, now: new Date() });
};

export default task;
