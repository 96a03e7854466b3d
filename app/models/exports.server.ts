import { createHmac } from "node:crypto";
import { requireCampaignAccess } from "~/models/campaign.server.ts";
import type { ReportFilters } from "~/reports/filters.ts";
import { ReportFieldsSchema } from "~/schemas/task.ts";
import { CSV_BOM, csvRow, type CsvCell } from "~/utils/csv.ts";
import { db, pool } from "~/utils/db.server.ts";
import { getSessionSecret } from "~/utils/env.server.ts";
import { localDay } from "~/utils/format";

/**
 * CSV exports of one campaign for its owners and organisers (404 for everyone else, as for the
 * campaign page). Rows come from a server-side cursor, EXPORT_BATCH_SIZE at a time, and each
 * batch is written to the response before the next is read: a million reports never sit in
 * memory, and a slow download reads the next batch only when the client has taken the last.
 *
 * Personal data: a volunteer is a pseudonymous id (the same in both files, different in every
 * organisation). The reports file adds their name, which owners and organisers already see on
 * /org/people; no export carries an email address, a phone number or a postcode.
 */

export const EXPORT_BATCH_SIZE = 2_000;

/** A volunteer's id in exports: stable, opaque, and unlinkable between organisations. */
export function volunteerExportId({
  organisationId,
  userId,
}: {
  organisationId: string;
  userId: string;
}) {
  const digest = createHmac("sha256", getSessionSecret())
    .update(`export:${organisationId}:${userId}`)
    .digest("base64url");
  return `v_${digest.slice(0, 16)}`;
}

export type CsvExport = {
  filename: string;
  body: ReadableStream<Uint8Array>;
};

type ExportCampaign = {
  id: string;
  slug: string;
  metricKey: string;
  organisationId: string;
  timezone: string;
};

async function loadCampaign({ actorId, campaignId }: { actorId: string; campaignId: string }) {
  await requireCampaignAccess({ actorId, campaignId });
  const campaign = await db.campaign.findUniqueOrThrow({
    select: {
      id: true,
      slug: true,
      metricKey: true,
      organisationId: true,
      organisation: { select: { timezone: true } },
    },
    where: { id: campaignId },
  });
  return {
    id: campaign.id,
    slug: campaign.slug,
    metricKey: campaign.metricKey,
    organisationId: campaign.organisationId,
    timezone: campaign.organisation.timezone,
  } satisfies ExportCampaign;
}

function filename(campaign: ExportCampaign, kind: string, now: Date) {
  const slug = campaign.slug.replace(/[^A-Za-z0-9_-]+/g, "-") || "campaign";
  return `${slug}-${kind}-${localDay(now, campaign.timezone)}.csv`;
}

/** Placeholders for a query built a condition at a time. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown) {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const UTC_ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Timestamps are stored as UTC without a zone; a calendar day in the organisation's zone is the
 * half-open UTC range [start of day, start of next day).
 */
function dayRange(column: string, filters: ReportFilters, params: Params, tz: string): string[] {
  const conditions: string[] = [];
  if (filters.from) {
    conditions.push(
      `${column} >= ((${params.add(filters.from)}::date)::timestamp AT TIME ZONE ${tz}) AT TIME ZONE 'UTC'`,
    );
  }
  if (filters.to) {
    conditions.push(
      `${column} < ((${params.add(filters.to)}::date + 1)::timestamp AT TIME ZONE ${tz}) AT TIME ZONE 'UTC'`,
    );
  }
  return conditions;
}

type Cursor = { sql: string; values: unknown[] };

/**
 * Streams a query as CSV. The connection is taken and the first batch read before this returns,
 * so a failing query is a 500 rather than a broken download. The connection goes back to the
 * pool when the last batch is read, when the reader cancels, or when `signal` aborts (the client
 * went away), whichever comes first.
 */
