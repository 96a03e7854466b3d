import { Prisma, type ChannelPreference, type Role } from "~/generated/prisma/client.ts";
import { ORGANISER_ROLES, requireRole } from "~/models/membership.server.ts";
import { db } from "~/utils/db.server.ts";

export const PEOPLE_PAGE_SIZE = 50;

/** A LIKE pattern matching `text` anywhere, with LIKE's own wildcards taken literally. */
function containing(text: string) {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Name or email containing the words, or a phone number containing the digits. A UK number typed
 * the usual way ("07400 654321") also finds the stored +447400654321.
 */
function searchCondition(search: string) {
  const conditions = [
    Prisma.sql`u.name ILIKE ${containing(search)}`,
    Prisma.sql`u.email ILIKE ${containing(search)}`,
  ];
  const digits = search.replace(/[\s().+-]/g, "");
  if (/^\d{3,}$/.test(digits)) {
    conditions.push(Prisma.sql`u.phone LIKE ${containing(digits)}`);
    if (digits.startsWith("0")) {
      conditions.push(Prisma.sql`u.phone LIKE ${`+44${digits.slice(1)}%`}`);
    }
  }
  return Prisma.sql`AND (${Prisma.join(conditions, " OR ")})`;
}

type PersonRow = {
  id: string;
  name: string | null;
  channelPreference: ChannelPreference;
  role: Role;
  joinedAt: Date;
  taskTitle: string | null;
  campaignTitle: string | null;
  openTasks: number | null;
  lastReportAt: Date | null;
};

/**
 * One page of the people in an organisation (anyone with a membership: the same people whose
 * messages its organisers may read at /org/people/<id>), newest to join first, for its owners
 * and organisers. Two queries whatever the page size: the page with each person's open task and
 * last report, and the count.
 */
export async function listPeople({
  actorId,
  organisationId,
  search = "",
  page = 1,
}: {
  actorId: string;
  organisationId: string;
  search?: string;
  page?: number;
}) {
  await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  const words = search.trim().slice(0, 100);
  const filter = words ? searchCondition(words) : Prisma.empty;
  const pageNumber = Number.isSafeInteger(page) && page >= 1 ? page : 1;
  const offset = (pageNumber - 1) * PEOPLE_PAGE_SIZE;
  // The page is cut first (CTE), so the open-task and last-report look-ups run for its rows only.
  const [rows, counted] = await Promise.all([
    db.$queryRaw<PersonRow[]>`
      WITH page AS (
        SELECT m.id, m."userId", m.role, m."createdAt"
        FROM "Membership" m
        JOIN "User" u ON u.id = m."userId"
        WHERE m."organisationId" = ${organisationId} AND u."deletedAt" IS NULL ${filter}
        ORDER BY m."createdAt" DESC, m.id DESC
        LIMIT ${PEOPLE_PAGE_SIZE} OFFSET ${offset}
      )
      SELECT u.id, u.name, u."channelPreference"::text AS "channelPreference",
             p.role::text AS role, p."createdAt" AS "joinedAt",
             o."taskTitle", o."campaignTitle", o."openTasks", r."lastReportAt"
      FROM page p
      JOIN "User" u ON u.id = p."userId"
      LEFT JOIN LATERAL (
        SELECT tv.title AS "taskTitle", c.title AS "campaignTitle",
               (count(*) OVER ())::int AS "openTasks"
        FROM "Assignment" a
        JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
        JOIN "Campaign" c ON c.id = a."campaignId"
        WHERE a."userId" = p."userId" AND a."organisationId" = ${organisationId}
          AND a.status = 'ASSIGNED'
        ORDER BY a."dueAt" ASC, a.id ASC
        LIMIT 1
      ) o ON true
      LEFT JOIN LATERAL (
        SELECT max(rep."createdAt") AS "lastReportAt"
        FROM "Report" rep
        WHERE rep."userId" = p."userId" AND rep."organisationId" = ${organisationId}
      ) r ON true
      ORDER BY p."createdAt" DESC, p.id DESC`,
    db.$queryRaw<Array<{ total: number }>>(
      words
        ? Prisma.sql`
            SELECT count(*)::int AS total
            FROM "Membership" m
            JOIN "User" u ON u.id = m."userId"
            WHERE m."organisationId" = ${organisationId} AND u."deletedAt" IS NULL ${filter}`
        : // The same count without reading every member's User row: only the few deleted ones.
          Prisma.sql`
            SELECT count(*)::int AS total
            FROM "Membership" m
            WHERE m."organisationId" = ${organisationId}
              AND NOT EXISTS (
                SELECT 1 FROM "User" u WHERE u.id = m."userId" AND u."deletedAt" IS NOT NULL
              )`,
    ),
  ]);
  const total = counted[0]?.total ?? 0;
  return {
    people: rows.map((row) => ({
      id: row.id,
      name: row.name,
      channelPreference: row.channelPreference,
      role: row.role,
      joinedAt: row.joinedAt,
      openTask:
        row.taskTitle && row.campaignTitle
          ? { title: row.taskTitle, campaign: row.campaignTitle, others: (row.openTasks ?? 1) - 1 }
          : null,
      lastReportAt: row.lastReportAt,
    })),
    search: words,
    page: pageNumber,
    pageCount: Math.max(1, Math.ceil(total / PEOPLE_PAGE_SIZE)),
    total,
  };
}
