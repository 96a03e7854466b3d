import { createHmac, randomBytes } from "node:crypto";
import { expect, test } from "./fixtures";

/**
 * Unsubscribing from an email link, with JavaScript on and off, and a mail client's RFC 8058
 * one-click POST. The tests make the link themselves, as the app does (app/utils/unsubscribe.server.ts):
 * HMAC-SHA256 with the end-to-end server's SESSION_SECRET (tests/e2e/start-server.ts).
 */

const E2E_SESSION_SECRET = "onward-e2e-session-secret-0123456789abcd";

function unsubscribePath(userId: string) {
  const mac = createHmac("sha256", E2E_SESSION_SECRET)
    .update(`onward-unsubscribe:v1:${userId}:EMAIL`)
    .digest()
    .subarray(0, 16)
    .toString("base64url");
  return `/unsubscribe/${userId}.E.${mac}`;
}

type DbClient = {
  query: (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;
};

/** A volunteer of the seeded demo organisation, new for each test so tests never share state. */
async function createVolunteer(db: DbClient) {
  const suffix = randomBytes(4).toString("hex");
  const id = `e2eunsub${suffix}`;
  const email = `unsub-${suffix}@example.org`;
  await db.query(
    `INSERT INTO "User" (id, email, name, "channelPreference", "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'EMAIL', now(), now())`,
    [id, email, `Unsub ${suffix}`],
  );
  await db.query(
    `INSERT INTO "Membership" (id, "userId", "organisationId", role, "createdAt", "updatedAt")
     SELECT $1, $2, id, 'VOLUNTEER', now(), now() FROM "Organisation" ORDER BY "createdAt" LIMIT 1`,
    [`m${id}`, id],
  );
  return { id, email };
}

async function emailState(db: DbClient, userId: string) {
  const suppressions = await db.query(
    `SELECT reason, "liftedAt" IS NULL AS active FROM "Suppression"
     WHERE "userId" = $1 AND channel = 'EMAIL' ORDER BY "createdAt"`,
    [userId],
  );
  const consents = await db.query(
    `SELECT granted FROM "Consent" WHERE "userId" = $1 AND channel = 'EMAIL' ORDER BY "createdAt", id`,
    [userId],
  );
  return {
    suppressions: suppressions.rows.map(
      (row) => `${String(row.reason)}:${row.active ? "active" : "lifted"}`,
    ),
    consents: consents.rows.map((row) => Boolean(row.granted)),
  };
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });

    test("stop emails from the link, then turn them back on", async ({ page, db }) => {
      const person = await createVolunteer(db);
      const response = await page.goto(unsubscribePath(person.id));
      expect(response?.status()).toBe(200);
      await expect(
        page.getByRole("heading", { level: 1, name: "Stop emails from Onward?" }),
      ).toBeVisible();
      await expect(page.getByText("u•••@example.org")).toBeVisible();
      // Opening the link changes nothing: mail scanners open links too.
      expect(await emailState(db, person.id)).toEqual({ suppressions: [], consents: [] });

      await page.getByRole("button", { name: "Stop emails" }).click();
      await expect(
        page.getByRole("heading", { level: 1, name: "You're unsubscribed" }),
      ).toBeVisible();
      await expect(page.getByText("You won't get any more emails from Onward.")).toBeVisible();
      expect(await emailState(db, person.id)).toEqual({
        suppressions: ["UNSUBSCRIBED:active"],
        consents: [false],
      });

      // Opening the link again shows where things stand.
      await page.goto(unsubscribePath(person.id));
      await expect(
        page.getByRole("heading", { level: 1, name: "You're unsubscribed" }),
      ).toBeVisible();

      await page.getByRole("button", { name: "Turn emails back on" }).click();
      await expect(page.getByRole("status")).toHaveText("Emails from Onward are back on.");
      await expect(
        page.getByRole("heading", { level: 1, name: "Stop emails from Onward?" }),
      ).toBeVisible();
      expect(await emailState(db, person.id)).toEqual({
        suppressions: ["UNSUBSCRIBED:lifted"],
        consents: [false, true],
      });
    });

    test("a damaged link says so and changes nothing", async ({ page, db }) => {
      const person = await createVolunteer(db);
      const response = await page.goto(`${unsubscribePath(person.id).slice(0, -3)}xyz`);
      expect(response?.status()).toBe(400);
      await expect(
        page.getByRole("heading", { level: 1, name: "This unsubscribe link isn't right" }),
      ).toBeVisible();
      await expect(page.getByRole("alert")).toContainText("nothing has changed");
      await expect(page.getByRole("button")).toHaveCount(0);
      expect(await emailState(db, person.id)).toEqual({ suppressions: [], consents: [] });
    });
  });
}

test("a mail client's one-click POST unsubscribes at once, whatever site it comes from", async ({
  request,
  db,
}) => {
  // As a mail provider's server sends it: no Origin, no cookies.
  const first = await createVolunteer(db);
  const plain = await request.post(unsubscribePath(first.id), {
    form: { "List-Unsubscribe": "One-Click" },
    maxRedirects: 0,
  });
  expect(plain.status()).toBe(200);
  expect(await emailState(db, first.id)).toEqual({
    suppressions: ["UNSUBSCRIBED:active"],
    consents: [false],
  });

  // As a webmail page sends it, with its own Origin.
  const person = await createVolunteer(db);
  const response = await request.post(unsubscribePath(person.id), {
    form: { "List-Unsubscribe": "One-Click" },
    headers: { Origin: "https://mail.example.com" },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(200);
  expect(await emailState(db, person.id)).toEqual({
    suppressions: ["UNSUBSCRIBED:active"],
    consents: [false],
  });

  // The Origin check still guards everything else, and "turn back on" from another site.
  const elsewhere = await request.post("/sign-in", {
    form: { identifier: person.email },
    headers: { Origin: "https://mail.example.com" },
    maxRedirects: 0,
  });
  expect(elsewhere.status()).toBe(403);
  const resubscribe = await request.post(unsubscribePath(person.id), {
    form: { intent: "resubscribe" },
    headers: { Origin: "https://mail.example.com" },
    maxRedirects: 0,
  });
  expect(resubscribe.status()).toBe(403);
  expect((await emailState(db, person.id)).suppressions).toEqual(["UNSUBSCRIBED:active"]);
});
