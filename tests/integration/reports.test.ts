import { describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { addMember, createCampaign, createUser, uniqueSuffix } from "../fixtures/people.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { REPORT_DAYS_SUMMED } from "../fixtures/rollups.ts";
import { skipAssignment, submitReport } from "~/loop/service.server.ts";
import { ForbiddenError } from "~/models/membership.server.ts";
import {
  foldReportDays,
  getCampaignReport,
  getOrganisationReport,
} from "~/models/reports.server.ts";
import { NO_FILTERS, type ReportFilters } from "~/reports/filters.ts";
import { loader as campaignLoader } from "~/routes/org.campaigns.$campaignId.reports.tsx";
import { loader as organisationLoader } from "~/routes/org.reports.tsx";
import { db } from "~/utils/db.server.ts";
import { startUserSession } from "~/utils/session.server.ts";

type Setup = Awaited<ReturnType<typeof createLadderCampaign>>;

const NOW = new Date("2026-07-20T12:00:00Z"); // a Monday, British Summer Time

async function signedInRequest(userId: string, path: string) {
  const response = await startUserSession({
    request: new Request("http://localhost:3000/sign-in"),
    userId,
    redirectTo: "/",
  });
  const cookie = (response.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
  return new Request(`http://localhost:3000${path}`, { headers: { Cookie: cookie } });
}

function join(
  setup: Setup,
  { at, district, channel }: { at: string; district: string; channel: "EMAIL" | "SMS" | "BOTH" },
) {
  return joinVolunteer(setup, { district, channel, timezone: "Europe/London", now: new Date(at) });
}

async function report(
  who: { userId: string },
  assignmentId: string,
  at: string,
  values: Record<string, string | number | boolean>,
) {
  const result = await submitReport({
    assignmentId,
    userId: who.userId,
    values,
    feedback: null,
    idempotencyKey: `key-${uniqueSuffix()}`,
    source: "WEB",
    now: new Date(at),
  });
  if (!result.ok) throw new Error(result.error);
  return result.nextAssignmentId!;
}

async function skip(who: { userId: string }, assignmentId: string, at: string, reason: string) {
  const result = await skipAssignment({
    assignmentId,
    userId: who.userId,
    reason,
    now: new Date(at),
  });
  if (!result.ok) throw new Error(result.error);
  return result.nextAssignmentId;
}

async function message(
  setup: Setup,
  assignmentId: string,
  {
    kind,
    status,
    at,
    reason = null,
  }: { kind: string; status: "SENT" | "SUPPRESSED"; at: string; reason?: string | null },
) {
  await db.message.create({
    data: {
      organisationId: setup.organisation.id,
      assignmentId,
      channel: "EMAIL",
      kind,
      dedupeKey: `test:${uniqueSuffix()}`,
      toAddress: "someone@example.org",
      bodyText: "A nudge",
      status,
      statusReason: reason,
      sentAt: status === "SENT" ? new Date(at) : null,
      createdAt: new Date(at),
    },
  });
}

/**
 * Four volunteers in a campaign whose organisation works in Europe/London:
 * - V1 (LS6, email) joins Wed 1 July, reports 30 doors a day later, then runs a stall on 5 July.
 * - V2 (LS7, text) joins 1 July, skips the doors ("Too far away") and then the leaflets.
 * - V3 (LS6, both) joins Wed 8 July and reports 10 doors three times at 23:30, 23:33 and 23:36
 *   UTC on 8 July: 00:30 onwards on 9 July in London.
 * - V4 (LS7, text) joins 15 July and skips the doors ("too far away!"); the leaflets expire.
 */
async function world() {
  const setup = await createLadderCampaign();
  const { ids } = setup;
  const organiser = await createUser({ name: "Priya" });
  await addMember({
    userId: organiser.id,
    organisationId: setup.organisation.id,
    role: "ORGANISER",
  });

  const v1 = await join(setup, { at: "2026-07-01T09:00:00Z", district: "LS6", channel: "EMAIL" });
  await message(setup, v1.assignmentId, {
    kind: "REMINDER",
    status: "SENT",
    at: "2026-07-01T12:00:00Z",
  });
  const stall = await report(v1, v1.assignmentId, "2026-07-02T09:00:00Z", {
    doors: 30,
    outcome: "Well",
    would_lead: false,
  });
  await report(v1, stall, "2026-07-05T10:00:00Z", { signups: 5 });

  const v2 = await join(setup, { at: "2026-07-01T10:00:00Z", district: "LS7", channel: "SMS" });
  const leaflets2 = await skip(v2, v2.assignmentId, "2026-07-01T12:00:00Z", "Too far away");
  await skip(v2, leaflets2!, "2026-07-01T13:00:00Z", "No leaflets.");
  for (const at of ["2026-07-10T10:00:00Z", "2026-07-11T10:00:00Z"]) {
    await message(setup, leaflets2!, {
      kind: "REENGAGE",
      status: "SUPPRESSED",
      at,
      reason: "weekly cap",
    });
  }

  const v3 = await join(setup, { at: "2026-07-08T10:00:00Z", district: "LS6", channel: "BOTH" });
  let open = v3.assignmentId;
  for (const at of ["2026-07-08T23:30:00Z", "2026-07-08T23:33:00Z", "2026-07-08T23:36:00Z"]) {
    open = await report(v3, open, at, { doors: 10, outcome: "Hard" });
  }

  const v4 = await join(setup, { at: "2026-07-15T10:00:00Z", district: "LS7", channel: "SMS" });
  await message(setup, v4.assignmentId, {
    kind: "REMINDER",
    status: "SENT",
    at: "2026-07-15T10:30:00Z",
  });
  const leaflets4 = await skip(v4, v4.assignmentId, "2026-07-15T11:00:00Z", "too far away!");
  await db.assignment.update({
    where: { id: leaflets4! },
    data: { status: "EXPIRED", closedAt: new Date("2026-07-18T10:00:00Z") },
  });

  // Teams: one for this campaign (V1, V2), one for the whole organisation (V3).
  const north = await db.team.create({
    data: { organisationId: setup.organisation.id, campaignId: setup.campaign.id, name: "North" },
  });
  const south = await db.team.create({
    data: { organisationId: setup.organisation.id, name: "South" },
  });
  await db.teamMember.createMany({
    data: [
      { teamId: north.id, userId: v1.userId },
      { teamId: north.id, userId: v2.userId },
      { teamId: south.id, userId: v3.userId },
    ],
  });

  // Another organisation, busy with its own figures, which must never show.
  const other = await createLadderCampaign();
  const otherOrganiser = await createUser({ name: "Bea" });
  await addMember({
    userId: otherOrganiser.id,
    organisationId: other.organisation.id,
    role: "ORGANISER",
  });
  const stranger = await join(other, {
    at: "2026-07-02T09:00:00Z",
    district: "LS6",
    channel: "EMAIL",
  });
  await message(other, stranger.assignmentId, {
    kind: "REMINDER",
    status: "SENT",
    at: "2026-07-02T10:00:00Z",
  });
  await report(stranger, stranger.assignmentId, "2026-07-02T11:00:00Z", {
    doors: 400,
    outcome: "Well",
    would_lead: false,
  });
  await db.team.create({ data: { organisationId: other.organisation.id, name: "Elsewhere" } });

  return { setup, ids, organiser, otherOrganiser, other, v1, v2, v3, v4 };
}

function filtered(filters: Partial<ReportFilters>): ReportFilters {
  return { ...NO_FILTERS, ...filters };
}

describe("campaign reports", { timeout: 60_000 }, () => {
  it("counts every figure of a small campaign", async () => {
    const { setup, ids, organiser, v1, v3 } = await world();
    const report = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: NO_FILTERS,
      now: NOW,
    });

    expect(report.today).toBe("2026-07-20");
    expect(report.totals).toEqual({
      assigned: 11,
      reported: 5,
      skipped: 3,
      expired: 1,
      metric: 60,
    });
    expect(report.outcome.total).toBe(60);
    expect(report.outcome.share).toBeCloseTo(0.6);
    // V3's reports at 23:30 UTC on 8 July are 9 July in London.
    expect(report.outcome.series).toEqual([
      { day: "2026-07-02", value: 30 },
      { day: "2026-07-09", value: 60 },
    ]);
    // 60 doors over the 19 days since 2 July: 40 more takes 13 days.
    expect(report.outcome.forecast).toEqual({
      kind: "forecast",
      day: "2026-08-02",
      perDay: 60 / 19,
    });

    expect(report.funnel.map((step) => [step.key, step.count, step.fromPrevious])).toEqual([
      ["joined", 4, null],
      ["assigned", 4, 1],
      ["firstReport", 2, 0.5],
      ["secondReport", 2, 1],
      ["active", 1, 0.5],
    ]);

    expect(
      report.tasks.map((task) => [
        task.taskId,
        task.assigned,
        task.reported,
        task.skipped,
        task.expired,
        task.completion,
        task.medianTimeToReport,
      ]),
    ).toEqual([
      [ids.doors, 7, 4, 2, 0, 4 / 7, "under an hour"],
      [ids.stall, 1, 1, 0, 0, 1, "3 to 7 days"],
      [ids.team, 1, 0, 0, 0, 0, null],
      [ids.leaflets, 2, 0, 1, 1, 0, null],
    ]);
    const doorsSkips = report.tasks[0]!.skipReasons;
    expect(doorsSkips).toHaveLength(1);
    expect(doorsSkips[0]!.count).toBe(2);
    expect(doorsSkips[0]!.reason.toLowerCase()).toContain("too far away");
    expect(report.tasks[3]!.skipReasons).toEqual([{ reason: "No leaflets.", count: 1 }]);

    const segment = (rows: typeof report.areas) =>
      rows.map((row) => [
        row.key,
        row.joined,
        row.reportedOnce,
        row.active,
        row.reports,
        row.metric,
      ]);
    expect(segment(report.areas)).toEqual([
      ["LS6", 2, 2, 1, 5, 60],
      ["LS7", 2, 0, 0, 0, 0],
    ]);
    expect(segment(report.channels)).toEqual([
      ["BOTH", 1, 1, 1, 3, 30],
      ["EMAIL", 1, 1, 0, 2, 30],
      ["SMS", 2, 0, 0, 0, 0],
    ]);

    expect(report.cohorts).toEqual([
      { week: "2026-06-29", joined: 2, shares: [0.5, 0, 0, 0, null, null, null, null] },
      { week: "2026-07-06", joined: 1, shares: [1, 0, 0, null, null, null, null, null] },
      { week: "2026-07-13", joined: 1, shares: [0, 0, null, null, null, null, null, null] },
    ]);

    expect(
      report.teams.map((team) => [
        team.name,
        team.members,
        team.joined,
        team.reported,
        team.active,
        team.reports,
      ]),
    ).toEqual([
      ["North", 2, 2, 1, 0, 2],
      ["South", 1, 1, 1, 1, 3],
    ]);

    // REMINDER went to V1 (reported 21 hours later) and V4 (skipped). Without a reminder, 3 of the
    // other 9 tasks were reported within 48 hours of being given.
    expect(report.nudges.kinds).toEqual([
      { kind: "REMINDER", nudged: 2, reportedSoon: 1, share: 0.5, withoutNudge: 3 / 9 },
    ]);
    expect(report.nudges.suppressed).toEqual([
      { kind: "REENGAGE", reason: "weekly cap", count: 2 },
    ]);

    // Three reports in six minutes from V3; too few values for an outlier fence.
    expect(report.quality.outliers).toEqual([]);
    expect(report.quality.bursts.map((row) => [row.userId, row.last.toISOString()])).toEqual([
      [v3.userId, "2026-07-08T23:36:00.000Z"],
    ]);
    expect(report.quality.bursts.some((row) => row.userId === v1.userId)).toBe(false);
  });

  it("puts a report at 23:30 UTC on the right London day for the date filter", async () => {
    const { setup, organiser } = await world();
    const until8 = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: filtered({ to: "2026-07-08" }),
      now: NOW,
    });
    expect(until8.totals.reported).toBe(2);
    expect(until8.outcome.total).toBe(30);
    expect(until8.funnel[0]!.count).toBe(3); // V1, V2 and V3 joined by 8 July
    // The forecast is for the end of the view: 30 doors between 2 and 8 July.
    expect(until8.outcome.forecast).toEqual({
      kind: "forecast",
      day: "2026-07-25",
      perDay: 30 / 7,
    });

    const only9 = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: filtered({ from: "2026-07-09", to: "2026-07-09" }),
      now: NOW,
    });
    expect(only9.totals.reported).toBe(3);
    expect(only9.outcome.series).toEqual([{ day: "2026-07-09", value: 30 }]);
    expect(only9.funnel[0]!.count).toBe(0);
    expect(only9.quality.bursts).toHaveLength(1);
    expect(only9.nudges.kinds).toEqual([]);
  });

  it("narrows every figure to an area, a contact choice or a task", async () => {
    const { setup, ids, organiser } = await world();
    for (const filters of [filtered({ area: "LS7" }), filtered({ channel: "SMS" })]) {
      const report = await getCampaignReport({
        actorId: organiser.id,
        campaignId: setup.campaign.id,
        filters,
        now: NOW,
      });
      expect(report.funnel.map((step) => step.count)).toEqual([2, 2, 0, 0, 0]);
      expect(report.totals).toEqual({
        assigned: 4,
        reported: 0,
        skipped: 3,
        expired: 1,
        metric: 0,
      });
      expect(report.outcome.forecast.kind).toBe("none");
      expect(report.areas.map((row) => row.key)).toEqual(["LS7"]);
      expect(report.nudges.kinds).toEqual([
        { kind: "REMINDER", nudged: 1, reportedSoon: 0, share: 0, withoutNudge: 0 },
      ]);
      expect(report.nudges.suppressed).toEqual([
        { kind: "REENGAGE", reason: "weekly cap", count: 2 },
      ]);
      expect(report.quality.bursts).toEqual([]);
      expect(report.teams.map((team) => [team.name, team.joined])).toEqual([
        ["North", 1],
        ["South", 0],
      ]);
    }
    const doors = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: filtered({ taskId: ids.stall }),
      now: NOW,
    });
    expect(doors.tasks.map((task) => task.taskId)).toEqual([ids.stall]);
    expect(doors.totals).toEqual({ assigned: 1, reported: 1, skipped: 0, expired: 0, metric: 0 });
    expect(doors.quality.bursts).toEqual([]);
  });

  it("says plainly when a campaign has nothing yet", async () => {
    const setup = await createLadderCampaign();
    const organiser = await createUser();
    await addMember({ userId: organiser.id, organisationId: setup.organisation.id, role: "OWNER" });
    const report = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: NO_FILTERS,
      now: NOW,
    });
    expect(report.totals).toEqual({ assigned: 0, reported: 0, skipped: 0, expired: 0, metric: 0 });
    expect(report.outcome.series).toEqual([]);
    expect(report.outcome.forecast).toEqual({
      kind: "none",
      why: "There are no results yet, so we can't forecast.",
    });
    expect(report.funnel.map((step) => [step.count, step.fromPrevious])).toEqual([
      [0, null],
      [0, null],
      [0, null],
      [0, null],
      [0, null],
    ]);
    expect(report.tasks).toHaveLength(4);
    expect(report.tasks.every((task) => task.completion === null)).toBe(true);
    expect(report.cohorts).toEqual([]);
    expect(report.areas).toEqual([]);
    expect(report.nudges).toEqual({ kinds: [], suppressed: [] });
    expect(report.quality).toEqual({ outliers: [], bursts: [] });
  });

  it("uses the organisation's own time zone, and flags a value far above the task's usual range", async () => {
    const setup = await createLadderCampaign();
    await db.organisation.update({
      where: { id: setup.organisation.id },
      data: { timezone: "Pacific/Auckland" },
    });
    const organiser = await createUser();
    await addMember({ userId: organiser.id, organisationId: setup.organisation.id, role: "OWNER" });
    // One volunteer, nine doors reports an hour apart: 10 to 17, then 400.
    const only = await join(setup, {
      at: "2026-07-07T00:00:00Z",
      district: "SW1A",
      channel: "EMAIL",
    });
    let open = only.assignmentId;
    const values = [10, 11, 12, 13, 14, 15, 16, 17, 400];
    for (const [hour, doors] of values.entries()) {
      const at = `2026-07-08T${String(5 + hour).padStart(2, "0")}:30:00Z`;
      open = await report(only, open, at, { doors, outcome: "Hard" });
    }
    const report13 = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: NO_FILTERS,
      now: NOW,
    });
    // 05:30 to 11:30 UTC on 8 July is 17:30 to 23:30 in Auckland; 12:30 and 13:30 are 9 July.
    expect(report13.outcome.series).toEqual([
      { day: "2026-07-08", value: 91 },
      { day: "2026-07-09", value: 508 },
    ]);
    expect(report13.funnel.map((step) => step.count)).toEqual([1, 1, 1, 1, 1]);
    expect(report13.today).toBe("2026-07-21"); // noon UTC on the 20th is midnight in Auckland
    // Quartiles of the nine values: 12 and 16; the fence is 16 + 3 × 4 = 28.
    expect(report13.quality.outliers.map((row) => [row.userId, row.value, row.limit])).toEqual([
      [only.userId, 400, 28],
    ]);
    const to8 = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: filtered({ to: "2026-07-08" }),
      now: NOW,
    });
    expect(to8.totals.reported).toBe(7);
    expect(to8.quality.outliers).toEqual([]);
    const from9 = await getCampaignReport({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      filters: filtered({ from: "2026-07-09" }),
      now: NOW,
    });
    expect(from9.totals.reported).toBe(2);
    expect(from9.quality.outliers).toHaveLength(1);
  });
});

