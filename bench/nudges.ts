/**
 * Nudge delivery throughput against a raw SMTP baseline, in one run.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node --import tsx bench/nudges.ts [--count 20000] [--concurrency 10] [--workers 1] [--port 4100]
 *   npm run bench:nudges -- --count 5000
 *
 * 1. Setup: N volunteers sign up to a LIVE campaign (each gets one QUEUED "your task" email and
 *    its deliver-message job; one message per person, so the weekly cap never holds them; each
 *    person's timezone is chosen so that now is early afternoon for them, outside quiet hours).
 * 2. Raw, just before end to end so that both run on the machine as it is then: pooled nodemailer
 *    (pool: true, maxConnections 5, plain sendMail) sends N messages to a local SMTP sink
 *    (bench/smtp-sink.ts, a child process that counts and discards) as fast as it can, twice: small
 *    one-line text messages, and messages the size and shape of a real nudge (the "your task"
 *    template's HTML and text, with the List-Unsubscribe headers).
 * 3. End to end: the real worker (startWorker from jobs/worker.ts, the real task files) sends the
 *    N messages to the same sink until all are SENT: in this process, or with --workers N in N
 *    worker processes (bench/worker-child.ts), as a deployment runs `npm run worker` several times.
 * 4. Prints the rates, the ratios, and CPU per message: the raw sender's, the worker's, and that of
 *    the PostgreSQL backends serving the bench database.
 *
 * DATABASE_URL is an admin connection: a scratch database onward_bench_<random> is created,
 * migrated (prisma/migrator.ts + graphile-worker) and dropped at the end. Asserts nothing.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runMigrations, type Task } from "graphile-worker";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { migrate } from "../prisma/migrator.ts";
import { createDatabase, dropDatabase, withDatabase } from "../tests/setup/postgres.ts";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "10" },
    /** Worker processes; 1 runs the worker in this process (with per-job timings). */
    workers: { type: "string", default: "1" },
    port: { type: "string", default: String(4100 + Math.floor(Math.random() * 800)) },
    "signup-parallel": { type: "string", default: "8" },
    "skip-raw": { type: "boolean", default: false },
    /** Write a V8 CPU profile of the end-to-end phase only (worker start → all SENT) here. */
    profile: { type: "string" },
  },
});
const count = Number(args.count);
const concurrency = Number(args.concurrency);
const workers = Math.max(1, Number(args.workers));
const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const database = `onward_bench_${randomBytes(4).toString("hex")}`;
const here = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// The sink, in its own process so that its CPU is not charged to the sender's event loop.

type Sink = { url: string; count(): Promise<number>; close(): Promise<void> };

async function startSink(port: number): Promise<Sink> {
  const child = fork(path.join(here, "smtp-sink.ts"), [String(port)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const listening = await new Promise<number>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`SMTP sink exited (${code})`)));
  });
  return {
    url: `smtp://127.0.0.1:${listening}`,
    count: () =>
      new Promise((resolve) => {
        const on = (m: unknown) => {
          if (m && typeof m === "object" && "count" in m) {
            child.off("message", on);
            resolve((m as { count: number }).count);
          }
        };
        child.on("message", on);
        child.send("count");
      }),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.send("close");
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers: whole-machine CPU from /proc/stat, percentiles, parallel loops.

function cpuTimes() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1);
  const n = fields.map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { idle, total: n.reduce((a, b) => a + b, 0) };
}

/**
 * CPU ms used so far by each process whose command is `comm` and whose command line mentions
 * `mention` (PostgreSQL names the database in each backend's title), by pid.
 */
function processCpuMs(comm: string, mention: string) {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const byPid = new Map<string, number>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (name !== comm) continue;
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(mention)) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byPid.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerMs); // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return byPid;
}

