import { EventEmitter } from "node:events";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  Logger,
  makeWorkerUtils,
  run,
  type Runner,
  type Task,
  type TaskList,
  type WorkerEvents,
} from "graphile-worker";
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

export type WorkerOptions = {
  connectionString: string;
  concurrency?: number;
  /** Instead of reading jobs/tasks (tests pass loadTaskList()). */
  taskList?: TaskList;
  /** Instead of jobs/crontab ("" for none). */
  crontab?: string;
  logger?: Logger;
  pollInterval?: number;
};

export async function startWorker({
  connectionString,
  concurrency = 5,
  taskList,
  crontab,
  logger = workerLogger(),
  pollInterval,
  events,
}: WorkerOptions & { events?: WorkerEvents }): Promise<Runner> {
  // The worker's pool: graphile-worker's own work (fetching and completing jobs, cron, LISTEN) and
  // delivery, which holds a connection from its claim to its outcome (app/utils/delivery.server.ts),
  // so up to `concurrency` at once, with room left for the rest. Ours rather than one
  // graphile-worker makes, so that a connection the database drops (a restart, a shutdown) is
  // logged instead of crashing the process as an unhandled pool error.
  const pgPool = new pg.Pool({ connectionString, max: concurrency + 4 });
  const lost = (error: Error) => logger.warn(`Worker database connection lost: ${error.message}`);
  pgPool.on("error", lost);
  pgPool.on("connect", (client) => client.on("error", lost));
  const runner = await run({
    pgPool,
    concurrency,
    pollInterval,
    logger,
    events,
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
  // Caught here too: a runner that fails on its own (see keepWorkerRunning) must not also leave
  // an unhandled rejection, which would end the whole process.
  runner.promise.finally(() => pgPool.end().catch(() => {})).catch(() => {});
  // Messages a crashed worker left SENDING go again now rather than at the next sweep (jobs/crontab
  // runs it every few minutes). Sound with other workers running: only messages nobody is sending
  // any more qualify.
  try {
    const { requeueStaleSending, DELIVERY_JOB_MAX_ATTEMPTS } =
      await import("../app/models/message.server.ts");
    const ids = await requeueStaleSending({
      client: pgPool,
      jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS,
    });
    if (ids.length > 0) {
      logger.warn(`Requeued ${ids.length} message(s) left being sent by a stopped worker`);
    }
  } catch (error) {
    logger.warn(
      `Could not requeue interrupted messages: ${error instanceof Error ? error.message : error}`,
    );
  }
  return runner;
}

let returnFailureHandled = false;

/** Longer than graphile-worker's own graceful shutdown (5 s) takes to give way to a forceful one. */
const SHUTDOWN_GRACE_MS = 20_000;

/**
 * graphile-worker 0.17.3: a worker pool that stops while the database is away can't hand the jobs
 * in its local queue back, and the promise that reports it is left without a handler, which would
 * end the whole process (the web server too, when the worker runs in it). Those jobs stay locked
 * by the stopped pool, and keepWorkerRunning frees them once the database answers; so that one
 * rejection is logged, and any other still ends the process as Node would.
 */
function survivePoolReturnFailure(logger: Logger) {
  if (returnFailureHandled) return;
  returnFailureHandled = true;
  process.on("unhandledRejection", (reason) => {
    if (
      reason instanceof Error &&
      reason.message.startsWith("Error occurred whilst returning jobs from local queue")
    ) {
      logger.warn(`${firstLine(reason.message)}; they are freed when the job runner restarts`);
      return;
    }
    throw reason;
  });
}

/**
 * The worker, kept running through a database outage. graphile-worker 0.17 gives up on its
 * worker pool for good when it can't write a job's outcome (PostgreSQL restarting while a job
 * runs is enough), and the jobs that pool still held stay locked for 4 hours. So when a runner
 * stops by itself, this starts another as soon as the database answers again, and frees the
 * stopped one's jobs so that they run again now. That is safe: by then its tasks have returned
 * (graphile-worker fails those still running when its shutdown turns forceful), and every task
 * re-checks its state when it runs twice.
 */
export async function keepWorkerRunning(options: WorkerOptions) {
  const logger = options.logger ?? workerLogger();
  survivePoolReturnFailure(logger);
  const stopped: string[] = [];
  let stopping = false;
  let wake = () => {};

  const start = async () => {
    // Freed before the new runner starts, so that its sweep of interrupted messages (startWorker)
    // finds their jobs free and requeues each in place.
    if (stopped.length > 0) {
      const utils = await makeWorkerUtils({ connectionString: options.connectionString });
      try {
        await utils.forceUnlockWorkers(stopped);
        logger.warn(`Freed the jobs of stopped job runner(s) ${stopped.join(", ")}`);
        stopped.length = 0;
      } finally {
        await utils.release();
      }
    }
    const events = new EventEmitter() as WorkerEvents;
    let poolId: string | undefined;
    events.on("pool:create", ({ workerPool }) => void (poolId = workerPool.id));
    // Its shutdown may never finish (its job batchers can wait forever on a database that went
    // away), so a runner counts as stopped a while after its pool began to shut down.
    const shutDown = new Promise<string>((resolve) => {
      const begun = () =>
        setTimeout(() => resolve("its worker pool shut down"), SHUTDOWN_GRACE_MS).unref();
      events.once("pool:gracefulShutdown", begun);
      events.once("pool:forcefulShutdown", begun);
    });
    const runner = await startWorker({ ...options, logger, events });
    const ended = Promise.race([
      runner.promise.then(
        () => "without an error",
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      ),
      shutDown,
    ]);
    return { runner, ended, poolId: () => poolId };
  };

  // The first start fails loudly, as before: the database was checked just before.
  let current: Awaited<ReturnType<typeof start>> | undefined = await start();
  const promise = (async () => {
    for (let failures = 0; !stopping;) {
      if (current) {
        const outcome = await current.ended;
        if (stopping) return;
        const id = current.poolId();
        if (id) stopped.push(id);
        logger.error(`The job runner stopped (${firstLine(outcome)}); starting it again`);
        void current.runner.kill().catch(() => {});
        current = undefined;
      }
      const delay = Math.min(1_000 * 2 ** failures, 15_000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopping) return;
      try {
        current = await start();
        failures = 0;
        logger.warn("The job runner is running again");
        if (stopping) await current.runner.stop();
      } catch (error) {
        failures++;
        logger.warn(
          `The job runner is not running yet (${firstLine(String(error))}); will try again`,
        );
      }
    }
  })();

  return {
    promise,
    async stop() {
      stopping = true;
      wake();
      // Bounded like the wait above: a runner whose shutdown hangs must not hold the process.
      await Promise.race([current?.runner.stop(), current?.ended]);
      await promise;
    },
  };
}

async function main() {
  const { prepareDatabase, StartupError } = await import("../app/server/prepare.ts");
  const { EnvError } = await import("../app/utils/env.server.ts");
  const { MigrationError } = await import("../prisma/migrator.ts");
  const log = (line: string) => console.log(line);
  try {
    const { env, stop } = await prepareDatabase({ log });
    const runner = await keepWorkerRunning({
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
