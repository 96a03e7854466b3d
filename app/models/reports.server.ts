import { Prisma } from "~/generated/prisma/client.ts";
import { ForbiddenError, ORGANISER_ROLES, requireRole } from "~/models/membership.server.ts";
import {
  OUTLIER_MIN_VALUES,
  addDays,
  cohortTable,
  cumulative,
  forecastTarget,
  funnelSteps,
  groupSkipReasons,
  medianBucket,
  rate,
  type DayPoint,
} from "~/reports/compute.ts";
import type { ReportFilters } from "~/reports/filters.ts";
import { db } from "~/utils/db.server.ts";
import { localDay } from "~/utils/format";

/**
 * Organiser reports. Totals, the funnel, segments and cohorts read the rollups ReportDay and
 * CampaignParticipant (kept by triggers; see migration 20261125150000_report_rollups and ADR 008),
 * so their cost grows with days × tasks × areas and with volunteers, never with reports. Nudge
 * effectiveness reads the NudgeDay rollup; skip reasons and report quality read indexes that hold
 * just what they need (migration 20261125160000_report_performance). Nudges and quality look at a
 * window (the filter's dates, or the last RECENT_DAYS days) to stay bounded.
 */

/** How far back nudge and quality checks look when the filter gives no start date. */
export const RECENT_DAYS = 28;
/** Still active: a report within this many days. */
export const ACTIVE_DAYS = 14;
/** Weeks after joining shown in the cohort table, and sign-up weeks shown. */
export const COHORT_WEEKS = 8;
export const COHORT_ROWS = 12;

/** Conditions on a rollup or raw table's columns, from the shared filters. */
function rollupConditions(alias: string, filters: ReportFilters, dayColumn: string) {
  const column = (name: string) => Prisma.raw(`${alias}."${name}"`);
  const parts: Prisma.Sql[] = [];
  if (filters.from) parts.push(Prisma.sql`AND ${column(dayColumn)} >= ${filters.from}::date`);
  if (filters.to) parts.push(Prisma.sql`AND ${column(dayColumn)} <= ${filters.to}::date`);
  if (filters.area) parts.push(Prisma.sql`AND ${column("district")} = ${filters.area}`);
  if (filters.channel) {
    parts.push(Prisma.sql`AND ${column("channel")} = ${filters.channel}::"ChannelPreference"`);
  }
  return parts.length ? Prisma.join(parts, " ") : Prisma.empty;
}

/** The start of a local day as a UTC timestamp, comparable with our TIMESTAMP(3) columns. */
function startOfDay(day: string, timeZone: string) {
  return Prisma.sql`((${day}::date)::timestamp AT TIME ZONE ${timeZone} AT TIME ZONE 'UTC')`;
}

/** Conditions for raw rows: a timestamp within the dates, the person's area and preference. */
function rawConditions({
  at,
  user,
  filters,
  timeZone,
  from,
}: {
  at: string;
  user: string;
  filters: ReportFilters;
  timeZone: string;
  from: string | null;
}) {
  const parts: Prisma.Sql[] = [];
  const stamp = Prisma.raw(at);
  if (from) parts.push(Prisma.sql`AND ${stamp} >= ${startOfDay(from, timeZone)}`);
  if (filters.to) {
    parts.push(Prisma.sql`AND ${stamp} < ${startOfDay(addDays(filters.to, 1), timeZone)}`);
  }
  if (filters.area) parts.push(Prisma.sql`AND ${Prisma.raw(user)}.district = ${filters.area}`);
  if (filters.channel) {
    parts.push(
      Prisma.sql`AND ${Prisma.raw(user)}."channelPreference" = ${filters.channel}::"ChannelPreference"`,
    );
  }
  return parts.length ? Prisma.join(parts, " ") : Prisma.empty;
}

type RollupRow = {
  day: string | null;
  taskId: string | null;
  district: string | null;
  channel: string | null;
  groupedBy: "total" | "day" | "task" | "district" | "channel";
  assigned: number;
  reported: number;
  skipped: number;
  expired: number;
  metric: number;
  hours: number[];
};

