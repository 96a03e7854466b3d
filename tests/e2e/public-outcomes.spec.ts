import { parseCsv } from "../../app/utils/csv.ts";
import { expect, test } from "./fixtures";
import { createOrganiser, signIn, type DbClient } from "./helpers";

// Signing in by email and axe on every page take a good part of the default 30 s on a busy machine.
test.describe.configure({ timeout: 90_000 });

/**
 * A live campaign with 13 volunteers who all reported: 6 in LS6, 5 in LS9 and 2 in LS7. LS7 is
 * too small to show, and "Other areas" with only LS7's 2 would be too, so LS9 (the smallest
 * area shown) joins it: the public figures are LS6 (6) and Other areas (7).
 */
async function campaignWithVolunteers(db: DbClient, organisationId: string, suffix: string) {
  const campaignId = `e2e_pub_campaign_${suffix}`;
  const taskId = `e2e_pub_task_${suffix}`;
  const versionId = `e2e_pub_version_${suffix}`;
  const slug = `open-streets-${suffix}`;
  await db.query(
    `INSERT INTO "Campaign" (id, "organisationId", slug, title, description, "metricKey",
       "metricLabel", "metricUnit", target, "whyTakePart", "whatWeDo", "whatIsOpen", status,
       "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'Open Streets', 'Find the cold homes.', 'doors', 'doors knocked',
       'doors', 500, 'Why', 'What we do', 'What is open', 'LIVE', now(), now())`,
    [campaignId, organisationId, slug],
  );
  await db.query(
    `INSERT INTO "Task" (id, "campaignId", "organisationId", position, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 0, now(), now())`,
    [taskId, campaignId, organisationId],
  );
  const fields = [
    { type: "number", key: "doors", label: "Doors", required: true, min: 0, metricKey: "doors" },
  ];
  await db.query(
    `INSERT INTO "TaskVersion" (id, "taskId", version, title, instructions, fields, rules)
     VALUES ($1, $2, 1, 'Knock on 20 doors', 'Knock.', $3, '{"rules":[],"defaultNext":null,"onSkip":null}')`,
    [versionId, taskId, JSON.stringify(fields)],
  );
  await db.query(`UPDATE "Task" SET "currentVersionId" = $1 WHERE id = $2`, [versionId, taskId]);
  await db.query(`UPDATE "Campaign" SET "firstTaskId" = $1 WHERE id = $2`, [taskId, campaignId]);

  const districts = [
    ...Array<string>(6).fill("LS6"),
    ...Array<string>(5).fill("LS9"),
    ...Array<string>(2).fill("LS7"),
  ];
  for (const [i, district] of districts.entries()) {
    const key = `${i}_${suffix}`;
    const userId = `e2e_pub_vol_${key}`;
    const assignmentId = `e2e_pub_assignment_${key}`;
    const reportId = `e2e_pub_report_${key}`;
    const doors = 10 + i;
    await db.query(
      `INSERT INTO "User" (id, email, phone, name, district, "channelPreference", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, 'EMAIL', now(), now())`,
      [
        userId,
        `hortensia-${key}@private.example.org`,
        `+447${String(parseInt(suffix, 16) % 10_000_000).padStart(7, "0")}${String(i).padStart(2, "0")}`,
        `Hortensia Pemberton-${i}`,
        district,
      ],
    );
    await db.query(
      `INSERT INTO "Membership" (id, "userId", "organisationId", role, "createdAt", "updatedAt")
       VALUES ($1, $2, $3, 'VOLUNTEER', now(), now())`,
      [`e2e_pub_member_${key}`, userId, organisationId],
    );
    await db.query(
      `INSERT INTO "Assignment" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
         "userId", status, "assignedAt", "dueAt", "closedAt", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6, 'REPORTED', now(), now(), now(), now(), now())`,
      [assignmentId, organisationId, campaignId, taskId, versionId, userId],
    );
    await db.query(
      `INSERT INTO "Report" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
         "assignmentId", "userId", values, feedback, "idempotencyKey", district, "createdAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())`,
      [
        reportId,
        organisationId,
        campaignId,
        taskId,
        versionId,
        assignmentId,
        userId,
        JSON.stringify({ doors }),
        `Hortensia Pemberton-${i} says: my door code is 4471`,
        `e2e_pub_key_${key}`,
        district,
      ],
    );
    await db.query(
      `INSERT INTO "ReportMetric" (id, "reportId", "organisationId", "campaignId", "taskId",
         "metricKey", value, district, "createdAt")
       VALUES ($1, $2, $3, $4, $5, 'doors', $6, $7, now())`,
      [`e2e_pub_metric_${key}`, reportId, organisationId, campaignId, taskId, doors, district],
    );
  }
  return { campaignId, slug, totalDoors: districts.reduce((sum, _d, i) => sum + 10 + i, 0) };
}

