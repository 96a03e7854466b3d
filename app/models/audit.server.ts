import type { Prisma } from "~/generated/prisma/client.ts";
import { requireCampaignAccess } from "~/models/campaign.server.ts";
import { OWNER_ROLES, requireRole } from "~/models/membership.server.ts";
import { AUDIT_PAGE_SIZE } from "~/schemas/privacy.ts";
import { db, type Tx } from "~/utils/db.server.ts";

/**
 * The audit log: who did what to personal data or to campaign and organisation settings. Settings
 * changes are written in the same transaction as the change (campaign.server.ts, task.server.ts,
 * organisation.server.ts, membership.server.ts); reading personal data (a person's page, a CSV
 * export) and deleting an account are written here. Only owners read the log.
 */

export type AuditEventInput = {
  organisationId: string | null;
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  detail?: Prisma.InputJsonValue;
  ip?: string | null;
  createdAt?: Date;
};

export function recordAuditEvents({ tx = db, events }: { tx?: Tx; events: AuditEventInput[] }) {
  if (events.length === 0) return Promise.resolve({ count: 0 });
  return tx.auditEvent.createMany({
    data: events.map((event) => ({ ...event, detail: event.detail ?? {} })),
  });
}

/**
 * An organiser opened a person's page (/org/people/<id>): one event in each organisation they
 * looked through, since each of those organisations' owners answers for it.
 */
export function recordPersonViewed({
  actorId,
  userId,
  organisationIds,
  ip,
}: {
  actorId: string;
  userId: string;
  organisationIds: string[];
  ip: string | null;
}) {
  return recordAuditEvents({
    events: organisationIds.map((organisationId) => ({
      organisationId,
      actorId,
      action: "person.viewed",
      subjectType: "User",
      subjectId: userId,
      ip,
    })),
  });
}

export type ExportKind = "reports" | "participation";

/**
 * An organiser is downloading a campaign's CSV. Checks their access first (ForbiddenError for
 * anyone who isn't an owner or organiser of the campaign's organisation), so nothing is recorded
 * for a refused download.
 */
export async function recordCampaignExport({
  actorId,
  campaignId,
  kind,
  filters,
  ip,
}: {
  actorId: string;
  campaignId: string;
  kind: ExportKind;
  filters: Record<string, string | null>;
  ip: string | null;
}) {
  const campaign = await requireCampaignAccess({ actorId, campaignId });
  const used = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== null));
  await recordAuditEvents({
    events: [
      {
        organisationId: campaign.organisationId,
        actorId,
        action: `export.${kind}_csv`,
        subjectType: "Campaign",
        subjectId: campaignId,
        detail: { filters: used },
        ip,
      },
    ],
  });
}

type SubjectRef = { subjectType: string; subjectId: string | null; detail: Prisma.JsonValue };

function detailObject(detail: Prisma.JsonValue): Record<string, unknown> {
  return typeof detail === "object" && detail !== null && !Array.isArray(detail) ? detail : {};
}

/**
 * Names for the subjects of a page of events, looked up within the organisation only: a person's
 * name if they belong to it (and haven't deleted their account), a campaign's or task's title.
 */
async function subjectNames(organisationId: string, events: SubjectRef[]) {
  const ids = (type: string) => [
    ...new Set(events.flatMap((e) => (e.subjectType === type && e.subjectId ? [e.subjectId] : []))),
  ];
  const [organisation, people, campaigns, tasks] = await Promise.all([
    db.organisation.findUniqueOrThrow({ select: { name: true }, where: { id: organisationId } }),
    db.membership.findMany({
      select: { user: { select: { id: true, name: true } } },
      where: { organisationId, userId: { in: ids("User") }, user: { deletedAt: null } },
    }),
    db.campaign.findMany({
      select: { id: true, title: true },
      where: { organisationId, id: { in: ids("Campaign") } },
    }),
    db.task.findMany({
      select: { id: true, currentVersion: { select: { title: true } } },
      where: { organisationId, id: { in: ids("Task") } },
    }),
  ]);
  const names = new Map<string, string>([[`Organisation:${organisationId}`, organisation.name]]);
  for (const { user } of people) names.set(`User:${user.id}`, user.name ?? "Someone with no name");
  for (const campaign of campaigns) names.set(`Campaign:${campaign.id}`, campaign.title);
  for (const task of tasks) {
    if (task.currentVersion) names.set(`Task:${task.id}`, task.currentVersion.title);
  }
  /** The subject's name, and whether it is still there to link to. */
  return (event: SubjectRef): { name: string; found: boolean } => {
    const found = event.subjectId ? names.get(`${event.subjectType}:${event.subjectId}`) : null;
    if (found) return { name: found, found: true };
    const title = detailObject(event.detail).title;
    if (typeof title === "string") return { name: title, found: false };
    if (event.subjectType === "User") return { name: "A deleted account", found: false };
    return { name: "Deleted", found: false };
  };
}

/**
 * A page of the organisation's audit log, newest first, for its owners only (ForbiddenError for
 * anyone else, organisers included). `action` narrows it to one kind of event.
 */
export async function listAuditEvents({
  actorId,
  organisationId,
  action,
  page,
}: {
  actorId: string;
  organisationId: string;
  action: string | null;
  page: number;
}) {
  await requireRole({ userId: actorId, organisationId, roles: OWNER_ROLES });
  const where = { organisationId, ...(action ? { action } : {}) };
  const [total, events, actions] = await Promise.all([
    db.auditEvent.count({ where }),
    db.auditEvent.findMany({
      select: {
        id: true,
        action: true,
        subjectType: true,
        subjectId: true,
        detail: true,
        ip: true,
        createdAt: true,
        actor: { select: { id: true, name: true, email: true, deletedAt: true } },
      },
      where,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: (page - 1) * AUDIT_PAGE_SIZE,
      take: AUDIT_PAGE_SIZE,
    }),
    db.auditEvent.groupBy({
      by: ["action"],
      where: { organisationId },
      orderBy: { action: "asc" },
    }),
  ]);
  const nameOf = await subjectNames(organisationId, events);
  return {
    total,
    page,
    pageCount: Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE)),
    actions: actions.map((row) => row.action),
    events: events.map((event) => ({
      id: event.id,
      action: event.action,
      subjectType: event.subjectType,
      subjectId: event.subjectId,
      subjectName: nameOf(event).name,
      subjectFound: nameOf(event).found,
      detail: detailObject(event.detail),
      ip: event.ip,
      createdAt: event.createdAt,
      actor: event.actor
        ? event.actor.deletedAt
          ? { name: "A deleted account", email: null }
          : { name: event.actor.name, email: event.actor.email }
        : null,
    })),
  };
}
