/**
 * Server time of the campaign reports dashboard's loader on a big organisation.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:reports -- \
 *     [--volunteers 100000] [--reports 1000000] [--seed 1] [--calls 100] [--warmup 5] \
 *     [--database NAME] [--keep]
 *
 * DATABASE_URL is an admin connection. Without --database, a scratch database
 * onward_bench_<random> is created, migrated (prisma/migrator.ts + graphile-worker) and filled by
 * prisma/seed-scale.ts, then dropped at the end (unless --keep, which prints its name so that
 * `--database NAME` can reuse it). With --database NAME that database is used as it is when it
 * already holds the scale organisation, else it is created/migrated/seeded first and kept.
 *
 * Then, as organiser1@scale.example.org with a real session cookie, it calls the loader of
 * app/routes/org.campaigns.$campaignId.reports.tsx for the biggest campaign: `--warmup` calls
 * without filters, then `--calls` calls cycling through realistic filters (none; an area; a
 * channel; the last 28 days; a task; area + channel), and prints p50/p95/p99/max per filter and
 * overall against the 300 ms p95 target, with the machine's facts. Asserts nothing.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runMigrations } from "graphile-worker";
import pg from "pg";
import { migrate } from "../prisma/migrator.ts";
import { SCALE_ORG_SLUG, seedScale } from "../prisma/seed-scale.ts";
import { createDatabase, dropDatabase, withAdmin, withDatabase } from "../tests/setup/postgres.ts";

const { values: args } = parseArgs({
  options: {
    volunteers: { type: "string", default: "100000" },
    reports: { type: "string", default: "1000000" },
    seed: { type: "string", default: "1" },
    calls: { type: "string", default: "100" },
    warmup: { type: "string", default: "5" },
    database: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const TARGET_P95_MS = 300;
const here = path.dirname(fileURLToPath(import.meta.url));
const ROUTE = path.join(here, "../app/routes/org.campaigns.$campaignId.reports.tsx");
const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const database = args.database ?? `onward_bench_${randomBytes(4).toString("hex")}`;
const url = withDatabase(adminUrl, database);
const scratch = !args.database;

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function hasScaleOrg(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT to_regclass('"Organisation"') IS NOT NULL AS migrated`,
    );
    if (!rows[0]?.migrated) return false;
    const found = await client.query(`SELECT 1 FROM "Organisation" WHERE slug = $1`, [
      SCALE_ORG_SLUG,
    ]);
    return (found.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

if (!existsSync(ROUTE)) {
  console.error(
    `No ${path.relative(process.cwd(), ROUTE)} yet: nothing to measure (the bench calls its loader).`,
  );
  process.exit(1);
}

let exitCode = 0;
const exists = await withAdmin(adminUrl, async (client) => {
  const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [
    database,
  ]);
  return (rowCount ?? 0) > 0;
});
if (!exists) await createDatabase(adminUrl, database);
try {
  if (await hasScaleOrg()) {
    console.log(`${database}: already seeded, reusing it`);
  } else {
    await migrate({ connectionString: url });
    await runMigrations({ connectionString: url });
    console.log(
      `${database}: seeding ${args.volunteers} volunteers / ${args.reports} reports (seed ${args.seed})…`,
    );
    const seeded = await seedScale({
      connectionString: url,
      volunteers: Number(args.volunteers),
      reports: Number(args.reports),
      seed: Number(args.seed),
      force: true,
    });
    console.log(`seeded in ${seeded.seconds.toFixed(1)} s: ${JSON.stringify(seeded.counts)}`);
  }

  process.env.DATABASE_URL = url;
  process.env.SESSION_SECRET ??= "bench-session-secret-0123456789abcdef0123";
  process.env.NODE_ENV = "production";
  process.env.APP_URL = "http://localhost:3000";
  process.env.RUN_WORKER = "false";

  const { db, pool } = await import("../app/utils/db.server.ts");
  const { startUserSession } = await import("../app/utils/session.server.ts");
  const route = await import("../app/routes/org.campaigns.$campaignId.reports.tsx");

  // The organiser, the biggest campaign, its biggest area and a task of it.
  const organiser = await db.user.findUniqueOrThrow({
    select: { id: true },
    where: { email: "organiser1@scale.example.org" },
  });
  const [campaign] = await db.$queryRaw<{ id: string; title: string; reports: number }[]>`
    SELECT c.id, c.title, count(r.id)::int AS reports
    FROM "Campaign" c JOIN "Organisation" o ON o.id = c."organisationId"
    LEFT JOIN "Report" r ON r."campaignId" = c.id
    WHERE o.slug = ${SCALE_ORG_SLUG}
    GROUP BY c.id, c.title ORDER BY count(r.id) DESC LIMIT 1`;
  if (!campaign) throw new Error("The scale organisation has no campaign.");
  const [area] = await db.$queryRaw<{ district: string }[]>`
    SELECT district FROM "Report" WHERE "campaignId" = ${campaign.id}
    GROUP BY district ORDER BY count(*) DESC LIMIT 1`;
  const task = await db.task.findFirstOrThrow({
    select: { id: true },
    where: { campaignId: campaign.id },
    orderBy: { position: "asc" },
  });
  const [latest] = await db.$queryRaw<{ day: string }[]>`
    SELECT to_char(max("createdAt"), 'YYYY-MM-DD') AS day FROM "Report"
    WHERE "campaignId" = ${campaign.id}`;
  const to = latest?.day ?? new Date().toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - 27 * 86_400_000).toISOString().slice(0, 10);
  const filters: [string, string][] = [
    ["none", ""],
    [`area ${area?.district}`, `?area=${area?.district}`],
    ["channel SMS", "?channel=SMS"],
    [`28 days ${from}…${to}`, `?from=${from}&to=${to}`],
    ["task (first step)", `?task=${task.id}`],
    [`area ${area?.district} + channel EMAIL`, `?area=${area?.district}&channel=EMAIL`],
  ];

  const signedIn = await startUserSession({
    request: new Request("http://localhost:3000/sign-in"),
    userId: organiser.id,
    redirectTo: "/",
  });
  const cookie = (signedIn.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
  const call = async (search: string) => {
    const request = new Request(
      `http://localhost:3000/org/campaigns/${campaign.id}/reports${search}`,
      { headers: { Cookie: cookie } },
    );
    const started = performance.now();
    let result: unknown;
    try {
      result = await route.loader({
        request,
        params: { campaignId: campaign.id },
        context: { cspNonce: "" },
      });
    } catch (thrown) {
      const status = thrown instanceof Response ? `a ${thrown.status} response` : String(thrown);
      throw new Error(`The loader threw ${status} for ${search || "no filters"}`);
    }
    if (result instanceof Response) await result.text();
    else JSON.stringify(result); // what Remix does with the data before it is sent
    return performance.now() - started;
  };

  const warmup = Number(args.warmup);
  const calls = Number(args.calls);
  const warm: number[] = [];
  for (let i = 0; i < warmup; i++) warm.push(await call(""));
  const times = new Map<string, number[]>(filters.map(([name]) => [name, []]));
  const all: number[] = [];
  for (let i = 0; i < calls; i++) {
    const [name, search] = filters[i % filters.length]!;
    const ms = await call(search);
    times.get(name)!.push(ms);
    all.push(ms);
  }

  const [{ version }] = await db.$queryRaw<[{ version: string }]>`SELECT version()`;
  const [counts] = await db.$queryRaw<
    [{ users: number; assignments: number; reports: number; messages: number }]
  >`SELECT (SELECT count(*) FROM "User")::int AS users,
      (SELECT count(*) FROM "Assignment")::int AS assignments,
      (SELECT count(*) FROM "Report")::int AS reports,
      (SELECT count(*) FROM "Message")::int AS messages`;
  const row = (name: string, list: number[]) => {
    const sorted = list.slice().sort((a, b) => a - b);
    const f = (p: number) => percentile(sorted, p).toFixed(0).padStart(6);
    return `| ${name.padEnd(34)} | ${String(list.length).padStart(5)} | ${f(50)} | ${f(95)} | ${f(99)} | ${sorted.at(-1)!.toFixed(0).padStart(6)} |`;
  };
  console.log("");
  console.log(
    `machine: nproc ${os.availableParallelism()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )}, Node ${process.version}, ${version.split(" on ")[0]}, ${new Date().toISOString()}`,
  );
  console.log(
    `data: ${database}: ${counts?.users} users, ${counts?.assignments} assignments, ${counts?.reports} reports, ${counts?.messages} messages; campaign "${campaign.title}" (${campaign.reports} reports)`,
  );
  console.log(
    `warm-up (${warmup} calls, no filters): ${warm.map((ms) => ms.toFixed(0)).join(", ")} ms`,
  );
  console.log("");
  console.log(
    "| filter                             | calls |  p50 ms |  p95 ms |  p99 ms |  max ms |",
  );
  console.log(
    "| ---------------------------------- | ----: | ------: | ------: | ------: | ------: |",
  );
  for (const [name, list] of times) console.log(row(name, list));
  console.log(row("overall", all));
  const p95 = percentile(
    all.slice().sort((a, b) => a - b),
    95,
  );
  console.log("");
  console.log(
    `overall p95 ${p95.toFixed(0)} ms: target p95 < ${TARGET_P95_MS} ms ${p95 < TARGET_P95_MS ? "MET" : "NOT MET"}`,
  );
  await db.$disconnect();
  await pool.end();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  exitCode = 1;
} finally {
  if (scratch && !args.keep) {
    await dropDatabase(adminUrl, database);
  } else {
    console.log(`kept ${database}: rerun with --database ${database}`);
  }
}
process.exit(exitCode);