type Outcomes = {
  objective: { total: number; target: number };
  participation: { joined: number; reportedOnce: number };
  areas: {
    rows: Array<{ area: string; volunteers: number; reportedOnce: number; metric: number }>;
  };
};

test("an organiser makes the outcomes public; anyone sees them, as a page, JSON and CSV", async ({
  page,
  db,
  readMail,
}) => {
  const organiser = await createOrganiser(db);
  const organisationId = `e2e_org_${organiser.suffix}`;
  const { campaignId, slug, totalDoors } = await campaignWithVolunteers(
    db,
    organisationId,
    organiser.suffix,
  );
  await signIn(page, readMail, organiser.email);

  // Off until turned on.
  expect((await page.request.get(`/p/${slug}`)).status()).toBe(404);
  await page.goto(`/org/campaigns/${campaignId}`);
  await page.getByRole("link", { name: "Public outcomes page and open data" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Public outcomes page" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "The public page is off" })).toBeVisible();
  await page.getByRole("button", { name: "Turn the public page on" }).click();
  await expect(page.getByRole("status")).toHaveText(/The public page is on/);
  await expect(page.getByLabel("Public page link")).toHaveValue(new RegExp(`/p/${slug}$`));

  // Signed out, on a small phone.
  await page.context().clearCookies();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`/p/${slug}`);
  await expect(
    page.getByRole("heading", { level: 1, name: "Open Streets: what it achieved" }),
  ).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(page.getByText("13 people have joined, and 13 of them reported back")).toBeVisible();
  const table = page.getByRole("table", { name: "Volunteers and doors knocked by area" });
  const rows = table.locator("tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).locator("th")).toHaveText("LS6");
  await expect(rows.nth(1).locator("th")).toHaveText("Other areas");
  await expect(table.locator("tfoot tr")).toContainText("13");
  const body = (await page.locator("body").textContent()) ?? "";
  expect(body).not.toContain("Hortensia");
  expect(body).not.toContain("door code");
  expect(body).not.toMatch(/\bLS[79]\b/);
  // Nothing wider than the phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // The page's figures, cell by cell.
  const pageRows = await rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("th, td")].map((cell) => cell.textContent ?? "")),
  );

  const jsonResponse = await page.request.get(`/p/${slug}/outcomes.json`);
  expect(jsonResponse.status()).toBe(200);
  expect(jsonResponse.headers()["access-control-allow-origin"]).toBe("*");
  expect(jsonResponse.headers()["cache-control"]).toBe("public, max-age=300");
  const outcomes = (await jsonResponse.json()) as Outcomes;
  expect(outcomes.objective.total).toBe(totalDoors);
  expect(outcomes.participation.joined).toBe(13);
  expect(JSON.stringify(outcomes)).not.toContain("Hortensia");
  expect(
    outcomes.areas.rows.map((row) => [
      row.area,
      String(row.volunteers),
      String(row.reportedOnce),
      expect.any(String),
      String(row.metric),
    ]),
  ).toEqual(pageRows);

  await page.getByRole("link", { name: "Figures by area (CSV)" }).waitFor();
  const csvResponse = await page.request.get(`/p/${slug}/areas.csv`);
  expect(csvResponse.status()).toBe(200);
  const [header, ...csvRows] = parseCsv(await csvResponse.text());
  expect(header).toEqual([
    "area",
    "volunteers",
    "reported_once",
    "active",
    "reports",
    "metric_total",
  ]);
  expect(csvRows.map((row) => [row[0], row[1], row[2], row[3], row[5]])).toEqual(pageRows);

  // A cached copy is confirmed with the ETag rather than sent again.
  const etag = jsonResponse.headers()["etag"] ?? "";
  const again = await page.request.get(`/p/${slug}/outcomes.json`, {
    headers: { "If-None-Match": etag },
  });
  expect(again.status()).toBe(304);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the public page works with plain HTML", async ({ page, db }) => {
    const organiser = await createOrganiser(db);
    const { slug } = await campaignWithVolunteers(
      db,
      `e2e_org_${organiser.suffix}`,
      organiser.suffix,
    );
    await db.query(`UPDATE "Campaign" SET "isPublic" = true WHERE slug = $1`, [slug]);
    await page.goto(`/p/${slug}`);
    await expect(
      page.getByRole("heading", { level: 1, name: "Open Streets: what it achieved" }),
    ).toBeVisible();
    await expect(page.getByRole("row", { name: /Other areas/ })).toBeVisible();
    await page.getByRole("link", { name: "All figures (JSON)" }).click();
    await expect(page.locator("body")).toContainText('"format": "onward-public-outcomes/1"');
  });
});
