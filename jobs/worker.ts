import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Logger, run, type Runner, type Task, type TaskList } from "graphile-worker";
import pg from "pg";

/**
 * The job worker (graphile-worker): every file in jobs/tasks is a task named after it, and
 * jobs/crontab schedules the recurring ones. The web server runs it in-process after migrations
 * (unless RUN_WORKER=false); `npm run worker` runs it on its own, for a deployment that scales web
 * and worker processes separately. Both need graphile-worker's schema, which app/server/prepare.ts
 * migrates. Every file in jobs/tasks becomes a task: keep tests and helpers out of it.
 */

const JOBS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const TASK_DIRECTORY = path.join(JOBS_DIR, "tasks");
export const CRONTAB_FILE = path.join(JOBS_DIR, "crontab");

type Lines = {
  error: (line: string) => void;
  warn: (line: string) => void;
  info: (line: string) => void;
};

/**
 * One line per job failure ("Job deliver-message #12 failed (attempt 1 of 12): …"), one line per
 * other problem, and the info lines our own tasks write. graphile-worker's routine chatter
 * ("Completed task…") and stack traces stay out of the log.
 */
export function workerLogger(lines: Lines = consoleLines) {
  return new Logger((scope) => (level, message, meta) => {
    const severity = level as string;
    if (severity === "error") {
      const failure = meta as
        | {
            failure?: boolean;
            job?: { id: string; task_identifier: string; attempts: number; max_attempts: number };
            error?: unknown;
          }
        | undefined;
      if (failure?.failure && failure.job) {
        const { job, error } = failure;
        const reason = error instanceof Error ? error.message : String(error);
        lines.error(
          `Job ${job.task_identifier} #${job.id} failed (attempt ${job.attempts} of ${job.max_attempts}): ${firstLine(reason)}`,
        );
      } else {
        lines.error(`Worker: ${firstLine(message)}`);
      }
    } else if (severity === "warning") {
      lines.warn(`Worker: ${firstLine(message)}`);
    } else if (severity === "info" && scope.label === "job") {
      lines.info(
        `Job ${scope.taskIdentifier ?? "?"} #${scope.jobId ?? "?"}: ${firstLine(message)}`,
      );
    }
  });
}

const consoleLines: Lines = {
  error: (line) => console.error(line),
  warn: (line) => console.warn(line),
  info: (line) => console.log(line),
};

function firstLine(text: string) {
  return text.split("\n", 1)[0] ?? "";
}

/**
 * Imports the task files through the running module loader. Tests use this (Vitest can load
 * TypeScript and the `~/` alias; graphile-worker's own loader, used in production under tsx,
 * can't inside Vitest).
 */
export async function loadTaskList(directory = TASK_DIRECTORY): Promise<TaskList> {
  const tasks: TaskList = {};
  for (const file of (await readdir(directory)).sort()) {
    const match = /^([a-z0-9-]+)\.ts$/.exec(file);
    if (!match?.[1]) continue;
    const module = (await import(path.join(directory, file))) as { default: Task };
    tasks[match[1]] = module.default;
  }
  return tasks;
}

export async function startWorker({
  connectionString,
  concurrency = 5,
  taskList,
  crontab,
  logger = workerLogger(),
  pollInterval,
}: {
  connectionString: string;
  concurrency?: number;
  /** Instead of reading jobs/tasks (tests pass loadTaskList()). */
  taskList?: TaskList;
  /** Instead of jobs/crontab ("" for none). */
  crontab?: string;
  logger?: Logger;
  pollInterval?: number;
}): Promise<Runner> {
  // Delivery uses the app's own Prisma pool; this pool is the worker's (locking, cron, LISTEN).
  // Ours rather than one graphile-worker makes, so that a connection the database drops (a
  // restart, a shutdown) is logged instead of crashing the process as an unhandled pool error.
  const pgPool = new pg.Pool({ connectionString, max: Math.max(concurrency + 2, 4) });
  const lost = (error: Error) => logger.warn(`Worker database connection lost: ${error.message}`);
  pgPool.on("error", lost);
  pgPool.on("connect", (client) => client.on("error", lost));
  const runner = await run({
    pgPool,
    concurrency,
    pollInterval,
    logger,
    ...(taskList ? { taskList } : { taskDirectory: TASK_DIRECTORY }),
    ...(crontab !== undefined ? { crontab } : { crontabFile: CRONTAB_FILE }),
    preset: {
      worker: {
        // The task files are TypeScript, loaded through tsx (node --import tsx).
        fileExtensions: [".ts", ".js"],
        // Fetch (and lock) jobs in batches and complete them in batches: two queries per batch
        // instead of two per job. Every task re-checks its state, so a job that runs again after a
        // crash (its completion not yet written) does nothing the second time.
        localQueue: { size: concurrency * 2 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
    // Whoever starts the worker decides how to stop it (runner.stop()), after its own shutdown.
    noHandleSignals: true,
  });
  void runner.promise.finally(() => pgPool.end().catch(() => {}));
  return runner;
}

async function main() {
  const { prepareDatabase, StartupError } = await import("../app/server/prepare.ts");
  const { EnvError } = await import("../app/utils/env.server.ts");
  const { MigrationError } = await import("../prisma/migrator.ts");
  const log = (line: string) => console.log(line);
  try {
    const { env, stop } = await prepareDatabase({ log });
    const runner = await startWorker({
      connectionString: env.DATABASE_URL ?? "",
      concurrency: env.WORKER_CONCURRENCY,
    });
    log("Onward worker is running. Stop it with Ctrl+C.");
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`Stopping the worker (${signal}), letting running jobs finish…`);
      void runner
        .stop()
        .catch(() => {})
        .finally(() => void stop().finally(() => process.exit(0)));
      setTimeout(() => process.exit(0), 15_000).unref();
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    await runner.promise;
  } catch (error) {
    const known = [EnvError, StartupError, MigrationError].some((type) => error instanceof type);
    console.error(known && error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main();
}
