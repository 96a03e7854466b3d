import { Prisma } from "~/generated/prisma/client.ts";
import type { SqlTx } from "~/utils/db.server.ts";
import { PREPARED } from "~/utils/prepared.ts";

/**
 * Enqueues graphile-worker jobs with SQL, on the caller's transaction: a change that rolls back
 * leaves no job, and one that commits always has its job. graphile-worker's schema is created by
 * `runMigrations` at start-up (app/server/prepare.ts) and in the test template database.
 */

/** Every task in jobs/tasks (the file name is the task name). */
export type TaskName =
  | "deliver-message"
  | "remind-before-due"
  | "overdue-nudge"
  | "thank-and-next"
  | "reengage-idle"
  | "expire-assignments"
  | "organiser-digest"
  | "apply-sms-status"
  | "deliver-webhook";

export type JobKeyMode = "replace" | "preserve_run_at" | "unsafe_dedupe";

/**
 * Attempts before a job is given up. Delivery retries for about a day with graphile-worker's
 * exponential backoff (e^attempt seconds, at most e^10 ≈ 6 hours apart); the jobs that only
 * write to the database need few.
 */
const MAX_ATTEMPTS: Record<TaskName, number> = {
  "deliver-message": 12,
  "remind-before-due": 5,
  "overdue-nudge": 5,
  "thank-and-next": 5,
  "reengage-idle": 5,
  "expire-assignments": 5,
  "organiser-digest": 5,
  // e^1 … e^5 seconds apart: about a minute and a half for the send that caused it to commit.
  "apply-sms-status": 6,
  // Webhooks keep their own schedule of attempts on the delivery row (app/models/webhooks.server.ts);
  // these cover only a job that fails outright (the database away mid-attempt).
  "deliver-webhook": 5,
};

export function maxJobAttempts(task: TaskName): number {
  return MAX_ATTEMPTS[task];
}

type Executor = Pick<SqlTx, "$executeRaw">;

/** One job to enqueue: its task, payload and, when it has them, its time and key. */
export type JobSpec = {
  task: TaskName;
  payload: Record<string, unknown>;
  runAt?: Date;
  jobKey?: string;
  jobKeyMode?: JobKeyMode;
};

function addJobCall({ task, payload, runAt, jobKey, jobKeyMode = "replace" }: JobSpec) {
  // The time goes as ISO text with its zone, so the session's TimeZone can't shift it.
  return Prisma.sql`graphile_worker.add_job(
    identifier => ${task}::text,
    payload => ${JSON.stringify(payload)}::json,
    run_at => ${runAt ? runAt.toISOString() : null}::timestamptz,
    max_attempts => ${MAX_ATTEMPTS[task]}::integer,
    job_key => ${jobKey ?? null}::text,
    job_key_mode => ${jobKeyMode}::text
  )`;
}

export async function addJob({
  tx,
  ...job
}: JobSpec & {
  /** The transaction the job belongs to (the plain client works too, outside one). */
  tx: Executor;
}): Promise<void> {
  await addJobs({ tx, jobs: [job] });
}

/**
 * Several jobs in one statement (one round trip), added in the order given. Runs of jobs with the
 * same key mode go through one `graphile_worker.add_jobs` call (one queue notification and a few
 * statements for the lot, where `add_job` would do that work for each job); `unsafe_dedupe`,
 * which `add_jobs` doesn't offer, and a key seen twice in a run (one statement can't update a row
 * twice) start another call.
 */
export async function addJobs({ tx, jobs }: { tx: Executor; jobs: JobSpec[] }): Promise<void> {
  if (jobs.length === 0) return;
  await tx.$executeRaw`${PREPARED}SELECT ${addJobsSql(jobs)}`;
}

/**
 * What addJobs sends, as SQL expressions to select within a statement of one's own (the report's
 * jobs go in the statement that stores it). `jobs` must not be empty.
 */
export function addJobsSql(jobs: JobSpec[]): Prisma.Sql {
  const calls: Prisma.Sql[] = [];
  let run: JobSpec[] = [];
  let runMode: JobKeyMode | null = null;
  let runKeys = new Set<string>();
  const endRun = () => {
    if (run.length > 0) calls.push(addJobsCall(run, runMode === "preserve_run_at"));
    run = [];
    runMode = null;
    runKeys = new Set();
  };
  for (const job of jobs) {
    const mode = job.jobKeyMode ?? "replace";
    if (mode === "unsafe_dedupe") {
      endRun();
      calls.push(addJobCall(job));
      continue;
    }
    if (runMode !== mode || (job.jobKey !== undefined && runKeys.has(job.jobKey))) endRun();
    runMode = mode;
    run.push(job);
    if (job.jobKey !== undefined) runKeys.add(job.jobKey);
  }
  endRun();
  return Prisma.join(calls);
}

/** `add_jobs` for jobs in `replace` (or, with preserveRunAt, `preserve_run_at`) key mode. */
function addJobsCall(jobs: JobSpec[], preserveRunAt: boolean) {
  const specs = jobs.map(({ task, payload, runAt, jobKey }) => ({
    identifier: task,
    payload,
    // ISO text with its zone, as in addJobCall.
    run_at: runAt ? runAt.toISOString() : null,
    max_attempts: MAX_ATTEMPTS[task],
    job_key: jobKey ?? null,
  }));
  return Prisma.sql`(SELECT count(*) FROM graphile_worker.add_jobs(
    ARRAY(SELECT json_populate_record(NULL::graphile_worker.job_spec, spec.value)
      FROM json_array_elements(${JSON.stringify(specs)}::json) WITH ORDINALITY AS spec(value, n)
      ORDER BY spec.n),
    ${preserveRunAt}::boolean))`;
}

/** The key of a message's delivery job: one pending delivery per message at a time. */
export function deliveryJobKey(messageId: string) {
  return `deliver:${messageId}`;
}

/** Schedules (or moves) the delivery of an outbox message. */
export function addDeliveryJob({
  tx,
  messageId,
  runAt,
}: {
  tx: Executor;
  messageId: string;
  runAt?: Date;
}) {
  return addJob({
    tx,
    task: "deliver-message",
    payload: { messageId },
    runAt,
    jobKey: deliveryJobKey(messageId),
  });
}