describe("the report rollups", { timeout: 60_000 }, () => {
  const ROLLUPS = [
    REPORT_DAYS_SUMMED,
    `SELECT * FROM "CampaignParticipant"`,
    `SELECT * FROM "AssignmentNudge"`,
    `SELECT * FROM "NudgeDay" WHERE nudged <> 0 OR "reportedSoon" <> 0 OR "reportedEarly" <> 0
       OR suppressed <> 0`,
    `SELECT id, "burstFrom" FROM "Report"`,
    `SELECT "campaignId", sum("metricTotal") AS total FROM "CampaignTotal" GROUP BY 1
       HAVING sum("metricTotal") <> 0`,
  ];
  /** Campaigns whose CampaignTotal is not their ReportDay total, read in one statement. */
  async function totalsDisagree() {
    return db.$queryRaw<Array<{ id: string }>>`
      SELECT c.id FROM "Campaign" c
      WHERE COALESCE((SELECT sum("metricTotal") FROM "CampaignTotal" t WHERE t."campaignId" = c.id), 0)
         <> COALESCE((SELECT sum("metricTotal") FROM "ReportDay" d WHERE d."campaignId" = c.id), 0)`;
  }
  async function snapshot() {
    const out: string[][] = [];
    for (const sql of ROLLUPS) {
      const rows = await db.$queryRawUnsafe<Array<{ row: string }>>(
        `SELECT t::text AS row FROM (${sql}) t ORDER BY 1`,
      );
      out.push(rows.map((r) => r.row));
    }
    return out;
  }

  it("counts a nudge when delivery marks it sent, and the earliest sent of a kind wins", async () => {
    const { setup, organiser, v3 } = await world();
    // V3's first task: an email reminder queued, then sent at 20:00 (3.5 hours before the report
    // at 23:30); then a text of the same kind recorded later but sent earlier, at 19:00.
    const assignmentId = v3.assignmentId;
    const queued = await db.message.create({
      data: {
        organisationId: setup.organisation.id,
        assignmentId,
        channel: "EMAIL",
        kind: "OVERDUE",
        dedupeKey: `test:${uniqueSuffix()}`,
        toAddress: "v3@example.org",
        bodyText: "How did it go?",
        createdAt: new Date("2026-07-08T19:00:00Z"),
      },
    });
    const figures = async () =>
      (
        await getCampaignReport({
          actorId: organiser.id,
          campaignId: setup.campaign.id,
          filters: filtered({ from: "2026-07-01", to: "2026-07-31" }),
        })
      ).nudges.kinds.find((row) => row.kind === "OVERDUE");
    expect(await figures()).toBeUndefined();

    await db.message.update({
      where: { id: queued.id },
      data: { status: "SENT", sentAt: new Date("2026-07-08T20:00:00Z") },
    });
    expect(await figures()).toMatchObject({ nudged: 1, reportedSoon: 1 });
    const [first] = await db.$queryRaw<Array<{ sentAt: Date }>>`
      SELECT "sentAt" FROM "AssignmentNudge" WHERE "assignmentId" = ${assignmentId}`;
    expect(first!.sentAt.toISOString()).toBe("2026-07-08T20:00:00.000Z");

    await message(setup, assignmentId, {
      kind: "OVERDUE",
      status: "SENT",
      at: "2026-07-08T19:00:00Z",
    });
    // Still one nudged assignment, now counted from the text.
    expect(await figures()).toMatchObject({ nudged: 1, reportedSoon: 1 });
    const [moved] = await db.$queryRaw<Array<{ sentAt: Date }>>`
      SELECT "sentAt" FROM "AssignmentNudge" WHERE "assignmentId" = ${assignmentId}`;
    expect(moved!.sentAt.toISOString()).toBe("2026-07-08T19:00:00.000Z");
    // Delivered later: no second count.
    await db.message.update({ where: { id: queued.id }, data: { status: "DELIVERED" } });
    expect(await figures()).toMatchObject({ nudged: 1, reportedSoon: 1 });
  });

  it("rebuilt from the rows, every rollup is exactly what the triggers kept", async () => {
    await world();
    const kept = await snapshot();
    expect(kept[2]!.length).toBeGreaterThan(0);
    expect(kept[4]!.some((row) => !row.endsWith(",)"))).toBe(true);
    expect(await totalsDisagree()).toEqual([]);
    await db.$executeRawUnsafe(`SELECT onward_refresh_report_rollups()`);
    expect(await snapshot()).toEqual(kept);
    expect(await totalsDisagree()).toEqual([]);
  });

  it("folds the stripes of past days into one row each, keeping every figure", async () => {
    const { setup } = await world();
    const campaignId = setup.campaign.id;
    // Reports on another connection: every row of the campaign gets another stripe.
    await db.$executeRaw`
      INSERT INTO "ReportDay" ("campaignId", "organisationId", day, "taskId", district, channel,
        stripe, assigned, reported, skipped, expired, "metricTotal", "reportHours")
      SELECT DISTINCT "campaignId", "organisationId", day, "taskId", district, channel, 9, 2, 1, 1,
        0, 12.5, ARRAY[0, 1, 0, 0, 0, 0, 0, 1]
      FROM "ReportDay" WHERE "campaignId" = ${campaignId}`;
    const rowsOf = async () =>
      db.$queryRaw<Array<{ day: string; stripes: number[] }>>`
        SELECT to_char(day, 'YYYY-MM-DD') AS day, array_agg(stripe::int ORDER BY stripe) AS stripes
        FROM "ReportDay" WHERE "campaignId" = ${campaignId}
        GROUP BY "campaignId", day, "taskId", district, channel ORDER BY 1`;
    const before = await rowsOf();
    const summed = await snapshot();
    // Every campaign's stripes of those days fold (other tests' campaigns too).
    const [{ toFold }] = await db.$queryRaw<[{ toFold: number }]>`
      SELECT count(*)::int AS "toFold" FROM "ReportDay" WHERE stripe <> 0 AND day < '2026-07-05'`;
    expect(before.some((row) => row.day < "2026-07-05" && row.stripes.length > 1)).toBe(true);

    // The job on 2026-07-07: days up to the 4th fold, later ones keep their stripes.
    expect(await foldReportDays({ now: new Date("2026-07-07T04:15:00Z") })).toBe(toFold);
    const after = await rowsOf();
    expect(after.map((row) => row.day)).toEqual(before.map((row) => row.day));
    after.forEach((row, index) => {
      expect(row.stripes).toEqual(row.day < "2026-07-05" ? [0] : before[index]!.stripes);
    });
    expect(await snapshot()).toEqual(summed);
    expect(await totalsDisagree()).toEqual([]);
    // Again: nothing left to fold.
    expect(await foldReportDays({ now: new Date("2026-07-07T04:15:00Z") })).toBe(0);
    expect(await snapshot()).toEqual(summed);
  });
});

