import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Prisma } from "~/generated/prisma/client.ts";
import { db, isUniqueViolation, sqlTransaction } from "~/utils/db.server.ts";
import { PREPARED, preparedName } from "~/utils/prepared.ts";

/**
 * sqlTransaction, the report's transaction on a pg connection (ADR 021): one transaction, its
 * marked statements prepared once per connection, and nothing kept when it fails.
 */

const key = () => `sqltx_${randomUUID()}`;

describe("sqlTransaction", () => {
  it("prepares a marked statement once on its connection and runs it again from there", async () => {
    const marked = Prisma.sql`${PREPARED}SELECT ${"a"}::text || ${"b"}::text AS joined`;
    const { rows, prepared } = await sqlTransaction(async (tx) => {
      const first = await tx.$queryRaw<Array<{ joined: string }>>(marked);
      const second = await tx.$queryRaw<
        Array<{ joined: string }>
      >`${PREPARED}SELECT ${"c"}::text || ${"d"}::text AS joined`;
      // An unmarked statement stays unnamed: PostgreSQL keeps nothing of it.
      await tx.$queryRaw`SELECT ${1}::int AS one`;
      const statements = await tx.$queryRaw<
        Array<{ name: string; runs: number }>
      >`SELECT name, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements`;
      return { rows: [...first, ...second], prepared: statements };
    });
    expect(rows).toEqual([{ joined: "ab" }, { joined: "cd" }]);
    const name = preparedName(marked.text)!;
    expect(name).toMatch(/^onward-[0-9a-f]{20}$/);
    expect(prepared.find((statement) => statement.name === name)?.runs).toBeGreaterThanOrEqual(2);
    expect(prepared.every((statement) => statement.name.startsWith("onward-"))).toBe(true);
    expect(preparedName("SELECT 1")).toBeUndefined();
  });

  it("commits when the work resolves and keeps nothing when it throws", async () => {
    const kept = key();
    const dropped = key();
    await sqlTransaction(
      (tx) => tx.$executeRaw`INSERT INTO rate_limits (key, points) VALUES (${kept}, 1)`,
    );
    const failure = new Error("changed my mind");
    await expect(
      sqlTransaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO rate_limits (key, points) VALUES (${dropped}, 1)`;
        throw failure;
      }),
    ).rejects.toBe(failure);
    const found = await db.$queryRaw<Array<{ key: string }>>`
      SELECT key FROM rate_limits WHERE key IN (${kept}, ${dropped})`;
    expect(found).toEqual([{ key: kept }]);
    await db.$executeRaw`DELETE FROM rate_limits WHERE key = ${kept}`;
  });

  it("reports a unique index refusing a write as such, and rolls the rest back", async () => {
    const taken = key();
    const other = key();
    await db.$executeRaw`INSERT INTO rate_limits (key, points) VALUES (${taken}, 1)`;
    const error = await sqlTransaction(async (tx) => {
      await tx.$executeRaw`INSERT INTO rate_limits (key, points) VALUES (${other}, 1)`;
      await tx.$executeRaw`INSERT INTO rate_limits (key, points) VALUES (${taken}, 1)`;
    }).catch((caught: unknown) => caught);
    expect(isUniqueViolation(error)).toBe(true);
    const found = await db.$queryRaw<Array<{ key: string }>>`
      SELECT key FROM rate_limits WHERE key IN (${taken}, ${other})`;
    expect(found).toEqual([{ key: taken }]);
    await db.$executeRaw`DELETE FROM rate_limits WHERE key = ${taken}`;
  });
});