async function streamCsv({
  cursor,
  header,
  toCells,
  signal,
}: {
  cursor: Cursor;
  header: readonly string[];
  toCells: (row: Record<string, unknown>) => CsvCell[];
  signal?: AbortSignal;
}): Promise<ReadableStream<Uint8Array>> {
  const client = await pool.connect();
  const encoder = new TextEncoder();
  let state: "open" | "closing" | "closed" = "open";
  let inFlight: Promise<unknown> = Promise.resolve();

  const close = async (failure?: unknown) => {
    if (state !== "open") return;
    state = "closing";
    signal?.removeEventListener("abort", onAbort);
    await inFlight.catch(() => {});
    if (failure) {
      // A connection whose query failed is destroyed, not returned to the pool (the error
      // listener stays, to swallow whatever the dying connection still reports).
      client.release(failure instanceof Error ? failure : true);
    } else {
      try {
        // ROLLBACK closes the cursor too; nothing was written.
        await client.query("ROLLBACK");
        client.removeListener("error", onClientError);
        client.release();
      } catch (error) {
        client.release(error instanceof Error ? error : true);
      }
    }
    state = "closed";
  };
  // The pool listens for errors on idle connections only: one that breaks while an export holds
  // it (the server ended the session, say) would otherwise crash the process.
  const onClientError = (error: Error) => void close(error);
  client.on("error", onClientError);
  const onAbort = () => void close();

  const fetchBatch = async () => {
    const work = client.query<Record<string, unknown>>(
      `FETCH ${EXPORT_BATCH_SIZE} FROM export_rows`,
    );
    inFlight = work;
    return (await work).rows;
  };

  let first: Record<string, unknown>[];
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    // A download the client stopped reading must not hold a connection open for ever.
    await client.query("SET LOCAL idle_in_transaction_session_timeout = '5min'");
    await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${cursor.sql}`, cursor.values);
    first = await fetchBatch();
  } catch (error) {
    state = "closed";
    await client.query("ROLLBACK").catch(() => {});
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  if (signal?.aborted) {
    await close();
  } else {
    signal?.addEventListener("abort", onAbort, { once: true });
  }

  const encode = (rows: Record<string, unknown>[]) =>
    encoder.encode(rows.map((row) => csvRow(toCells(row))).join(""));
  let pending: Record<string, unknown>[] | null = first;

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          const rows = pending;
          pending = null;
          controller.enqueue(encoder.encode(CSV_BOM + csvRow(header)));
          if (rows.length > 0) controller.enqueue(encode(rows));
          if (rows.length < EXPORT_BATCH_SIZE) {
            await close();
            controller.close();
          }
          return;
        }
        if (state !== "open") {
          controller.error(new Error("The export was stopped."));
          return;
        }
        try {
          const rows = await fetchBatch();
          // Stopped while the batch was on its way: the reader has gone.
          if (state !== "open") {
            controller.error(new Error("The export was stopped."));
            return;
          }
          if (rows.length > 0) controller.enqueue(encode(rows));
          if (rows.length < EXPORT_BATCH_SIZE) {
            await close();
            controller.close();
          }
        } catch (error) {
          await close(error);
          controller.error(error);
        }
      },
      async cancel() {
        await close();
      },
    },
    // One batch at a time: the next is read only when the previous one has been taken.
    { highWaterMark: 1 },
  );
}

/** The report form's field keys across every version of the campaign's tasks, in ladder order. */
async function listFieldKeys({
  campaignId,
  taskId,
}: {
  campaignId: string;
  taskId: string | null;
}) {
  const versions = await db.taskVersion.findMany({
    select: { fields: true },
    where: { task: { campaignId, ...(taskId ? { id: taskId } : {}) } },
    orderBy: [{ task: { position: "asc" } }, { version: "desc" }],
  });
  const keys = new Set<string>();
  for (const version of versions) {
    const parsed = ReportFieldsSchema.safeParse(version.fields);
    if (!parsed.success) continue;
    for (const field of parsed.data) keys.add(field.key);
  }
  return [...keys];
}

function valueCell(value: unknown): CsvCell {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  return JSON.stringify(value);
}

/**
 * Every report of the campaign that matches the filters, oldest first: one row each with the
 * campaign's metric and one column per question of the task forms (value_<key>).
 */
export async function exportCampaignReports({
  actorId,
  campaignId,
  filters,
  signal,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  filters: ReportFilters;
  signal?: AbortSignal;
  now?: Date;
}): Promise<CsvExport> {
  const campaign = await loadCampaign({ actorId, campaignId });
  const fieldKeys = await listFieldKeys({ campaignId, taskId: filters.taskId });
  const params = new Params();
  const tz = params.add(campaign.timezone);
  const conditions = [
    `r."campaignId" = ${params.add(campaign.id)}`,
    ...dayRange(`r."createdAt"`, filters, params, tz),
  ];
  if (filters.area) conditions.push(`r.district = ${params.add(filters.area)}`);
  if (filters.channel) {
    conditions.push(`u."channelPreference"::text = ${params.add(filters.channel)}`);
  }
  if (filters.taskId) conditions.push(`r."taskId" = ${params.add(filters.taskId)}`);
  const sql = `
    SELECT r.id, r."userId" AS "userId",
           to_char(r."createdAt", ${UTC_ISO}) AS "submittedAt",
           to_char((r."createdAt" AT TIME ZONE 'UTC') AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS "localDate",
           tv.title AS "taskTitle", r."taskId" AS "taskId",
           CASE WHEN u."deletedAt" IS NULL THEN u.name END AS name,
           r.district, u."channelPreference"::text AS channel,
           rm.value::float8 AS metric, r.values, r.source::text AS source, r.feedback
    FROM "Report" r
    JOIN "TaskVersion" tv ON tv.id = r."taskVersionId"
    LEFT JOIN "User" u ON u.id = r."userId"
    LEFT JOIN "ReportMetric" rm
      ON rm."reportId" = r.id AND rm."metricKey" = ${params.add(campaign.metricKey)}
    WHERE ${conditions.join(" AND ")}
    ORDER BY r."createdAt", r.id`;
  const header = [
    "report_id",
    "submitted_at_utc",
    "submitted_date_local",
    "task_title",
    "task_id",
    "volunteer_id",
    "volunteer_name",
    "area",
    "channel_preference",
    `metric_${campaign.metricKey}`,
    ...fieldKeys.map((key) => `value_${key}`),
    "source",
    "feedback",
  ];
  const body = await streamCsv({
    cursor: { sql, values: params.values },
    header,
    signal,
    toCells: (row) => {
      const values = (row.values ?? {}) as Record<string, unknown>;
      return [
        row.id as string,
        row.submittedAt as string,
        row.localDate as string,
        row.taskTitle as string,
        row.taskId as string,
        row.userId
          ? volunteerExportId({
              organisationId: campaign.organisationId,
              userId: row.userId as string,
            })
          : null,
        row.name as string | null,
        row.district as string | null,
        row.channel as string | null,
        row.metric as number | null,
        ...fieldKeys.map((key) => valueCell(values[key])),
        row.source as string,
        row.feedback as string | null,
      ];
    },
  });
  return { filename: filename(campaign, "reports", now), body };
}

/** A report within this many days makes a volunteer "still active". */
export const ACTIVE_DAYS = 14;

/**
 * One row per volunteer given a task in the campaign. Area and channel pick the volunteers (their
 * current district and contact preference); the task and the dates narrow what is counted (tasks
 * given, reports, skips and expiries within the days), and with either of those only volunteers
 * with something counted are listed. "Joined" and "still active" describe the person whatever the
 * filters: the day of their first task, and a report in the last 14 days.
 */
export async function exportCampaignParticipation({
  actorId,
  campaignId,
  filters,
  signal,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  filters: ReportFilters;
  signal?: AbortSignal;
  now?: Date;
}): Promise<CsvExport> {
  const campaign = await loadCampaign({ actorId, campaignId });
  const params = new Params();
  const tz = params.add(campaign.timezone);
  const campaignParam = params.add(campaign.id);
  const and = (conditions: string[]) => (conditions.length ? conditions.join(" AND ") : "true");
  const task = (alias: string) =>
    filters.taskId ? [`${alias}."taskId" = ${params.add(filters.taskId)}`] : [];
  const given = and([...task("a"), ...dayRange(`a."assignedAt"`, filters, params, tz)]);
  const closed = and([...task("a"), ...dayRange(`a."closedAt"`, filters, params, tz)]);
  const reported = and([...task("r"), ...dayRange(`r."createdAt"`, filters, params, tz)]);
  const people: string[] = [];
  if (filters.area) people.push(`u.district = ${params.add(filters.area)}`);
  if (filters.channel) people.push(`u."channelPreference"::text = ${params.add(filters.channel)}`);
  const activeSince = params.add(new Date(now.getTime() - ACTIVE_DAYS * 86_400_000).toISOString());
  const narrowed = Boolean(filters.taskId || filters.from || filters.to);
  const sql = `
    WITH given AS (
      SELECT a."userId",
             min(a."assignedAt") AS joined,
             (count(*) FILTER (WHERE ${given}))::int AS assigned,
             (count(*) FILTER (WHERE a.status = 'SKIPPED' AND ${closed}))::int AS skipped,
             (count(*) FILTER (WHERE a.status = 'EXPIRED' AND ${closed}))::int AS expired
      FROM "Assignment" a
      WHERE a."campaignId" = ${campaignParam}
      GROUP BY a."userId"
    ), reports AS (
      SELECT r."userId",
             (count(*) FILTER (WHERE ${reported}))::int AS reported,
             min(r."createdAt") FILTER (WHERE ${reported}) AS first,
             max(r."createdAt") FILTER (WHERE ${reported}) AS last,
             bool_or(r."createdAt" >= (${activeSince}::timestamptz AT TIME ZONE 'UTC')) AS active
      FROM "Report" r
      WHERE r."campaignId" = ${campaignParam} AND r."userId" IS NOT NULL
      GROUP BY r."userId"
    )
    SELECT g."userId",
           to_char((g.joined AT TIME ZONE 'UTC') AT TIME ZONE ${tz}, 'YYYY-MM-DD') AS joined,
           u.district, u."channelPreference"::text AS channel,
           g.assigned, coalesce(rs.reported, 0) AS reported, g.skipped, g.expired,
           to_char(rs.first, ${UTC_ISO}) AS first, to_char(rs.last, ${UTC_ISO}) AS last,
           coalesce(rs.active, false) AS active
    FROM given g
    JOIN "User" u ON u.id = g."userId"
    LEFT JOIN reports rs ON rs."userId" = g."userId"
    WHERE ${and(people)}
      ${narrowed ? "AND (g.assigned + coalesce(rs.reported, 0) + g.skipped + g.expired) > 0" : ""}
    ORDER BY g.joined, g."userId"`;
  const header = [
    "volunteer_id",
    "joined_date_local",
    "area",
    "channel_preference",
    "tasks_assigned",
    "reported",
    "skipped",
    "expired",
    "first_report_at_utc",
    "last_report_at_utc",
    "still_active",
  ];
  const body = await streamCsv({
    cursor: { sql, values: params.values },
    header,
    signal,
    toCells: (row) => [
      volunteerExportId({ organisationId: campaign.organisationId, userId: row.userId as string }),
      row.joined as string,
      row.district as string | null,
      row.channel as string,
      row.assigned as number,
      row.reported as number,
      row.skipped as number,
      row.expired as number,
      row.first as string | null,
      row.last as string | null,
      row.active ? "yes" : "no",
    ],
  });
  return { filename: filename(campaign, "participation", now), body };
}

/** The response for an export: a download, never cached. */
export function csvResponse({ filename, body }: CsvExport): Response {
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
