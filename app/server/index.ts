import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { MigrationError } from "../../prisma/migrator.ts";
import { EnvError } from "../utils/env.server.ts";
import { prepareDatabase, StartupError } from "./prepare.ts";

const log = (line: string) => console.log(line);

async function main() {
  const { env, stop } = await prepareDatabase({ log });
  process.env.NODE_ENV = env.NODE_ENV;

  if (env.SEED_DEMO) {
    const { seedDemoIfEmpty } = await import("../../prisma/seed-demo.ts");
    await seedDemoIfEmpty({ log });
  }

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

  const server = app.listen(env.PORT, env.HOST, () => {
    log(`Onward is running at ${env.APP_URL}`);
    if (env.OUTBOX_PREVIEW) {
      log(
        `Sign in as owner@example.org at ${env.APP_URL}/sign-in — the link appears at ${env.APP_URL}/dev/outbox`,
      );
    }
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === "EADDRINUSE"
        ? `Port ${env.PORT} is already in use. Stop the other program or set PORT to another number.`
        : `The web server stopped: ${error.message}`,
    );
    process.exit(1);
  });

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
    server.close(() => {
      void (worker?.stop() ?? Promise.resolve())
        .catch(() => {})
        // The app's own connections close before the database does (no "connection lost").
        .then(() => import("../utils/db.server.ts"))
        .then(({ pool }) => pool.end())
        .catch(() => {})
        .finally(() => void stop().finally(() => process.exit(0)));
    });
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
