import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { createOrganiser, signIn, type DbClient } from "./helpers";

// Signing in by email and axe on every page take a good part of the default 30 s on a busy machine.
test.describe.configure({ timeout: 90_000 });

/** An organiser (or owner) of a fresh organisation, signed in. */
async function signedInOrganiser(
  page: Page,
  db: DbClient,
  readMail: Parameters<typeof signIn>[1],
  { owner = false }: { owner?: boolean } = {},
) {
  const organiser = await createOrganiser(db);
  if (owner) {
    await db.query(`UPDATE "Membership" SET role = 'OWNER' WHERE id = $1`, [
      `e2e_member_${organiser.suffix}`,
    ]);
  }
  await signIn(page, readMail, organiser.email);
  return { ...organiser, organisationId: `e2e_org_${organiser.suffix}` };
}

/** Nothing on the page is wider than a 360 px phone. */
async function expectFitsSmallPhone(page: Page) {
  await page.setViewportSize({ width: 360, height: 740 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);
}

test("an owner changes the quiet hours and sees them saved", async ({ page, db, readMail }) => {
  const owner = await signedInOrganiser(page, db, readMail, { owner: true });
  await page.goto("/org");
  await page.getByRole("link", { name: `Contact settings for ${owner.organisation}` }).click();
  await expect(page.getByRole("heading", { name: "Contact settings", level: 1 })).toBeVisible();
  await expect(page.getByLabel("Quiet from")).toHaveValue("21:00");
  await expect(page.getByText(/Sign-in codes are not affected/)).toBeVisible();

  // A bad value is explained and nothing is saved.
  await page.getByLabel("Quiet from").fill("22:00");
  await page.getByLabel("Most nudges a person gets in 7 days").fill("20");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(page.getByLabel("Most nudges a person gets in 7 days")).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  const unchanged = await db.query(`SELECT "quietStart" FROM "Organisation" WHERE id = $1`, [
    owner.organisationId,
  ]);
  expect(unchanged.rows[0]?.quietStart).toBe("21:00");

  await page.getByLabel("Most nudges a person gets in 7 days").fill("4");
  await page.getByLabel("Quiet from").fill("22:00");
  await page.getByLabel("Quiet until").fill("08:30");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Settings saved.")).toBeVisible();
  await expect(page.getByLabel("Quiet from")).toHaveValue("22:00");
  await expect(page.getByLabel("Quiet until")).toHaveValue("08:30");
  await expect(page.getByLabel("Most nudges a person gets in 7 days")).toHaveValue("4");
  const saved = await db.query(
    `SELECT "quietStart", "quietEnd", "weeklyCap" FROM "Organisation" WHERE id = $1`,
    [owner.organisationId],
  );
  expect(saved.rows[0]).toEqual({ quietStart: "22:00", quietEnd: "08:30", weeklyCap: 4 });
  await expectFitsSmallPhone(page);
});

test("an organiser changes a campaign's reminder hours", async ({ page, db, readMail }) => {
  const organiser = await signedInOrganiser(page, db, readMail);
  const campaignId = `e2e_campaign_${organiser.suffix}`;
  await db.query(
    `INSERT INTO "Campaign" (id, "organisationId", slug, title, description, "metricKey",
       "metricLabel", "metricUnit", target, "whyTakePart", "whatWeDo", "whatIsOpen", settings,
       "createdAt", "updatedAt")
     VALUES ($1, $2, $3, $4, 'Find the cold homes.', 'doors', 'doors knocked', 'doors', 100,
       'Why', 'What we do', 'What is open', '{"isPublicNote": "kept"}', now(), now())`,
    [campaignId, organiser.organisationId, `reminders-${organiser.suffix}`, "Warm Streets"],
  );
  await page.goto(`/org/campaigns/${campaignId}/edit`);
  const reminder = page.getByLabel("Reminder before the due date, in hours");
  await expect(reminder).toHaveValue("24");
  await expect(page.getByText("0 means no reminder.")).toBeVisible();

  await reminder.fill("lots");
  await page.getByRole("button", { name: "Save reminders" }).click();
  await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(reminder).toHaveAttribute("aria-invalid", "true");

  await reminder.fill("6");
  await page.getByRole("button", { name: "Save reminders" }).click();
  await expect(page.getByText("Reminders saved.")).toBeVisible();
  await expect(reminder).toHaveValue("6");
  const { rows } = await db.query(`SELECT settings FROM "Campaign" WHERE id = $1`, [campaignId]);
  expect(rows[0]?.settings).toEqual({
    isPublicNote: "kept",
    reminderHours: 6,
    overdueHours: 24,
    idleDays: 14,
    expireDays: 14,
  });
});

test("the people list shows a volunteer and links to their messages", async ({
  page,
  db,
  readMail,
}) => {
  const organiser = await signedInOrganiser(page, db, readMail);
  const suffix = randomBytes(4).toString("hex");
  const name = `Nadia ${suffix}`;
  await db.query(
    `INSERT INTO "User" (id, email, name, "channelPreference", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'BOTH', now(), now())`,
    [`e2e_volunteer_${suffix}`, `nadia-${suffix}@example.org`, name],
  );
  await db.query(
    `INSERT INTO "Membership" (id, "userId", "organisationId", role, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'VOLUNTEER', now(), now())`,
    [`e2e_vmember_${suffix}`, `e2e_volunteer_${suffix}`, organiser.organisationId],
  );

  await page.goto("/org");
  await page.getByRole("link", { name: `People in ${organiser.organisation}` }).click();
  await expect(page.getByRole("heading", { name: "People", level: 1 })).toBeVisible();
  await expect(page.getByText("2 people. Showing 1 to 2.")).toBeVisible();
  await expectFitsSmallPhone(page);

  await page.getByLabel("Search by name, email or phone").fill(`nadia-${suffix}@`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/[?&]q=nadia-/);
  await expect(page.getByText(/^1 person matching/)).toBeVisible();
  const card = page.getByRole("listitem").filter({ hasText: name });
  await expect(card).toContainText("Email and text");
  await expect(card).toContainText(/Open task\s*None/);

  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { name: `Messages to ${name}` })).toBeVisible();
  await page.getByRole("link", { name: "Back to people" }).click();
  await expect(page.getByRole("heading", { name: "People", level: 1 })).toBeVisible();
});
