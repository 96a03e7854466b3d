import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  resolve: {
    alias: [{ find: /^~\//, replacement: `${path.join(root, "app")}/` }],
  },
  test: {
    include: [
      "app/**/*.test.{ts,tsx}",
      "tests/integration/**/*.test.ts",
      "jobs/**/*.test.ts",
      "emails/**/*.test.tsx",
      "prisma/**/*.test.ts",
    ],
    exclude: ["tests/e2e/**", "node_modules/**", "build/**", ".data/**"],
    globalSetup: ["tests/setup/global-setup.ts"],
    setupFiles: ["tests/setup/setup-file.ts"],
    // Each test file runs in its own process with its own database (see tests/setup).
    // Vitest's default is one file per core but one; at least two here even on two cores: much of
    // a file's time is spent waiting for PostgreSQL, and on two cores the whole run took 184 s
    // instead of 238 s with one.
    pool: "forks",
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
  },
});
