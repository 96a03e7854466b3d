/**
 * The volunteer's two hot requests over HTTP on loopback, beside PostgreSQL's own TPC-B figure
 * measured in the same run:
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:http -- \
 *     [--connections 16] [--duration 15] [--reports 4000] [--port 3390] [--skip-build] \
 *     [--only page|report] [--profile DIR] [--web-processes N] [--gzip] [--load autocannon|wrk]
 *
 * DATABASE_URL is an admin connection. The bench
 * 1. builds the app (`npm run build`, unless --skip-build);
 * 2. creates two scratch databases: onward_bench_pgbench_<random>, where `pgbench -i -s
 *    <connections>` loads TPC-B (one branch per client, so clients don't queue on one row) and
 *    `pgbench -c <connections> -j 2 -T <duration>` gives its tps; and onward_bench_http_<random>,
 *    migrated, with one live campaign (tests/fixtures/ladder.ts) and `reports` + 1,000 signed-in
 *    volunteers each with the first task open and its reminder and overdue nudge queued, then
 *    analyzed;
 * 3. starts the production server (`npm run web`'s command, NODE_ENV=production, no job worker, so
 *    the measurement is of the web process; WEB_CONCURRENCY=--web-processes, default 1;
 *    TRUST_PROXY so each request's X-Forwarded-For
 *    address counts for the per-address limits, as behind a load balancer);
 * 4. runs the load generator as a second process, bench/http-load.ts (autocannon) or, with
 *    --load wrk, wrk with bench/wrk-load.lua: 3 s of warm-up, then the task page GET for
 *    `duration` seconds over 1,000 volunteers' pages, then one report POST for each of `reports`
 *    other volunteers (every POST a new report: insert, metric, follow-up task, jobs);
 * 5. checks that every POST answered with a redirect stored exactly one report, prints the table
 *    with the machine's facts and the CPU time each request cost (the whole machine, the web
 *    server, PostgreSQL; from /proc), and drops both databases. Asserts nothing else.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runMigrations } from "graphile-worker";
import { migrate } from "../prisma/migrator.ts";
import { reportForm } from "../tests/fixtures/reporter-form.ts";
import { createDatabase, dropDatabase, withAdmin, withDatabase } from "../tests/setup/postgres.ts";

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "16" },
    duration: { type: "string", default: "15" },
    reports: { type: "string", default: "4000" },
    port: { type: "string", default: "3390" },
    "skip-build": { type: "boolean", default: false },
    /** Write the server's V8 CPU profile (node --cpu-prof) to this directory. */
    profile: { type: "string" },
    /** Only these phases: page, report (both by default). */
    only: { type: "string" },
    /** WEB_CONCURRENCY: web processes serving the port together. */
    "web-processes": { type: "string", default: "1" },
    /** Ask for compressed pages (Accept-Encoding: gzip, deflate, br), as phone browsers do. */
    gzip: { type: "boolean", default: false },
    /**
     * The load generator: autocannon (bench/http-load.ts), or wrk (bench/wrk-load.lua, Debian's
     * package), which takes less of the cores the server shares.
     */
    load: { type: "string", default: "autocannon" },
  },
});
const connections = Number(args.connections);
const duration = Number(args.duration);
const reportCount = Number(args.reports);
const port = Number(args.port);
const PAGE_TARGETS = 1_000;
const TARGETS = {
  pageRps: 1_000,
  pageP95: 30,
  reportShareOfPgbench: 0.4,
  reportP95: 50,
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const tag = randomBytes(4).toString("hex");
const appDatabase = `onward_bench_http_${tag}`;
const pgbenchDatabase = `onward_bench_pgbench_${tag}`;
const appUrl = withDatabase(adminUrl, appDatabase);
const pgbenchUrl = withDatabase(adminUrl, pgbenchDatabase);
const base = `http://127.0.0.1:${port}`;
const sessionSecret = randomBytes(32).toString("hex");
const work = mkdtempSync(path.join(os.tmpdir(), "onward-bench-http-"));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Load = {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
};

function run(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, argv, { cwd: root, env, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} ${argv.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

function pgbench() {
  run("pgbench", ["-i", "-q", "-s", String(connections), pgbenchUrl]);
  const out = run("pgbench", [
    "-n",
    "-c",
    String(connections),
    "-j",
    "2",
    "-T",
    String(duration),
    pgbenchUrl,
  ]);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`Could not read pgbench's tps:\n${out}`);
  return { tps, latency, transactions };
}

function load(name: string, plan: object): Promise<Load> {
  const file = path.join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(plan));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/http-load.ts", file], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`bench/http-load.ts ${name} exited ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1)!) as Load);
    });
  });
}