describe("organisation reports", { timeout: 60_000 }, () => {
  it("gives each campaign's headline figures and the totals", async () => {
    const { setup, organiser } = await world();
    const empty = await createCampaign({
      organisationId: setup.organisation.id,
      title: "Quiet one",
    });
    const report = await getOrganisationReport({
      actorId: organiser.id,
      organisationId: setup.organisation.id,
      filters: filtered({ taskId: "ignored" }),
      now: NOW,
    });
    expect(report.filters.taskId).toBeNull();
    expect(
      report.campaigns.map((c) => [
        c.id,
        c.metric,
        c.assigned,
        c.reported,
        c.joined,
        c.firstReport,
        c.active,
      ]),
    ).toEqual([
      [empty.id, 0, 0, 0, 0, 0, 0],
      [setup.campaign.id, 60, 11, 5, 4, 2, 1],
    ]);
    expect(report.totals).toEqual({
      assigned: 11,
      reported: 5,
      completion: 5 / 11,
      joined: 4,
      firstReport: 2,
      active: 1,
    });
    const ls7 = await getOrganisationReport({
      actorId: organiser.id,
      organisationId: setup.organisation.id,
      filters: filtered({ area: "LS7" }),
      now: NOW,
    });
    expect(ls7.totals).toMatchObject({ joined: 2, reported: 0, assigned: 4 });
  });
});

