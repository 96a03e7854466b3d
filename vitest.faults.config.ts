import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * Fault-injection tests (tests/faults): real web and worker processes killed, their database
 * restarted, their SMTP server away, against a real database and SMTP server (docs/operations.md
 * lists them and their results). Slow, so not part of `npm test`; run with `npm run test:faults`.
 * Same per-file database setup as vitest.config.ts, one file at a time (each one loads the machine).
 */
export default defineConfig({
  resolve: {
    alias: [{ find: /^~\//, replacement: `${path.join(root, "app")}/` }],
  },
  test: {
    include: ["tests/faults/**/*.test.ts"],
    exclude: ["node_modules/**", "build/**", ".data/**"],
    globalSetup: ["tests/setup/global-setup.ts", "tests/faults/global-setup.ts"],
    setupFiles: ["tests/setup/setup-file.ts"],
    pool: "forks",
    isolate: true,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