/** Clock ticks a second in /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** One process's CPU time in ticks (user + system), or 0 if it is gone. */
function processTicks(pid: string): { ticks: number; ppid: string; name: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ticks: Number(rest[11]) + Number(rest[12]), ppid: rest[1] ?? "", name };
  } catch {
    return { ticks: 0, ppid: "", name: "" };
  }
}

type CpuTicks = { machine: number; server: number; postgres: number };

/**
 * CPU time so far (Linux /proc): the whole machine's busy time, the web server's (the process and
 * its web processes) and PostgreSQL's (every postgres process). Differences over a phase, divided
 * by its requests, give CPU per request: steadier than requests a second on a shared machine.
 */
function cpuTicks(serverPid: number | undefined): CpuTicks | null {
  if (!existsSync("/proc/stat")) return null;
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq] = fields.map(Number);
  const machine = user! + nice! + system! + irq! + softirq!;
  let server = 0;
  let postgres = 0;
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    const proc = processTicks(pid);
    if (pid === String(serverPid) || proc.ppid === String(serverPid)) server += proc.ticks;
    else if (proc.name === "postgres") postgres += proc.ticks;
  }
  return { machine, server, postgres };
}

/** CPU milliseconds per request over a phase, as "machine / server / PostgreSQL". */
function cpuPerRequest(before: CpuTicks | null, after: CpuTicks | null, requests: number) {
  if (!before || !after || requests === 0) return "";
  const per = (key: keyof CpuTicks) =>
    (((after[key] - before[key]) * 1000) / TICKS / requests).toFixed(2);
  return `${per("machine")} / ${per("server")} / ${per("postgres")}`;
}

/**
 * The reminder and overdue nudge that joining queued for each open task
 * (app/loop/nudges.server.ts), as a live campaign has them, then ANALYZE, as autovacuum would have
 * done since. Without them the job queue starts empty, and graphile-worker's add_jobs, planned on
 * each pooled connection while it was, went on scanning the whole queue on every report: the
 * longer the run, the slower each report.
 */
async function queueOpenTaskNudges(reporters: Array<{ assignmentId: string }>, campaignId: string) {
  const { db } = await import("../app/utils/db.server.ts");
  const { addJobs } = await import("../app/utils/jobs.server.ts");
  const { assignmentNudgeJobs } = await import("../app/loop/nudges.server.ts");
  const campaign = await db.campaign.findUniqueOrThrow({
    select: { settings: true },
    where: { id: campaignId },
  });
  const assignments = await db.assignment.findMany({
    select: { id: true, dueAt: true },
    where: { id: { in: reporters.map((reporter) => reporter.assignmentId) } },
  });
  const now = new Date();
  for (let start = 0; start < assignments.length; start += 500) {
    const jobs = assignments
      .slice(start, start + 500)
      .flatMap((assignment) =>
        assignmentNudgeJobs({ assignment, settings: campaign.settings, now }),
      );
    await addJobs({ tx: db, jobs });
  }
  await db.$executeRawUnsafe("ANALYZE graphile_worker._private_jobs");
}

/**
 * The page GETs (for `duration` seconds) or the report POSTs (each target's form once) through
 * wrk, one thread: the same requests and figures as load() gives.
 */
