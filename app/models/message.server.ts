import type {
  AssignmentStatus,
  CampaignStatus,
  Channel,
  ChannelPreference,
  MessageStatus,
  Prisma,
} from "~/generated/prisma/client.ts";
import { ORGANISER_ROLES } from "~/models/membership.server.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { addDeliveryJob } from "~/utils/jobs.server.ts";

export function createMessage(data: {
  userId: string | null;
  organisationId?: string | null;
  channel: Channel;
  kind: string;
  dedupeKey: string;
  toAddress: string;
  subject?: string | null;
  bodyText: string;
  bodyHtml?: string | null;
}) {
  return db.message.create({ select: { id: true }, data });
}

export function markMessageSent({
  id,
  transport,
  providerId,
}: {
  id: string;
  transport: string;
  providerId: string | null;
}) {
  return db.message.update({
    select: { id: true },
    where: { id },
    data: { status: "SENT", transport, providerId, sentAt: new Date(), attempts: { increment: 1 } },
  });
}

export function markMessageFailed({ id, reason }: { id: string; reason: string }) {
  return db.message.update({
    select: { id: true },
    where: { id },
    data: { status: "FAILED", statusReason: reason.slice(0, 500), attempts: { increment: 1 } },
  });
}

/** Messages for the development outbox page, newest first. */
export function listOutbox({ take = 100 }: { take?: number } = {}) {
  return db.message.findMany({
    select: {
      id: true,
      channel: true,
      kind: true,
      toAddress: true,
      subject: true,
      bodyText: true,
      status: true,
      statusReason: true,
      transport: true,
      createdAt: true,
    },
    orderBy: { createdAt: "desc" },
    take,
  });
}

export function getOutboxMessage({ id }: { id: string }) {
  return db.message.findUnique({
    select: {
      id: true,
      channel: true,
      kind: true,
      toAddress: true,
      subject: true,
      bodyText: true,
      bodyHtml: true,
      status: true,
      statusReason: true,
      transport: true,
      createdAt: true,
    },
    where: { id },
  });
}

/** The channels a person's preference and contact details allow. */
export function channelsFor(user: {
  email: string | null;
  phone: string | null;
  channelPreference: ChannelPreference;
}): Array<{ channel: Channel; to: string }> {
  const channels: Array<{ channel: Channel; to: string }> = [];
  if (user.email && user.channelPreference !== "SMS")
    channels.push({ channel: "EMAIL", to: user.email });
  if (user.phone && user.channelPreference !== "EMAIL")
    channels.push({ channel: "SMS", to: user.phone });
  return channels;
}

/**
 * Writes one outbox row per channel (dedupe key `<dedupeKey>:<channel>`) and enqueues each row's
 * `deliver-message` job, all on the caller's transaction. A row whose key already exists is left
 * alone (a retried job writes nothing twice). The body stored here is a plain-text stand-in for the
 * outbox page; delivery renders the real content and stores what was sent. Returns the new ids.
 */
export async function queueMessages({
  tx,
  userId,
  organisationId,
  assignmentId,
  kind,
  dedupeKey,
  channels,
  subject,
  bodyText,
  bodyHtml = null,
}: {
  tx: Tx;
  userId: string;
  organisationId: string;
  assignmentId: string | null;
  kind: string;
  dedupeKey: string;
  channels: Array<{ channel: Channel; to: string }>;
  subject: string;
  bodyText: string;
  bodyHtml?: string | null;
}): Promise<string[]> {
  if (channels.length === 0) return [];
  const created = await tx.message.createManyAndReturn({
    select: { id: true },
    data: channels.map(({ channel, to }) => ({
      userId,
      organisationId,
      assignmentId,
      channel,
      kind,
      dedupeKey: `${dedupeKey}:${channel}`,
      toAddress: to,
      subject: channel === "EMAIL" ? subject : null,
      bodyText,
      bodyHtml: channel === "EMAIL" ? bodyHtml : null,
    })),
    skipDuplicates: true,
  });
  for (const { id } of created) await addDeliveryJob({ tx, messageId: id });
  return created.map(({ id }) => id);
}

type TaskMessageKind = "TASK_ASSIGNED" | "LADDER_COMPLETE";

/**
 * Writes "your task" / "you've finished" messages to the outbox, one per channel the volunteer
 * chose, and their delivery jobs, inside the caller's transaction. Delivery (and the contact
 * policy) happens in the deliver-message job.
 */
