import type { Locator, Page } from "@playwright/test";
import { expect, test, type ReadMail } from "./fixtures";
import { createOrganiser, signIn, type DbClient } from "./helpers";

function group(scope: Page | Locator, name: string) {
  return scope.getByRole("group", { name, exact: true });
}

/** Fills the task form's basic details (on a new or edit page). */
async function fillTaskDetails(page: Page, title: string) {
  await page.getByLabel("Title").fill(title);
  await page
    .getByLabel("Instructions")
    .fill(
      `${title}. Read the **safety notes** first.\n\n- Stay on the pavement\n- Stop if you feel unsafe`,
    );
  await page.getByLabel("Where (optional)").fill("Any street near where you live");
  await page.getByLabel("How long it takes, in minutes (optional)").fill("60");
  await page.getByLabel("Due how many days after it is given?").fill("7");
}

async function saveTask(page: Page) {
  await page.getByRole("button", { name: "Save task" }).click();
  await expect(page.getByText("Task saved.")).toBeVisible();
}

async function addSimpleTask(page: Page, title: string) {
  await page.getByRole("link", { name: "Add a task" }).click();
  await expect(page.getByRole("heading", { name: "New task" })).toBeVisible();
  await fillTaskDetails(page, title);
  await saveTask(page);
}

async function openTask(page: Page, title: string) {
  await page.getByRole("link", { name: title, exact: true }).click();
  await expect(page.getByRole("heading", { name: "Edit task" })).toBeVisible();
}

async function goLive(page: Page) {
  await page.getByRole("button", { name: "Go live" }).click();
}

