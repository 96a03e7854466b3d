import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, dropDatabase, withDatabase } from "../tests/setup/postgres.ts";
import { MIGRATIONS_DIR, MigrationError, migrate } from "./migrator.ts";

/** Real PostgreSQL throughout: each test migrates scratch databases of its own. */

const adminUrl = inject("adminUrl");
const tag = inject("runTag");
const scratchDatabases: string[] = [];
const tempDirs: string[] = [];

async function scratchDatabase(): Promise<string> {
  const name = `onward_test_mig_${tag}_${randomBytes(4).toString("hex")}`;
  await createDatabase(adminUrl, name);
  scratchDatabases.push(name);
  return withDatabase(adminUrl, name);
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of the real migrations in a temporary folder, to tamper with. */
async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "onward-migrations-"));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

type Row = {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
};

const bookkeeping = (url: string) =>
  query<Row>(
    url,
    `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count
     FROM "_prisma_migrations" ORDER BY migration_name`,
  );

let realMigrations: { name: string; sha256: string }[] = [];

beforeAll(async () => {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  realMigrations = await Promise.all(
    names.map(async (name) => ({
      name,
      sha256: createHash("sha256")
        .update(await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql")))
        .digest("hex"),
    })),
  );
});

afterAll(async () => {
  for (const name of scratchDatabases) await dropDatabase(adminUrl, name);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe("migrate", () => {
  it("has migrations to test with", () => {
    expect(realMigrations.length).toBeGreaterThan(0);
  });

  it("applies every migration to a fresh database, recording it as Prisma does", async () => {
    const url = await scratchDatabase();
    const result = await migrate({ connectionString: url });

    expect(result).toEqual({ applied: realMigrations.map((m) => m.name), alreadyApplied: 0 });
    const rows = await bookkeeping(url);
    expect(rows.map((row) => row.migration_name)).toEqual(realMigrations.map((m) => m.name));
    for (const [index, row] of rows.entries()) {
      expect(row.checksum).toBe(realMigrations[index]?.sha256);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("applies nothing the second time", async () => {
    const url = await scratchDatabase();
    await migrate({ connectionString: url });
    const before = await bookkeeping(url);

    const lines: string[] = [];
    const result = await migrate({ connectionString: url, log: (line) => lines.push(line) });

    expect(result).toEqual({ applied: [], alreadyApplied: realMigrations.length });
    expect(lines).toEqual([]);
    expect(await bookkeeping(url)).toEqual(before);
  });

  it("refuses to run when an applied migration was changed", async () => {
    const url = await scratchDatabase();
    const dir = await copyOfMigrations();
    await migrate({ connectionString: url, dir });

    const changed = realMigrations.at(-1)!.name;
    const file = path.join(dir, changed, "migration.sql");
    await writeFile(file, `${await readFile(file, "utf8")}\n-- changed after it was applied\n`);

    const error = await migrate({ connectionString: url, dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(changed);
    expect((error as Error).message).toMatch(/was changed/);
    // Nothing was recorded for the changed file.
    expect((await bookkeeping(url)).map((row) => row.checksum)).toEqual(
      realMigrations.map((m) => m.sha256),
    );
  });

  it("rolls back a migration that fails, leaving nothing of it behind", async () => {
    const url = await scratchDatabase();
    const dir = await copyOfMigrations();
    const broken = "99991231235959_broken";
    await mkdir(path.join(dir, broken));
    await writeFile(
      path.join(dir, broken, "migration.sql"),
      `CREATE TABLE "MigratorTestProbe" ("id" INTEGER PRIMARY KEY);
       INSERT INTO "MigratorTestProbe" VALUES (1);
       SELECT * FROM "no_such_table_anywhere";`,
    );

    const error = await migrate({ connectionString: url, dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(broken);
    expect((error as Error).message).toMatch(/rolled back/);

    const [probe] = await query<{ table: string | null }>(
      url,
      `SELECT to_regclass('"MigratorTestProbe"')::text AS table`,
    );
    expect(probe?.table).toBeNull();
    const rows = await bookkeeping(url);
    expect(rows.map((row) => row.migration_name)).toEqual(realMigrations.map((m) => m.name));
    expect(rows.every((row) => row.finished_at !== null)).toBe(true);

    // Once the broken file is gone, the database is usable and up to date.
    await rm(path.join(dir, broken), { recursive: true });
    expect(await migrate({ connectionString: url, dir })).toEqual({
      applied: [],
      alreadyApplied: realMigrations.length,
    });
  });

  it("applies each migration exactly once when two processes migrate at the same time", async () => {
    const url = await scratchDatabase();
    const [first, second] = await Promise.all([
      migrate({ connectionString: url }),
      migrate({ connectionString: url }),
    ]);

    const appliedTotal = [...first.applied, ...second.applied].sort();
    expect(appliedTotal).toEqual(realMigrations.map((m) => m.name));

    const counts = await query<{ migration_name: string; count: number }>(
      url,
      `SELECT migration_name, count(*)::int AS count FROM "_prisma_migrations"
       GROUP BY migration_name ORDER BY migration_name`,
    );
    expect(counts).toEqual(realMigrations.map((m) => ({ migration_name: m.name, count: 1 })));
  });
});
