import { spawn, type ChildProcess } from "node:child_process";
import { makeWorkerUtils } from "graphile-worker";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { daytimeZone } from "../fixtures/nudges.ts";
import { uniqueSuffix } from "../fixtures/people.ts";
import { REPO_ROOT } from "../setup/postgres.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { db } from "~/utils/db.server.ts";

/**
 * Fault injection on the delivery path with the real worker process (`npm run worker`), the real
 * database and a real SMTP server: a worker killed with SIGKILL in the middle of a batch, and two
 * workers draining one queue together.
 *
 * What delivery promises (app/utils/delivery.server.ts): the database records every message SENT
 * exactly once; at the SMTP edge it is at-least-once. A message is SENDING from its claim until its
 * outcome is recorded, and a duplicate can only come from a send that the SMTP server had accepted
 * when the process died, before SENT was recorded: the sweep then returns the message to QUEUED
 * and it goes again. So after a kill, duplicates are at most the sends in flight: the worker's
 * concurrency (5, the default of startWorker in jobs/worker.ts).
 */

/** The worker's concurrency (jobs/worker.ts main() uses WORKER_CONCURRENCY, default 5). */
const WORKER_CONCURRENCY = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

let smtp: SmtpCapture;
const workers: Array<{ child: ChildProcess; output: () => string }> = [];

beforeAll(async () => {
  smtp = await startSmtpCapture();
});

afterEach(async () => {
  for (const { child } of workers.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
  }
});

afterAll(async () => {
  await smtp.close();
});

function startWorkerProcess(name: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "jobs/worker.ts"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      SMTP_URL: smtp.url,
      RUN_WORKER: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const worker = { name, child, output: () => output };
  workers.push(worker);
  return worker;
}

async function waitForRunning(worker: ReturnType<typeof startWorkerProcess>, timeoutMs = 60_000) {
  const started = Date.now();
  while (!/Onward worker is running/.test(worker.output())) {
    if (worker.child.exitCode !== null) {
      throw new Error(`${worker.name} exited (${worker.child.exitCode}):\n${worker.output()}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${worker.name} did not start:\n${worker.output()}`);
    }
    await sleep(50);
  }
}

/**
 * `count` due messages, one per volunteer (so the weekly cap never holds one back), each QUEUED
 * with its deliver-message job (job key deliver:<id>, 12 attempts, as addDeliveryJob makes them).
 * The volunteers have consented to email and live where it is early afternoon now, so quiet hours
 * don't hold them either. Written with set-based SQL: thousands of rows through the builders
 * would take minutes. The subject carries the message id, to match mail to messages.
 */
