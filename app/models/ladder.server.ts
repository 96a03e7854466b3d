import { Prisma } from "~/generated/prisma/client.ts";
import type { TaskRow } from "~/loop/engine.ts";
import type { Tx } from "~/utils/db.server.ts";

/**
 * What the loop engine reads about a campaign: the campaign itself and every task with its current
 * version (the ladder). One statement, so the loop's transaction spends one round trip on it; the
 * report transaction reads the same JSON inside its own single read (assignment.server.ts).
 */

/** The campaign `c` as JSON, for the loop. */
export const LOOP_CAMPAIGN_JSON = Prisma.sql`json_build_object('id', c.id,
  'organisationId', c."organisationId", 'firstTaskId', c."firstTaskId", 'status', c.status,
  'title', c.title, 'metricKey', c."metricKey", 'settings', c.settings)`;

/** Every task of campaign `c`, in ladder order, with its current version, as a JSON array. */
export const LADDER_ROWS_JSON = Prisma.sql`COALESCE((
  SELECT json_agg(json_build_object('id', t.id,
      'archivedAt', floor(extract(epoch FROM t."archivedAt") * 1000)::float8,
      'currentVersion', CASE WHEN cv.id IS NULL THEN NULL ELSE json_build_object('id', cv.id,
        'title', cv.title, 'dueAfterDays', cv."dueAfterDays", 'fields', cv.fields,
        'rules', cv.rules) END)
    ORDER BY t.position, t.id)
  FROM "Task" t LEFT JOIN "TaskVersion" cv ON cv.id = t."currentVersionId"
  WHERE t."campaignId" = c.id), '[]'::json)`;

export type LoopCampaign = {
  id: string;
  organisationId: string;
  firstTaskId: string | null;
  status: string;
  title: string;
  metricKey: string;
  settings: Prisma.JsonValue;
};

export type LadderRowJson = {
  id: string;
  /** Milliseconds since the epoch. */
  archivedAt: number | null;
  currentVersion: NonNullable<TaskRow["currentVersion"]> | null;
};

/** The engine's TaskRow from the JSON above. */
export function taskRowsFromJson(rows: readonly LadderRowJson[]): TaskRow[] {
  return rows.map((row) => ({
    id: row.id,
    archivedAt: row.archivedAt === null ? null : new Date(row.archivedAt),
    currentVersion: row.currentVersion,
  }));
}

/** The campaign and its ladder rows; throws when the campaign doesn't exist. */
export async function readCampaignLadder({ tx, campaignId }: { tx: Tx; campaignId: string }) {
  const rows = await tx.$queryRaw<Array<{ campaign: LoopCampaign; ladder: LadderRowJson[] }>>`
    SELECT ${LOOP_CAMPAIGN_JSON} AS campaign, ${LADDER_ROWS_JSON} AS ladder
    FROM "Campaign" c WHERE c.id = ${campaignId}`;
  const row = rows[0];
  if (!row) throw new Error(`Campaign ${campaignId} not found`);
  return { campaign: row.campaign, rows: taskRowsFromJson(row.ladder) };
}
