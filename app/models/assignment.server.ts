import { Prisma, type AssignmentStatus, type ReportSource } from "~/generated/prisma/client.ts";
import {
  LADDER_ROWS_JSON,
  LOOP_CAMPAIGN_JSON,
  taskRowsFromJson,
  type LadderRowJson,
  type LoopCampaign,
} from "~/models/ladder.server.ts";
import { wantsWebhookEvent } from "~/models/webhooks.server.ts";
import { db, newId, pool, sqlUtc, type SqlTx, type Tx } from "~/utils/db.server.ts";
import { addJobsSql, type JobSpec } from "~/utils/jobs.server.ts";
import { PREPARED } from "~/utils/prepared.ts";
import { usableTimeZone } from "~/utils/contact-policy.ts";
import { localDay } from "~/utils/format";
import { weeksInARow, type Streak } from "~/utils/streak.ts";

/** Which assignment the loop reads, on what, and the report form's key (to find its report). */
type LoopRead = { tx: SqlTx; assignmentId: string; idempotencyKey?: string | null };

/**
 * Locks an assignment for the rest of the transaction (so concurrent reports and skips on it queue
 * up), then reads what the loop engine needs (readLoopState). The read is a separate statement
 * after the lock so that, under READ COMMITTED, it sees whatever the transaction that held the lock
 * committed.
 */
export async function lockForLoop({ tx, assignmentId, idempotencyKey = null }: LoopRead) {
  const locked = await tx.$queryRaw<Array<{ id: string }>>`${PREPARED}
    SELECT id FROM "Assignment" WHERE id = ${assignmentId} FOR UPDATE`;
  if (locked.length === 0) return null;
  return readLoopState({ tx, assignmentId, idempotencyKey });
}

/**
 * Reads in one statement everything the loop engine needs to decide what follows an assignment:
 * the assignment with its version and any next task, the report already stored under the form's
 * idempotency key, the campaign and its ladder, the person's closed tasks there, and their area.
 * One round trip instead of ten. Without a lock (a report's first try, ADR 021) the write that
 * follows must check that the assignment's status is still the one read here.
 */
export async function readLoopState({ tx, assignmentId, idempotencyKey = null }: LoopRead) {
  const rows = await tx.$queryRaw<LoopStateRow[]>`${PREPARED}
    SELECT a.id, a."userId", a."campaignId", a."organisationId", a."taskId",
      a.status::text AS status,
      json_build_object('id', tv.id, 'taskId', tv."taskId", 'fields', tv.fields,
        'rules', tv.rules) AS "taskVersion",
      (SELECT n.id FROM "Assignment" n WHERE n."previousId" = a.id LIMIT 1) AS "nextId",
      (SELECT json_build_object('assignmentId', r."assignmentId", 'userId', r."userId",
          'nextId', (SELECT n.id FROM "Assignment" n WHERE n."previousId" = r."assignmentId" LIMIT 1))
        FROM "Report" r WHERE r."idempotencyKey" = ${idempotencyKey}::text) AS earlier,
      ${LOOP_CAMPAIGN_JSON} AS campaign,
      ${LADDER_ROWS_JSON} AS ladder,
      COALESCE((SELECT json_agg(json_build_object('taskId', h."taskId", 'status', h.status,
            'closedAt', floor(extract(epoch FROM h."closedAt") * 1000)::float8)
          ORDER BY h."assignedAt")
        FROM "Assignment" h
        WHERE h."userId" = a."userId" AND h."campaignId" = a."campaignId"
          AND h.status <> 'ASSIGNED'), '[]'::json) AS history,
      CASE WHEN a.status = 'EXPIRED' THEN (SELECT o.id FROM "Assignment" o
        WHERE o."userId" = a."userId" AND o."campaignId" = a."campaignId"
          AND o.status = 'ASSIGNED' LIMIT 1) END AS "openId",
      u.district,
      ${wantsWebhookEvent(Prisma.sql`a."organisationId"`, "report.created")} AS "reportWebhooks"
    FROM "Assignment" a
    JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
    JOIN "Campaign" c ON c.id = a."campaignId"
    LEFT JOIN "User" u ON u.id = a."userId"
    WHERE a.id = ${assignmentId}`;
  const row = rows[0];
  if (!row) return null;
  return {
    assignment: {
      id: row.id,
      userId: row.userId,
      campaignId: row.campaignId,
      organisationId: row.organisationId,
      taskId: row.taskId,
      status: row.status,
      taskVersion: row.taskVersion,
      nextId: row.nextId,
    },
    /** The report stored earlier under this idempotency key, if any. */
    earlier: row.earlier,
    campaign: row.campaign,
    ladderRows: taskRowsFromJson(row.ladder),
    /** The person's closed tasks in this campaign, oldest first. */
    history: row.history.map((h) => ({
      taskId: h.taskId,
      status: h.status,
      closedAt: h.closedAt === null ? null : new Date(h.closedAt),
    })),
    /** For an expired assignment: another task the person has open in the campaign now. */
    openId: row.openId,
    district: row.district,
    /** Whether the organisation has an endpoint for report.created (ADR 018). */
    reportWebhooks: row.reportWebhooks,
  };
}