/** CPU ms between two readings; a process that started in between counts from zero. */
function cpuSince(before: Map<string, number>, after: Map<string, number>) {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

function busyPercent(before: ReturnType<typeof cpuTimes>, after: ReturnType<typeof cpuTimes>) {
  const total = after.total - before.total;
  return total > 0 ? (100 * (total - (after.idle - before.idle))) / total : 0;
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function inParallel(total: number, width: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, total) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        await work(i);
      }
    }),
  );
}

type ChildWorker = { go(): void; stop(): Promise<number> };

/**
 * N worker processes (bench/worker-child.ts) on the bench database, loaded and waiting: go()
 * starts each one's worker; stop() stops it and answers its CPU ms.
 */
async function startChildWorkers(n: number): Promise<ChildWorker[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const child = fork(path.join(here, "worker-child.ts"), [String(concurrency)], {
        execArgv: ["--import", "tsx"],
        env: process.env,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      await new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (code) => reject(new Error(`worker exited (${code})`)));
      });
      return {
        go: () => void child.send("go"),
        stop: () =>
          new Promise<number>((resolve) => {
            child.once("message", (m) => resolve((m as { cpuMs: number }).cpuMs));
            child.send("stop");
          }),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------

const sink = await startSink(Number(args.port));
await createDatabase(adminUrl, database);
const url = withDatabase(adminUrl, database);
let exitCode = 0;
try {
  console.log(`N=${count}, worker concurrency ${concurrency}, sink ${sink.url}, db ${database}`);

  // (1) Setup: the due nudges ------------------------------------------------------------------
  await migrate({ connectionString: url });
  await runMigrations({ connectionString: url });
  process.env.DATABASE_URL = url;
  process.env.SESSION_SECRET = "bench-session-secret-0123456789abcdef0123";
  process.env.SMTP_URL = sink.url;
  process.env.NODE_ENV = "production";

  const { db, pool } = await import("../app/utils/db.server.ts");
  const { createLadderCampaign } = await import("../tests/fixtures/ladder.ts");
  const { daytimeZone } = await import("../tests/fixtures/nudges.ts");
  const { signUpVolunteer } = await import("../app/loop/service.server.ts");
  const { startWorker, workerLogger, loadTaskList } = await import("../jobs/worker.ts");

  const setup = await createLadderCampaign();
  const setupStarted = performance.now();
  await inParallel(count, Number(args["signup-parallel"]), async (i) => {
    // As tests/fixtures/nudges.ts joinVolunteer does, but with a phone number unique by
    // construction (its random one collides at a few thousand volunteers). On a machine busy
    // enough for a sign-up's transaction to outlive its timeout, that sign-up is tried again.
    const signUp = () =>
      signUpVolunteer({
        campaignId: setup.campaign.id,
        organisationId: setup.organisation.id,
        person: {
          name: `Vol ${i}`,
          email: `vol-${i}@example.org`,
          phone: `+447${String(400_000_000 + i).padStart(9, "0")}`,
          postcode: "LS6 1AA",
          district: "LS6",
          timezone: daytimeZone(),
          channelPreference: "EMAIL",
        },
        consents: [
          { channel: "EMAIL", wording: "email ok" },
          { channel: "SMS", wording: "sms ok" },
        ],
        now: new Date(),
      });
    for (let tries = 1; ; tries++) {
      try {
        await signUp();
        break;
      } catch (error) {
        const expired = (error as { code?: string }).code === "P2028";
        if (!expired || tries >= 5) throw error;
      }
    }
    if ((i + 1) % 2000 === 0) console.log(`  ${i + 1} sign-ups…`);
  });
  const queued = await db.message.groupBy({ by: ["status", "kind"], _count: true });
  const [{ jobs }] = await db.$queryRaw<[{ jobs: bigint }]>`
    SELECT count(*) AS jobs FROM graphile_worker._private_jobs`;
  console.log(
    `setup: ${count} sign-ups in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s; ` +
      `messages ${JSON.stringify(queued.map((q) => [q.kind, q.status, q._count]))}; jobs ${jobs}`,
  );
  const target = await db.message.count({ where: { status: "QUEUED", channel: "EMAIL" } });

  // (2) Raw, just before end to end, so that both see the machine as it is then ---------------
  let rawRate = NaN;
  let rawSameSizeRate = NaN;
  if (!args["skip-raw"]) {
    const { EMAIL_TEMPLATES } = await import("../emails/templates.ts");
    const { renderEmail } = await import("../app/utils/email.server.ts");
    const template = EMAIL_TEMPLATES["task-assigned"];
    const nudge = await renderEmail(template.element(template.previewProps));
    const rawRun = async (label: string, mail: (i: number) => SendMailOptions) => {
      const transport = nodemailer.createTransport({
        url: sink.url,
        pool: true,
        maxConnections: 5,
      } as Parameters<typeof nodemailer.createTransport>[0]);
      const before = await sink.count();
      const cpu0 = cpuTimes();
      const own0 = process.cpuUsage();
      const started = performance.now();
      // Keep a bounded number of sends outstanding (the pool queues them); 200 is plenty for 5
      // connections and keeps memory flat at N = 20,000.
      await inParallel(count, 200, async (i) => {
        await transport.sendMail(mail(i));
      });
      const seconds = (performance.now() - started) / 1000;
      const busy = busyPercent(cpu0, cpuTimes());
      const own = process.cpuUsage(own0);
      transport.close();
      const received = (await sink.count()) - before;
      console.log(
        `raw (${label}): ${count} messages in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} msgs/s ` +
          `(sink counted ${received}; sender CPU ${((own.user + own.system) / 1000 / count).toFixed(2)} ms per message; ` +
          `machine CPU busy ${busy.toFixed(0)} %)`,
      );
      return count / seconds;
    };
    rawRate = await rawRun("small text", (i) => ({
      from: "bench@example.org",
      to: `raw-${i}@example.org`,
      subject: `Raw ${i}`,
      text: `Hello ${i}, this is a small benchmark message.`,
    }));
    rawSameSizeRate = await rawRun(
      `nudge-sized: ${nudge.text.length} chars text + ${nudge.html.length} chars HTML`,
      (i) => ({
        from: "Onward <bench@example.org>",
        to: `raw-${i}@example.org`,
        subject: template.subject(template.previewProps),
        text: nudge.text,
        html: nudge.html,
        headers: {
          "List-Unsubscribe": `<https://onward.example.org/unsubscribe/raw-${i}>`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
      }),
    );
  }

  // (3) End to end -----------------------------------------------------------------------------
  const sinkBefore = await sink.count();
  const countSent = async () =>
    (
      await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Message" WHERE status = 'SENT'`,
      )
    ).rows[0]?.n ?? 0;

  // The real tasks, with deliver-message wrapped only to time each run (start → finish).
  const taskList = await loadTaskList();
  const durations: number[] = [];
  const deliver = taskList["deliver-message"] as Task;
  taskList["deliver-message"] = async (payload, helpers) => {
    const t0 = performance.now();
    try {
      return await deliver(payload, helpers);
    } finally {
      durations.push(performance.now() - t0);
    }
  };

  const failures: string[] = [];
  const { Session } = await import("node:inspector/promises");
  const profiler = args.profile ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
  }
  const children = workers > 1 ? await startChildWorkers(workers) : [];
  const cpu0 = cpuTimes();
  const proc0 = process.cpuUsage();
  // Only the backends serving the bench database: other databases on the same server (other
  // people's tests) are not ours to count.
  const pg0 = processCpuMs("postgres", database);
  const started = performance.now();
  // One worker here (timed per job), or child processes that each run the real worker.
  for (const child of children) child.go();
  const runner =
    workers > 1
      ? null
      : await startWorker({
          connectionString: url,
          concurrency,
          crontab: "",
          taskList,
          logger: workerLogger({
            error: (line) => void (failures.length < 20 && failures.push(line)),
            warn: (line) => void (failures.length < 20 && failures.push(line)),
            info: () => {},
          }),
        });
  const limitMs = Number(process.env.BENCH_LIMIT_MS ?? 30 * 60_000);
  let lastReport = started;
  let sent = 0;
  for (;;) {
    // The sink's count first (an IPC round trip, next to no CPU), the database once the mail is
    // in: polling the database every 100 ms would charge its client's CPU to the worker.
    sent = (await sink.count()) - sinkBefore;
    if (sent >= target) {
      sent = await countSent();
      if (sent >= target) break;
    }
    if (performance.now() - started > limitMs) {
      console.error(`Only ${sent} of ${target} sent in ${limitMs / 1000} s; stopping.`);
      exitCode = 1;
      break;
    }
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      const s = (lastReport - started) / 1000;
      console.log(`  ${sent} sent after ${s.toFixed(0)} s (${Math.round(sent / s)} msgs/s)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const proc = process.cpuUsage(proc0);
  const pgCpuMs = cpuSince(pg0, processCpuMs("postgres", database));
  const busy = busyPercent(cpu0, cpuTimes());
  if (profiler && args.profile) {
    const { profile } = await profiler.post("Profiler.stop");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(args.profile, JSON.stringify(profile));
    profiler.disconnect();
  }
  await runner?.stop();
  const childCpuMs = (await Promise.all(children.map((child) => child.stop()))).reduce(
    (a, b) => a + b,
    0,
  );
  const e2eRate = sent / seconds;
  const statuses = await db.message.groupBy({ by: ["status"], _count: true });
  const sinkReceived = (await sink.count()) - sinkBefore;
  const sorted = durations.slice().sort((a, b) => a - b);
  const [sample] = await db.$queryRaw<[{ text: number; html: number }]>`
    SELECT avg(length("bodyText"))::int AS text, avg(length("bodyHtml"))::int AS html
    FROM "Message" WHERE status = 'SENT'`;
  console.log(
    `end to end: ${sent} of ${target} SENT in ${seconds.toFixed(2)} s = ${Math.round(e2eRate)} msgs/s ` +
      `(sink counted ${sinkReceived}; statuses ${JSON.stringify(statuses.map((s) => [s.status, s._count]))})`,
  );
  if (runner) {
    console.log(
      `  per job (task start → finish, ${sorted.length} runs): p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`,
    );
  }
  const workerCpuMs = runner ? (proc.user + proc.system) / 1000 : childCpuMs;
  console.log(
    `  ${workers} worker process${workers > 1 ? "es" : ""}, concurrency ${concurrency} each: ` +
      `worker CPU ${(workerCpuMs / sent).toFixed(1)} ms per message ` +
      `(${((workerCpuMs / 1000 / seconds) * 100).toFixed(0)} % of one core); ` +
      `machine CPU busy ${busy.toFixed(0)} %; average body ${sample?.text} chars text + ${sample?.html} chars HTML`,
  );
  console.log(
    `  PostgreSQL (its backends for the bench database) CPU ${(pgCpuMs / sent).toFixed(1)} ms per message ` +
      `(${((pgCpuMs / 1000 / seconds) * 100).toFixed(0)} % of one core)`,
  );
  if (failures.length) console.log(`  worker said:\n    ${failures.join("\n    ")}`);

  // (4) Ratio ----------------------------------------------------------------------------------
  if (!Number.isNaN(rawRate)) {
    for (const [label, raw] of [
      ["small text", rawRate],
      ["nudge-sized", rawSameSizeRate],
    ] as const) {
      const ratio = (100 * e2eRate) / raw;
      console.log(
        `raw (${label}) ${Math.round(raw)} msgs/s, end to end ${Math.round(e2eRate)} msgs/s: ` +
          `ratio ${ratio.toFixed(1)} % (target ≥ 40 %) ${ratio >= 40 ? "MET" : "NOT MET"}`,
      );
    }
  }
  await db.$disconnect();
  await pool.end();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await sink.close();
  await dropDatabase(adminUrl, database).catch((error) =>
    console.error(`Could not drop ${database}: ${error}`),
  );
}
process.exit(exitCode);
