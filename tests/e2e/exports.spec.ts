import { readFile } from "node:fs/promises";
import { parseCsv } from "../../app/utils/csv.ts";
import { expect, test } from "./fixtures";
import { createOrganiser, signIn, type DbClient } from "./helpers";

// Signing in by email and axe on every page take a good part of the default 30 s on a busy machine.
test.describe.configure({ timeout: 90_000 });

const HOSTILE = '=HYPERLINK("http://x"), "quoted",\nnew line 🎉';

/** A campaign with one task and a report from each of three volunteers, two of them in LS6. */
async function campaignWithReports(db: DbClient, organisationId: string, suffix: string) {
  const campaignId = `e2e_campaign_${suffix}`;
  const taskId = `e2e_task_${suffix}`;
  const versionId = `e2e_version_${suffix}`;
  await db.query(
    `INSERT INTO "Campaign" (id, "organisationId", slug, title, description, "metricKey",
       "metricLabel", "metricUnit", target, "whyTakePart", "whatWeDo", "whatIsOpen", status,
       "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 'Warm Streets', 'Find the cold homes.', 'doors', 'doors knocked',
       'doors', 100, 'Why', 'What we do', 'What is open', 'LIVE', now(), now())`,
    [campaignId, organisationId, `warm-streets-${suffix}`],
  );
  await db.query(
    `INSERT INTO "Task" (id, "campaignId", "organisationId", position, "createdAt", "updatedAt")
     VALUES ($1, $2, $3, 0, now(), now())`,
    [taskId, campaignId, organisationId],
  );
  const fields = [
    { type: "number", key: "doors", label: "Doors", required: true, min: 0, metricKey: "doors" },
    { type: "text", key: "street", label: "Street", required: false },
  ];
  await db.query(
    `INSERT INTO "TaskVersion" (id, "taskId", version, title, instructions, fields, rules)
     VALUES ($1, $2, 1, 'Knock on 20 doors', 'Knock.', $3, '{"rules":[],"defaultNext":null,"onSkip":null}')`,
    [versionId, taskId, JSON.stringify(fields)],
  );
  await db.query(`UPDATE "Task" SET "currentVersionId" = $1 WHERE id = $2`, [versionId, taskId]);
  await db.query(`UPDATE "Campaign" SET "firstTaskId" = $1 WHERE id = $2`, [taskId, campaignId]);

  const people = [
    { key: "a", district: "LS6", doors: 12, street: "Cardigan Road", feedback: HOSTILE },
    { key: "b", district: "LS7", doors: 30, street: "Chapel Allerton", feedback: "Fine" },
    { key: "c", district: "LS6", doors: 7, street: "-1 Hyde Park", feedback: null },
  ];
  for (const [i, person] of people.entries()) {
    const userId = `e2e_vol_${person.key}_${suffix}`;
    const assignmentId = `e2e_assignment_${person.key}_${suffix}`;
    const reportId = `e2e_report_${person.key}_${suffix}`;
    const at = `2026-10-0${i + 1} 10:00:00`;
    await db.query(
      `INSERT INTO "User" (id, email, name, district, "channelPreference", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, 'EMAIL', now(), now())`,
      [userId, `vol-${person.key}-${suffix}@example.org`, `Vol ${person.key}`, person.district],
    );
    await db.query(
      `INSERT INTO "Membership" (id, "userId", "organisationId", role, "createdAt", "updatedAt")
       VALUES ($1, $2, $3, 'VOLUNTEER', now(), now())`,
      [`e2e_member_${person.key}_${suffix}`, userId, organisationId],
    );
    await db.query(
      `INSERT INTO "Assignment" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
         "userId", status, "assignedAt", "dueAt", "closedAt", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6, 'REPORTED', $7, $7, $7, $7, now())`,
      [assignmentId, organisationId, campaignId, taskId, versionId, userId, at],
    );
    await db.query(
      `INSERT INTO "Report" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
         "assignmentId", "userId", values, feedback, "idempotencyKey", district, "createdAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        reportId,
        organisationId,
        campaignId,
        taskId,
        versionId,
        assignmentId,
        userId,
        JSON.stringify({ doors: person.doors, street: person.street }),
        person.feedback,
        `e2e_key_${person.key}_${suffix}`,
        person.district,
        at,
      ],
    );
    await db.query(
      `INSERT INTO "ReportMetric" (id, "reportId", "organisationId", "campaignId", "taskId",
         "metricKey", value, district, "createdAt")
       VALUES ($1, $2, $3, $4, $5, 'doors', $6, $7, $8)`,
      [
        `e2e_metric_${person.key}_${suffix}`,
        reportId,
        organisationId,
        campaignId,
        taskId,
        person.doors,
        person.district,
        at,
      ],
    );
  }
  return { campaignId, slug: `warm-streets-${suffix}` };
}

test("an organiser downloads the reports of one area as CSV", async ({ page, db, readMail }) => {
  const organiser = await createOrganiser(db);
  const organisationId = `e2e_org_${organiser.suffix}`;
  const { campaignId, slug } = await campaignWithReports(db, organisationId, organiser.suffix);
  await signIn(page, readMail, organiser.email);

  await page.goto(`/org/campaigns/${campaignId}?area=LS6`);
  await expect(page.getByRole("heading", { name: "Download the data" })).toBeVisible();
  const link = page.getByRole("link", { name: "Download reports (CSV)" });
  await expect(link).toHaveAttribute("href", `/org/campaigns/${campaignId}/reports.csv?area=LS6`);
  await expect(page.getByRole("link", { name: "Download participation (CSV)" })).toHaveAttribute(
    "href",
    `/org/campaigns/${campaignId}/participation.csv?area=LS6`,
  );

  const downloading = page.waitForEvent("download");
  await link.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(
    new RegExp(`^${slug}-reports-\\d{4}-\\d{2}-\\d{2}\\.csv$`),
  );
  const bytes = await readFile(await download.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const [header = [], ...rows] = parseCsv(bytes.toString("utf8"));
  const column = (name: string) => header.indexOf(name);

  const { rows: expected } = await db.query(
    `SELECT r.id, r.feedback, rm.value::float8 AS doors, r.values->>'street' AS street
     FROM "Report" r
     LEFT JOIN "ReportMetric" rm ON rm."reportId" = r.id AND rm."metricKey" = 'doors'
     WHERE r."campaignId" = $1 AND r.district = 'LS6'
     ORDER BY r."createdAt", r.id`,
    [campaignId],
  );
  expect(expected).toHaveLength(2);
  expect(rows.map((row) => row[column("report_id")])).toEqual(expected.map((r) => r.id));
  expect(rows.map((row) => row[column("area")])).toEqual(["LS6", "LS6"]);
  expect(rows.map((row) => Number(row[column("metric_doors")]))).toEqual(
    expected.map((r) => r.doors),
  );
  // Text a spreadsheet would run as a formula comes out defused, and otherwise intact.
  expect(rows.map((row) => row[column("feedback")])).toEqual([`'${HOSTILE}`, ""]);
  expect(rows.map((row) => row[column("value_street")])).toEqual([
    "Cardigan Road",
    "'-1 Hyde Park",
  ]);
  expect(bytes.toString("utf8")).not.toContain("@example.org");
});
