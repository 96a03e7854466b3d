import { randomBytes, randomInt } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

type DbClient = {
  query: (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;
};

// The sign-in pages don't hydrate, so each step is a page load, and axe checks every one of them.
test.describe.configure({ timeout: 60_000 });

async function createVolunteer(db: DbClient, { withPhone = false } = {}) {
  const suffix = randomBytes(4).toString("hex");
  const email = `e2e-${suffix}@example.org`;
  const phone = withPhone ? `+447400${String(randomInt(0, 1_000_000)).padStart(6, "0")}` : null;
  await db.query(
    `INSERT INTO "User" (id, email, phone, name, "channelPreference", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, $4, 'EMAIL', now(), now())`,
    [`e2e_${suffix}`, email, phone, `Tester ${suffix}`],
  );
  return { email, phone, name: `Tester ${suffix}` };
}

async function askForLink(page: Page, email: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Email address or mobile number").fill(email);
  await page.getByRole("button", { name: "Send me a sign-in message" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
}

function linkIn(text: string) {
  const match = /(https?:\/\/\S+\/auth\/verify\?token=[\w-]+)/.exec(text);
  if (!match?.[1]) throw new Error(`No sign-in link in: ${text}`);
  return new URL(match[1]).pathname + new URL(match[1]).search;
}

async function latestCode(db: DbClient, phone: string) {
  const { rows } = await db.query(
    `SELECT "bodyText" FROM "Message" WHERE "toAddress" = $1 AND kind = 'SIGN_IN_CODE' ORDER BY "createdAt" DESC LIMIT 1`,
    [phone],
  );
  const code = /\b(\d{6})\b/.exec(String(rows[0]?.bodyText ?? ""))?.[1];
  if (!code) throw new Error(`No code texted to ${phone}`);
  return code;
}

async function askForCode(page: Page, phone: string) {
  await page.goto("/sign-in");
  await page
    .getByLabel("Email address or mobile number")
    .fill(`0${phone.slice(3, 7)} ${phone.slice(7)}`);
  await page.getByRole("button", { name: "Send me a sign-in message" }).click();
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
}

test("signs in with an emailed link, once only", async ({ page, db, readMail }) => {
  const person = await createVolunteer(db);
  await askForLink(page, person.email);

  const mail = await readMail(person.email);
  expect(mail.subject).toBe("Your link to sign in to Onward");
  expect(mail.html).toContain("Sign in to Onward");
  const link = linkIn(mail.text);

  await page.goto(link);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/me$/);
  await expect(
    page.getByRole("heading", { name: `${person.name}, here are your tasks` }),
  ).toBeVisible();
  await page.goto("/account");

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByText("You are signed out.")).toBeVisible();

  await page.goto(link);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("already been used");
  await page.goto("/account");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("an expired link is refused with a way forward", async ({ page, db, readMail }) => {
  const person = await createVolunteer(db);
  await askForLink(page, person.email);
  const link = linkIn((await readMail(person.email)).text);
  await db.query(
    `UPDATE "LoginToken" SET "expiresAt" = now() - interval '1 minute'
     WHERE "userId" = (SELECT id FROM "User" WHERE email = $1)`,
    [person.email],
  );
  await page.goto(link);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("expired");
  await expect(page.getByRole("link", { name: "Get a new sign-in link" })).toBeVisible();
});

test("an unknown address gets the same answer as a known one", async ({ page }) => {
  await askForLink(page, `nobody-${randomBytes(4).toString("hex")}@example.org`);
  await expect(page.getByText(/has an Onward account, we've sent it a link/)).toBeVisible();
});

test("bad input is explained next to the field", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email address or mobile number").fill("not an address");
  await page.getByRole("button", { name: "Send me a sign-in message" }).click();
  await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  const input = page.getByLabel("Email address or mobile number");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator(".field-error")).toContainText("UK mobile number");
});

test("signs in with a texted code; wrong, reused and expired codes are refused", async ({
  page,
  db,
}) => {
  const person = await createVolunteer(db, { withPhone: true });
  const phone = person.phone!;
  await askForCode(page, phone);
  await expect(page.getByText(`a number ending ${phone.slice(-3)}`)).toBeVisible();
  const first = await latestCode(db, phone);

  const wrong = first === "000000" ? "111111" : "000000";
  await page.getByLabel("Code").fill(wrong);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".field-error")).toContainText("isn't right");

  await page.getByLabel("Code").fill(first);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/me$/);
  await expect(
    page.getByRole("heading", { name: `${person.name}, here are your tasks` }),
  ).toBeVisible();
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByText("You are signed out.")).toBeVisible();

  // The used code does not work again, even with a new code on its way.
  await askForCode(page, phone);
  const second = await latestCode(db, phone);
  if (second !== first) {
    await page.getByLabel("Code").fill(first);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator(".field-error")).toContainText("isn't right");
  }

  // An expired code is refused even when its digits are right.
  await db.query(
    `UPDATE "LoginToken" SET "expiresAt" = now() - interval '1 minute'
     WHERE "userId" = (SELECT id FROM "User" WHERE phone = $1) AND "usedAt" IS NULL`,
    [phone],
  );
  await page.getByLabel("Code").fill(second);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".field-error")).toContainText("expired");
  await page.goto("/account");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("signing out everywhere ends the session on every device", async ({
  browser,
  db,
  readMail,
}) => {
  const person = await createVolunteer(db);
  const phone = await browser.newContext();
  const laptop = await browser.newContext();
  for (const context of [phone, laptop]) {
    const page = await context.newPage();
    // The mail is sent before the next page loads, so only mail from before asking is too old.
    const asked = Date.now();
    await askForLink(page, person.email);
    const link = linkIn((await readMail(person.email, { after: asked })).text);
    await page.goto(link);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/me$/);
  }
  const laptopPage = laptop.pages()[0]!;
  await laptopPage.goto("/account");
  await expect(laptopPage.getByText("(this device)")).toBeVisible();
  await expect(laptopPage.locator(".card-list .card")).toHaveCount(2);

  const phonePage = phone.pages()[0]!;
  await phonePage.goto("/account");
  await phonePage.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(phonePage.getByText("You are signed out on every device.")).toBeVisible();

  await laptopPage.goto("/account");
  await expect(laptopPage).toHaveURL(/\/sign-in/);
  await phone.close();
  await laptop.close();
});
