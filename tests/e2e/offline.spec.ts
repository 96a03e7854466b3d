import AxeBuilder from "@axe-core/playwright";
import type { BrowserContext, Page } from "@playwright/test";
import { PAGES_CACHE } from "../../app/enhance/protocol.ts";
import { AXE_TAGS, expect, test } from "./fixtures";
import { nameTag } from "./helpers";
import type { DbClient } from "./helpers";

/**
 * Reporting back without signal (docs/decisions/011): the service worker keeps a volunteer's task
 * and report form on the phone after one visit; a report sent offline waits in IndexedDB with its
 * idempotency key and is sent when the connection is back, recorded once as OFFLINE_SYNC. Runs on
 * the Pixel 7 project (and on the desktop one).
 */

const SAVED = "Saved on this phone. It will be sent when you're back online.";

// Each test joins, waits for the service worker, and goes offline and back: longer than most.
test.describe.configure({ timeout: 120_000 });

/** Joins the seeded demo campaign as someone new; ends on their first task. Returns its id. */
async function join(page: Page) {
  const name = `Off${nameTag()}`;
  await page.goto("/join/warmer-homes");
  await page.getByLabel("Your first name").fill(name);
  await page.getByLabel("Email address").fill(`${name.toLowerCase()}@example.org`);
  await page.getByLabel("Postcode").fill("LS6 1AA");
  await page.getByLabel("By email", { exact: true }).check();
  await page.getByRole("button", { name: "Join and get my first task" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Knock on 20 doors" })).toBeVisible();
  const id = /^\/tasks\/([^/]+)$/.exec(new URL(page.url()).pathname)?.[1];
  if (!id) throw new Error(`Not on a task page: ${page.url()}`);
  return id;
}

/**
 * Waits until the service worker controls the page, has settled, and keeps these pages for
 * offline use.
 */
async function expectKeptOffline(page: Page, paths: string[]) {
  await expect
    .poll(
      () =>
        page.evaluate(async (wanted) => {
          if (!navigator.serviceWorker?.controller) return false;
          // Settled: no worker still installing or waiting, so going offline (which Playwright
          // applies to each service worker too) never meets one coming or going.
          const registration = await navigator.serviceWorker.getRegistration();
          if (!registration || registration.installing || registration.waiting) return false;
          if (registration.active?.state !== "activated") return false;
          for (const path of wanted) {
            if (!(await caches.match(new URL(path, location.href).href))) return false;
          }
          return true;
        }, paths),
      { timeout: 20_000 },
    )
    .toBe(true);
}

async function fillDoorsReport(page: Page, doors: string) {
  await page.getByLabel("How many doors did you knock on?").fill(doors);
  await page.getByLabel("It went well").check();
  await page
    .getByRole("group", { name: /Would you lead a small team/ })
    .getByLabel("No")
    .check();
}

async function reportsFor(db: DbClient, assignmentId: string) {
  const { rows } = await db.query(
    `SELECT source, "idempotencyKey", "values" FROM "Report" WHERE "assignmentId" = $1`,
    [assignmentId],
  );
  return rows;
}

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

/** Opens the task's report form from the task page while offline: it comes from the phone. */
async function openReportOffline(page: Page, context: BrowserContext, assignmentId: string) {
  await expectKeptOffline(page, [`/tasks/${assignmentId}`, `/tasks/${assignmentId}/report`]);
  await context.setOffline(true);
  await page.getByRole("link", { name: "Report back" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Report back" })).toBeVisible();
  await expect(page.getByText("You're offline.")).toBeVisible();
}

test("a report made offline waits on the phone, is sent once back online, and the next task follows", async ({
  page,
  context,
  db,
}) => {
  const assignmentId = await join(page);
  await openReportOffline(page, context, assignmentId);
  const key = await page.locator('input[name="idempotencyKey"]').inputValue();

  await fillDoorsReport(page, "24");
  await page.getByRole("button", { name: "Send my report" }).click();
  await expect(page.getByText(SAVED)).toBeVisible();
  await expect(page.getByText(SAVED)).toBeFocused();
  await expect(page.getByRole("button", { name: "Send my report" })).toBeHidden();
  await expectAccessible(page);
  expect(await reportsFor(db, assignmentId)).toEqual([]);

  // Reloading without a connection: the page and the waiting report are both still there.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Report back" })).toBeVisible();
  await expect(page.getByText(SAVED)).toBeVisible();
  await expect(page.getByRole("button", { name: "Send my report" })).toBeHidden();
  expect(await reportsFor(db, assignmentId)).toEqual([]);

  await context.setOffline(false);
  await expect(
    page.getByText("Your report on “Knock on 20 doors” was sent. Thank you!"),
  ).toBeVisible();
  await expect(page.getByText(SAVED)).toBeHidden();
  await expectAccessible(page);
  expect(await reportsFor(db, assignmentId)).toEqual([
    {
      source: "OFFLINE_SYNC",
      idempotencyKey: key,
      values: { doors: 24, outcome: "It went well", would_lead: false },
    },
  ]);

  await page.getByRole("link", { name: "See what's next" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Thank you!" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Your next task" })).toBeVisible();
  await expect(page.getByText("Run a street stall")).toBeVisible();

  // Another visit sends nothing again.
  await page.goto("/me");
  await expect(page.getByRole("link", { name: "Run a street stall" })).toBeVisible();
  await expect(page.getByText("You've sent 1 report.")).toBeVisible();
  expect(await reportsFor(db, assignmentId)).toHaveLength(1);

  // Signing out takes this person's pages off the phone.
  const keptPages = () =>
    page.evaluate(async (name) => (await (await caches.open(name)).keys()).length, PAGES_CACHE);
  expect(await keptPages()).toBeGreaterThan(0);
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByText("You are signed out.")).toBeVisible();
  await expect.poll(keptPages).toBe(0);
});

test("a report whose task was reported elsewhere meanwhile is shown as refused, with what to do", async ({
  page,
  context,
  browser,
  db,
}) => {
  const assignmentId = await join(page);
  await openReportOffline(page, context, assignmentId);
  await fillDoorsReport(page, "30");
  await page.getByRole("button", { name: "Send my report" }).click();
  await expect(page.getByText(SAVED)).toBeVisible();

  // Meanwhile the same person reports on another device that has signal.
  const laptop = await browser.newContext({ storageState: await context.storageState() });
  const other = await laptop.newPage();
  await other.goto(`/tasks/${assignmentId}/report`);
  await fillDoorsReport(other, "12");
  await other.getByRole("button", { name: "Send my report" }).click();
  await expect(other.getByRole("heading", { level: 1, name: "Thank you!" })).toBeVisible();
  await laptop.close();

  await context.setOffline(false);
  await expect(
    page.getByText("We couldn't send your report on “Knock on 20 doors”."),
  ).toBeVisible();
  await expect(
    page.getByText(/^You reported back on this task on .+\. Thank you\.$/),
  ).toBeVisible();
  await expect(
    page.getByText("If you already reported back another way, there's nothing more to do.", {
      exact: false,
    }),
  ).toBeVisible();
  await expectAccessible(page);

  // It stays until the person has seen it and says so, on whichever volunteer page they open.
  await page.goto("/me");
  await expect(
    page.getByText("We couldn't send your report on “Knock on 20 doors”."),
  ).toBeVisible();
  await page.getByRole("button", { name: "Remove it from this phone" }).click();
  await expect(page.getByText("We couldn't send your report")).toBeHidden();
  await page.reload();
  await expect(page.getByText("We couldn't send your report")).toBeHidden();

  const reports = await reportsFor(db, assignmentId);
  expect(reports).toHaveLength(1);
  expect(reports[0]).toMatchObject({ source: "WEB", values: { doors: 12 } });
});

test("a report whose POST is lost on the way is kept by the service worker and sent later", async ({
  page,
  context,
  db,
}) => {
  const assignmentId = await join(page);
  await openReportOffline(page, context, assignmentId);
  await fillDoorsReport(page, "21");
  // The form goes to the network as a plain POST (HTMLFormElement.submit skips the page script's
  // submit handler), as it does when the connection drops after the page thought it was online.
  await page.evaluate(() => {
    const form = document.querySelector<HTMLFormElement>("form[data-offline-report]");
    HTMLFormElement.prototype.submit.call(form);
  });
  await expect(page).toHaveURL(new RegExp(`/tasks/${assignmentId}/report\\?saved=1$`));
  await expect(page.getByText(SAVED)).toBeVisible();
  expect(await reportsFor(db, assignmentId)).toEqual([]);

  // A page that was never kept on the phone says so plainly.
  await page.goto(`/tasks/${assignmentId}/skip`);
  await expect(page.getByRole("heading", { level: 1, name: "You're offline" })).toBeVisible();
  await expect(page.getByText("This page isn't saved on this phone yet.")).toBeVisible();
  await page.goto(`/tasks/${assignmentId}/report`);
  await expect(page.getByText(SAVED)).toBeVisible();

  await context.setOffline(false);
  await expect(
    page.getByText("Your report on “Knock on 20 doors” was sent. Thank you!"),
  ).toBeVisible();
  const reports = await reportsFor(db, assignmentId);
  expect(reports).toHaveLength(1);
  expect(reports[0]).toMatchObject({ source: "OFFLINE_SYNC", values: { doors: 21 } });
});
