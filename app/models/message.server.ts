import type { Channel, ChannelPreference } from "~/generated/prisma/client.ts";
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
export async function lockPendingMessage({ tx, id }: { tx: Tx; id: string }) {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM "Message"
    WHERE id = ${id} AND status IN ('QUEUED', 'HELD')
    FOR UPDATE SKIP LOCKED`;
  return rows.length > 0;
}

export function getMessageStatus({ id }: { id: string }) {
  return db.message.findUnique({ select: { status: true }, where: { id } });
}

/**
 * Everything delivery needs to decide, render and send one message. Read in a few steps: Prisma
 * runs three or more sibling relations as parallel queries, which a transaction's single connection
 * can only queue (node-postgres deprecates that).
 */
export async function getMessageForDelivery({ tx, id }: { tx: Tx; id: string }) {
  const message = await tx.message.findUniqueOrThrow({
    select: {
      id: true,
      userId: true,
      organisationId: true,
      assignmentId: true,
      channel: true,
      kind: true,
      dedupeKey: true,
      toAddress: true,
      subject: true,
      bodyText: true,
      bodyHtml: true,
      status: true,
      sendAfter: true,
      createdAt: true,
      user: { select: { id: true, name: true, timezone: true, deletedAt: true } },
      organisation: {
        select: { name: true, timezone: true, quietStart: true, quietEnd: true, weeklyCap: true },
      },
    },
    where: { id },
  });
  const assignment = message.assignmentId
    ? await tx.assignment.findUnique({
        select: {
          id: true,
          status: true,
          dueAt: true,
          previousId: true,
          taskVersion: { select: { title: true, location: true, rules: true } },
          campaign: {
            select: {
              id: true,
              slug: true,
              title: true,
              status: true,
              metricKey: true,
              metricLabel: true,
              target: true,
            },
          },
        },
        where: { id: message.assignmentId },
      })
    : null;
  const previous = assignment?.previousId
    ? await tx.assignment.findUnique({
        select: { status: true, taskVersion: { select: { title: true } } },
        where: { id: assignment.previousId },
      })
    : null;
  return { ...message, assignment: assignment ? { ...assignment, previous } : null };
}

export type MessageForDelivery = Awaited<ReturnType<typeof getMessageForDelivery>>;

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
export function recordMessageSent({
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
  return tx.message.update({
    select: { id: true },
    where: { id },
    data: {
      status: "SENT",
      statusReason: null,
      transport,
      providerId,
      sentAt: now,
      attempts: { increment: 1 },
      subject: content.subject,
      bodyText: content.text,
      bodyHtml: content.html,
    },
  });
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
