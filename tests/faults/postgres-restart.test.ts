import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureDatabase,
  startLocalPostgres,
  type LocalPostgres,
} from "../../app/server/embedded-postgres.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import {
  buildApp,
  kill,
  Processes,
  seconds,
  send,
  sleep,
  waitForHealthy,
  waitForOutput,
  webEnv,
  type Answer,
} from "./helpers.ts";
import { reloadEnv } from "~/utils/env.server.ts";

/**
 * PostgreSQL stopped and started again under a steady stream of requests, with one web process
 * (running the job worker too, as by default) and one worker process of its own, neither of them
 * ever restarted. This test runs a PostgreSQL of its own (the
 * embedded-postgres package, on a private port, data in a temporary directory) because stopping
 * the shared one would break every other test run on the machine.
 *
 * What it shows: while the database is away, /healthz answers 503 {"db":"down"} at once, pages and
 * form posts answer with the "sorry" page (500) rather than hanging, and nothing half-done is
 * stored; once it is back, the same processes serve pages, store reports and deliver messages
 * again, by themselves.
 */

const PG_PORT = 54460;
const WEB_PORT = 3302;
const SMTP_PORT = 2702;
const BASE = `http://127.0.0.1:${WEB_PORT}`;
const OUTAGE_MS = 10_000;
/** A request with no answer after this long has hung. */
const timeoutMs = 30_000;
const VOLUNTEERS = 400;

const processes = new Processes();
let pgDir = "";
let postgres: LocalPostgres | undefined;
let smtp: SmtpCapture | undefined;
let appDir = "";
let databaseUrl = "";

/** Starts (or starts again) the private PostgreSQL; refuses to adopt one that is already there. */
async function startPostgres() {
  const lines: string[] = [];
  const started = await startLocalPostgres({
    dataDir: pgDir,
    port: PG_PORT,
    log: (line) => lines.push(line),
  });
  if (lines.some((line) => /already running/.test(line))) {
    throw new Error(`Port ${PG_PORT} is taken by another PostgreSQL; this test needs its own.`);
  }
  return started;
}

beforeAll(async () => {
  appDir = await buildApp();
  pgDir = mkdtempSync(path.join(os.tmpdir(), "onward-fault-pg-"));
  postgres = await startPostgres();
  const database = `onward_fault_${randomBytes(5).toString("hex")}`;
  await ensureDatabase(postgres.url("postgres"), database);
  databaseUrl = postgres.url(database);
  smtp = await startSmtpCapture({ port: SMTP_PORT });
});

afterAll(async () => {
  await processes.killAll();
  // This file's database client points at the private PostgreSQL: close it before that stops.
  const clients = globalThis.__onwardDb;
  if (clients) {
    await clients.db.$disconnect().catch(() => {});
    await clients.pool.end().catch(() => {});
    globalThis.__onwardDb = undefined;
  }
  await postgres?.stop();
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  await smtp?.close();
});

type Kind = "health" | "page" | "report";
type Sample = { kind: Kind; started: number; answer: Answer; reporter?: number };

const isSorryPage = (answer: Answer) =>
  answer.ok && answer.status === 500 && answer.body.includes("Sorry, something went wrong");
const isHealthDown = (answer: Answer) =>
  answer.ok && answer.status === 503 && answer.body === JSON.stringify({ ok: false, db: "down" });
const isSuccess = (answer: Answer) => answer.ok && answer.status >= 200 && answer.status < 400;

