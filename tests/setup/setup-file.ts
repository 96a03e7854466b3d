import { randomBytes } from "node:crypto";
import { format } from "node:util";
import { afterAll, afterEach, beforeEach, inject } from "vitest";
import { TEMPLATE_DATABASE, createDatabase, dropDatabase, withDatabase } from "./postgres.ts";

/**
 * Runs before every test file, in the file's own module graph and before the file imports any
 * app code: gives the file a fresh database cloned from the migrated template, and the
 * environment the app expects in tests.
 */

const adminUrl = inject("adminUrl");
const database = `onward_test_${inject("runTag")}_${randomBytes(5).toString("hex")}`;
await createDatabase(adminUrl, database, { template: TEMPLATE_DATABASE });

process.env.DATABASE_URL = withDatabase(adminUrl, database);
process.env.NODE_ENV = "test";
process.env.SESSION_SECRET = "onward-test-session-secret-0123456789abcdef";
process.env.APP_URL = "http://localhost:3000";
delete process.env.SMTP_URL;

afterAll(async () => {
  const clients = globalThis.__onwardDb;
  if (clients) {
    await clients.db.$disconnect();
    await clients.pool.end();
    globalThis.__onwardDb = undefined;
  }
  await dropDatabase(adminUrl, database);
});

// CONVENTIONS: "console.error during a test fails it". A test that expects an error logged
// replaces console.error itself (vi.spyOn(console, "error").mockImplementation(...)).
const originalConsoleError = console.error;
let consoleErrors: unknown[][] = [];

beforeEach(() => {
  consoleErrors = [];
  console.error = (...args: unknown[]) => {
    consoleErrors.push(args);
    originalConsoleError(...args);
  };
});

afterEach(() => {
  console.error = originalConsoleError;
  if (consoleErrors.length > 0) {
    const logged = consoleErrors.map((args) => `  - ${format(...args).split("\n")[0]}`).join("\n");
    consoleErrors = [];
    throw new Error(`console.error was called during this test:\n${logged}`);
  }
});
