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
    // Vitest's default worker count (available cores - 1, at least 1) suits a 2-core machine.
    pool: "forks",
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
  },
});