type LoopStateRow = {
  id: string;
  userId: string;
  campaignId: string;
  organisationId: string;
  taskId: string;
  status: AssignmentStatus;
  taskVersion: { id: string; taskId: string; fields: Prisma.JsonValue; rules: Prisma.JsonValue };
  nextId: string | null;
  earlier: { assignmentId: string; userId: string | null; nextId: string | null } | null;
  campaign: LoopCampaign;
  ladder: LadderRowJson[];
  history: Array<{ taskId: string; status: AssignmentStatus; closedAt: number | null }>;
  openId: string | null;
  district: string | null;
  reportWebhooks: boolean;
};

export function findReportByKey({ tx, idempotencyKey }: { tx: Tx; idempotencyKey: string }) {
  return tx.report.findUnique({
    select: {
      id: true,
      assignmentId: true,
      userId: true,
      assignment: { select: { next: { select: { id: true } } } },
    },
    where: { idempotencyKey },
  });
}

/** A task to give a person: an Assignment row's own values. */
export type NewAssignment = {
  organisationId: string;
  campaignId: string;
  taskId: string;
  taskVersionId: string;
  userId: string;
  dueAt: Date;
  assignedAt: Date;
  previousId: string | null;
};

const ASSIGNMENT_COLUMNS = Prisma.sql`(id, "organisationId", "campaignId", "taskId",
  "taskVersionId", "userId", status, "assignedAt", "dueAt", "previousId", "createdAt", "updatedAt")`;

/** The values of a new ASSIGNED row, in ASSIGNMENT_COLUMNS' order. */
function assignmentValues(id: string, data: NewAssignment) {
  const clock = sqlUtc(new Date());
  return Prisma.sql`${id}, ${data.organisationId}, ${data.campaignId}, ${data.taskId},
    ${data.taskVersionId}, ${data.userId}, 'ASSIGNED', ${sqlUtc(data.assignedAt)},
    ${sqlUtc(data.dueAt)}, ${data.previousId}, ${clock}, ${clock}`;
}

/** Opens an assignment (a task given to a person), in one prepared statement. */
export async function createAssignment({
  tx,
  data,
}: {
  tx: SqlTx;
  data: NewAssignment;
}): Promise<{ id: string; dueAt: Date }> {
  const id = newId("asg");
  await tx.$executeRaw`${PREPARED}
    INSERT INTO "Assignment" ${ASSIGNMENT_COLUMNS} VALUES (${assignmentValues(id, data)})`;
  return { id, dueAt: data.dueAt };
}

/** Closes an assignment as skipped, with the person's reason (a report closes it in storeReport). */
export function closeAssignmentSkipped({
  tx,
  assignmentId,
  closedAt,
  skipReason,
}: {
  tx: Tx;
  assignmentId: string;
  closedAt: Date;
  skipReason: string;
}) {
  return tx.assignment.update({
    select: { id: true },
    where: { id: assignmentId },
    data: { status: "SKIPPED", closedAt, skipReason },
  });
}