async function buildCampaign(page: Page, db: DbClient, readMail: ReadMail) {
  const organiser = await createOrganiser(db);
  await signIn(page, readMail, organiser.email);
  const title = `Warmer Homes ${organiser.suffix}`;

  // The campaign.
  await page.goto("/org");
  await page.getByRole("link", { name: `New campaign for ${organiser.organisation}` }).click();
  await expect(page.getByRole("heading", { name: "New campaign" })).toBeVisible();
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Short description").fill("Find the homes that are cold this winter.");
  await page.getByLabel("What you will count").fill("doors knocked");
  await page.getByLabel("Unit", { exact: true }).fill("doors");
  await page.getByLabel("Target").fill("0");
  await page.getByLabel("Why take part").fill("Every door you knock on helps a family get help.");
  await page
    .getByLabel("What we will do with people's reports")
    .fill("We add up your reports to show the council where help is needed.");
  await page
    .getByLabel("What is open for debate, and what isn't")
    .fill("Which streets we cover is open. Who qualifies is set by the council.");
  await page.getByRole("button", { name: "Create the campaign" }).click();
  await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(page.getByLabel("Target")).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator(".field-error")).toContainText("The target must be more than 0");
  await page.getByLabel("Target").fill("5000");
  await page.getByRole("button", { name: "Create the campaign" }).click();
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(page.getByText("Campaign created.")).toBeVisible();
  await expect(page.getByText("Add at least one task.")).toBeVisible();

  // Task A: a number that counts to the objective, and a yes/no question.
  await page.getByRole("link", { name: "Add a task" }).click();
  await fillTaskDetails(page, "Knock on 20 doors");
  await page.getByRole("button", { name: "Add a number question" }).click();
  const doors = group(page, "Question 1: a number");
  await doors.getByLabel("Question", { exact: true }).fill("Doors");
  await doors.getByLabel("Smallest answer (optional)").fill("0");
  await doors.getByLabel("Largest answer (optional)").fill("500");
  await doors.getByLabel("Unit (optional)").fill("doors");
  await doors.getByLabel("Counts toward the objective (doors knocked)").check();
  await page.getByRole("button", { name: "Add a yes/no question" }).click();
  const lead = group(page, "Question 2: yes or no");
  await lead.getByLabel("Question", { exact: true }).fill("Would lead");
  await lead.getByLabel("An answer is required").uncheck();
  await expect(doors.getByLabel("Question", { exact: true })).toHaveValue("Doors");
  await expect(page.getByText("This is the first task")).toHaveCount(0);
  await expect(page.getByLabel("Make this the first task")).toBeChecked();
  await saveTask(page);

  // Tasks B, C and D, which end the ladder.
  await addSimpleTask(page, "Deliver 30 leaflets");
  await addSimpleTask(page, "Lead a team of three");
  await addSimpleTask(page, "Run a street stall");

  // A's rule: doors ≥ 20 and would lead = yes → D (for now); otherwise → B.
  await openTask(page, "Knock on 20 doors");
  await expect(page.getByText("This is the first task")).toBeVisible();
  await page.getByRole("button", { name: "Add a follow-up rule" }).click();
  const rule = group(page, "Rule 1");
  const first = group(rule, "If");
  await first.getByLabel("Question").selectOption({ label: "1. Doors" });
  await first.getByLabel("Comparison").selectOption({ label: "is at least" });
  await first.getByLabel("Answer").fill("20");
  await rule.getByRole("button", { name: "Add a condition to rule 1" }).click();
  const second = group(rule, "and");
  await second.getByLabel("Question").selectOption({ label: "2. Would lead" });
  await second.getByLabel("Comparison").selectOption({ label: "is" });
  await second.getByLabel("Answer").fill("yes");
  await rule.getByLabel("Then give").selectOption({ label: "Run a street stall" });
  await page
    .getByLabel("When no rule matches, give")
    .selectOption({ label: "Deliver 30 leaflets" });
  await saveTask(page);
  await expect(
    page.getByText(
      "If doors ≥ 20 and would lead = yes → Run a street stall; otherwise → Deliver 30 leaflets; if skipped → end of the ladder",
    ),
  ).toBeVisible();

  // Delete D while A's rule still points at it: going live is refused.
  await openTask(page, "Run a street stall");
  await page.getByRole("button", { name: "Delete this task" }).click();
  await expect(page.getByText("Task deleted.")).toBeVisible();
  await goLive(page);
  await expect(page.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText(
    "'Knock on 20 doors', follow-up rule 1, sends people to 'Run a street stall', which is archived.",
  );
  await expect(page.getByRole("heading", { name: "Status: Draft" })).toBeVisible();

  // Fix it: the rule leads to C.
  await openTask(page, "Knock on 20 doors");
  await expect(group(page, "Rule 1").getByLabel("Then give")).toHaveValue(/.+/);
  await group(page, "Rule 1")
    .getByLabel("Then give")
    .selectOption({ label: "Lead a team of three" });
  await saveTask(page);
  await expect(page.getByRole("heading", { name: "Fix before going live" })).toHaveCount(0);
  await expect(
    page.getByText(
      "If doors ≥ 20 and would lead = yes → Lead a team of three; otherwise → Deliver 30 leaflets; if skipped → end of the ladder",
    ),
  ).toBeVisible();
  await goLive(page);
  await expect(page.getByText("The campaign is live.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Status: Live" })).toBeVisible();
  await expect(page.getByLabel("Join link")).toHaveValue(
    new RegExp(`/join/warmer-homes-${organiser.suffix}$`),
  );
  const { rows } = await db.query(
    `SELECT c.status, count(v.id)::int AS versions
       FROM "Campaign" c JOIN "Task" t ON t."campaignId" = c.id JOIN "TaskVersion" v ON v."taskId" = t.id
      WHERE c.title = $1 AND v.title = 'Knock on 20 doors' GROUP BY c.status`,
    [title],
  );
  expect(rows).toEqual([{ status: "LIVE", versions: 3 }]);

  // The preview, exactly as a volunteer sees the task.
  await page.getByRole("link", { name: "Preview Knock on 20 doors" }).click();
  await expect(page.getByText("Preview — this is what volunteers see")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Knock on 20 doors", level: 1 })).toBeVisible();
  await expect(page.getByRole("strong").filter({ hasText: "safety notes" })).toBeVisible();
  await expect(page.getByRole("spinbutton", { name: "Doors" })).toBeVisible();
  await expect(page.getByText("In doors, from 0 to 500.")).toBeVisible();
  await expect(group(page, "Would lead (optional)").getByLabel("Yes")).toBeVisible();
  await expect(page.getByRole("button", { name: "Send my report" })).toBeDisabled();
  await page.getByText("Why we're doing this").click();
  await expect(page.getByText("Every door you knock on helps a family get help.")).toBeVisible();

  // The poster, with a QR code of the join link.
  await page.getByRole("link", { name: `Back to ${title}` }).click();
  const overviewPath = new URL(page.url()).pathname;
  await page.getByRole("link", { name: "Printable poster with a QR code" }).click();
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(page.getByText("Scan to join")).toBeVisible();
  await expect(page.locator(".poster__qr svg")).toHaveCount(1);
  await expect(page.getByText(`/join/warmer-homes-${organiser.suffix}`)).toBeVisible();
  const posterPath = new URL(page.url()).pathname;

  // An organiser of another organisation can't tell the campaign exists.
  const outsider = await createOrganiser(db);
  await page.context().clearCookies();
  await signIn(page, readMail, outsider.email);
  for (const path of [overviewPath, `${overviewPath}/edit`, posterPath]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "We can't find that page" })).toBeVisible();
  }
}

test.describe("campaign builder", () => {
  test("an organiser builds a branching ladder, is stopped by a broken rule, and goes live", async ({
    page,
    db,
    readMail,
  }) => {
    test.setTimeout(120_000);
    await buildCampaign(page, db, readMail);
  });
});

test.describe("campaign builder without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the same, with every button a round trip to the server", async ({ page, db, readMail }) => {
    test.setTimeout(120_000);
    await buildCampaign(page, db, readMail);
  });
});
