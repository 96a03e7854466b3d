import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { createOrganiser, nameTag, signIn } from "./helpers";

/**
 * A citizen joins the demo campaign ("Warmer Homes for Greenfield") from its join link, reports
 * back three times and gets the right follow-up each time, including the branch. Runs with
 * JavaScript on and off: every volunteer page must work without it.
 */

async function progressTotal(page: Page) {
  await page.goto("/join/warmer-homes");
  const words = await page.locator(".progress__words strong").innerText();
  return Number(words.replace(/,/g, ""));
}

async function join(page: Page, name: string) {
  await page.goto("/join/warmer-homes");
  await expect(
    page.getByRole("heading", { level: 1, name: "Warmer Homes for Greenfield" }),
  ).toBeVisible();
  await expect(
    page.getByRole("heading", { name: "What we'll do with your reports" }),
  ).toBeVisible();
  await page.getByLabel("Your first name").fill(name);
  await page.getByLabel("Email address").fill(`${name.toLowerCase()}@example.org`);
  await page.getByLabel("Postcode").fill("not a postcode");
  await page.getByLabel("By text message").check();
  await page.getByRole("button", { name: "Join and get my first task" }).click();
  // Each problem is shown next to its field; nothing is saved until they are fixed.
  await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(page.getByLabel("Postcode")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#join-phone-error, [id$='phone-error']").first()).toContainText(
    "mobile number",
  );
  await page.getByLabel("Postcode").fill("ls6 1aa");
  await page.getByLabel("By email", { exact: true }).check();
  await page.getByRole("button", { name: "Join and get my first task" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Knock on 20 doors" })).toBeVisible();
  await expect(page.getByText(`Welcome, ${name}!`)).toBeVisible();
}

async function reportBack(page: Page, answers: (page: Page) => Promise<void>) {
  await page.getByRole("link", { name: "Report back" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Report back" })).toBeVisible();
  await answers(page);
  await page.getByRole("button", { name: "Send my report" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Thank you!" })).toBeVisible();
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`with JavaScript ${javaScriptEnabled ? "on" : "off"}`, () => {
    test.use({ javaScriptEnabled });
    // Volunteer pages don't hydrate, so each step is a page load, and with JavaScript on axe checks
    // every one of them.
    test.slow(javaScriptEnabled, "every page load is checked with axe");

    test("join, report three times, follow the branch to the end of the ladder", async ({
      page,
    }) => {
      const before = await progressTotal(page);
      const name = `Dana${nameTag()}`;
      await join(page, name);

      // Bad input is explained next to the field and nothing is recorded.
      await page.getByRole("link", { name: "Report back" }).click();
      await page.getByLabel("How many doors did you knock on?").fill("600");
      await page.getByRole("button", { name: "Send my report" }).click();
      await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
      await expect(page.getByLabel("How many doors did you knock on?")).toHaveAttribute(
        "aria-invalid",
        "true",
      );
      await page.getByRole("link", { name: "Back to the task" }).click();

      // 1: 22 doors, went well, won't lead → the street stall.
      await reportBack(page, async (p) => {
        await p.getByLabel("How many doors did you knock on?").fill("22");
        await p.getByLabel("It went well").check();
        await p
          .getByRole("group", { name: /Would you lead a small team/ })
          .getByLabel("No")
          .check();
        await p
          .getByLabel("Anything you want the organisers to know?")
          .fill("Lots of damp flats on Elm Road.");
      });
      await expect(
        page.getByText("Your report added 22 doors to Warmer Homes for Greenfield."),
      ).toBeVisible();
      await expect(page.getByRole("heading", { name: "Your next task" })).toBeVisible();
      await expect(page.getByText("Run a street stall")).toBeVisible();
      await page.getByRole("link", { name: "See your next task" }).click();
      await expect(
        page.getByRole("heading", { level: 1, name: "Run a street stall" }),
      ).toBeVisible();

      // 2: the stall → leading a team.
      await reportBack(page, async (p) => {
        await p.getByLabel("How many people signed up for a check?").fill("7");
      });
      await page.getByRole("link", { name: "See your next task" }).click();
      await expect(
        page.getByRole("heading", { level: 1, name: "Lead a team of three" }),
      ).toBeVisible();

      // 3: the team → the end of the ladder.
      await reportBack(page, async (p) => {
        await p.getByLabel("How many doors did your team knock on?").fill("60");
        await p.getByLabel("How many people were in your team?").fill("3");
      });
      await expect(page.getByRole("heading", { name: "That's the last task" })).toBeVisible();

      await page.goto("/me");
      await expect(page.getByText("You've sent 3 reports.")).toBeVisible();
      await expect(
        page.getByText("You added 82 doors to Warmer Homes for Greenfield."),
      ).toBeVisible();
      expect(await progressTotal(page)).toBeGreaterThanOrEqual(before + 82);
    });

    test("the organiser sees the objective move when a volunteer reports", async ({
      page,
      browser,
      db,
      readMail,
    }) => {
      const { rows } = await db.query(
        `SELECT "organisationId" FROM "Campaign" WHERE slug = 'warmer-homes'`,
      );
      const organiser = await createOrganiser(db, {
        organisationId: String(rows[0]?.organisationId),
      });
      await signIn(page, readMail, organiser.email);
      await page.goto("/org");
      await page.getByRole("link", { name: "Warmer Homes for Greenfield" }).click();
      const objective = page.locator(".progress__words strong");
      const before = Number((await objective.innerText()).replace(/,/g, ""));

      const volunteer = await browser.newContext({ javaScriptEnabled });
      const phone = await volunteer.newPage();
      await join(phone, `Fay${nameTag()}`);
      await reportBack(phone, async (p) => {
        await p.getByLabel("How many doors did you knock on?").fill("31");
        await p.getByLabel("It was hard").check();
      });
      await volunteer.close();

      await page.reload();
      expect(Number((await objective.innerText()).replace(/,/g, ""))).toBeGreaterThanOrEqual(
        before + 31,
      );
    });

    test("the other branch: ready to lead goes straight to the team task; skipping goes to leaflets", async ({
      page,
    }) => {
      await join(page, `Eli${nameTag()}`);
      await reportBack(page, async (p) => {
        await p.getByLabel("How many doors did you knock on?").fill("25");
        await p.getByLabel("It went well").check();
        await p
          .getByRole("group", { name: /Would you lead a small team/ })
          .getByLabel("Yes")
          .check();
      });
      await expect(page.getByText("Lead a team of three")).toBeVisible();
      await page.getByRole("link", { name: "See your next task" }).click();

      await page.getByRole("link", { name: "I can't do this" }).click();
      await page.getByRole("button", { name: "Skip this task" }).click();
      await expect(page.getByText("Tell us briefly why")).toHaveCount(2);
      await page.getByLabel("Why can't you do it?").fill("I can't find two friends this month.");
      await page.getByRole("button", { name: "Skip this task" }).click();
      await expect(
        page.getByRole("heading", { level: 1, name: "Thanks for letting us know" }),
      ).toBeVisible();
      await expect(page.getByRole("heading", { name: "That's the last task" })).toBeVisible();
    });
  });
}
