import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { parseCsv } from "../../app/utils/csv.ts";
import { expect, test } from "./fixtures";
import { createOrganiser, signIn, type DbClient } from "./helpers";

// Signing in by email and axe on every page take a good part of the default 30 s on a busy machine.
test.describe.configure({ timeout: 90_000 });

/**
 * A live campaign with three volunteers: two in LS6 (one of whom reported 25 doors) and one in
 * LS7 who hasn't reported. Written straight to the database; the rollup triggers count them.
 */
async function campaignWithVolunteers(db: DbClient, suffix: string) {
  const org = `e2e_org_${suffix}`;
  const campaign = `e2e_campaign_${suffix}`;
  const task = `e2e_task_${suffix}`;
  await db.query(
    `INSERT INTO "Campaign" (id, "organisationId", slug, title, description, status, "metricKey",
       "metricLabel", "metricUnit", target, "whyTakePart", "whatWeDo", "whatIsOpen", "updatedAt")
     VALUES ($1, $2, $3, 'Warmer streets', 'Doors for warmer homes.', 'LIVE', 'doors',
       'doors knocked', 'doors', 100, 'Why', 'What', 'Open', now())`,
    [campaign, org, `warmer-${suffix}`],
  );
  await db.query(
    `INSERT INTO "Task" (id, "campaignId", "organisationId", position, "updatedAt")
     VALUES ($1, $2, $3, 0, now())`,
    [task, campaign, org],
  );
  await db.query(
    `INSERT INTO "TaskVersion" (id, "taskId", version, title, instructions)
     VALUES ($1, $2, 1, 'Knock on 20 doors', 'Knock.')`,
    [`${task}_v1`, task],
  );
  await db.query(`UPDATE "Task" SET "currentVersionId" = $1 WHERE id = $2`, [`${task}_v1`, task]);
  const people = [
    { key: "a", district: "LS6", reported: true },
    { key: "b", district: "LS6", reported: false },
    { key: "c", district: "LS7", reported: false },
  ];
  for (const person of people) {
    const user = `e2e_vol_${person.key}_${suffix}`;
    const assignment = `e2e_asg_${person.key}_${suffix}`;
    await db.query(
      `INSERT INTO "User" (id, email, name, district, "channelPreference", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, 'EMAIL', now(), now())`,
      [user, `${user}@example.org`, `Volunteer ${person.key}`, person.district],
    );
    await db.query(
      `INSERT INTO "Assignment" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
         "userId", status, "assignedAt", "dueAt", "closedAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() - interval '2 days', now() + interval '5 days',
         $8, now())`,
      [
        assignment,
        org,
        campaign,
        task,
        `${task}_v1`,
        user,
        person.reported ? "REPORTED" : "ASSIGNED",
        person.reported ? new Date(Date.now() - 86_400_000) : null,
      ],
    );
    if (person.reported) {
      const report = `e2e_rep_${person.key}_${suffix}`;
      await db.query(
        `INSERT INTO "Report" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
           "assignmentId", "userId", values, "idempotencyKey", district, "createdAt")
         VALUES ($1, $2, $3, $4, $5, $6, $7, '{"doors": 25}', $1, $8, now() - interval '1 day')`,
        [report, org, campaign, task, `${task}_v1`, assignment, user, person.district],
      );
      await db.query(
        `INSERT INTO "ReportMetric" (id, "reportId", "organisationId", "campaignId", "taskId",
           "metricKey", value, district, "createdAt")
         VALUES ($1, $2, $3, $4, $5, 'doors', 25, $6, now() - interval '1 day')`,
        [`${report}_m`, report, org, campaign, task, person.district],
      );
    }
  }
  return campaign;
}

async function expectFitsSmallPhone(page: Page) {
  await page.setViewportSize({ width: 360, height: 740 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);
}

test("an organiser opens the campaign reports, filters by area and sees the funnel change", async ({
  page,
  db,
  readMail,
}) => {
  const organiser = await createOrganiser(db);
  await campaignWithVolunteers(db, organiser.suffix);
  await signIn(page, readMail, organiser.email);

  await page.goto("/org");
  await page.getByRole("link", { name: "Warmer streets" }).click();
  await page.getByRole("link", { name: "See the reports" }).click();
  await expect(
    page.getByRole("heading", { name: "Reports: Warmer streets", level: 1 }),
  ).toBeVisible();
  await expect(
    page.getByText("25 of 100 doors knocked (25% of the target).", { exact: false }),
  ).toBeVisible();
  const funnel = page.getByRole("img", { name: "From joining to staying active" });
  await expect(funnel).toBeVisible();
  await expect(
    page.getByText("Of 3 people who joined, 1 reported back (33%) and 1 is still active (33%)."),
  ).toBeVisible();
  await expectFitsSmallPhone(page);

  await page.getByRole("textbox", { name: "Area" }).fill("ls7");
  await page.getByRole("button", { name: "Show figures" }).click();
  await expect(page).toHaveURL(/[?&]area=ls7/i);
  await expect(page.getByText("Showing: in LS7.")).toBeVisible();
  await expect(
    page.getByText("Of 1 person who joined, 0 reported back (0%) and 0 are still active (0%)."),
  ).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Area" })).toHaveValue("LS7");

  // The numbers behind the chart, for anyone who can't see it.
  const figure = page.locator("figure").filter({ has: funnel });
  await figure.getByText("Show the numbers").click();
  await expect(page.getByRole("row", { name: /Joined 1/ })).toBeVisible();

  // LS6: the figures on screen, then the two downloads under the same filter hold the same.
  await page.getByRole("textbox", { name: "Area" }).fill("LS6");
  await page.getByRole("button", { name: "Show figures" }).click();
  await expect(page.getByText("Showing: in LS6.")).toBeVisible();
  const funnelText = page.getByText(/^Of \d+ people who joined, \d+ reported back/);
  await expect(funnelText).toHaveText(
    "Of 2 people who joined, 1 reported back (50%) and 1 is still active (50%).",
  );
  const [, joined, reportedBack, active] =
    /Of (\d+) people who joined, (\d+) reported back \(\d+%\) and (\d+) is/.exec(
      (await funnelText.textContent()) ?? "",
    ) ?? [];
  const outcome = page.getByText(/^\d+ of 100 doors knocked/);
  const doorsOnScreen = Number(/^(\d+) of/.exec((await outcome.first().textContent()) ?? "")?.[1]);
  expect(doorsOnScreen).toBe(25);

  const participation = await downloadCsv(page, "Download participation (CSV)");
  expect(participation.rows).toHaveLength(Number(joined));
  expect(participation.rows.every((row) => row[participation.column("area")] === "LS6")).toBe(true);
  expect(
    participation.rows.filter((row) => Number(row[participation.column("reported")]) > 0),
  ).toHaveLength(Number(reportedBack));
  expect(
    participation.rows.filter((row) => row[participation.column("still_active")] === "yes"),
  ).toHaveLength(Number(active));

  const reports = await downloadCsv(page, "Download reports (CSV)");
  expect(reports.rows).toHaveLength(1);
  expect(
    reports.rows.reduce((sum, row) => sum + Number(row[reports.column("metric_doors")]), 0),
  ).toBe(doorsOnScreen);
});

async function downloadCsv(page: Page, name: string) {
  const link = page.getByRole("link", { name });
  await expect(link).toHaveAttribute("href", /\?area=LS6$/);
  const downloading = page.waitForEvent("download");
  await link.click();
  const download = await downloading;
  const [header = [], ...rows] = parseCsv((await readFile(await download.path())).toString("utf8"));
  return { rows, column: (title: string) => header.indexOf(title) };
}
