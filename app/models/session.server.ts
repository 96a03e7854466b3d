import type { Role } from "~/generated/prisma/client.ts";
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

/** The session and its user, if the session is live and the account not deleted. */
export async function getActiveSession({
  sessionId,
  now = new Date(),
}: {
  sessionId: string;
  now?: Date;
}): Promise<ActiveSession | null> {
  const { rows } = await pool.query<{
    id: string;
    lastSeenAt: number;
    userId: string;
    name: string | null;
    email: string | null;
    phone: string | null;
    timezone: string | null;
    memberships: Array<{ organisationId: string; role: Role }>;
  }>({ name: "onward-active-session", text: ACTIVE_SESSION_SQL, values: [sessionId, now] });
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
