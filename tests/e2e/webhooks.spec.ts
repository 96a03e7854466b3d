import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { createOrganiser, signIn } from "./helpers";

// Signing in by email and axe on every page take a good part of the default 30 s on a busy machine.
test.describe.configure({ timeout: 90_000 });

/** Nothing on the page is wider than a 360 px phone. */
async function expectFitsSmallPhone(page: Page) {
  await page.setViewportSize({ width: 360, height: 740 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("an owner adds a webhook, sends it a test event and sees the delivery in its log", async ({
      page,
      db,
      readMail,
    }) => {
      const owner = await createOrganiser(db);
      await db.query(`UPDATE "Membership" SET role = 'OWNER' WHERE id = $1`, [
        `e2e_member_${owner.suffix}`,
      ]);
      await signIn(page, readMail, owner.email);
      await page.goto(`/org/settings?org=e2e_org_${owner.suffix}`);
      await page.getByRole("link", { name: "Manage webhooks" }).click();
      await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

      // A deployment takes https only; the address is explained and nothing is added.
      await page.getByLabel("Address").fill(`http://hooks-${owner.suffix}.example.invalid/onward`);
      await page.getByRole("button", { name: "Add webhook" }).click();
      await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
      await expect(page.getByText(/must start with https:\/\//).first()).toBeVisible();

      // An address that will never answer: the delivery is tried, and waits to be tried again.
      const url = `https://hooks-${owner.suffix}.example.invalid/onward`;
      await page.getByLabel("Address").fill(url);
      await page.getByLabel("Your team answers a contribution").uncheck();
      await page.getByRole("button", { name: "Add webhook" }).click();
      await expect(page.getByText("Copy its signing secret into your receiver now")).toBeVisible();
      await expect(page.getByText(/^whsec_[A-Za-z0-9_-]{43}$/)).toBeVisible();
      await expectFitsSmallPhone(page);

      await page.getByRole("link", { name: "the webhook's page" }).click();
      await expect(page.getByRole("heading", { name: `Webhook: ${url}`, level: 1 })).toBeVisible();
      await page.getByRole("button", { name: "Send a test event" }).click();
      await expect(page.getByText("Test event sent.")).toBeVisible();
      // The worker runs in the server: reload until the first attempt is in the log.
      await expect(async () => {
        await page.reload();
        await expect(
          page.getByRole("heading", { name: "Test event: Waiting to try again" }),
        ).toBeVisible({
          timeout: 1_000,
        });
      }).toPass({ timeout: 30_000 });
      await expect(page.getByText("1 of 8")).toBeVisible();
      await expect(page.getByText(/Could not connect|No answer within/)).toBeVisible();
      await expectFitsSmallPhone(page);
    });
  });
}
