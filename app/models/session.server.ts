import { db } from "~/utils/db.server.ts";

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

/** The session and its user, if the session is live and the account not deleted. */
export function getActiveSession({
  sessionId,
  now = new Date(),
}: {
  sessionId: string;
  now?: Date;
}) {
  return db.session.findFirst({
    select: {
      id: true,
      lastSeenAt: true,
      user: {
        select: {
          id: true,
          name: true,
          email: true,
          phone: true,
          timezone: true,
          memberships: { select: { organisationId: true, role: true } },
        },
      },
    },
    where: { id: sessionId, revokedAt: null, expiresAt: { gt: now }, user: { deletedAt: null } },
  });
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