function readRollup(campaignIds: Prisma.Sql, filters: ReportFilters) {
  const task = filters.taskId ? Prisma.sql`AND d."taskId" = ${filters.taskId}` : Prisma.empty;
  return db.$queryRaw<RollupRow[]>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d."taskId", d.district, d.channel::text AS channel,
      CASE WHEN GROUPING(d.day) = 0 THEN 'day' WHEN GROUPING(d."taskId") = 0 THEN 'task'
           WHEN GROUPING(d.district) = 0 THEN 'district' WHEN GROUPING(d.channel) = 0 THEN 'channel'
           ELSE 'total' END AS "groupedBy",
      sum(d.assigned)::int AS assigned, sum(d.reported)::int AS reported,
      sum(d.skipped)::int AS skipped, sum(d.expired)::int AS expired,
      sum(d."metricTotal")::float8 AS metric,
      ARRAY[${Prisma.join(
        Array.from({ length: 8 }, (_, i) => Prisma.raw(`sum(d."reportHours"[${i + 1}])`)),
      )}]::int[] AS hours
    FROM "ReportDay" d
    WHERE d."campaignId" IN (${campaignIds}) ${rollupConditions("d", filters, "day")} ${task}
    GROUP BY GROUPING SETS ((), (d.day), (d."taskId"), (d.district), (d.channel))`;
}

type ParticipantRow = {
  groupedBy: "total" | "district" | "channel" | "week";
  district: string | null;
  channel: string | null;
  week: string | null;
  joined: number;
  assigned: number;
  firstReport: number;
  secondReport: number;
  active: number;
  reports: number;
  weeks: number[];
};

function readParticipants(campaignId: string, filters: ReportFilters, activeSince: Date) {
  const week = Prisma.sql`date_trunc('week', p."joinedDay")`;
  return db.$queryRaw<ParticipantRow[]>`
    SELECT CASE WHEN GROUPING(p.district) = 0 THEN 'district'
                WHEN GROUPING(p.channel) = 0 THEN 'channel'
                WHEN GROUPING(${week}) = 0 THEN 'week' ELSE 'total' END AS "groupedBy",
      p.district, p.channel::text AS channel, to_char(${week}, 'YYYY-MM-DD') AS week,
      count(*)::int AS joined,
      count(p."firstAssignedAt")::int AS assigned,
      count(p."firstReportAt")::int AS "firstReport",
      count(p."secondReportAt")::int AS "secondReport",
      (count(*) FILTER (WHERE p."lastReportAt" >= ${activeSince}))::int AS active,
      sum(p."reportCount")::int AS reports,
      ARRAY[${Prisma.join(
        Array.from({ length: COHORT_WEEKS }, (_, k) =>
          Prisma.raw(`count(*) FILTER (WHERE p."reportWeeks" & (1::bigint << ${k}) <> 0)`),
        ),
      )}]::int[] AS weeks
    FROM "CampaignParticipant" p
    WHERE p."campaignId" = ${campaignId} ${rollupConditions("p", filters, "joinedDay")}
    GROUP BY GROUPING SETS ((), (p.district), (p.channel), (${week}))`;
}

type Access = {
  id: string;
  title: string;
  metricKey: string;
  metricLabel: string;
  metricUnit: string;
  target: number;
  organisation: { id: string; name: string; timezone: string };
  tasks: Array<{ id: string; position: number; currentVersion: { title: string } | null }>;
};

async function campaignForReports({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  const campaign: Access | null = await db.campaign.findUnique({
    select: {
      id: true,
      title: true,
      metricKey: true,
      metricLabel: true,
      metricUnit: true,
      target: true,
      organisation: { select: { id: true, name: true, timezone: true } },
      tasks: {
        select: { id: true, position: true, currentVersion: { select: { title: true } } },
        orderBy: [{ position: "asc" }, { createdAt: "asc" }],
      },
    },
    where: { id: campaignId },
  });
  // A campaign that doesn't exist is refused like one that isn't theirs, so neither leaks.
  if (!campaign) throw new ForbiddenError("You don't have access to that campaign.");
  await requireRole({
    userId: actorId,
    organisationId: campaign.organisation.id,
    roles: ORGANISER_ROLES,
  });
  return campaign;
}

function sumRows<T extends { groupedBy: string }>(rows: T[], groupedBy: T["groupedBy"]) {
  return rows.filter((row) => row.groupedBy === groupedBy);
}

/**
 * Everything the campaign reports page shows, for its owners and organisers, under the filters.
 * `now` is the moment the figures are for (tests pass one; "still active" and the forecast use it).
 */
export async function getCampaignReport({
  actorId,
  campaignId,
  filters,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  filters: ReportFilters;
  now?: Date;
}) {
  const campaign = await campaignForReports({ actorId, campaignId });
  const timeZone = campaign.organisation.timezone;
  const today = localDay(now, timeZone);
  const recentFrom = filters.from ?? addDays(filters.to ?? today, -(RECENT_DAYS - 1));
  const activeSince = new Date(now.getTime() - ACTIVE_DAYS * 86_400_000);
  const taskCondition = (column: string) =>
    filters.taskId ? Prisma.sql`AND ${Prisma.raw(column)} = ${filters.taskId}` : Prisma.empty;
  const needsUser = filters.area !== null || filters.channel !== null;

  const [rollup, participants, teams, skips, nudges, outliers, bursts] = await Promise.all([
    readRollup(Prisma.sql`${campaign.id}`, filters),
    readParticipants(campaign.id, filters, activeSince),
    db.$queryRaw<
      Array<{
        id: string;
        name: string;
        members: number;
        joined: number;
        reported: number;
        active: number;
        reports: number;
      }>
    >`
      SELECT t.id, t.name, count(DISTINCT tm."userId")::int AS members,
        count(p."userId")::int AS joined, count(p."firstReportAt")::int AS reported,
        (count(*) FILTER (WHERE p."lastReportAt" >= ${activeSince}))::int AS active,
        COALESCE(sum(p."reportCount"), 0)::int AS reports
      FROM "Team" t
      LEFT JOIN "TeamMember" tm ON tm."teamId" = t.id
      LEFT JOIN "CampaignParticipant" p ON p."campaignId" = ${campaign.id}
        AND p."userId" = tm."userId" ${rollupConditions("p", filters, "joinedDay")}
      WHERE t."organisationId" = ${campaign.organisation.id}
        AND (t."campaignId" = ${campaign.id} OR t."campaignId" IS NULL)
      GROUP BY t.id, t.name
      ORDER BY t.name, t.id`,
    db.$queryRaw<Array<{ taskId: string; reason: string | null; count: number }>>`
      SELECT a."taskId", a."skipReason" AS reason, count(*)::int AS count
      FROM "Assignment" a ${needsUser ? Prisma.sql`JOIN "User" u ON u.id = a."userId"` : Prisma.empty}
      WHERE a."campaignId" = ${campaign.id} AND a.status = 'SKIPPED'
        ${rawConditions({ at: 'a."closedAt"', user: "u", filters, timeZone, from: filters.from })}
        ${taskCondition('a."taskId"')}
      GROUP BY a."taskId", a."skipReason"
      ORDER BY count(*) DESC
      LIMIT 1000`,
    // Per nudge kind: assignments nudged (the first sent one of a kind counts), how many were
    // reported within 48 hours after it, and how many within 48 hours of being given (to compare
    // with the rest); suppressed messages come as rows with a reason. From the NudgeDay rollup.
    db.$queryRaw<
      Array<{
        kind: string;
        reason: string;
        nudged: number;
        reportedSoon: number;
        reportedEarly: number;
        suppressed: number;
      }>
    >`
      SELECT n.kind, n.reason, sum(n.nudged)::int AS nudged,
        sum(n."reportedSoon")::int AS "reportedSoon", sum(n."reportedEarly")::int AS "reportedEarly",
        sum(n.suppressed)::int AS suppressed
      FROM "NudgeDay" n
      WHERE n."campaignId" = ${campaign.id}
        ${rollupConditions("n", { ...filters, from: recentFrom }, "day")}
        ${taskCondition('n."taskId"')}
      GROUP BY n.kind, n.reason`,
    // Values far above what a task usually gets: each task's fence comes from its latest 5,000
    // values (read from one index, which carries the task); the flagged rows are read from the
    // top of the value index down.
    db.$queryRaw<
      Array<{
        reportId: string;
        userId: string | null;
        name: string | null;
        taskId: string;
        value: number;
        limit: number;
        at: Date;
      }>
    >`
      WITH recent AS (
        SELECT rm."taskId", rm.value
        FROM "ReportMetric" rm
        WHERE rm."campaignId" = ${campaign.id} AND rm."metricKey" = ${campaign.metricKey}
        ORDER BY rm."createdAt" DESC
        LIMIT 5000
      ), fences AS (
        SELECT "taskId",
          percentile_cont(0.75) WITHIN GROUP (ORDER BY value)
            + 3 * (percentile_cont(0.75) WITHIN GROUP (ORDER BY value)
                   - percentile_cont(0.25) WITHIN GROUP (ORDER BY value)) AS "limit"
        FROM recent GROUP BY "taskId" HAVING count(*) >= ${OUTLIER_MIN_VALUES}
      )
      SELECT r.id AS "reportId", r."userId", u.name, rm."taskId", rm.value::float8 AS value,
        f."limit"::float8 AS "limit", r."createdAt" AS at
      FROM "ReportMetric" rm
      JOIN fences f ON f."taskId" = rm."taskId"
      JOIN "Report" r ON r.id = rm."reportId"
      LEFT JOIN "User" u ON u.id = r."userId"
      WHERE rm."campaignId" = ${campaign.id} AND rm."metricKey" = ${campaign.metricKey}
        AND rm.value > (SELECT min("limit") FROM fences) AND rm.value > f."limit"
        ${rawConditions({ at: 'rm."createdAt"', user: "u", filters, timeZone, from: recentFrom })}
        ${taskCondition('rm."taskId"')}
      ORDER BY rm.value DESC, r.id
      LIMIT 50`,
    // Many reports in a few minutes from one volunteer: marked when each report is stored
    // (Report.burstFrom, trigger Report_burst).
    db.$queryRaw<
      Array<{ userId: string; name: string | null; reports: number; first: Date; last: Date }>
    >`
      SELECT r."userId", u.name, count(*)::int AS reports, min(r."burstFrom") AS first,
        max(r."createdAt") AS last
      FROM "Report" r
      JOIN "User" u ON u.id = r."userId"
      WHERE r."campaignId" = ${campaign.id} AND r."burstFrom" IS NOT NULL
        ${rawConditions({ at: 'r."createdAt"', user: "u", filters, timeZone, from: recentFrom })}
        ${taskCondition('r."taskId"')}
      GROUP BY r."userId", u.name
      ORDER BY max(r."createdAt") DESC
      LIMIT 50`,
  ]);

  const taskTitles = new Map(
    campaign.tasks.map((task) => [task.id, task.currentVersion?.title ?? "A deleted task"]),
  );
  const titleOf = (taskId: string) => taskTitles.get(taskId) ?? "A deleted task";

  // Outcome: the metric per day under the filters, as a running total, with a forecast.
  const daily: DayPoint[] = sumRows(rollup, "day")
    .filter((row) => row.metric !== 0)
    .map((row) => ({ day: row.day!, value: row.metric }));
  const total = sumRows(rollup, "total")[0];
  const totals = {
    assigned: total?.assigned ?? 0,
    reported: total?.reported ?? 0,
    skipped: total?.skipped ?? 0,
    expired: total?.expired ?? 0,
    metric: total?.metric ?? 0,
  };
  const forecastDay = filters.to && filters.to < today ? filters.to : today;
  const outcome = {
    total: totals.metric,
    target: campaign.target,
    share: rate(totals.metric, campaign.target),
    series: cumulative(daily),
    forecast: forecastTarget({ daily, target: campaign.target, today: forecastDay }),
  };

  // Per task, in ladder order, with its skip reasons grouped.
  const skipsByTask = new Map<string, Array<{ reason: string | null; count: number }>>();
  for (const row of skips) {
    const list = skipsByTask.get(row.taskId) ?? [];
    list.push(row);
    skipsByTask.set(row.taskId, list);
  }
  const taskRows = new Map(sumRows(rollup, "task").map((row) => [row.taskId!, row]));
  const taskIds = [
    ...campaign.tasks.map((task) => task.id),
    ...[...taskRows.keys()].filter((id) => !taskTitles.has(id)),
  ].filter((id) => !filters.taskId || id === filters.taskId);
  const tasks = taskIds.map((taskId) => {
    const row = taskRows.get(taskId);
    const assigned = row?.assigned ?? 0;
    const reported = row?.reported ?? 0;
    return {
      taskId,
      title: titleOf(taskId),
      assigned,
      reported,
      skipped: row?.skipped ?? 0,
      expired: row?.expired ?? 0,
      completion: rate(reported, assigned),
      medianTimeToReport: medianBucket(row?.hours ?? []),
      skipReasons: groupSkipReasons(skipsByTask.get(taskId) ?? []).slice(0, 5),
    };
  });

  // Participation: the funnel, then segments by area, preference, sign-up week and team.
  const people = sumRows(participants, "total")[0];
  const funnel = funnelSteps({
    joined: people?.joined ?? 0,
    assigned: people?.assigned ?? 0,
    firstReport: people?.firstReport ?? 0,
    secondReport: people?.secondReport ?? 0,
    active: people?.active ?? 0,
  });
  const reportsBy = (groupedBy: "district" | "channel") =>
    new Map(sumRows(rollup, groupedBy).map((row) => [row[groupedBy] ?? "", row]));
  const segment = (groupedBy: "district" | "channel") => {
    const reportRows = reportsBy(groupedBy);
    const peopleRows = new Map(
      sumRows(participants, groupedBy).map((row) => [row[groupedBy] ?? "", row]),
    );
    const keys = [...new Set([...reportRows.keys(), ...peopleRows.keys()])].sort();
    return keys.map((key) => {
      const p = peopleRows.get(key);
      const r = reportRows.get(key);
      return {
        key,
        joined: p?.joined ?? 0,
        reportedOnce: p?.firstReport ?? 0,
        active: p?.active ?? 0,
        reports: r?.reported ?? 0,
        metric: r?.metric ?? 0,
        reportRate: rate(p?.firstReport ?? 0, p?.joined ?? 0),
      };
    });
  };
  const cohorts = cohortTable({
    rows: sumRows(participants, "week")
      .map((row) => ({ week: row.week!, joined: row.joined, reported: row.weeks }))
      .sort((a, b) => (a.week < b.week ? 1 : -1))
      .slice(0, COHORT_ROWS),
    weeks: COHORT_WEEKS,
    today,
  });

  // Nudges: compared with the tasks (under the same filters) that didn't get that kind of nudge.
  const earlyAll = (total?.hours ?? []).slice(0, 4).reduce((sum, n) => sum + n, 0);
  const nudgeKinds = nudges
    .filter((row) => row.reason === "")
    .map((row) => ({
      kind: row.kind,
      nudged: row.nudged,
      reportedSoon: row.reportedSoon,
      share: rate(row.reportedSoon, row.nudged),
      withoutNudge: rate(
        Math.max(0, earlyAll - row.reportedEarly),
        Math.max(0, totals.assigned - row.nudged),
      ),
    }))
    .sort((a, b) => b.nudged - a.nudged || a.kind.localeCompare(b.kind));
  const suppressed = nudges
    .filter((row) => row.reason !== "")
    .map((row) => ({ kind: row.kind, reason: row.reason, count: row.suppressed }))
    .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));

  return {
    campaign: {
      id: campaign.id,
      title: campaign.title,
      metricLabel: campaign.metricLabel,
      metricUnit: campaign.metricUnit,
      target: campaign.target,
      organisation: campaign.organisation,
    },
    taskOptions: campaign.tasks.map((task) => ({ id: task.id, title: titleOf(task.id) })),
    filters,
    today,
    recentFrom,
    totals,
    outcome,
    tasks,
    funnel,
    areas: segment("district"),
    channels: segment("channel"),
    cohorts,
    teams: teams.map((team) => ({ ...team, reportRate: rate(team.reported, team.joined) })),
    nudges: { kinds: nudgeKinds, suppressed },
    quality: {
      outliers: outliers.map((row) => ({ ...row, task: titleOf(row.taskId) })),
      bursts,
    },
  };
}

export type CampaignReport = Awaited<ReturnType<typeof getCampaignReport>>;

/**
 * The headline figures of every campaign in an organisation, with totals, under the filters (the
 * task filter doesn't apply across campaigns). For its owners and organisers.
 */
export async function getOrganisationReport({
  actorId,
  organisationId,
  filters,
  now = new Date(),
}: {
  actorId: string;
  organisationId: string;
  filters: ReportFilters;
  now?: Date;
}) {
  await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  const across: ReportFilters = { ...filters, taskId: null };
  const activeSince = new Date(now.getTime() - ACTIVE_DAYS * 86_400_000);
  const [organisation, campaigns, rollup, people] = await Promise.all([
    db.organisation.findUniqueOrThrow({
      select: { id: true, name: true, timezone: true },
      where: { id: organisationId },
    }),
    db.campaign.findMany({
      select: { id: true, title: true, status: true, metricLabel: true, target: true },
      where: { organisationId },
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    }),
    db.$queryRaw<
      Array<{
        campaignId: string;
        assigned: number;
        reported: number;
        skipped: number;
        expired: number;
        metric: number;
      }>
    >`
      SELECT d."campaignId", sum(d.assigned)::int AS assigned, sum(d.reported)::int AS reported,
        sum(d.skipped)::int AS skipped, sum(d.expired)::int AS expired,
        sum(d."metricTotal")::float8 AS metric
      FROM "ReportDay" d
      WHERE d."organisationId" = ${organisationId} ${rollupConditions("d", across, "day")}
      GROUP BY d."campaignId"`,
    db.$queryRaw<
      Array<{ campaignId: string; joined: number; firstReport: number; active: number }>
    >`
      SELECT p."campaignId", count(*)::int AS joined,
        count(p."firstReportAt")::int AS "firstReport",
        (count(*) FILTER (WHERE p."lastReportAt" >= ${activeSince}))::int AS active
      FROM "CampaignParticipant" p
      WHERE p."organisationId" = ${organisationId} ${rollupConditions("p", across, "joinedDay")}
      GROUP BY p."campaignId"`,
  ]);
  const figures = new Map(rollup.map((row) => [row.campaignId, row]));
  const participation = new Map(people.map((row) => [row.campaignId, row]));
  const rows = campaigns.map((campaign) => {
    const f = figures.get(campaign.id);
    const p = participation.get(campaign.id);
    const metric = f?.metric ?? 0;
    return {
      ...campaign,
      metric,
      share: rate(metric, campaign.target),
      assigned: f?.assigned ?? 0,
      reported: f?.reported ?? 0,
      completion: rate(f?.reported ?? 0, f?.assigned ?? 0),
      joined: p?.joined ?? 0,
      firstReport: p?.firstReport ?? 0,
      active: p?.active ?? 0,
    };
  });
  const sum = (key: "assigned" | "reported" | "joined" | "firstReport" | "active") =>
    rows.reduce((total, row) => total + row[key], 0);
  return {
    organisation,
    filters: across,
    today: localDay(now, organisation.timezone),
    campaigns: rows,
    totals: {
      assigned: sum("assigned"),
      reported: sum("reported"),
      completion: rate(sum("reported"), sum("assigned")),
      joined: sum("joined"),
      firstReport: sum("firstReport"),
      active: sum("active"),
    },
  };
}

export type OrganisationReport = Awaited<ReturnType<typeof getOrganisationReport>>;

/**
 * Folds the report rollup's stripes (ReportDay.stripe, ADR 008) into one row for every day before
 * the day before yesterday, as UTC sees it: a report only ever adds to the day it arrives in its
 * organisation's time zone, which is at most a day off. Returns how many stripe rows went.
 */
export async function foldReportDays({ now }: { now: Date }): Promise<number> {
  const before = new Date(now.getTime() - 2 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
  const [row] = await db.$queryRaw<Array<{ folded: number }>>`
    SELECT onward_fold_report_days(${before}::date) AS folded`;
  return row?.folded ?? 0;
}
