import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { MigrationError } from "../../prisma/migrator.ts";
import { EnvError } from "../utils/env.server.ts";
import { prepareDatabase, StartupError } from "./prepare.ts";

const log = (line: string) => console.log(line);

type Env = Awaited<ReturnType<typeof prepareDatabase>>["env"];

/** Loads the build and serves it on PORT; the server, once it listens. */
async function serve(env: Env) {
  const buildPath = path.resolve("build/index.js");
  const build = (await import(pathToFileURL(buildPath).href).catch(() => {
    throw new StartupError("The app is not built yet. Run: npm run build");
  })) as ServerBuild;
  const { createApp } = await import("./app.ts");
  const app = createApp({
    build,
    publicDir: path.resolve("public"),
    trustProxy: env.TRUST_PROXY,
    appUrl: env.APP_URL,
  });
  return new Promise<Server>((resolve) => {
    const server = app.listen(env.PORT, env.HOST, () => resolve(server));
    server.on("error", (error: NodeJS.ErrnoException) => {
      console.error(
        error.code === "EADDRINUSE"
          ? `Port ${env.PORT} is already in use. Stop the other program or set PORT to another number.`
          : `The web server stopped: ${error.message}`,
      );
      process.exit(1);
    });
  });
}

/**
 * One of WEB_CONCURRENCY web processes (node:cluster): the first process has prepared the
 * database and passed its settings on in the environment; this one only serves. It stops when
 * the first process tells it to (or goes away), finishing the requests it has.
 */
async function serveAsClusterWorker() {
  const { getEnv } = await import("../utils/env.server.ts");
  const env = getEnv();
  // Until it listens, a request to stop is remembered; it stops as soon as it does.
  let stopRequested = false;
  let stop = () => void (stopRequested = true);
  // Ctrl+C reaches every process in the terminal's group: the first process decides.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => stop());
  process.on("message", (message) => {
    if (message === "onward:stop") stop();
  });
  const server = await serve(env);
  let stopping = false;
  stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => {
      void import("../utils/db.server.ts")
        .then(({ pool }) => pool.end())
        .catch(() => {})
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  if (stopRequested) stop();
}

/**
 * WEB_CONCURRENCY web processes sharing the port, started again if one dies. Resolves once all
 * of them listen; `stop` asks them to finish their requests and resolves when they have exited.
 */
async function startWebProcesses(count: number) {
  let stopping = false;
  const cluster = (await import("node:cluster")).default;
  const fork = () => cluster.fork();
  const served = new Set<number>();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    if (!served.has(worker.id)) {
      // It could not start (its error is printed above): another would fail the same way.
      console.error("A web process stopped before it could serve; stopping.");
      process.exit(1);
    }
    log(
      `A web process (pid ${worker.process.pid}) stopped (${signal ?? `exit ${code}`}); starting another.`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, 1_000).unref();
  });
  let listening = 0;
  const allListening = new Promise<void>((resolve) => {
    cluster.on("listening", (worker) => {
      served.add(worker.id);
      listening += 1;
      if (listening === count) resolve();
      if (listening > count) log(`A new web process (pid ${worker.process.pid}) is serving.`);
    });
  });
  for (let i = 0; i < count; i++) fork();
  await allListening;
  return {
    stop: () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      return Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once("exit", () => resolve());
              // A process already on its way out can't take the message; its exit resolves this.
              worker.send("onward:stop", (error: Error | null) => void error);
            }),
        ),
      ).then(() => {});
    },
  };
}

async function main() {
  const cluster = (await import("node:cluster")).default;
  if (cluster.isWorker) return serveAsClusterWorker();

  const { env, stop } = await prepareDatabase({ log });
  process.env.NODE_ENV = env.NODE_ENV;

  if (env.SEED_DEMO) {
    const { seedDemoIfEmpty } = await import("../../prisma/seed-demo.ts");
    await seedDemoIfEmpty({ log });
  }

  // One web process serves here; with WEB_CONCURRENCY > 1 that many serve the port together and
  // this one runs the job worker (if RUN_WORKER) and watches them.
  let web: { stop: () => Promise<void> };
  if (env.WEB_CONCURRENCY > 1) {
    web = await startWebProcesses(env.WEB_CONCURRENCY);
  } else {
    const server = await serve(env);
    web = { stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }
  log(
    `Onward is running at ${env.APP_URL}` +
      (env.WEB_CONCURRENCY > 1 ? ` (${env.WEB_CONCURRENCY} web processes)` : ""),
  );
  if (env.OUTBOX_PREVIEW) {
    log(
      `Sign in as owner@example.org at ${env.APP_URL}/sign-in — the link appears at ${env.APP_URL}/dev/outbox`,
    );
  }

  // The job worker runs here too unless a separate `npm run worker` process does the work.
  let worker: { stop: () => Promise<void> } | null = null;
  if (env.RUN_WORKER) {
    const { keepWorkerRunning } = await import("../../jobs/worker.ts");
    worker = await keepWorkerRunning({
      connectionString: env.DATABASE_URL ?? "",
      concurrency: env.WORKER_CONCURRENCY,
    });
    log("The job worker is running in this process (RUN_WORKER=false turns it off).");
  }

  const { verifySmtp } = await import("../utils/email.server.ts");
  void verifySmtp().then((result) => {
    if (!result.ok)
      log(
        `Warning: the SMTP server in SMTP_URL did not answer (${result.error}). Emails will wait and be retried.`,
      );
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`Stopping (${signal})…`);
    void web
      .stop()
      .then(() => worker?.stop())
      .catch(() => {})
      // The app's own connections close before the database does (no "connection lost").
      .then(() => import("../utils/db.server.ts"))
      .then(({ pool }) => pool.end())
      .catch(() => {})
      .finally(() => void stop().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  if (
    error instanceof EnvError ||
    error instanceof StartupError ||
    error instanceof MigrationError
  ) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