export async function queueTaskMessages({
  tx,
  userId,
  organisationId,
  kind,
  assignmentId,
  dedupeKey,
}: {
  tx: Tx;
  userId: string;
  organisationId: string;
  kind: TaskMessageKind;
  assignmentId: string | null;
  dedupeKey: string;
}) {
  // One after the other: both run on the caller's transaction, which is one connection.
  const user = await tx.user.findUniqueOrThrow({
    select: { name: true, email: true, phone: true, channelPreference: true },
    where: { id: userId },
  });
  const assignment = assignmentId
    ? await tx.assignment.findUniqueOrThrow({
        select: {
          taskVersion: { select: { title: true } },
          campaign: { select: { title: true } },
        },
        where: { id: assignmentId },
      })
    : null;
  const appUrl = getEnv().APP_URL;
  const title = assignment?.taskVersion.title ?? "";
  const campaign = assignment?.campaign.title ?? "your campaign";
  const text =
    kind === "TASK_ASSIGNED"
      ? `Your next task for ${campaign}: ${title}. Open it here: ${appUrl}/tasks/${assignmentId}`
      : `You've finished every task in ${campaign}. Thank you for everything you did!`;
  const subject =
    kind === "TASK_ASSIGNED" ? `Your next task: ${title}` : `Thank you from ${campaign}`;
  await queueMessages({
    tx,
    userId,
    organisationId,
    assignmentId,
    kind,
    dedupeKey,
    channels: channelsFor(user),
    subject,
    bodyText: text,
  });
}

// --- Delivery (the deliver-message job, app/utils/delivery.server.ts) -------------------------

/**
 * Locks a message that is still waiting to go, for the rest of the transaction. Null when it has
 * gone (or was suppressed or failed), or when another worker holds it right now.
 */
export function getMessageStatus({ id }: { id: string }) {
  return db.message.findUnique({ select: { status: true }, where: { id } });
}

type ClaimedRow = {
  id: string;
  userId: string | null;
  organisationId: string | null;
  assignmentId: string | null;
  channel: Channel;
  kind: string;
  dedupeKey: string;
  toAddress: string;
  subject: string | null;
  bodyText: string;
  bodyHtml: string | null;
  status: MessageStatus;
  sendAfter: Date | string;
  createdAt: Date | string;
  userName: string | null;
  userTimezone: string | null;
  userDeletedAt: Date | string | null;
  orgName: string | null;
  orgTimezone: string | null;
  quietStart: string | null;
  quietEnd: string | null;
  weeklyCap: number | null;
  aStatus: AssignmentStatus | null;
  aDueAt: Date | string | null;
  aPreviousId: string | null;
  tvTitle: string | null;
  tvLocation: string | null;
  tvRules: unknown;
  cId: string | null;
  cSlug: string | null;
  cTitle: string | null;
  cStatus: CampaignStatus | null;
  cMetricKey: string | null;
  cMetricLabel: string | null;
  cTarget: number | null;
  pStatus: AssignmentStatus | null;
  pTitle: string | null;
};

const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/**
 * Claims one pending message for delivery and reads everything delivery needs to decide, render
 * and send it, in one call of the database function onward_claim_message (migration
 * 20261125140000_delivery_functions): it locks the row (FOR UPDATE SKIP LOCKED; only QUEUED and
 * HELD rows qualify), takes the person's contact lock (pg_advisory_xact_lock on
 * "contact:<userId>", so that two of their messages are decided one after the other), and reads
 * the person, the organisation and the task. The contact policy's reads come after, in their own
 * statement, so they see everything a previous holder of the lock committed. Null when the row is
 * not pending or another transaction holds it.
 *
 * A function rather than a plain statement: PostgreSQL plans a plain statement afresh on every
 * call, and planning this nine-table join cost more than everything else delivery asked of it;
 * a PL/pgSQL function keeps its plans for the life of the connection.
 */
export async function claimMessageForDelivery({ tx, id }: { tx: Tx; id: string }) {
  const [row] = await tx.$queryRaw<ClaimedRow[]>`SELECT * FROM onward_claim_message(${id})`;
  if (!row) return null;
  return {
    id: row.id,
    userId: row.userId,
    organisationId: row.organisationId,
    assignmentId: row.assignmentId,
    channel: row.channel,
    kind: row.kind,
    dedupeKey: row.dedupeKey,
    toAddress: row.toAddress,
    subject: row.subject,
    bodyText: row.bodyText,
    bodyHtml: row.bodyHtml,
    status: row.status,
    sendAfter: date(row.sendAfter),
    createdAt: date(row.createdAt),
    user: row.userId
      ? {
          id: row.userId,
          name: row.userName,
          timezone: row.userTimezone,
          deletedAt: row.userDeletedAt === null ? null : date(row.userDeletedAt),
        }
      : null,
    organisation:
      row.organisationId && row.orgName !== null
        ? {
            name: row.orgName,
            timezone: row.orgTimezone ?? "Europe/London",
            quietStart: row.quietStart ?? "21:00",
            quietEnd: row.quietEnd ?? "09:00",
            weeklyCap: row.weeklyCap ?? 3,
          }
        : null,
    assignment:
      row.assignmentId && row.aStatus && row.aDueAt !== null && row.cId
        ? {
            id: row.assignmentId,
            status: row.aStatus,
            dueAt: date(row.aDueAt),
            previousId: row.aPreviousId,
            taskVersion: {
              title: row.tvTitle ?? "",
              location: row.tvLocation,
              rules: row.tvRules as Prisma.JsonValue,
            },
            campaign: {
              id: row.cId,
              slug: row.cSlug ?? "",
              title: row.cTitle ?? "",
              status: row.cStatus ?? "DRAFT",
              metricKey: row.cMetricKey ?? "",
              metricLabel: row.cMetricLabel ?? "",
              target: row.cTarget ?? 0,
            },
            previous:
              row.aPreviousId && row.pStatus
                ? { status: row.pStatus, taskVersion: { title: row.pTitle ?? "" } }
                : null,
          }
        : null,
  };
}

