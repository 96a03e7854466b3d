import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { createOrganiser, nameTag, signIn } from "./helpers";

/**
 * A volunteer on their phone looks after their own data: joins the demo campaign, downloads
 * everything we hold about them, stops emails with one tap, then deletes their account. With
 * JavaScript on (axe checks every page) and off. Then an owner reads the audit log.
 */

async function join(page: Page, name: string, email: string) {
  await page.goto("/join/warmer-homes");
  await expect(page.getByRole("link", { name: "How we use your data" }).first()).toBeVisible();
  await page.getByLabel("Your first name").fill(name);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Postcode").fill("ls6 1aa");
  await page.getByLabel("By email", { exact: true }).check();
  await page.getByRole("button", { name: "Join and get my first task" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Knock on 20 doors" })).toBeVisible();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("download my data, stop emails, delete my account", async ({ page, db }) => {
      // Six pages, each checked by axe, on a shared machine.
      test.setTimeout(120_000);
      const name = `Priv${nameTag()}`;
      const email = `${name.toLowerCase()}@example.org`;
      await join(page, name, email);

      await page.getByRole("link", { name: "Account" }).click();
      await expect(page.getByRole("heading", { level: 1, name: `Hello, ${name}` })).toBeVisible();
      await expect(page.getByRole("heading", { level: 3, name: "Emails: on" })).toBeVisible();
      await expect(
        page.getByText(/^You said yes on .*When you joined Warmer Homes for Greenfield/),
      ).toBeVisible();

      // Download my data: a JSON file with my account, task and consent in it.
      const downloading = page.waitForEvent("download");
      await page.getByRole("link", { name: "Download your data" }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toMatch(/^onward-your-data-\d{4}-\d{2}-\d{2}\.json$/);
      const exported = JSON.parse(await readFile((await download.path())!, "utf8")) as {
        account: { name: string; email: string; postcode: string };
        tasks: Array<{ task: string; status: string }>;
        consents: Array<{ channel: string; granted: boolean }>;
      };
      expect(exported.account).toMatchObject({ name, email, postcode: "LS6 1AA" });
      expect(exported.tasks).toEqual([
        expect.objectContaining({ task: "Knock on 20 doors", status: "ASSIGNED" }),
      ]);
      expect(exported.consents).toEqual([
        expect.objectContaining({ channel: "EMAIL", granted: true }),
      ]);

      // Stop emails: one tap, honoured and recorded at once.
      await page.getByRole("button", { name: "Stop emails" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Done." })).toContainText(
        "We won't send you any more emails",
      );
      await expect(page.getByRole("heading", { level: 3, name: "Emails: off" })).toBeVisible();
      const consent = await db.query(
        `SELECT c.granted, c.source FROM "Consent" c JOIN "User" u ON u.id = c."userId"
         WHERE u.email = $1 ORDER BY c."createdAt" DESC, c.id DESC LIMIT 1`,
        [email],
      );
      expect(consent.rows).toEqual([{ granted: false, source: "account page" }]);
      const { rows } = await db.query(`SELECT id FROM "User" WHERE email = $1`, [email]);
      const userId = String(rows[0]?.id);

      // The privacy page, from the account page.
      await page.getByRole("link", { name: "How we use your data" }).first().click();
      await expect(
        page.getByRole("heading", { level: 1, name: "How we use your data" }),
      ).toBeVisible();
      await expect(page.getByText("180 days")).toBeVisible();
      await page.goBack();

      // Delete my account.
      await page.getByRole("link", { name: "Delete your account" }).click();
      await expect(
        page.getByRole("heading", { level: 1, name: "Delete your account" }),
      ).toBeVisible();
      await expect(page.getByText("This can't be undone.")).toBeVisible();
      await page.getByRole("button", { name: "Delete my account" }).click();
      await expect(
        page.getByRole("heading", { level: 1, name: "Your account is deleted" }),
      ).toBeVisible();
      await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

      const user = await db.query(
        `SELECT name, email, phone, postcode, district, "deletedAt" IS NOT NULL AS deleted
         FROM "User" WHERE id = $1`,
        [userId],
      );
      expect(user.rows).toEqual([
        { name: null, email: null, phone: null, postcode: null, district: "LS6", deleted: true },
      ]);
      const open = await db.query(
        `SELECT count(*)::int AS n FROM "Assignment" WHERE "userId" = $1 AND status = 'ASSIGNED'`,
        [userId],
      );
      expect(open.rows).toEqual([{ n: 0 }]);

      // Signed out: the account page now asks to sign in.
      await page.goto("/account");
      await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
    });
  });
}

test("an owner reads the audit log and narrows it to downloads", async ({ page, db, readMail }) => {
  test.setTimeout(120_000);
  const { email, suffix } = await createOrganiser(db);
  await db.query(`UPDATE "Membership" SET role = 'OWNER' WHERE id = $1`, [`e2e_member_${suffix}`]);
  await db.query(
    `INSERT INTO "AuditEvent" (id, "organisationId", "actorId", action, "subjectType", "subjectId", detail, "createdAt")
     VALUES ($1, $2, $3, 'export.reports_csv', 'Campaign', 'gone', '{"filters":{"area":"LS6"}}', now() - interval '1 hour'),
            ($4, $2, $3, 'organisation.settings_updated', 'Organisation', $2,
             '{"changed":{"weeklyCap":{"from":3,"to":2}}}', now())`,
    [`e2e_audit_a_${suffix}`, `e2e_org_${suffix}`, `e2e_user_${suffix}`, `e2e_audit_b_${suffix}`],
  );
  await signIn(page, readMail, email);
  await page.goto("/org");
  await page.getByRole("link", { name: /^Audit log/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  const rows = page.getByRole("region", { name: "Audit events, newest first" }).getByRole("row");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText("Changed the contact settings");
  await expect(rows.nth(1)).toContainText("weeklyCap: 3 → 2");
  await expect(rows.nth(2)).toContainText("Downloaded reports (CSV)");

  await page.getByLabel("What happened").selectOption({ label: "Downloaded reports (CSV)" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("status")).toHaveText("1 event. Page 1 of 1.");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText("filtered by area LS6");
});
