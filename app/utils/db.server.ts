import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "~/generated/prisma/client.ts";
import { getEnv } from "~/utils/env.server.ts";
import { preparedName } from "~/utils/prepared.ts";

declare global {
  var __onwardDb: { pool: pg.Pool; db: PrismaClient } | undefined;
}

function createClients() {
  const connectionString = getEnv().DATABASE_URL;
  if (!connectionString) {
    throw new Error("DATABASE_URL is not set: the server sets it before the app loads.");
  }
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection dropped by a database restart must not crash the process; the pool replaces it
  // on the next query. The pool only listens on idle connections: one checked out between two
  // queries (a transaction, a delivery waiting on SMTP) needs its own listener, or its error
  // event would go unhandled and end the process.
  const lost = (error: Error) => console.warn(`Database connection lost: ${error.message}`);
  pool.on("error", lost);
  pool.on("connect", (client) => client.on("error", lost));
  const db = new PrismaClient({
    adapter: new PrismaPg(pool, {
      // No name (undefined) leaves a statement unnamed: pg parses and plans it on every run.
      statementNameGenerator: ({ sql }) => preparedName(sql) as string,
    }),
  });
  return { pool, db };
}

const clients = (globalThis.__onwardDb ??= createClients());

/** The one Prisma client. */
export const db: PrismaClient = clients.db;
/** The pool under it, for the hottest reads, the report's transaction and libraries that speak pg. */
export const pool: pg.Pool = clients.pool;

export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * Raw statements in a transaction: what a Prisma transaction (Tx) offers for SQL, and all that
 * `sqlTransaction` offers. Code that only sends SQL takes this, so it runs in either.
 */
export type SqlTx = {
  $queryRaw<T = unknown>(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): Promise<T>;
  $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number>;
};

/** A value for pg as the ORM would send it: moments in UTC, decimals and big integers as text. */
function pgValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint" || Prisma.Decimal.isDecimal(value)) return String(value);
  return value;
}

function sqlOn(client: pg.PoolClient | pg.Pool): SqlTx {
  const run = (query: TemplateStringsArray | Prisma.Sql, values: unknown[]) => {
    const sql = query instanceof Prisma.Sql ? query : Prisma.sql(query, ...values);
    return client.query({
      name: preparedName(sql.text),
      text: sql.text,
      values: sql.values.map(pgValue),
    });
  };
  return {
    $queryRaw: async <T>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) =>
      (await run(query, values)).rows as T,
    $executeRaw: async (query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) =>
      (await run(query, values)).rowCount ?? 0,
  };
}

/**
 * Statements straight to pg on the pool, each its own transaction: for a write that is one
 * statement, checked where it is written (the report's first try, ADR 021).
 */
export const sqlPool: SqlTx = sqlOn(pool);

/**
 * One transaction on a connection of the pool, for the report, the busiest write: its statements
 * go straight to pg, which costs the web process about a millisecond less per report than the
 * ORM's interactive transaction (ADR 021). Commits when `work` resolves, rolls back when it throws
 * (and then throws its error). A connection that fails to roll back is closed, not reused.
 */
export async function sqlTransaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(sqlOn(client));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * An id for a row written with SQL rather than the ORM: a short prefix naming the kind of row and a
 * random UUID's hex ("rep_3f2a…"). Ids are opaque everywhere; the prefix helps a person reading logs.
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "")}`;
}

/**
 * A moment as SQL for our `timestamp(3)` columns, which hold UTC without a zone (as Prisma writes
 * them). It goes as ISO text with its zone, so the session's TimeZone can't shift it.
 */
export function sqlUtc(date: Date): Prisma.Sql {
  return Prisma.sql`(${date.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

/**
 * A unique index refused the write: P2002 from a model query, P2010 carrying PostgreSQL's 23505
 * from a raw one, or 23505 itself from pg.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const { code, meta } = error as {
    code: unknown;
    meta?: { driverAdapterError?: { cause?: unknown } };
  };
  // 23505 straight from pg (sqlTransaction); P2002 or P2010 from the ORM.
  if (code === "P2002" || code === "23505") return true;
  const cause = meta?.driverAdapterError?.cause as { originalCode?: unknown } | undefined;
  return code === "P2010" && cause?.originalCode === "23505";
}

/** True when the database answers within the timeout. */
export async function isDatabaseUp(timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([pool.query("select 1").then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
