/**
 * How fast the worker delivers queued emails end to end: N volunteers sign up (each gets a "your
 * task" email queued with its deliver-message job), then the real worker (jobs/worker.ts, tasks
 * loaded from jobs/tasks) sends them through the contact policy to a local SMTP capture, and we
 * time it until every message is SENT.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node --import tsx bench/deliver-throughput.ts [N] [concurrency]
 *
 * DATABASE_URL is an admin connection: a database bench_deliver_<pid> is created and dropped.
 * Not a test: it asserts nothing about time.
 */
import { runMigrations } from "graphile-worker";
import { migrate } from "../prisma/migrator.ts";
import { createDatabase, dropDatabase, withDatabase } from "../tests/setup/postgres.ts";
import { startSmtpCapture } from "../tests/setup/smtp.ts";

const count = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? 5);
const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error("Set DATABASE_URL to an admin connection.");
const database = `bench_deliver_${process.pid}`;

await createDatabase(adminUrl, database);
const url = withDatabase(adminUrl, database);
const smtp = await startSmtpCapture();
try {
  await migrate({ connectionString: url });
  await runMigrations({ connectionString: url });
  process.env.DATABASE_URL = url;
  process.env.SESSION_SECRET = "bench-session-secret-0123456789abcdef0123";
  if (process.env.BENCH_NO_SMTP !== "1") process.env.SMTP_URL = smtp.url;
  process.env.NODE_ENV = "production";

  const { db, pool } = await import("../app/utils/db.server.ts");
  const { createLadderCampaign } = await import("../tests/fixtures/ladder.ts");
  const { joinVolunteer } = await import("../tests/fixtures/nudges.ts");
  const { startWorker, workerLogger } = await import("../jobs/worker.ts");

  const setup = await createLadderCampaign();
  const queuedAt = Date.now();
  for (let i = 0; i < count; i++) await joinVolunteer(setup);
  console.log(`${count} sign-ups with their messages and jobs in ${Date.now() - queuedAt} ms`);

  const started = Date.now();
  const runner = await startWorker({
    connectionString: url,
    concurrency,
    crontab: "",
    logger: workerLogger({ error: console.error, warn: console.warn, info: () => {} }),
  });
  for (;;) {
    const sent = await db.message.count({ where: { status: "SENT" } });
    if (sent >= count) break;
    if (Date.now() - started > 120_000)
      throw new Error(`Only ${sent} of ${count} sent in 2 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (Date.now() - started) / 1000;
  await runner.stop();
  const others = await db.message.groupBy({ by: ["status"], _count: true });
  console.log(
    `${count} emails delivered in ${seconds.toFixed(2)} s with concurrency ${concurrency}: ` +
      `${Math.round(count / seconds)} messages/s (SMTP received ${smtp.messages.length}; ` +
      `statuses ${JSON.stringify(others.map((o) => [o.status, o._count]))})`,
  );
  await db.$disconnect();
  await pool.end();
} finally {
  await smtp.close();
  await dropDatabase(adminUrl, database);
}
process.exit(0);