describe("PostgreSQL restarted under load", () => {
  it("the same web and worker processes ride out the outage and recover by themselves", async () => {
    processes.printOutputOnFailure();
    const web = processes.web("web", {
      appDir,
      env: webEnv({
        port: WEB_PORT,
        databaseUrl,
        smtpUrl: smtp?.url,
        runWorker: true,
      }),
    });
    // The web process migrates the new database; the worker starts after it.
    await waitForHealthy(BASE, web);
    const worker = processes.worker("worker", {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SMTP_URL: smtp?.url ?? "",
    });
    await waitForOutput(worker, /Onward worker is running/);

    // From here on this file's own database client uses the private PostgreSQL too.
    process.env.DATABASE_URL = databaseUrl;
    reloadEnv();
    const data = await import("./data.ts");
    const { reporters, campaign } = await data.createReporters(VOLUNTEERS);
    const keys = reporters.map(() => randomUUID());
    const reader = reporters[0]!;

    // The steady stream, one request after another in each lane: health checks, a signed-in page,
    // and report POSTs from one volunteer after another. (Many reports to one campaign at once
    // queue on its figures' rows; tests/faults/web-crash.test.ts is the place for that.)
    const samples: Sample[] = [];
    let nextReporter = 1;
    let stopLoad = false;
    const lanes: Kind[][] = [["health", "page"], ["page", "health"], ["report"]];
    const lane = async (kinds: Kind[]) => {
      for (let i = 0; !stopLoad; i++) {
        const kind = kinds[i % kinds.length]!;
        const started = Date.now();
        if (kind === "health") {
          samples.push({ kind, started, answer: await send(`${BASE}/healthz`, { timeoutMs }) });
        } else if (kind === "page") {
          const answer = await send(`${BASE}/me`, { cookie: reader.cookie, timeoutMs });
          samples.push({ kind, started, answer });
        } else if (nextReporter < reporters.length) {
          const index = nextReporter++;
          const reporter = reporters[index]!;
          const answer = await send(`${BASE}/tasks/${reporter.assignmentId}/report`, {
            method: "POST",
            cookie: reporter.cookie,
            form: data.reportForm(keys[index]!),
            origin: BASE,
            timeoutMs,
          });
          samples.push({ kind, started, answer, reporter: index });
        }
        await sleep(50);
      }
    };
    const load = Promise.all(lanes.map(lane));

    // Under way: each kind of request has been answered with success a few times.
    const warm = Date.now();
    while (
      (["health", "page", "report"] as const).some(
        (kind) => samples.filter((s) => s.kind === kind && isSuccess(s.answer)).length < 3,
      )
    ) {
      if (Date.now() - warm > 60_000) throw new Error("The load did not get going in 60 s");
      await sleep(100);
    }
    // Jobs in flight across the stop: a batch of messages the workers are still sending when the
    // database goes away.
    const beforeIds = await data.createDueMessages(400);
    const sending = Date.now();
    while (data.arrivals(smtp!, beforeIds).missing.length > beforeIds.length - 20) {
      if (Date.now() - sending > 60_000) throw new Error("The workers sent nothing in 60 s");
      await sleep(20);
    }

    const tStop = Date.now();
    await postgres?.stop();
    const tDown = Date.now();
    console.log(`[faults] PostgreSQL stopped in ${tDown - tStop} ms`);
    await sleep(OUTAGE_MS);
    const tStart = Date.now();
    postgres = await startPostgres();
    const tUp = Date.now();
    console.log(`[faults] PostgreSQL started again in ${tUp - tStart} ms`);

    // Recovered: the first healthy answer after the start, then a few seconds more of load.
    let recovered = 0;
    while (!recovered) {
      const answer = await send(`${BASE}/healthz`);
      if (answer.ok && answer.status === 200) recovered = Date.now();
      else if (Date.now() - tUp > 60_000) throw new Error("/healthz did not recover in 60 s");
      else await sleep(100);
    }
    await sleep(4_000);
    stopLoad = true;
    await load;
    console.log(`[faults] /healthz up again ${recovered - tUp} ms after PostgreSQL was`);

    // No request hung or lost its connection: the process stayed up and answered every one.
    const at = (sample: Sample) => ({
      ...sample,
      since: {
        stop: sample.started - tStop,
        down: sample.started - tDown,
        start: sample.started - tStart,
      },
    });
    expect(samples.filter((sample) => !sample.answer.ok).map(at)).toEqual([]);
    expect(web.running()).toBe(true);
    expect(worker.running()).toBe(true);

    const during = samples.filter((s) => s.started >= tDown && s.started + s.answer.ms < tStart);
    const after = samples.filter((s) => s.started >= recovered);
    const before = samples.filter((s) => s.started + s.answer.ms < tStop);
    const count = (list: Sample[]) =>
      (["health", "page", "report"] as const).map((k) => list.filter((s) => s.kind === k).length);
    console.log(
      `[faults] health/page/report requests before ${count(before).join("/")}, while down ` +
        `${count(during).join("/")}, after recovery ${count(after).join("/")}, in all ${count(samples).join("/")}`,
    );
    for (const kind of ["health", "page", "report"] as const) {
      expect(before.filter((s) => s.kind === kind).length).toBeGreaterThan(0);
      expect(during.filter((s) => s.kind === kind).length).toBeGreaterThan(0);
      expect(after.filter((s) => s.kind === kind).length).toBeGreaterThan(0);
    }
    // Before and after: all good.
    expect([...before, ...after].filter((s) => !isSuccess(s.answer))).toEqual([]);
    // While the database was away: down, and said so.
    expect(during.filter((s) => s.kind === "health" && !isHealthDown(s.answer))).toEqual([]);
    expect(during.filter((s) => s.kind !== "health" && !isSorryPage(s.answer))).toEqual([]);
    // Whatever overlapped the stop or the start answered one of the ways above.
    expect(
      samples.filter(
        (s) => !isSuccess(s.answer) && !isHealthDown(s.answer) && !isSorryPage(s.answer),
      ),
    ).toEqual([]);
    const healthMs = during.filter((s) => s.kind === "health").map((s) => s.answer.ms);
    const pageMs = during.filter((s) => s.kind !== "health").map((s) => s.answer.ms);
    console.log(
      `[faults] during the outage: ${healthMs.length} /healthz answered 503 (slowest ${Math.max(...healthMs)} ms),` +
        ` ${pageMs.length} pages and posts answered 500 (slowest ${Math.max(...pageMs)} ms)`,
    );

    // Reports: every success stored once; every "sorry" stored nothing, and goes in on a retry.
    const posted = samples.filter((s) => s.kind === "report");
    const postedIds = posted.map((s) => reporters[s.reporter!]!.assignmentId);
    const stored = new Map(
      (await data.storedReports(postedIds)).map((report) => [report.assignmentId, report]),
    );
    const refused = posted.filter((s) => !isSuccess(s.answer));
    for (const sample of posted) {
      const report = stored.get(reporters[sample.reporter!]!.assignmentId);
      if (isSuccess(sample.answer)) expect(report?.idempotencyKey).toBe(keys[sample.reporter!]);
      else expect(report).toBeUndefined();
    }
    for (const sample of refused) {
      const reporter = reporters[sample.reporter!]!;
      const answer = await send(`${BASE}/tasks/${reporter.assignmentId}/report`, {
        method: "POST",
        cookie: reporter.cookie,
        form: data.reportForm(keys[sample.reporter!]!),
        origin: BASE,
      });
      expect(isSuccess(answer)).toBe(true);
    }
    const final = await data.storedReports(postedIds);
    expect(final).toHaveLength(posted.length);
    expect(new Set(final.map((report) => report.assignmentId)).size).toBe(posted.length);
    const reported = await campaignReportCount(campaign.id);
    expect(reported).toBe(posted.length);

    // The worker: what was queued before the outage, and new work after it, all goes out once.
    const t2 = Date.now();
    const afterIds = await data.createDueMessages(50);
    await data.waitUntilAllSent([...beforeIds, ...afterIds], [worker, web], 120_000);
    await sleep(200);
    const seen = data.arrivals(smtp!, [...beforeIds, ...afterIds]);
    expect(seen.missing).toEqual([]);
    console.log(
      `[faults] worker: ${beforeIds.length + afterIds.length} messages SENT, ${seen.duplicates} sent twice` +
        ` (in flight at the stop), the last ${seconds(t2)} after the new batch was queued`,
    );
    // Their jobs are done too, those of the runners that stopped with the database included (a
    // job that ran again finds its message sent and completes).
    for (let i = 0; i < 100 && (await data.jobsLeft([...beforeIds, ...afterIds])).length > 0; i++) {
      await sleep(300);
    }
    await data.expectNoJobsLeft([...beforeIds, ...afterIds]);

    // Still the same processes, and they stop cleanly.
    expect(await kill(worker, "SIGTERM")).toEqual({ code: 0, signal: null });
    expect(await kill(web, "SIGTERM")).toEqual({ code: 0, signal: null });
    for (const started of [web, worker]) {
      expect(started.output()).not.toMatch(/uncaught|unhandled/i);
    }
    console.log(
      `[faults] PostgreSQL restart: ${posted.length} report POSTs, ${refused.length} refused while it was away`,
    );
  }, 600_000);
});

async function campaignReportCount(campaignId: string) {
  const { db } = await import("~/utils/db.server.ts");
  return db.report.count({ where: { campaignId } });
}
