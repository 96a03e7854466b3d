import { randomBytes } from "node:crypto";
import type { Browser, Page } from "@playwright/test";
import { expect, type CapturedMail, type ReadMail } from "./fixtures";

/** Shared steps for end-to-end specs. */

export type DbClient = {
  query: (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;
};

/** An organiser of a fresh organisation, made directly in the database. */
export async function createOrganiser(
  db: DbClient,
  { organisationId }: { organisationId?: string } = {},
) {
  const suffix = randomBytes(4).toString("hex");
  const email = `organiser-${suffix}@example.org`;
  const organisation = `Builders ${suffix}`;
  await db.query(
    `INSERT INTO "User" (id, email, name, "channelPreference", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'EMAIL', now(), now())`,
    [`e2e_user_${suffix}`, email, `Organiser ${suffix}`],
  );
  if (!organisationId) {
    await db.query(
      `INSERT INTO "Organisation" (id, name, slug, "createdAt", "updatedAt")
       VALUES ($1, $2, $3, now(), now())`,
      [`e2e_org_${suffix}`, organisation, `builders-${suffix}`],
    );
  }
  await db.query(
    `INSERT INTO "Membership" (id, "userId", "organisationId", role, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'ORGANISER', now(), now())`,
    [`e2e_member_${suffix}`, `e2e_user_${suffix}`, organisationId ?? `e2e_org_${suffix}`],
  );
  return { email, organisation, suffix };
}

export async function signIn(page: Page, readMail: ReadMail, email: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email address or mobile number").fill(email);
  await page.getByRole("button", { name: "Send me a sign-in message" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const mail = await readMail(email);
  const match = /(https?:\/\/\S+\/auth\/verify\?token=[\w-]+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`No sign-in link in: ${mail.text}`);
  const url = new URL(match[1]);
  await page.goto(url.pathname + url.search);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((next) => !next.pathname.startsWith("/auth"));
  await expect(page.getByRole("link", { name: "Campaigns" })).toBeVisible();
}

/** The next mail to `to` since `since` whose subject matches (others to them are passed over). */
export async function mailWithSubject(
  readMail: ReadMail,
  to: string,
  subject: RegExp,
  since: number,
): Promise<CapturedMail> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const mail = await readMail(to, { since, timeoutMs: 30_000 });
    if (subject.test(mail.subject)) return mail;
    if (Date.now() > deadline) throw new Error(`No mail "${subject}" to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * A new volunteer joins the seeded "warmer-homes" campaign by email and reports back on their
 * first task (12 doors, it went well), with `feedback` for the organisers if given.
 */
export async function joinAndReport(page: Page, name: string, feedback?: string) {
  await page.goto("/join/warmer-homes");
  await page.getByLabel("Your first name").fill(name);
  await page.getByLabel("Email address").fill(`${name.toLowerCase()}@example.org`);
  await page.getByLabel("Postcode").fill("ls6 1aa");
  await page.getByLabel("By email", { exact: true }).check();
  await page.getByRole("button", { name: "Join and get my first task" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Knock on 20 doors" })).toBeVisible();
  await page.getByRole("link", { name: "Report back" }).click();
  await page.getByLabel("How many doors did you knock on?").fill("12");
  await page.getByLabel("It went well").check();
  await page
    .getByRole("group", { name: /Would you lead a small team/ })
    .getByLabel("No")
    .check();
  if (feedback) {
    await page.getByLabel("Anything you want the organisers to know?").fill(feedback);
  }
  await page.getByRole("button", { name: "Send my report" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Thank you!" })).toBeVisible();
}

/**
 * Moves a volunteer to a fixed-offset timezone where it is early afternoon now, so a message to
 * them is not held for quiet hours whenever the suite runs (quiet hours are tested in the
 * integration tests).
 */
export async function livesInDaytime(db: DbClient, email: string, now = new Date()) {
  let offset = 14 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  const zone = offset === 0 ? "Etc/UTC" : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  await db.query(`UPDATE "User" SET timezone = $1 WHERE email = $2`, [zone, email]);
}

/**
 * A new organiser of the seeded "warmer-homes" campaign's organisation, signed in on a desk
 * browser of their own, on the campaign's page.
 */
export async function organiserAtWarmerHomes({
  db,
  browser,
  readMail,
}: {
  db: DbClient;
  browser: Browser;
  readMail: ReadMail;
}) {
  const { rows } = await db.query(
    `SELECT id, "organisationId" FROM "Campaign" WHERE slug = 'warmer-homes'`,
  );
  const campaignId = String(rows[0]?.id);
  const organiser = await createOrganiser(db, { organisationId: String(rows[0]?.organisationId) });
  const desk = await browser.newContext();
  const page = await desk.newPage();
  await signIn(page, readMail, organiser.email);
  await page.goto(`/org/campaigns/${campaignId}`);
  return { campaignId, organiser, desk, page };
}

/**
 * Six random letters, to make a test person's name unique. Letters only: a "name" with six or more
 * digits reads as a phone number, and the pages others see show "Someone" instead.
 */
export function nameTag() {
  return Array.from(randomBytes(6), (byte) => String.fromCharCode(97 + (byte % 26))).join("");
}
