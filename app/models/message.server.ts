import type {
  AssignmentStatus,
  CampaignStatus,
  Channel,
  ChannelPreference,
  MessageStatus,
  Prisma,
  SuppressionReason,
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
 * chose, and their delivery jobs, inside the caller's transaction, and returns their ids. Delivery
 * (and the contact policy) happens in the deliver-message job.
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
  return queueMessages({
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
 * A database connection that delivery holds from claim to outcome: the claim's session lock lives
 * on it. Plain node-postgres, not Prisma: these statements run once or twice per message sent.
 */
export type DeliveryClient = {
  query: (config: { name?: string; text: string; values?: unknown[] }) => Promise<{
    rows: unknown[];
  }>;
};

type ClaimRow = {
  claimed: boolean;
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
  /** Times: epoch milliseconds (UTC). */
  sendAfter: number;
  createdAt: number;
  userName: string | null;
  userTimezone: string | null;
  userDeletedAt: number | null;
  orgName: string | null;
  orgTimezone: string | null;
  quietStart: string | null;
  quietEnd: string | null;
  weeklyCap: number | null;
  aStatus: AssignmentStatus | null;
  aDueAt: number | null;
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
  granted: boolean | null;
  suppression: SuppressionReason | null;
  sent: number[] | null;
  openAssignments: number | null;
  pulseReports: number | null;
  pulseTotal: number | null;
};

/** A claimed message with what rendering and the contact policy need to know about it. */
export type MessageForDelivery = {
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
  /** Before the claim: QUEUED or HELD. */
  status: MessageStatus;
  sendAfter: Date;
  createdAt: Date;
  user: { id: string; name: string | null; timezone: string | null; deletedAt: Date | null } | null;
  organisation: {
    name: string;
    timezone: string;
    quietStart: string;
    quietEnd: string;
    weeklyCap: number;
  } | null;
  assignment: {
    id: string;
    status: AssignmentStatus;
    dueAt: Date;
    previousId: string | null;
    taskVersion: { title: string; location: string | null; rules: Prisma.JsonValue };
    campaign: {
      id: string;
      slug: string;
      title: string;
      status: CampaignStatus;
      metricKey: string;
      metricLabel: string;
      target: number;
    };
    previous: { status: AssignmentStatus; taskVersion: { title: string } } | null;
  } | null;
};

/** What the contact policy reads about the person, taken under their contact lock. */
export type ContactFacts = {
  newestConsent: { granted: boolean } | null;
  suppression: { reason: SuppressionReason } | null;
  /** When each other nudge in the cap window went (one per nudge; one being sent counts as now). */
  sentInWindow: Date[];
};

export type Claim =
  | {
      claimed: true;
      message: MessageForDelivery;
      facts: ContactFacts;
      /** Only for a re-engage message: the person's open tasks, and the campaign's pulse. */
      reengage: { openAssignments: number; pulse: { recentReports: number; total: number } } | null;
    }
  /** Not claimed: it is not QUEUED or due, or another transaction holds its row right now. */
  | { claimed: false; status: MessageStatus; sendAfter: Date };

const DAY_MS = 24 * 60 * 60 * 1000;
/** A held message whose job runs up to this much early is sent, not held again. */
export const HELD_EARLY_MS = 60_000;
/** Opt-outs that follow the person to a new address; a bounce stays with the address it hit. */
const PERSONAL_SUPPRESSIONS: SuppressionReason[] = ["UNSUBSCRIBED", "SMS_STOP", "ACCOUNT_DELETED"];

/** A time for a TIMESTAMP(3) parameter: ISO text read as UTC, whatever the session's zone. */
const UTC = (at: Date) => at.toISOString();

const CLAIM_SQL = `SELECT * FROM onward_claim_for_sending($1,
  ($2::timestamptz AT TIME ZONE 'UTC'), ($3::timestamptz AT TIME ZONE 'UTC'),
  ($4::timestamptz AT TIME ZONE 'UTC'), $5::text[], $6::text[],
  ($7::timestamptz AT TIME ZONE 'UTC'))`;

/**
 * Claims a message for sending, in one autocommit statement: the database function
 * onward_claim_for_sending (migration 20261125170000_message_sending) locks the row if it is
 * QUEUED (or HELD and due), takes the person's contact lock, reads the message's context and the
 * contact facts, marks it SENDING and takes the session lock "sending:<id>" on `client`'s
 * connection, which finishSending releases. Null when there is no such message.
 *
 * The statement is prepared once per connection (named), and the function keeps the plans of its
 * joins for the life of the connection: planning them afresh cost PostgreSQL more than running
 * them.
 */
export async function claimForSending({
  client,
  id,
  now,
  nudgeKinds,
}: {
  client: DeliveryClient;
  id: string;
  now: Date;
  /** Kinds that count against the weekly cap. */
  nudgeKinds: readonly string[];
}): Promise<Claim | null> {
  const t = now.getTime();
  const { rows } = await client.query({
    name: "onward-claim-for-sending",
    text: CLAIM_SQL,
    values: [
      id,
      UTC(now),
      UTC(new Date(t + HELD_EARLY_MS)),
      UTC(new Date(t - 7 * DAY_MS)),
      nudgeKinds,
      PERSONAL_SUPPRESSIONS,
      UTC(new Date(t - 30 * DAY_MS)),
    ],
  });
  const row = rows[0] as ClaimRow | undefined;
  if (!row) return null;
  if (!row.claimed) {
    return { claimed: false, status: row.status, sendAfter: new Date(row.sendAfter) };
  }
  return {
    claimed: true,
    message: messageFrom(row),
    facts: {
      newestConsent: row.granted === null ? null : { granted: row.granted },
      suppression: row.suppression ? { reason: row.suppression } : null,
      sentInWindow: (row.sent ?? []).map((ms) => new Date(ms)),
    },
    reengage:
      row.kind === "REENGAGE" && row.openAssignments !== null
        ? {
            openAssignments: row.openAssignments,
            pulse: { recentReports: row.pulseReports ?? 0, total: row.pulseTotal ?? 0 },
          }
        : null,
  };
}

function messageFrom(row: ClaimRow): MessageForDelivery {
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
    sendAfter: new Date(row.sendAfter),
    createdAt: new Date(row.createdAt),
    user: row.userId
      ? {
          id: row.userId,
          name: row.userName,
          timezone: row.userTimezone,
          deletedAt: row.userDeletedAt === null ? null : new Date(row.userDeletedAt),
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
            dueAt: new Date(row.aDueAt),
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

/** A hold decided inside a Prisma transaction (contact-policy.server.ts applyContactPolicy). */
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

/** What became of a SENDING message. */
export type SendingOutcome =
  | {
      status: "SENT";
      at: Date;
      transport: string;
      providerId: string | null;
      content: { subject: string | null; text: string; html: string | null };
    }
  /** Held until `at`; its delivery job (job key deliver:<id>) moves there. */
  | { status: "HELD"; at: Date; reason: string }
  | { status: "SUPPRESSED"; reason: string }
  /** A failed attempt: QUEUED for the job's next try, or FAILED when none is left. */
  | { status: "QUEUED" | "FAILED"; reason: string };

const FINISH_ARGS = `$1, $2, $3, ($4::timestamptz AT TIME ZONE 'UTC'), $5, $6, $7, $8, $9, $10`;

/**
 * Records the outcome of a claimed message (only while it is still SENDING) and, on the claim's
 * connection (`unlock`), releases its "sending:<id>" lock in the same statement. False when the
 * row was no longer SENDING. One statement through the function onward_finish_sending.
 */
export async function finishSending({
  client,
  id,
  outcome,
  unlock,
  jobMaxAttempts,
}: {
  client: DeliveryClient;
  id: string;
  outcome: SendingOutcome;
  /** False when recording from another connection than the claim's (its session is gone). */
  unlock: boolean;
  /** For a hold: the moved job's attempts (the deliver-message job's own). */
  jobMaxAttempts: number;
}): Promise<boolean> {
  const sent = outcome.status === "SENT" ? outcome : null;
  const at = outcome.status === "SENT" || outcome.status === "HELD" ? UTC(outcome.at) : null;
  const reason = "reason" in outcome ? outcome.reason.slice(0, 500) : null;
  const { rows } = await client.query({
    name: unlock ? "onward-finish-sending-unlock" : "onward-finish-sending",
    text: unlock
      ? `SELECT onward_finish_sending(${FINISH_ARGS}) AS done,
          pg_advisory_unlock(hashtextextended('sending:' || $1, 0)) AS unlocked`
      : `SELECT onward_finish_sending(${FINISH_ARGS}) AS done`,
    values: [
      id,
      outcome.status,
      reason,
      at,
      sent?.transport ?? null,
      sent?.providerId ?? null,
      sent?.content.subject ?? null,
      sent?.content.text ?? null,
      sent?.content.html ?? null,
      jobMaxAttempts,
    ],
  });
  return (rows[0] as { done: boolean } | undefined)?.done === true;
}

/**
 * Returns to QUEUED, each with a new delivery job, the SENDING messages that nobody is sending
 * any more: their claim's session lock is free because the worker that claimed them died or lost
 * its database connection before recording the outcome. Whether such a send reached the SMTP
 * server or SMS provider can't be known, so the message goes again: the one way a person gets a
 * message twice. A message whose sender is alive is left alone, however long it takes. Returns
 * the ids.
 */
export async function requeueStaleSending({
  client,
  jobMaxAttempts,
}: {
  client: { query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }> };
  jobMaxAttempts: number;
}): Promise<string[]> {
  const { rows } = await client.query("SELECT id FROM onward_requeue_stale_sending($1, $2) AS id", [
    REQUEUED_REASON,
    jobMaxAttempts,
  ]);
  return (rows as Array<{ id: string }>).map((row) => row.id);
}

/** A deliver-message job's attempts (app/utils/jobs.server.ts MAX_ATTEMPTS), for jobs made in SQL. */
export const DELIVERY_JOB_MAX_ATTEMPTS = 12;

/** The reason a requeued message shows its organisers while it waits to go again. */
export const REQUEUED_REASON = "sending was interrupted; trying again";

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
          select: {
            role: true,
            organisation: { select: { id: true, name: true, timezone: true } },
          },
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