async function createDueMessages(count: number): Promise<string[]> {
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
function arrivals(ids: string[]) {
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

async function countSent(ids: string[]) {
  return db.message.count({ where: { id: { in: ids }, status: "SENT" } });
}

async function waitUntilAllSent(
  ids: string[],
  running: Array<ReturnType<typeof startWorkerProcess>>,
  timeoutMs: number,
) {
  const started = Date.now();
  for (;;) {
    const sent = await countSent(ids);
    if (sent === ids.length) return;
    for (const worker of running) {
      if (worker.child.exitCode !== null) {
        throw new Error(`${worker.name} exited (${worker.child.exitCode}):\n${worker.output()}`);
      }
    }
    if (Date.now() - started > timeoutMs) {
      const byStatus = await db.message.groupBy({
        by: ["status"],
        where: { id: { in: ids } },
        _count: true,
      });
      throw new Error(
        `Only ${sent} of ${ids.length} messages SENT after ${timeoutMs} ms: ${JSON.stringify(byStatus)}\n` +
          running.map((worker) => `${worker.name}:\n${worker.output().slice(-4000)}`).join("\n"),
      );
    }
    await sleep(500);
  }
}

/** The database's view: every message SENT, once (one attempt, one sentAt). */
async function expectSentExactlyOnce(ids: string[]) {
  const rows = await db.message.findMany({
    select: { id: true, status: true, attempts: true, sentAt: true },
    where: { id: { in: ids } },
  });
  expect(rows).toHaveLength(ids.length);
  expect(rows.filter((row) => row.status !== "SENT")).toEqual([]);
  expect(rows.filter((row) => row.attempts !== 1 || row.sentAt === null)).toEqual([]);
  // Every delivery job completed (completed jobs are deleted).
  const left = await db.$queryRaw<Array<{ count: bigint }>>`
    SELECT count(*) AS count FROM graphile_worker._private_jobs
    WHERE payload->>'messageId' = ANY(${ids}::text[])`;
  expect(Number(left[0]?.count ?? -1)).toBe(0);
}

describe("the worker under faults", () => {
  /**
   * Recovery after a crash, as an operator does it with graphile-worker 0.17:
   *
   * A worker that dies without running its shutdown (SIGKILL, OOM kill, power loss) leaves the jobs
   * it had taken locked (locked_at/locked_by set). graphile-worker itself only frees them once they
   * have been locked for 4 hours (a sweep every 8–10 minutes); a new worker, with its own random
   * workerId, skips them until then. Its documented way to free them earlier is the admin function
   * `graphile_worker.force_unlock_workers(worker_ids)` (JS: `makeWorkerUtils(...)
   * .forceUnlockWorkers(ids)`), which clears the locks of the named workers' jobs and queues. It
   * must only name workers that are really gone: unlocking a live worker's job runs it twice.
   *
   * The messages the dead worker was sending are SENDING, each with a session lock of the dead
   * worker's ("sending:<id>"). Once PostgreSQL has ended its sessions (on one machine it notices
   * the closed socket at once; after a network partition or power loss it needs TCP keepalive or
   * pg_terminate_backend), those locks are free, and the sweep that every worker runs when it
   * starts (and jobs/crontab every five minutes) returns those messages to QUEUED with new jobs.
   *
   * So the operator (1) makes sure the crashed worker process is dead, (2) makes sure its database
   * sessions are gone too, (3) reads the dead worker's id from locked_by (or the worker's log) and
   * calls forceUnlockWorkers with it, and (4) starts a worker again. The jobs that were waiting in
   * the dead worker's queue then run, and the messages it was sending go again.
   */
  it("kill -9 mid-batch loses nothing and sends nothing twice", async () => {
    const total = 5_000;
    const killAfter = 400;
    const t0 = Date.now();
    const ids = await createDueMessages(total);
    console.log(`[faults] ${total} due messages created in ${seconds(t0)}`);

    const t1 = Date.now();
    const first = startWorkerProcess("worker 1");
    await waitForRunning(first);
    while (smtp.messages.length < killAfter) {
      if (first.child.exitCode !== null) {
        throw new Error(`worker 1 exited (${first.child.exitCode}):\n${first.output()}`);
      }
      if (Date.now() - t1 > 120_000) {
        throw new Error(`worker 1 delivered only ${smtp.messages.length}:\n${first.output()}`);
      }
      await sleep(10);
    }
    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.child.kill("SIGKILL");
    await exited;
    const mailAtKill = smtp.messages.length;
    const sentAtKill = await countSent(ids);
    console.log(
      `[faults] worker 1 killed after ${seconds(t1)}: ${mailAtKill} mails received, ${sentAtKill} messages SENT in the database`,
    );

    // (2) The dead worker's sessions, and the locks of its claims, are gone.
    const t2 = Date.now();
    for (;;) {
      const [row] = await db.$queryRaw<Array<{ count: bigint }>>`
        SELECT count(*) AS count FROM pg_locks
        WHERE locktype = 'advisory'
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      if (Number(row?.count ?? 0) === 0) break;
      if (Date.now() - t2 > 30_000) throw new Error("The killed worker's sessions linger");
      await sleep(100);
    }
    // The messages it was sending when it died: each claimed, none recorded.
    const sendingAtKill = (
      await db.message.findMany({
        select: { id: true },
        where: { id: { in: ids }, status: "SENDING" },
      })
    ).map((row) => row.id);
    expect(sendingAtKill.length).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    // (3) Jobs still locked now can only be the dead worker's: those it was running and those
    // waiting in its local queue.
    const locked = await db.$queryRaw<Array<{ locked_by: string; count: bigint }>>`
      SELECT locked_by, count(*) AS count FROM graphile_worker._private_jobs
      WHERE locked_by IS NOT NULL GROUP BY locked_by`;
    const lockedJobs = locked.reduce((sum, row) => sum + Number(row.count), 0);
    expect(locked.length).toBe(1);
    expect(lockedJobs).toBeGreaterThan(0);
    // Those running, and those in its local queue (fetched in batches of 2 × concurrency).
    expect(lockedJobs).toBeLessThanOrEqual(WORKER_CONCURRENCY * 3);
    const utils = await makeWorkerUtils({ connectionString: process.env.DATABASE_URL });
    try {
      await utils.forceUnlockWorkers(locked.map((row) => row.locked_by));
    } finally {
      await utils.release();
    }
    console.log(`[faults] unlocked ${lockedJobs} job(s) of dead worker ${locked[0]?.locked_by}`);

    // (4) A new worker finishes the batch.
    const t3 = Date.now();
    const second = startWorkerProcess("worker 2");
    await waitForRunning(second);
    await waitUntilAllSent(ids, [second], 180_000);
    console.log(`[faults] worker 2 sent the remaining ${total - sentAtKill} in ${seconds(t3)}`);

    // The last commits land just after the mail is accepted; the mail is in by then.
    await sleep(200);
    const seen = arrivals(ids);
    console.log(
      `[faults] kill -9: ${smtp.messages.length} mails for ${total} messages, ${seen.duplicates} duplicate(s)` +
        ` (${seen.duplicated.join(", ") || "none"}), ${lockedJobs} job(s) locked and ${sendingAtKill.length} message(s) SENDING at the kill, total ${seconds(t0)}`,
    );
    expect(seen.missing).toEqual([]);
    expect(seen.strangers).toBe(0);
    // A duplicate is a message the SMTP server had accepted while it was SENDING.
    expect(seen.duplicated.filter((id) => !sendingAtKill.includes(id))).toEqual([]);
    expect(seen.duplicates).toBeLessThanOrEqual(sendingAtKill.length);
    // The messages in flight at the kill never recorded their first attempt; the sweep queued them
    // again and their rerun recorded it, so the database still shows one send of each.
    await expectSentExactlyOnce(ids);
    expect(second.output()).not.toMatch(/failed|error/i);
    if (sendingAtKill.length > 0) expect(second.output()).toMatch(/Requeued \d+ message/);
  });

  it("two workers together send nothing twice", async () => {
    const total = 2_000;
    const t0 = Date.now();
    const ids = await createDueMessages(total);
    const mailBefore = smtp.messages.length;
    console.log(`[faults] ${total} due messages created in ${seconds(t0)}`);

    const t1 = Date.now();
    const a = startWorkerProcess("worker A");
    const b = startWorkerProcess("worker B");
    await Promise.all([waitForRunning(a), waitForRunning(b)]);
    await waitUntilAllSent(ids, [a, b], 180_000);
    await sleep(200);
    const seen = arrivals(ids);
    console.log(
      `[faults] two workers: ${smtp.messages.length - mailBefore} mails for ${total} messages in ${seconds(t1)},` +
        ` ${seen.duplicates} duplicate(s)`,
    );
    expect(seen.missing).toEqual([]);
    expect(seen.duplicates).toBe(0);
    expect(smtp.messages.length - mailBefore).toBe(total);
    await expectSentExactlyOnce(ids);

    for (const worker of [a, b]) {
      const exited = new Promise<number | null>((resolve) => worker.child.once("exit", resolve));
      worker.child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(worker.output()).not.toMatch(/failed|error/i);
    }
  });
});