/**
 * Stores a report in one statement (one round trip): closes its assignment as reported, writes the
 * report, a row per metric it feeds, an open inbox item when it has feedback, opens the next
 * assignment when there is one, and adds the jobs that follow. It does all this only if the
 * assignment still has the status the report was decided on (`data.status`); otherwise it changes
 * nothing and returns null, and the caller reads again. A second report with the same idempotency
 * key or for the same assignment fails on the unique indexes and the whole statement changes
 * nothing.
 */
export async function storeReport({
  tx,
  data,
  metrics,
  next = null,
  jobs = [],
}: {
  tx: SqlTx;
  data: {
    organisationId: string;
    campaignId: string;
    taskId: string;
    taskVersionId: string;
    assignmentId: string;
    /** The assignment's status when the report was decided: ASSIGNED, or EXPIRED for a late one. */
    status: AssignmentStatus;
    userId: string;
    values: Prisma.InputJsonValue;
    feedback: string | null;
    source: ReportSource;
    idempotencyKey: string;
    district: string | null;
    createdAt: Date;
  };
  metrics: Array<{ metricKey: string; value: number }>;
  /** The task that follows, with its id. */
  next?: (NewAssignment & { id: string }) | null;
  /** Jobs to add with the report (its thank-and-next, the next task's nudges). */
  jobs?: JobSpec[];
}): Promise<{ id: string } | null> {
  const id = newId("rep");
  // Metric ids sort in the report's field order (pages list a report's metrics by id).
  const metricRows = metrics.map((metric, index) => ({
    id: `${id}_${String(index).padStart(3, "0")}`,
    metricKey: metric.metricKey,
    value: metric.value,
  }));
  const at = sqlUtc(data.createdAt);
  const clock = sqlUtc(new Date());
  const [row] = await tx.$queryRaw<Array<{ id: string }>>`${PREPARED}
    WITH closed AS (
      UPDATE "Assignment" SET status = 'REPORTED', "closedAt" = ${at}, "skipReason" = NULL,
        "updatedAt" = ${clock}
      WHERE id = ${data.assignmentId} AND status = ${data.status}::"AssignmentStatus"
      RETURNING id),
    report AS (
      INSERT INTO "Report" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
        "assignmentId", "userId", "values", feedback, source, "idempotencyKey", district, "createdAt")
      SELECT ${id}, ${data.organisationId}, ${data.campaignId}, ${data.taskId},
        ${data.taskVersionId}, closed.id, ${data.userId}, ${JSON.stringify(data.values)}::jsonb,
        ${data.feedback}, ${data.source}::"ReportSource", ${data.idempotencyKey}, ${data.district},
        ${at}
      FROM closed
      RETURNING id),
    metrics AS (
      INSERT INTO "ReportMetric" (id, "reportId", "organisationId", "campaignId", "taskId",
        "metricKey", value, district, "createdAt")
      SELECT m.id, report.id, ${data.organisationId}, ${data.campaignId}, ${data.taskId},
        m."metricKey", m.value, ${data.district}, ${at}
      FROM report, json_to_recordset(${JSON.stringify(metricRows)}::json)
        AS m(id text, "metricKey" text, value numeric)),
    inbox AS (
      INSERT INTO "FeedbackHandling" (id, "reportId", "createdAt", "updatedAt")
      SELECT ${newId("fbh")}, report.id, ${clock}, ${clock}
      FROM report WHERE ${data.feedback}::text IS NOT NULL)
    ${
      next
        ? Prisma.sql`, next AS (INSERT INTO "Assignment" ${ASSIGNMENT_COLUMNS}
      SELECT ${assignmentValues(next.id, next)} FROM report)`
        : Prisma.empty
    }
    SELECT id ${jobs.length > 0 ? Prisma.sql`, ${addJobsSql(jobs)}` : Prisma.empty} FROM report`;
  return row ?? null;
}

/**
 * The volunteer's own assignment and what its pages show: `assignmentId` and `userId` are SQL
 * expressions (parameters, or a column of the statement it is joined into).
 */
