import type { Role } from "~/generated/prisma/client.ts";
import {
  toVolunteerAssignment,
  volunteerAssignmentSql,
  type VolunteerAssignment,
  type VolunteerAssignmentRow,
} from "~/models/assignment.server.ts";
import { db, pool } from "~/utils/db.server.ts";

export const SESSION_DAYS = 30;

export function createSession({
  userId,
  userAgent,
  ip,
  now = new Date(),
}: {
  userId: string;
  userAgent: string | null;
  ip: string | null;
  now?: Date;
}) {
  return db.session.create({
    select: { id: true, expiresAt: true },
    data: {
      userId,
      userAgent: userAgent?.slice(0, 300) ?? null,
      ip,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_DAYS * 24 * 60 * 60 * 1000),
    },
  });
}

type ActiveSession = {
  id: string;
  lastSeenAt: Date;
  user: {
    id: string;
    name: string | null;
    email: string | null;
    phone: string | null;
    timezone: string | null;
    memberships: Array<{ organisationId: string; role: Role }>;
  };
  /** The assignment asked for, if it is the user's (null if not, or none asked for). */
  assignment: VolunteerAssignment | null;
};

/**
 * Asked on every signed-in request, so one prepared statement on the pool rather than the three
 * queries the ORM would send (session, user, memberships).
 */
const ACTIVE_SESSION_SQL = `
SELECT s.id, floor(extract(epoch FROM s."lastSeenAt") * 1000)::float8 AS "lastSeenAt",
  u.id AS "userId", u.name, u.email, u.phone, u.timezone,
  COALESCE((SELECT json_agg(json_build_object('organisationId', m."organisationId", 'role', m.role)
                            ORDER BY m."createdAt", m.id)
            FROM "Membership" m WHERE m."userId" = u.id), '[]') AS memberships
FROM "Session" s JOIN "User" u ON u.id = s."userId"
WHERE s.id = $1 AND s."revokedAt" IS NULL AND s."expiresAt" > ($2::timestamptz AT TIME ZONE 'UTC')
  AND u."deletedAt" IS NULL`;

/**
 * With an assignment: the session's person's own assignment too (a volunteer page's read), in the
 * same statement, null if it is not theirs. The session is found first (MATERIALIZED), so the
 * planner can't start from the assignment's side and try it against every person.
 */
const ACTIVE_SESSION_AND_ASSIGNMENT_SQL = `
WITH s AS MATERIALIZED (${ACTIVE_SESSION_SQL})
SELECT s.*, to_json(a) AS assignment
FROM s
LEFT JOIN LATERAL (${volunteerAssignmentSql("$3", 's."userId"')}) a ON true`;

type ActiveSessionRow = {
  id: string;
  lastSeenAt: number;
  userId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  memberships: Array<{ organisationId: string; role: Role }>;
  assignment?: VolunteerAssignmentRow | null;
};

/**
 * The session and its user, if the session is live and the account not deleted; given an
 * assignment, also that assignment if it is the user's (else null).
 */
export async function getActiveSession({
  sessionId,
  now = new Date(),
  assignmentId,
}: {
  sessionId: string;
  now?: Date;
  assignmentId?: string;
}): Promise<ActiveSession | null> {
  const { rows } = await pool.query<ActiveSessionRow>(
    assignmentId === undefined
      ? { name: "onward-active-session", text: ACTIVE_SESSION_SQL, values: [sessionId, now] }
      : {
          name: "onward-active-session-assignment",
          text: ACTIVE_SESSION_AND_ASSIGNMENT_SQL,
          values: [sessionId, now, assignmentId],
        },
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    lastSeenAt: new Date(row.lastSeenAt),
    user: {
      id: row.userId,
      name: row.name,
      email: row.email,
      phone: row.phone,
      timezone: row.timezone,
      memberships: row.memberships,
    },
    assignment: row.assignment ? toVolunteerAssignment(row.assignment) : null,
  };
}

export function touchSession({ sessionId, now = new Date() }: { sessionId: string; now?: Date }) {
  return db.session.update({
    select: { id: true },
    where: { id: sessionId },
    data: { lastSeenAt: now },
  });
}

export function revokeSession({ sessionId }: { sessionId: string }) {
  return db.session.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}

/** "Sign out everywhere": every live session of this person ends now. */
export function revokeAllSessions({ userId }: { userId: string }) {
  return db.session.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}

export function listActiveSessions({ userId, now = new Date() }: { userId: string; now?: Date }) {
  return db.session.findMany({
    select: { id: true, userAgent: true, createdAt: true, lastSeenAt: true },
    where: { userId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { lastSeenAt: "desc" },
  });
}
