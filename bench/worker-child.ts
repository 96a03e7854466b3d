/**
 * One worker process for bench/nudges.ts --workers N: the real worker (startWorker, the real task
 * files, no crontab) on the database and SMTP server in its environment. Run as a child process
 * (IPC): it sends "ready" once loaded, starts the worker on "go", and on "stop" stops the worker
 * and answers with its CPU time from "go" ({ cpuMs }) before it exits.
 */
import { db, pool } from "../app/utils/db.server.ts";
import { startWorker, workerLogger } from "../jobs/worker.ts";

const concurrency = Number(process.argv[2] ?? 10);
process.send?.("ready");
await new Promise<void>((resolve) => {
  const go = (message: unknown) => {
    if (message !== "go") return;
    process.off("message", go);
    resolve();
  };
  process.on("message", go);
});
const cpu0 = process.cpuUsage();
const runner = await startWorker({
  connectionString: process.env.DATABASE_URL ?? "",
  concurrency,
  crontab: "",
  logger: workerLogger({
    error: (line) => console.error(`worker ${process.pid}: ${line}`),
    warn: (line) => console.error(`worker ${process.pid}: ${line}`),
    info: () => {},
  }),
});
process.on("message", (message) => {
  if (message !== "stop") return;
  void runner.stop().finally(async () => {
    const cpu = process.cpuUsage(cpu0);
    process.send?.({ cpuMs: (cpu.user + cpu.system) / 1000 });
    await db.$disconnect();
    await pool.end();
    process.disconnect?.();
    process.exit(0);
  });
});