export const volunteerAssignmentSql = (assignmentId: string, userId: string) => `
SELECT a.id, a.status, a."skipReason",
  floor(extract(epoch FROM a."dueAt") * 1000)::float8 AS "dueAt",
  floor(extract(epoch FROM a."assignedAt") * 1000)::float8 AS "assignedAt",
  floor(extract(epoch FROM a."closedAt") * 1000)::float8 AS "closedAt",
  json_build_object('id', tv.id, 'taskId', tv."taskId", 'title', tv.title,
    'instructions', tv.instructions, 'location', tv.location,
    'durationMinutes', tv."durationMinutes", 'fields', tv.fields, 'rules', tv.rules) AS "taskVersion",
  json_build_object('id', c.id, 'slug', c.slug, 'title', c.title, 'metricKey', c."metricKey",
    'metricLabel', c."metricLabel", 'metricUnit', c."metricUnit", 'target', c.target,
    'whyTakePart', c."whyTakePart", 'whatWeDo', c."whatWeDo", 'whatIsOpen', c."whatIsOpen") AS campaign,
  r.id AS "reportId", floor(extract(epoch FROM r."createdAt") * 1000)::float8 AS "reportCreatedAt",
  CASE WHEN r.id IS NULL THEN NULL ELSE COALESCE(
    (SELECT json_agg(json_build_object('metricKey', m."metricKey", 'value', m.value::text) ORDER BY m.id)
     FROM "ReportMetric" m WHERE m."reportId" = r.id), '[]') END AS metrics,
  n.id AS "nextId", floor(extract(epoch FROM n."dueAt") * 1000)::float8 AS "nextDueAt",
  ntv.title AS "nextTitle"
FROM "Assignment" a
JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
JOIN "Campaign" c ON c.id = a."campaignId"
LEFT JOIN "Report" r ON r."assignmentId" = a.id
LEFT JOIN "Assignment" n ON n."previousId" = a.id
LEFT JOIN "TaskVersion" ntv ON ntv.id = n."taskVersionId"
WHERE a.id = ${assignmentId} AND a."userId" = ${userId}`;

const VOLUNTEER_ASSIGNMENT_SQL = volunteerAssignmentSql("$1", "$2");

/** A row of volunteerAssignmentSql, as pg gives it or as PostgreSQL's to_json writes it. */
export type VolunteerAssignmentRow = {
  id: string;
  status: AssignmentStatus;
  skipReason: string | null;
  dueAt: number;
  assignedAt: number;
  closedAt: number | null;
  taskVersion: {
    id: string;
    taskId: string;
    title: string;
    instructions: string;
    location: string | null;
    durationMinutes: number | null;
    fields: Prisma.JsonValue;
    rules: Prisma.JsonValue;
  };
  campaign: {
    id: string;
    slug: string;
    title: string;
    metricKey: string;
    metricLabel: string;
    metricUnit: string;
    target: number;
    whyTakePart: string;
    whatWeDo: string;
    whatIsOpen: string;
  };
  reportId: string | null;
  reportCreatedAt: number | null;
  metrics: Array<{ metricKey: string; value: string }> | null;
  nextId: string | null;
  nextDueAt: number | null;
  nextTitle: string | null;
};

/**
 * The volunteer's own assignment, with what the task page and report form need. Read on every
 * volunteer page, so one prepared statement on the pool rather than the seven queries the ORM
 * would send (one per relation).
 */
export async function getVolunteerAssignment({
  assignmentId,
  userId,
}: {
  assignmentId: string;
  userId: string;
}) {
  const { rows } = await pool.query<VolunteerAssignmentRow>({
    name: "onward-volunteer-assignment",
    text: VOLUNTEER_ASSIGNMENT_SQL,
    values: [assignmentId, userId],
  });
  const row = rows[0];
  return row ? toVolunteerAssignment(row) : null;
}

export type VolunteerAssignment = ReturnType<typeof toVolunteerAssignment>;

