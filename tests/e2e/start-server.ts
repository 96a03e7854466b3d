import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, createDatabase, dropDatabase, ensureTestPostgres } from "../setup/postgres.ts";

/**
 * Playwright's webServer: a production build of Onward on http://127.0.0.1:3123 with a fresh
 * database `onward_e2e` (the app migrates and seeds it itself), sending mail to the SMTP capture
 * that tests/e2e/global-setup.ts runs on port 2526.
 *
 * Run with: node --import tsx tests/e2e/start-server.ts   (E2E_SKIP_BUILD=1 skips `npm run build`)
 */

// Overridable so two checkouts can run their end-to-end tests side by side on one machine.
const E2E_PORT = Number(process.env.E2E_PORT ?? 3123);
const SMTP_PORT = Number(process.env.E2E_SMTP_PORT ?? 2526);
const E2E_DATABASE = E2E_PORT === 3123 ? "onward_e2e" : `onward_e2e_${E2E_PORT}`;
const E2E_SESSION_SECRET = "onward-e2e-session-secret-0123456789abcd";
const E2E_DIR = path.join(REPO_ROOT, "tests/.e2e", String(E2E_PORT));
const E2E_DATABASE_URL_FILE = path.join(E2E_DIR, "database-url");

const log = (line: string) => console.log(`[e2e] ${line}`);

async function main() {
  const postgres = await ensureTestPostgres({ log });
  let stopping: Promise<void> | undefined;
  const stopPostgres = () => (stopping ??= postgres.stop().catch(() => {}));

  try {
    await dropDatabase(postgres.adminUrl, E2E_DATABASE);
    await createDatabase(postgres.adminUrl, E2E_DATABASE);
    const databaseUrl = postgres.urlFor(E2E_DATABASE);
    mkdirSync(E2E_DIR, { recursive: true });
    writeFileSync(E2E_DATABASE_URL_FILE, `${databaseUrl}\n`);
    log(`database ${E2E_DATABASE} is ready`);

    if (process.env.E2E_SKIP_BUILD !== "1") {
      // npm run build: the Remix build, then the page script and service worker (scripts/build-sw.mjs).
      log("building the app (npm run build)");
      const build = spawnSync("npm", ["run", "build", "--silent"], {
        cwd: REPO_ROOT,
        stdio: "inherit",
      });
      if (build.status !== 0)
        throw new Error(`npm run build failed (exit ${build.status ?? build.signal})`);
    }

    const child = spawn(process.execPath, ["--import", "tsx", "app/server/index.ts"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
      env: {
        ...process.env,
        PORT: String(E2E_PORT),
        HOST: "127.0.0.1",
        DATABASE_URL: databaseUrl,
        NODE_ENV: "production",
        SESSION_SECRET: E2E_SESSION_SECRET,
        APP_URL: `http://127.0.0.1:${E2E_PORT}`,
        SMTP_URL: `smtp://127.0.0.1:${SMTP_PORT}`,
        OUTBOX_PREVIEW: "true",
        SEED_DEMO: "true",
        // Each test comes from its own address (X-Forwarded-For, tests/e2e/fixtures.ts), as real
        // visitors do, so the per-address sign-in limit counts one test's requests, not the suite's.
        TRUST_PROXY: "true",
      },
    });

    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    process.on("SIGTERM", () => forward("SIGTERM"));
    process.on("SIGINT", () => forward("SIGINT"));

    const { code, signal } = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
    }>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
    });
    await stopPostgres();
    if (signal) {
      // Exit the way the child did, so whoever started us sees the same thing.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  } catch (error) {
    await stopPostgres();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
