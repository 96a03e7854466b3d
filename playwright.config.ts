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

/**
 * Which device each spec runs on (ADR 022). Volunteers are on phones and organisers at desks: a
 * spec about one of them runs on that one's device, and a spec about both, or about signing in,
 * runs on both. Organiser specs still check their pages at 360 px wide.
 */
const ORGANISER_SPECS = [
  "campaign-builder",
  "exports",
  "inbox",
  "org-settings",
  "reports",
  "teams",
  "updates",
  "webhooks",
].map((name) => `${name}.spec.ts`);
const VOLUNTEER_SPECS = ["offline", "privacy", "public-outcomes", "unsubscribe"].map(
  (name) => `${name}.spec.ts`,
);

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
      testIgnore: ORGANISER_SPECS,
      use: { ...devices["Pixel 7"], browserName: "chromium", launchOptions },
    },
    {
      name: "desktop",
      testIgnore: VOLUNTEER_SPECS,
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
