import { describe, expect, it } from "vitest";
import { looksDisposable, seedScale, type SeedScaleOptions } from "../../prisma/seed-scale.ts";
import { REPORT_DAYS_SUMMED } from "../fixtures/rollups.ts";
import { db } from "~/utils/db.server.ts";

const NOW = new Date("2026-11-25T00:00:00Z");
const VOLUNTEERS = 300;
const REPORTS = 2_000;

function options(overrides: Partial<SeedScaleOptions> = {}): SeedScaleOptions {
  return {
    connectionString: process.env.DATABASE_URL!,
    volunteers: VOLUNTEERS,
    reports: REPORTS,
    seed: 42,
    now: NOW,
    batchSize: 700,
    log: () => {},
    ...overrides,
  };
}

async function one(sql: string): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ n: bigint | number }[]>(sql);
  return Number(rows[0]?.n ?? 0);
}

const TABLES = [
  "Organisation",
  "User",
  "Membership",
  "Consent",
  "Campaign",
  "Task",
  "TaskVersion",
  "Team",
  "TeamMember",
  "Assignment",
  "Report",
  "ReportMetric",
  "Message",
  "ReportDay",
  "CampaignParticipant",
  "AssignmentNudge",
  "NudgeDay",
];

/** A digest of every row of every table the seed fills (rollups included). */
async function fingerprint() {
  const digests: Record<string, string> = {};
  for (const table of TABLES) {
    const rows = table === "ReportDay" ? `(${REPORT_DAYS_SUMMED})` : `"${table}"`;
    const [row] = await db.$queryRawUnsafe<{ digest: string | null }[]>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${rows} t`,
    );
    digests[table] = row?.digest ?? "";
  }
  return digests;
}

async function wipe() {
  await db.$executeRawUnsafe(`TRUNCATE "Organisation", "User" CASCADE`);
}

describe("the scale seed", () => {
  it("refuses a database that doesn't look disposable", async () => {
    expect(looksDisposable("postgresql://u@h:5432/onward")).toBe(false);
    expect(looksDisposable("postgresql://u@h:5432/onward_bench_1")).toBe(true);
    await expect(
      seedScale(options({ connectionString: "postgresql://u@127.0.0.1:1/onward" })),
    ).rejects.toThrow(/Refusing to seed onward:/);
  });

  it("writes consistent rows, the same for the same seed, with rollups as the triggers keep them", async () => {
    const indexes = () =>
      db.$queryRawUnsafe<{ indexdef: string }[]>(
        `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexdef`,
      );
    const indexesBefore = await indexes();
    const result = await seedScale(options());
    expect(result.rollups).toBe("function");
    // The indexes deferred for the load are all back, as they were.
    expect(await indexes()).toEqual(indexesBefore);

    // Counts match the arguments and what the seed says it wrote.
    expect(await one(`SELECT count(*) AS n FROM "Membership" WHERE role = 'VOLUNTEER'`)).toBe(
      VOLUNTEERS,
    );
    expect(await one(`SELECT count(*) AS n FROM "User"`)).toBe(VOLUNTEERS + 3);
    expect(await one(`SELECT count(*) AS n FROM "Report"`)).toBe(REPORTS);
    expect(await one(`SELECT count(*) AS n FROM "Campaign" WHERE status = 'LIVE'`)).toBe(3);
    for (const [name, table] of [
      ["assignment", "Assignment"],
      ["metric", "ReportMetric"],
      ["message", "Message"],
      ["consent", "Consent"],
      ["teamMember", "TeamMember"],
    ] as const) {
      expect(await one(`SELECT count(*) AS n FROM "${table}"`), table).toBe(result.counts[name]);
    }
    expect(result.counts.message).toBeGreaterThan(REPORTS);
    expect(result.counts.team).toBeGreaterThan(0);

    // The load ran with this session's triggers (foreign keys included) off: check them by hand.
    const orphans = {
      assignmentUser: `SELECT count(*) AS n FROM "Assignment" a LEFT JOIN "User" u ON u.id = a."userId" WHERE u.id IS NULL`,
      assignmentVersion: `SELECT count(*) AS n FROM "Assignment" a LEFT JOIN "TaskVersion" v ON v.id = a."taskVersionId" WHERE v.id IS NULL OR v."taskId" <> a."taskId"`,
      assignmentPrevious: `SELECT count(*) AS n FROM "Assignment" a LEFT JOIN "Assignment" p ON p.id = a."previousId" WHERE a."previousId" IS NOT NULL AND (p.id IS NULL OR p."userId" <> a."userId" OR p."campaignId" <> a."campaignId" OR p."closedAt" > a."assignedAt")`,
      reportAssignment: `SELECT count(*) AS n FROM "Report" r LEFT JOIN "Assignment" a ON a.id = r."assignmentId" WHERE a.id IS NULL`,
      metricReport: `SELECT count(*) AS n FROM "ReportMetric" m LEFT JOIN "Report" r ON r.id = m."reportId" WHERE r.id IS NULL`,
      messageAssignment: `SELECT count(*) AS n FROM "Message" m LEFT JOIN "Assignment" a ON a.id = m."assignmentId" WHERE m."assignmentId" IS NOT NULL AND (a.id IS NULL OR a."userId" <> m."userId")`,
      teamMember: `SELECT count(*) AS n FROM "TeamMember" t LEFT JOIN "User" u ON u.id = t."userId" LEFT JOIN "Team" g ON g.id = t."teamId" WHERE u.id IS NULL OR g.id IS NULL`,
    };
    for (const [name, sql] of Object.entries(orphans)) expect(await one(sql), name).toBe(0);

    // Every report's assignment is REPORTED and is the same person's, campaign's and task's.
    expect(
      await one(`SELECT count(*) AS n FROM "Report" r JOIN "Assignment" a ON a.id = r."assignmentId"
        WHERE a.status <> 'REPORTED' OR a."userId" <> r."userId" OR a."campaignId" <> r."campaignId"
           OR a."taskId" <> r."taskId" OR a."taskVersionId" <> r."taskVersionId"`),
    ).toBe(0);
    expect(
      await one(`SELECT count(*) AS n FROM "Assignment" a LEFT JOIN "Report" r ON r."assignmentId" = a.id
        WHERE a.status = 'REPORTED' AND r.id IS NULL`),
    ).toBe(0);
    // Times: a report after its assignment, closing after opening, nothing after "now".
    expect(
      await one(`SELECT count(*) AS n FROM "Report" r JOIN "Assignment" a ON a.id = r."assignmentId"
        WHERE r."createdAt" < a."assignedAt" OR r."createdAt" <> a."closedAt"`),
    ).toBe(0);
    expect(
      await one(`SELECT count(*) AS n FROM "Assignment" WHERE "dueAt" <= "assignedAt"
        OR "closedAt" < "assignedAt" OR ("closedAt" IS NULL) <> (status = 'ASSIGNED')
        OR "closedAt" > '2026-11-25' OR "assignedAt" > '2026-11-25'
        OR (status = 'SKIPPED') <> ("skipReason" IS NOT NULL)`),
    ).toBe(0);
    expect(
      await one(`SELECT count(*) AS n FROM "Assignment" a JOIN "User" u ON u.id = a."userId"
        WHERE a."assignedAt" < u."createdAt"`),
    ).toBe(0);
    // At most one open assignment per volunteer per campaign.
    expect(
      await one(`SELECT count(*) AS n FROM (SELECT 1 FROM "Assignment" WHERE status = 'ASSIGNED'
        GROUP BY "userId", "campaignId" HAVING count(*) > 1) x`),
    ).toBe(0);
    // Report.district is the volunteer's.
    expect(
      await one(`SELECT count(*) AS n FROM "Report" r JOIN "User" u ON u.id = r."userId"
        WHERE r.district IS DISTINCT FROM u.district`),
    ).toBe(0);
    // ReportMetric: per report, the numbers of the task's fields feeding the campaign's metric.
    expect(
      await one(`WITH expected AS (
          SELECT r.id, sum((r.values ->> (f ->> 'key'))::numeric) AS total
          FROM "Report" r
          JOIN "Campaign" c ON c.id = r."campaignId"
          JOIN "TaskVersion" v ON v.id = r."taskVersionId"
          CROSS JOIN LATERAL jsonb_array_elements(v.fields) f
          WHERE f ->> 'metricKey' = c."metricKey" AND r.values ? (f ->> 'key')
          GROUP BY r.id),
        actual AS (
          SELECT m."reportId" AS id, sum(m.value) AS total FROM "ReportMetric" m
          JOIN "Report" r ON r.id = m."reportId" JOIN "Campaign" c ON c.id = r."campaignId"
          WHERE m."metricKey" = c."metricKey" AND m.district IS NOT DISTINCT FROM r.district
            AND m."createdAt" = r."createdAt"
          GROUP BY m."reportId")
        SELECT count(*) AS n FROM expected e FULL JOIN actual a ON a.id = e.id
        WHERE e.total IS DISTINCT FROM a.total`),
    ).toBe(0);
    expect(await one(`SELECT count(*) AS n FROM "ReportMetric"`)).toBeGreaterThan(REPORTS / 2);
    // The follow-up task is one the ladder can give (a task of the same campaign).
    expect(
      await one(`SELECT count(*) AS n FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
        WHERE t."campaignId" <> a."campaignId"`),
    ).toBe(0);
    // Skewed activity: most volunteers do 0–2 reports, a few do dozens.
    const perVolunteer = await db.$queryRawUnsafe<{ low: bigint; high: bigint }[]>(
      `SELECT count(*) FILTER (WHERE n <= 2) AS low, count(*) FILTER (WHERE n >= 24) AS high
       FROM (SELECT u.id, count(r.id) AS n FROM "User" u
             JOIN "Membership" m ON m."userId" = u.id AND m.role = 'VOLUNTEER'
             LEFT JOIN "Report" r ON r."userId" = u.id GROUP BY u.id) x`,
    );
    expect(Number(perVolunteer[0]!.low)).toBeGreaterThan(VOLUNTEERS / 2);
    expect(Number(perVolunteer[0]!.high)).toBeGreaterThan(0);
    // Messages: the four kinds, SENT or SUPPRESSED with a reason.
    expect(
      await one(`SELECT count(*) AS n FROM "Message"
        WHERE kind NOT IN ('TASK_ASSIGNED', 'REMINDER', 'OVERDUE', 'REENGAGE')
           OR status NOT IN ('SENT', 'SUPPRESSED')
           OR (status = 'SUPPRESSED') <> ("statusReason" IS NOT NULL)
           OR (status = 'SENT') <> ("sentAt" IS NOT NULL)`),
    ).toBe(0);
    expect(await one(`SELECT count(DISTINCT kind) AS n FROM "Message"`)).toBe(4);
    // The rollups cover the organisation's rows.
    expect(await one(`SELECT sum(reported) AS n FROM "ReportDay"`)).toBe(REPORTS);
    expect(await one(`SELECT sum(nudged) AS n FROM "NudgeDay"`)).toBe(
      await one(
        `SELECT count(DISTINCT ("assignmentId", kind)) AS n FROM "Message" WHERE status = 'SENT' AND "assignmentId" IS NOT NULL`,
      ),
    );
    expect(await one(`SELECT sum(suppressed) AS n FROM "NudgeDay"`)).toBe(
      await one(
        `SELECT count(*) AS n FROM "Message" WHERE status = 'SUPPRESSED' AND "assignmentId" IS NOT NULL`,
      ),
    );
    expect(
      await one(`SELECT count(*) AS n FROM "Report" WHERE "burstFrom" IS NOT NULL`),
    ).toBeGreaterThan(0);
    expect(await one(`SELECT sum("reportCount") AS n FROM "CampaignParticipant"`)).toBe(REPORTS);

    // The same seed gives the same rows; and with the row triggers on (as the app writes) the
    // rollups come out exactly as the seed's set-based rebuild made them.
    const first = await fingerprint();
    await wipe();
    const again = await seedScale(options({ rollups: "triggers" }));
    expect(again.rollups).toBe("triggers");
    expect(again.counts).toEqual(result.counts);
    expect(await fingerprint()).toEqual(first);

    // A different seed gives different rows, and a second run into the same database is refused.
    await expect(seedScale(options())).rejects.toThrow(/already holds the scale organisation/);
    await wipe();
    await seedScale(options({ seed: 43 }));
    expect((await fingerprint()).Report).not.toBe(first.Report);
  }, 180_000);
});
