import { defineConfig, devices } from "@playwright/test";

const BASE_URL = `http://127.0.0.1:${process.env.E2E_PORT ?? 3123}`;

/** Debian's Chromium: never `playwright install` (no internet on CI machines). */
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export default defineConfig({
  testDir: "tests/e2e",
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  reporter: "list",
  forbidOnly: Boolean(process.env.CI),
  globalSetup: "./tests/e2e/global-setup.ts",
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "phone",
      use: { ...devices["Pixel 7"], browserName: "chromium", launchOptions },
    },
    {
      name: "desktop",
      use: { ...devices["Desktop Chrome"], launchOptions },
    },
  ],
  webServer: {
    command: "node --import tsx tests/e2e/start-server.ts",
    url: `${BASE_URL}/healthz`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "pipe",
    // Let the server (and an embedded PostgreSQL it started) shut down cleanly.
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