describe("who may see reports", { timeout: 60_000 }, () => {
  it("refuses another organisation's organiser and volunteers, in the model and the loaders", async () => {
    const { setup, organiser, otherOrganiser, v1 } = await world();
    for (const actorId of [otherOrganiser.id, v1.userId]) {
      await expect(
        getCampaignReport({ actorId, campaignId: setup.campaign.id, filters: NO_FILTERS }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        getOrganisationReport({
          actorId,
          organisationId: setup.organisation.id,
          filters: NO_FILTERS,
        }),
      ).rejects.toBeInstanceOf(ForbiddenError);

      const path = `/org/campaigns/${setup.campaign.id}/reports`;
      const refused = await campaignLoader({
        request: await signedInRequest(actorId, path),
        params: { campaignId: setup.campaign.id },
        context: { cspNonce: "test" },
      }).catch((error: unknown) => error);
      expect((refused as Response).status).toBe(404);

      const orgPath = `/org/reports?org=${setup.organisation.id}`;
      const refusedOrg = await organisationLoader({
        request: await signedInRequest(actorId, orgPath),
        params: {},
        context: { cspNonce: "test" },
      }).catch((error: unknown) => error);
      expect((refusedOrg as Response).status).toBe(404);
    }
    await expect(
      getCampaignReport({
        actorId: organiser.id,
        campaignId: "no-such-campaign",
        filters: NO_FILTERS,
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);

    const ok = await campaignLoader({
      request: await signedInRequest(
        organiser.id,
        `/org/campaigns/${setup.campaign.id}/reports?area=ls6&channel=FAX`,
      ),
      params: { campaignId: setup.campaign.id },
      context: { cspNonce: "test" },
    });
    expect(ok.report.filters.area).toBe("LS6");
    expect(ok.problems).toEqual(["The channel wasn't one we know, so it was left out."]);
    expect(ok.report.totals.reported).toBe(5);
    expect(ok.search).toBe("?area=LS6");
    const okOrg = await organisationLoader({
      request: await signedInRequest(organiser.id, `/org/reports?org=${setup.organisation.id}`),
      params: {},
      context: { cspNonce: "test" },
    });
    expect(okOrg.report.campaigns.map((c) => c.id)).toEqual([setup.campaign.id]);
  });
});
