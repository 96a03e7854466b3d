import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, type ReadMail } from "./fixtures";

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
