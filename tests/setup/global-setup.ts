import { runMigrations } from "graphile-worker";
import type { TestProject } from "vitest/node";
import { migrate } from "../../prisma/migrator.ts";
import {
  TEMPLATE_DATABASE,
  createDatabase,
  dropDatabase,
  dropLeftoverTestDatabases,
  ensureTestPostgres,
  othersConnected,
  quoteIdent,
  runTag,
  withAdmin,
} from "./postgres.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** Admin connection to the test PostgreSQL: create and drop databases through it. */
    adminUrl: string;
    /** Goes into the name of every database this run creates (see postgres.ts). */
    runTag: string;
  }
}

const log = (line: string) => console.log(`[test-db] ${line}`);

/**
 * Once per `vitest run`: make sure PostgreSQL is there, build the migrated template database that
 * every test file clones, and hand the admin URL to the test files.
 */
export default async function setup(project: TestProject) {
  const postgres = await ensureTestPostgres({ log });
  const tag = runTag();
  try {
    await dropLeftoverTestDatabases(postgres.adminUrl, { ownTag: tag, keep: [TEMPLATE_DATABASE] });
    await buildTemplate(postgres.adminUrl, postgres.urlFor, tag);
  } catch (error) {
    await postgres.stop().catch(() => {});
    throw error;
  }

  project.provide("adminUrl", postgres.adminUrl);
  project.provide("runTag", tag);

  return async function teardown() {
    try {
      await dropLeftoverTestDatabases(postgres.adminUrl, {
        ownTag: tag,
        keep: [TEMPLATE_DATABASE],
      });
    } finally {
      // Another run started while this one was going may be using the same embedded server.
      if (postgres.embedded && (await othersConnected(postgres.adminUrl).catch(() => false))) {
        log("another test run is using PostgreSQL: leaving it running");
      } else {
        await postgres.stop();
      }
    }
  };
}

/**
 * Migrates a fresh database under a name of this run's own, then swaps it in as the template, so
 * a run going on at the same time on the same server never clones a half-migrated template.
 */
async function buildTemplate(adminUrl: string, urlFor: (db: string) => string, tag: string) {
  const building = `onward_test_tpl_${tag}`;
  await dropDatabase(adminUrl, building);
  await createDatabase(adminUrl, building);
  try {
    const started = Date.now();
    const { applied } = await migrate({ connectionString: urlFor(building) });
    // graphile-worker's schema too, so graphile_worker.add_job exists in every test database.
    await runMigrations({ connectionString: urlFor(building) });
    log(`template migrated (${applied.length} migrations, ${Date.now() - started} ms)`);
  } catch (error) {
    await dropDatabase(adminUrl, building).catch(() => {});
    throw error;
  }
  await withAdmin(adminUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(TEMPLATE_DATABASE)} WITH (FORCE)`);
        await client.query(
          `ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(TEMPLATE_DATABASE)}`,
        );
        return;
      } catch (error) {
        // Another run swapped its template in between our drop and our rename: go again.
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  });
}
