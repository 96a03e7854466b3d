import { expect } from "vitest";
import { daytimeZone } from "../fixtures/nudges.ts";
import { uniqueSuffix } from "../fixtures/people.ts";
import type { SmtpCapture } from "../setup/smtp.ts";
import { sleep, type Child } from "./helpers.ts";
import { db } from "~/utils/db.server.ts";

/**
 * The fault tests' data, made with set-based SQL where there are thousands of rows (one row at a
 * time through the builders would take minutes), and the checks they make on it. Imports the
 * app's database client: a test that points DATABASE_URL elsewhere imports this afterwards.
 */

/**
 * `count` due messages, one per volunteer (so the weekly cap never holds one back), each QUEUED
 * with its deliver-message job (job key deliver:<id>, 12 attempts, as addDeliveryJob makes them).
 * The volunteers have consented to email and live where it is early afternoon now, so quiet hours
 * don't hold them either. The subject carries the message id, to match mail to messages.
 */
export async function createDueMessages(count: number): Promise<string[]> {
  const tag = `f${uniqueSuffix()}`;
  const timezone = daytimeZone();
  await db.$executeRaw`
    INSERT INTO "User" (id, email, name, timezone, "updatedAt")
    SELECT ${tag} || '_u' || g, ${tag} || '-' || g || '@example.org', 'Vol ' || g, ${timezone}, now()
    FROM generate_series(1, ${count}::int) AS g`;
  await db.$executeRaw`
    INSERT INTO "Consent" (id, "userId", channel, granted, wording, source)
    SELECT ${tag} || '_c' || g, ${tag} || '_u' || g, 'EMAIL'::"Channel", true, 'email ok', 'test'
    FROM generate_series(1, ${count}::int) AS g`;
  await db.$executeRaw`
    INSERT INTO "Message" (id, "userId", channel, kind, "dedupeKey", "toAddress", subject,
                           "bodyText", "updatedAt")
    SELECT ${tag} || '_m' || g, ${tag} || '_u' || g, 'EMAIL'::"Channel", 'LADDER_COMPLETE',
           ${tag} || ':' || g || ':EMAIL', ${tag} || '-' || g || '@example.org',
           'Fault ' || ${tag} || '_m' || g, 'You did it all.', now()
    FROM generate_series(1, ${count}::int) AS g`;
  const ids = (
    await db.message.findMany({
      select: { id: true },
      where: { id: { startsWith: `${tag}_m` } },
      orderBy: { id: "asc" },
    })
  ).map((row) => row.id);
  await db.$executeRaw`
    SELECT graphile_worker.add_job(
      identifier => 'deliver-message',
      payload => json_build_object('messageId', id),
      max_attempts => 12,
      job_key => 'deliver:' || id
    )
    FROM "Message" WHERE id = ANY(${ids}::text[])`;
  expect(ids).toHaveLength(count);
  return ids;
}

/** How many times each message arrived at the SMTP capture (by the id in the subject). */
export function arrivals(smtp: SmtpCapture, ids: string[]) {
  const counts = new Map<string, number>(ids.map((id) => [id, 0]));
  let strangers = 0;
  for (const mail of smtp.messages) {
    const id = /^Fault (\S+)$/.exec(mail.subject ?? "")?.[1];
    if (id && counts.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    else strangers++;
  }
  const values = [...counts.values()];
  return {
    missing: ids.filter((id) => counts.get(id) === 0),
    duplicates: values.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    duplicated: ids.filter((id) => (counts.get(id) ?? 0) > 1),
    strangers,
  };
}

export async function countSent(ids: string[]) {
  return db.message.count({ where: { id: { in: ids }, status: "SENT" } });
}

export async function messageStatuses(ids: string[]) {
  const rows = await db.message.groupBy({
    by: ["status"],
    where: { id: { in: ids } },
    _count: true,
  });
  return Object.fromEntries(rows.map((row) => [row.status, row._count]));
}

export async function waitUntilAllSent(ids: string[], running: Child[], timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const sent = await countSent(ids);
    if (sent === ids.length) return;
    for (const worker of running) {
      if (!worker.running()) {
        throw new Error(`${worker.name} exited (${worker.child.exitCode}):\n${worker.output()}`);
      }
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `Only ${sent} of ${ids.length} messages SENT after ${timeoutMs} ms: ${JSON.stringify(await messageStatuses(ids))}\n` +
          running.map((worker) => `${worker.name}:\n${worker.output().slice(-4000)}`).join("\n"),
      );
    }
    await sleep(500);
  }
}

/**
 * The delivery jobs of these messages that are still to run (completed jobs are deleted). A job
 * that graphile-worker retired (attempts used up, as add_job leaves a locked job it replaces)
 * never runs again, so it does not count.
 */
export function jobsLeft(ids: string[]) {
  return db.$queryRaw<
    Array<{ id: string; attempts: number; locked_by: string | null; last_error: string | null }>
  >`
    SELECT id::text, attempts, locked_by, last_error FROM graphile_worker._private_jobs
    WHERE payload->>'messageId' = ANY(${ids}::text[])
      AND (attempts < max_attempts OR locked_by IS NOT NULL)`;
}

/** No delivery job of these messages is left. */
export async function expectNoJobsLeft(ids: string[]) {
  expect(await jobsLeft(ids)).toEqual([]);
}

/** The database's view: every message SENT, once (one attempt, one sentAt). */
export async function expectSentExactlyOnce(ids: string[]) {
  const rows = await db.message.findMany({
    select: { id: true, status: true, attempts: true, sentAt: true },
    where: { id: { in: ids } },
  });
  expect(rows).toHaveLength(ids.length);
  expect(rows.filter((row) => row.status !== "SENT")).toEqual([]);
  expect(rows.filter((row) => row.attempts !== 1 || row.sentAt === null)).toEqual([]);
  await expectNoJobsLeft(ids);
}

export { createReporters, reportForm, type Reporter } from "../fixtures/reporters.ts";

/** The reports stored for these assignments, with the key each came with. */
export async function storedReports(assignmentIds: string[]) {
  return db.report.findMany({
    select: { id: true, assignmentId: true, idempotencyKey: true },
    where: { assignmentId: { in: assignmentIds } },
  });
}