export type MessageForDelivery = NonNullable<Awaited<ReturnType<typeof claimMessageForDelivery>>>;

export function markMessageHeld({
  tx,
  id,
  until,
  reason,
}: {
  tx: Tx;
  id: string;
  until: Date;
  reason: string;
}) {
  return tx.message.update({
    select: { id: true },
    where: { id },
    data: { status: "HELD", sendAfter: until, statusReason: reason },
  });
}

export function markMessageSuppressed({ tx, id, reason }: { tx: Tx; id: string; reason: string }) {
  return tx.message.update({
    select: { id: true },
    where: { id },
    data: { status: "SUPPRESSED", statusReason: reason.slice(0, 500) },
  });
}

/** Records a sent message with what was sent, so the outbox shows the real content. */
export async function recordMessageSent({
  tx,
  id,
  now,
  transport,
  providerId,
  content,
}: {
  tx: Tx;
  id: string;
  now: Date;
  transport: string;
  providerId: string | null;
  content: { subject: string | null; text: string; html: string | null };
}) {
  // One plain statement: this runs once per message sent, on the hot path of every nudge.
  const at = now.toISOString();
  await tx.$executeRaw`
    UPDATE "Message"
    SET status = 'SENT', "statusReason" = NULL, transport = ${transport},
      "providerId" = ${providerId}, "sentAt" = (${at}::timestamptz AT TIME ZONE 'UTC'),
      attempts = attempts + 1, subject = ${content.subject}, "bodyText" = ${content.text},
      "bodyHtml" = ${content.html}, "updatedAt" = (now() AT TIME ZONE 'UTC')
    WHERE id = ${id}`;
}

/** A failed attempt: counted, with its reason; FAILED when no attempt is left. */
export function recordMessageAttemptFailed({
  tx,
  id,
  error,
  final,
}: {
  tx: Tx;
  id: string;
  error: string;
  final: boolean;
}) {
  return tx.message.update({
    select: { id: true },
    where: { id },
    data: {
      status: final ? "FAILED" : "QUEUED",
      statusReason: error.slice(0, 500),
      attempts: { increment: 1 },
    },
  });
}

// --- Organisers ---------------------------------------------------------------------------------

/**
 * Every message Onward wrote to a volunteer on behalf of the organisations where the acting user
 * is an owner or organiser and the volunteer is a member, newest first. Null (→ 404) when there is
 * no such organisation: an organiser elsewhere learns nothing, not even that the person exists.
 */
export async function listVolunteerMessages({
  actorId,
  userId,
  take = 200,
}: {
  actorId: string;
  userId: string;
  take?: number;
}) {
  const [actorMemberships, person] = await Promise.all([
    db.membership.findMany({
      select: { organisationId: true },
      where: { userId: actorId, role: { in: [...ORGANISER_ROLES] } },
    }),
    db.user.findUnique({
      select: {
        id: true,
        name: true,
        memberships: {
          select: { role: true, organisation: { select: { id: true, name: true } } },
        },
      },
      where: { id: userId },
    }),
  ]);
  const allowed = new Set(actorMemberships.map((m) => m.organisationId));
  const shared = (person?.memberships ?? []).filter((m) => allowed.has(m.organisation.id));
  if (!person || shared.length === 0) return null;
  const messages = await db.message.findMany({
    select: {
      id: true,
      createdAt: true,
      sentAt: true,
      sendAfter: true,
      channel: true,
      kind: true,
      status: true,
      statusReason: true,
      organisationId: true,
    },
    where: { userId, organisationId: { in: shared.map((m) => m.organisation.id) } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
  });
  return {
    person: { id: person.id, name: person.name },
    organisations: shared.map((m) => ({ ...m.organisation, role: m.role })),
    messages,
  };
}
