import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Page } from "@playwright/test";
import pg from "pg";
import type { CapturedMailJson } from "../setup/smtp.ts";

/**
 * Use these instead of @playwright/test's own:
 *
 *   import { test, expect } from "./fixtures.ts";
 *
 * - Every page load in a test is checked with axe (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA); the test
 *   fails listing the violations. `test.use({ a11y: false })` turns this off for a file.
 * - `readMail(to)` returns the newest mail to that address received since the test started, as
 *   written by the SMTP capture (tests/e2e/global-setup.ts).
 * - `db` is a pg.Client on the e2e database, e.g. for SMS codes in the "Message" table.
 */

const E2E_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../.e2e",
  process.env.E2E_PORT ?? "3123",
);
const MAIL_DIR = path.join(E2E_DIR, "mail");
const DATABASE_URL_FILE = path.join(E2E_DIR, "database-url");

export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

export type CapturedMail = CapturedMailJson;

export type ReadMail = (
  to: string,
  options?: {
    timeoutMs?: number;
    /** Ignore mail received before this; defaults to the start of the test. `null`: any. */
    since?: Date | number | null;
    /** The same as `since`. */
    after?: Date | number | null;
  },
) => Promise<CapturedMail>;

type Violation = {
  url: string;
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  targets: string[];
};

type Fixtures = {
  /** Option: check every page load with axe. */
  a11y: boolean;
  /** Automatic: runs the axe checks. */
  axeOnLoad: void;
  readMail: ReadMail;
  db: pg.Client;
};

/** Errors meaning the page went away or moved on while axe ran; the next load is checked. */
const GONE =
  /Target page, context or browser has been closed|Execution context was destroyed|navigat|frame was detached|Target closed/i;

export const test = base.extend<Fixtures>({
  a11y: [true, { option: true }],

  // A client address of the test's own (the e2e server trusts X-Forwarded-For): rate limits per
  // address then apply to one test, as they would to one visitor.
  extraHTTPHeaders: async ({ extraHTTPHeaders }, use, testInfo) => {
    const hash = createHash("sha256").update(`${testInfo.testId}:${testInfo.retry}`).digest();
    await use({
      ...extraHTTPHeaders,
      "X-Forwarded-For": `10.${hash[0]}.${hash[1]}.${hash[2]}`,
    });
  },

  axeOnLoad: [
    async ({ page, a11y, javaScriptEnabled }, use, testInfo) => {
      // axe runs inside the page, which a JavaScript-off browser refuses; the same pages are
      // checked by the JavaScript-on runs of each flow.
      if (!a11y || !javaScriptEnabled) {
        await use();
        return;
      }
      const violations = new Map<string, Violation>();
      const pending = new Set<Promise<void>>();
      const queues = new WeakMap<Page, Promise<void>>();
      const watched = new WeakSet<Page>();

      const scan = async (target: Page) => {
        if (target.isClosed()) return;
        const url = target.url();
        if (!/^https?:/.test(url)) return;
        try {
          // A JSON or text response shown by the browser is not a page of ours.
          const contentType = await target.evaluate(() => document.contentType);
          if (contentType !== "text/html") return;
          const results = await new AxeBuilder({ page: target }).withTags(AXE_TAGS).analyze();
          for (const violation of results.violations) {
            const key = `${new URL(url).pathname} ${violation.id}`;
            if (violations.has(key)) continue;
            violations.set(key, {
              url,
              id: violation.id,
              impact: violation.impact ?? "unknown",
              help: violation.help,
              helpUrl: violation.helpUrl,
              targets: violation.nodes.map((node) => node.target.map(String).join(" ")),
            });
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (target.isClosed() || GONE.test(message)) return;
          testInfo.annotations.push({
            type: "warning",
            description: `axe could not check ${url}: ${message}`,
          });
        }
      };

      const onLoad = (target: Page) => {
        // One scan at a time per page, in load order.
        const next = (queues.get(target) ?? Promise.resolve()).then(() => scan(target));
        queues.set(target, next);
        pending.add(next);
        void next.finally(() => pending.delete(next));
      };
      const watch = (target: Page) => {
        if (watched.has(target)) return;
        watched.add(target);
        target.on("load", () => onLoad(target));
      };
      watch(page);
      page.context().on("page", watch);
      // axe finishes each check in a page of its own in this context, then closes it. A context
      // going offline while that page closes fails ("Target page, context or browser has been
      // closed"), so going offline or online waits for the checks under way.
      const context = page.context();
      const setOffline = context.setOffline.bind(context);
      context.setOffline = async (offline: boolean) => {
        while (pending.size > 0) await Promise.allSettled([...pending]);
        return setOffline(offline);
      };

      await use();

      while (pending.size > 0) await Promise.allSettled([...pending]);
      if (violations.size > 0) {
        const report = [...violations.values()]
          .map(
            (v) =>
              `- ${v.id} (${v.impact}) on ${v.url}: ${v.help}\n    ${v.helpUrl}\n` +
              v.targets.map((target) => `    target: ${target}`).join("\n"),
          )
          .join("\n");
        throw new Error(`Accessibility violations (axe, ${AXE_TAGS.join(", ")}):\n${report}`);
      }
    },
    { auto: true },
  ],

  // eslint-disable-next-line no-empty-pattern
  readMail: async ({}, use) => {
    const testStartedAt = Date.now();
    await use(async (to, { timeoutMs = 10_000, since, after: afterOption } = {}) => {
      const address = to.toLowerCase();
      const from =
        since !== undefined ? since : afterOption !== undefined ? afterOption : testStartedAt;
      const after = from === null ? 0 : new Date(from).getTime();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const files = (await readdir(MAIL_DIR).catch(() => [] as string[]))
          .filter((name) => name.endsWith(".json"))
          .sort()
          .reverse();
        for (const file of files) {
          const mail = JSON.parse(
            await readFile(path.join(MAIL_DIR, file), "utf8"),
          ) as CapturedMail;
          if (new Date(mail.receivedAt).getTime() < after) break;
          if (mail.to.includes(address)) return mail;
        }
        if (Date.now() >= deadline) {
          throw new Error(
            `No mail to ${to} arrived within ${timeoutMs} ms (looked in ${MAIL_DIR}).`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
  },

  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const connectionString = (await readFile(DATABASE_URL_FILE, "utf8")).trim();
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await use(client);
    } finally {
      await client.end();
    }
  },
});

export { expect };
