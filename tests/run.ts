import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

/**
 * `npm test`: typecheck, lint, Vitest (unit + integration on a real PostgreSQL) and Playwright
 * (Chromium, phone and desktop). Stops at the first failing step and ends with one line:
 * "Tests: N passed, N failed".
 */
// Outside test-results/, which Playwright empties when it starts.
const reports = path.resolve(".cache/test-summary");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const vitestJson = path.join(reports, "vitest.json");
const playwrightJson = path.join(reports, "playwright.json");

const steps: Array<{ name: string; args: string[]; env?: Record<string, string> }> = [
  { name: "Typecheck", args: ["tsc", "--noEmit"] },
  { name: "Lint", args: ["eslint", ".", "--max-warnings=0"] },
  {
    name: "Unit and integration tests",
    args: [
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${vitestJson}`,
    ],
  },
  {
    name: "End-to-end tests",
    args: ["playwright", "test", "--reporter=list,json"],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson },
  },
];

function counts(): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  if (existsSync(vitestJson)) {
    const report = JSON.parse(readFileSync(vitestJson, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
    };
    passed += report.numPassedTests;
    failed += report.numFailedTests;
  }
  if (existsSync(playwrightJson)) {
    const report = JSON.parse(readFileSync(playwrightJson, "utf8")) as {
      stats: { expected: number; unexpected: number; flaky: number };
    };
    passed += report.stats.expected;
    failed += report.stats.unexpected + report.stats.flaky;
  }
  return { passed, failed };
}

let failedStep: string | null = null;
for (const step of steps) {
  console.log(`\n== ${step.name} ==`);
  const started = Date.now();
  const result = spawnSync("npx", ["--no-install", ...step.args], {
    stdio: "inherit",
    env: { ...process.env, ...step.env },
  });
  console.log(
    `== ${step.name}: ${result.status === 0 ? "ok" : "FAILED"} in ${Math.round((Date.now() - started) / 1000)} s ==`,
  );
  if (result.status !== 0) {
    failedStep = step.name;
    break;
  }
}

const { passed, failed } = counts();
if (failedStep) console.log(`\n${failedStep} failed.`);
console.log(`\nTests: ${passed} passed, ${failed + (failedStep && failed === 0 ? 1 : 0)} failed`);
process.exit(failedStep ? 1 : 0);