function wrkLoad(
  plan: {
    url: string;
    connections: number;
    targets: Array<{ assignmentId: string; cookie: string }>;
  } & ({ mode: "get"; duration: number; gzip: boolean } | { mode: "post" }),
): Promise<Load> {
  const file = path.join(work, `wrk-${plan.mode}.tsv`);
  const argv = ["-t", "1", "-c", String(plan.connections)];
  const script = ["-s", path.join(root, "bench", "wrk-load.lua")];
  if (plan.mode === "get") {
    writeFileSync(file, plan.targets.map((t) => `${t.assignmentId}\t${t.cookie}\n`).join(""));
    argv.push("-d", `${plan.duration}s`, ...script, plan.url, "--", "get", file);
    argv.push(plan.gzip ? "1" : "0");
  } else {
    const form = (t: { assignmentId: string; cookie: string }) =>
      `${t.assignmentId}\t${t.cookie}\t${new URLSearchParams(reportForm(randomUUID()))}\n`;
    writeFileSync(file, plan.targets.map(form).join(""));
    // Long enough for any run: the script says when every form is answered, and is stopped then.
    argv.push("-d", "3600s", "--timeout", "30s", ...script, plan.url, "--", "post", file);
    argv.push(new URL(plan.url).origin);
  }
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", argv, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let stopped = false;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (plan.mode === "post" && !stopped && /^answered$/m.test(out)) {
        stopped = true;
        child.kill("SIGINT");
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`wrk exited ${code}:\n${out}`));
      else resolve(JSON.parse(line) as Load);
    });
  });
}