export function toVolunteerAssignment(row: VolunteerAssignmentRow) {
  return {
    id: row.id,
    status: row.status,
    dueAt: new Date(row.dueAt),
    assignedAt: new Date(row.assignedAt),
    closedAt: row.closedAt === null ? null : new Date(row.closedAt),
    skipReason: row.skipReason,
    taskVersion: row.taskVersion,
    campaign: row.campaign,
    report:
      row.reportId === null
        ? null
        : {
            id: row.reportId,
            createdAt: new Date(row.reportCreatedAt!),
            metrics: (row.metrics ?? []).map((metric) => ({
              metricKey: metric.metricKey,
              value: new Prisma.Decimal(metric.value),
            })),
          },
    next:
      row.nextId === null
        ? null
        : {
            id: row.nextId,
            dueAt: new Date(row.nextDueAt!),
            taskVersion: { title: row.nextTitle! },
          },
  };
}

/** "My tasks": every campaign the volunteer is in, its open task, and their reports. */
export async function getVolunteerOverview({ userId }: { userId: string }) {
  const [open, reports, totals] = await Promise.all([
    db.assignment.findMany({
      select: {
        id: true,
        dueAt: true,
        taskVersion: { select: { title: true, location: true } },
        campaign: { select: { id: true, title: true } },
      },
      where: { userId, status: "ASSIGNED" },
      orderBy: { dueAt: "asc" },
    }),
    db.report.findMany({
      select: {
        id: true,
        createdAt: true,
        assignmentId: true,
        taskVersion: { select: { title: true } },
        campaign: { select: { title: true } },
      },
      where: { userId },
      orderBy: { createdAt: "desc" },
      take: 50,
    }),
    db.reportMetric.groupBy({
      by: ["campaignId", "metricKey"],
      _sum: { value: true },
      where: { report: { userId } },
    }),
  ]);
  const campaignIds = [...new Set([...totals.map((t) => t.campaignId)])];
  const campaigns = await db.campaign.findMany({
    select: { id: true, title: true, metricKey: true, metricLabel: true, metricUnit: true },
    where: { id: { in: campaignIds } },
  });
  return {
    open,
    reports,
    // Only numbers that feed each campaign's own objective count as the person's contribution.
    contributions: totals.flatMap((total) => {
      const campaign = campaigns.find((c) => c.id === total.campaignId);
      if (!campaign || campaign.metricKey !== total.metricKey) return [];
      return {
        campaignId: total.campaignId,
        campaignTitle: campaign.title,
        unit: campaign.metricUnit,
        total: Number(total._sum.value ?? 0),
      };
    }),
  };
}

/**
 * How many weeks in a row, by the volunteer's own clock, they have reported back (app/utils/streak.ts).
 * Reads the distinct weeks of their reports, newest first.
 */
export async function getReportStreak({
  userId,
  timeZone,
  now = new Date(),
}: {
  userId: string;
  timeZone: string | null;
  now?: Date;
}): Promise<Streak> {
  const zone = usableTimeZone(timeZone);
  const rows = await db.$queryRaw<Array<{ week: string }>>`
    SELECT DISTINCT to_char(date_trunc('week', (r."createdAt" AT TIME ZONE 'UTC') AT TIME ZONE ${zone}),
                            'YYYY-MM-DD') AS week
    FROM "Report" r
    WHERE r."userId" = ${userId}
    ORDER BY week DESC
    LIMIT 520`;
  return weeksInARow(
    rows.map((row) => row.week),
    localDay(now, zone),
  );
}

/**
 * Closes a campaign's tasks that are still open `expireDays` after they were due, as EXPIRED: the
 * person is free again (a "we miss you" can reach them, and joining gives a new task), and the
 * task can still take a late report. The WHERE is checked again on each locked row, so a task
 * reported meanwhile stays reported.
 */
export async function expireOverdueAssignments({
  campaignId,
  dueBefore,
  now,
}: {
  campaignId: string;
  dueBefore: Date;
  now: Date;
}): Promise<number> {
  const { count } = await db.assignment.updateMany({
    where: { campaignId, status: "ASSIGNED", dueAt: { lt: dueBefore } },
    data: { status: "EXPIRED", closedAt: now },
  });
  return count;
}
