import type { Role } from "~/generated/prisma/client.ts";
import { db, type Tx } from "~/utils/db.server.ts";

export const ORGANISER_ROLES: readonly Role[] = ["OWNER", "ORGANISER"];
export const OWNER_ROLES: readonly Role[] = ["OWNER"];

/** Thrown when someone asks for organisation data they may not see. Routes turn it into 403/404. */
export class ForbiddenError extends Error {
  override name = "ForbiddenError";
}

/**
 * The acting user's role in an organisation, if it is one of `roles`. Every model function that
 * reads or changes organisation data calls this first, so the rule holds whichever route asks.
 */
export async function requireRole({
  userId,
  organisationId,
  roles,
}: {
  userId: string;
  organisationId: string;
  roles: readonly Role[];
}): Promise<Role> {
  const membership = await db.membership.findUnique({
    select: { role: true },
    where: { userId_organisationId: { userId, organisationId } },
  });
  if (!membership || !roles.includes(membership.role)) {
    throw new ForbiddenError("You don't have access to that organisation.");
  }
  return membership.role;
}

export function listMemberships({ userId }: { userId: string }) {
  return db.membership.findMany({
    select: {
      role: true,
      organisation: { select: { id: true, name: true, slug: true, timezone: true } },
    },
    where: { userId },
    orderBy: { createdAt: "asc" },
  });
}

/** Owners add organisers and owners; nobody can change their own role. */
export async function setMemberRole({
  actorId,
  organisationId,
  userId,
  role,
}: {
  actorId: string;
  organisationId: string;
  userId: string;
  role: Role;
}) {
  await requireRole({ userId: actorId, organisationId, roles: OWNER_ROLES });
  if (actorId === userId) throw new ForbiddenError("You can't change your own role.");
  return db.$transaction(async (tx) => {
    const membership = await tx.membership.upsert({
      select: { id: true, role: true },
      where: { userId_organisationId: { userId, organisationId } },
      create: { userId, organisationId, role },
      update: { role },
    });
    await tx.auditEvent.create({
      data: {
        organisationId,
        actorId,
        action: "membership.role_set",
        subjectType: "User",
        subjectId: userId,
        detail: { role },
      },
    });
    return membership;
  });
}

/**
 * Organisers make a volunteer a team lead, or a team lead a volunteer again (ADR 019), on the
 * caller's transaction, with the same audit event as setMemberRole. Only those two roles change
 * here: an owner's or organiser's role is never touched. False when the person doesn't hold the
 * role it changes from (nothing is written then).
 */
export async function setTeamLeadRole({
  tx,
  actorId,
  organisationId,
  userId,
  lead,
  ip = null,
}: {
  tx: Tx;
  actorId: string;
  organisationId: string;
  userId: string;
  /** true: VOLUNTEER → TEAM_LEAD; false: TEAM_LEAD → VOLUNTEER. */
  lead: boolean;
  ip?: string | null;
}): Promise<boolean> {
  await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  if (actorId === userId) throw new ForbiddenError("You can't change your own role.");
  const from: Role = lead ? "VOLUNTEER" : "TEAM_LEAD";
  const role: Role = lead ? "TEAM_LEAD" : "VOLUNTEER";
  const changed = await tx.membership.updateMany({
    where: { userId, organisationId, role: from },
    data: { role },
  });
  if (changed.count === 0) return false;
  await tx.auditEvent.create({
    data: {
      organisationId,
      actorId,
      action: "membership.role_set",
      subjectType: "User",
      subjectId: userId,
      detail: { role, from },
      ip,
    },
  });
  return true;
}

/**
 * Which organisation an organiser's page is about: the one asked for (`?org=<id>`), or their only
 * one. "choose" when they have several and didn't say; null when it isn't theirs (or they have none).
 */
export async function chooseOrganisation({
  userId,
  wanted,
  roles = ORGANISER_ROLES,
}: {
  userId: string;
  wanted: string | null;
  roles?: readonly Role[];
}) {
  const memberships = (await listMemberships({ userId })).filter((m) => roles.includes(m.role));
  if (wanted) return memberships.find((m) => m.organisation.id === wanted) ?? null;
  if (memberships.length > 1) return "choose" as const;
  return memberships[0] ?? null;
}