let server: ReturnType<typeof spawn> | undefined;
let exitCode = 0;
try {
  if (!args["skip-build"]) {
    console.log("building…");
    run("npm", ["run", "build", "--silent"]);
  }
  await createDatabase(adminUrl, pgbenchDatabase);
  await createDatabase(adminUrl, appDatabase);
  await migrate({ connectionString: appUrl });
  await runMigrations({ connectionString: appUrl });

  process.env.DATABASE_URL = appUrl;
  process.env.SESSION_SECRET = sessionSecret;
  process.env.NODE_ENV = "production";
  process.env.APP_URL = base;
  process.env.RUN_WORKER = "false";
  const { createReporters } = await import("../tests/fixtures/reporters.ts");
  const { db, pool } = await import("../app/utils/db.server.ts");
  const seeded = Date.now();
  const { reporters, campaign } = await createReporters(PAGE_TARGETS + reportCount);
  await queueOpenTaskNudges(reporters, campaign.id);
  console.log(
    `${appDatabase}: ${reporters.length} signed-in volunteers with a task open, in ${((Date.now() - seeded) / 1000).toFixed(1)} s`,
  );
  const pageTargets = reporters.slice(0, PAGE_TARGETS);
  const postTargets = reporters.slice(PAGE_TARGETS);

  const profiling = args.profile
    ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(args.profile)]
    : [];
  // The production web process as `npm run web` starts it (its Node flags and entry), without npm
  // in between, so that the server's CPU time is its own.
  const webScript = (
    JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: { web: string };
    }
  ).scripts.web;
  const [nodeCommand, ...webArgs] = webScript.split(/\s+/);
  if (nodeCommand !== "node") throw new Error(`npm run web no longer starts node: ${webScript}`);
  server = spawn(process.execPath, [...profiling, ...webArgs], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      APP_URL: base,
      DATABASE_URL: appUrl,
      SESSION_SECRET: sessionSecret,
      RUN_WORKER: "false",
      WEB_CONCURRENCY: args["web-processes"],
      TRUST_PROXY: "true",
      OUTBOX_PREVIEW: "false",
      SEED_DEMO: "false",
      SMTP_URL: "",
    },
  });
  for (let waited = 0; ; waited += 200) {
    const ok = await fetch(`${base}/healthz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    if (waited > 60_000) throw new Error("The server did not become healthy in 60 s");
    await sleep(200);
  }

  console.log(`pgbench TPC-B, scale ${connections}, ${connections} clients, ${duration} s…`);
  const beforePgbench = cpuTicks(undefined);
  const tpcb = pgbench();
  const pgbenchCpu = cpuPerRequest(beforePgbench, cpuTicks(undefined), tpcb.transactions);

  const plan = { url: base, connections, gzip: args.gzip };
  const none: Load = {
    requests: 0,
    seconds: 0,
    rps: NaN,
    p50: NaN,
    p95: NaN,
    p99: NaN,
    max: NaN,
    statuses: {},
    errors: 0,
    timeouts: 0,
  };
  const pageLoad = (name: string, seconds: number) =>
    args.load === "wrk"
      ? wrkLoad({ ...plan, mode: "get", targets: pageTargets, duration: seconds })
      : load(name, { ...plan, mode: "get", targets: pageTargets, duration: seconds });
  await pageLoad("warm-up", 3);
  let page = none;
  let pageCpu = "";
  let reportCpu = "";
  if (args.only !== "report") {
    console.log(`task page GET, ${connections} connections, ${duration} s…`);
    const before = cpuTicks(server.pid);
    page = await pageLoad("page", duration);
    pageCpu = cpuPerRequest(before, cpuTicks(server.pid), page.requests);
  }
  let report = none;
  if (args.only !== "page") {
    console.log(`report POST, ${connections} connections, ${postTargets.length} reports…`);
    const before = cpuTicks(server.pid);
    report =
      args.load === "wrk"
        ? await wrkLoad({ ...plan, mode: "post", targets: postTargets })
        : await load("report", { ...plan, mode: "post", targets: postTargets });
    reportCpu = cpuPerRequest(before, cpuTicks(server.pid), report.requests);
  }

  const redirected = Object.entries(report.statuses)
    .filter(([status]) => status.startsWith("3"))
    .reduce((sum, [, n]) => sum + n, 0);
  const stored = await db.report.count({
    where: { assignmentId: { in: postTargets.map((target) => target.assignmentId) } },
  });
  const pageOk = page.statuses["200"] ?? 0;

  const [{ version }] = await db.$queryRaw<[{ version: string }]>`SELECT version()`;
  const settings = await withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('shared_buffers', 'synchronous_commit', 'max_connections')`,
    );
    return rows.map((row) => `${row.name}=${row.setting}`).join(", ");
  });
  const ms = (n: number) => n.toFixed(1);
  const verdict = (ok: boolean) => (ok ? "MET" : "NOT MET");
  const share = report.rps / tpcb.tps;
  console.log("");
  console.log(
    `machine: nproc ${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )} at the end, Node ${process.version}, ${args["web-processes"]} web process(es), ${version.split(" on ")[0]} (${settings}), ${new Date().toISOString()}`,
  );
  console.log("");
  console.log(
    "| what | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | statuses | CPU ms per request: machine / server / PostgreSQL |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
  for (const [name, result, cpu] of [
    [
      `task page GET (${connections} connections, ${duration} s${args.gzip ? ", gzip" : ""}, ${args.load})`,
      page,
      pageCpu,
    ],
    [
      `report POST (${connections} connections, ${reportCount} reports, ${args.load})`,
      report,
      reportCpu,
    ],
  ] as const) {
    console.log(
      `| ${name} | ${result.requests} | ${result.rps.toFixed(0)} | ${ms(result.p50)} | ${ms(result.p95)} | ${ms(result.p99)} | ${ms(result.max)} | ${JSON.stringify(result.statuses)}${result.errors ? `, ${result.errors} errors` : ""} | ${cpu} |`,
    );
  }
  console.log(
    `| pgbench TPC-B (scale ${connections}, ${connections} clients, ${duration} s) | | ${tpcb.tps.toFixed(0)} tps | | | | | latency average ${tpcb.latency} ms | ${pgbenchCpu.split(" / ")[0]} (machine only: its backends exit with it) |`,
  );
  console.log("");
  console.log(
    `task page: ${page.rps.toFixed(0)} req/s (target ≥ ${TARGETS.pageRps}) ${verdict(page.rps >= TARGETS.pageRps)}; p95 ${ms(page.p95)} ms (target < ${TARGETS.pageP95}) ${verdict(page.p95 < TARGETS.pageP95)}; ${pageOk} of ${page.requests} answered 200`,
  );
  console.log(
    `report POST: ${report.rps.toFixed(0)} req/s = ${(share * 100).toFixed(1)} % of pgbench's ${tpcb.tps.toFixed(0)} tps (target ≥ ${TARGETS.reportShareOfPgbench * 100} %) ${verdict(share >= TARGETS.reportShareOfPgbench)}; p95 ${ms(report.p95)} ms (target < ${TARGETS.reportP95}) ${verdict(report.p95 < TARGETS.reportP95)}`,
  );
  console.log(
    `reports stored: ${stored} for ${redirected} POSTs answered with a redirect (${stored === redirected ? "each exactly once" : "MISMATCH"})`,
  );
  if (stored !== redirected) exitCode = 1;
  await db.$disconnect();
  await pool.end();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  exitCode = 1;
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
  }
  await dropDatabase(adminUrl, appDatabase).catch(() => {});
  await dropDatabase(adminUrl, pgbenchDatabase).catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
