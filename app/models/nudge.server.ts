import type { Channel, SuppressionReason } from "~/generated/prisma/client.ts";
import { ORGANISER_ROLES } from "~/models/membership.server.ts";
import { db, type Tx } from "~/utils/db.server.ts";

/**
 * What the nudge jobs read: the assignment a reminder is about, the state the contact policy needs,
 * idle volunteers and an organisation's week in numbers.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Opt-outs that follow the person to a new address; a bounce stays with the address it hit. */
const PERSONAL_SUPPRESSIONS: SuppressionReason[] = ["UNSUBSCRIBED", "SMS_STOP", "ACCOUNT_DELETED"];

const CONTACT = { name: true, email: true, phone: true, channelPreference: true, deletedAt: true };

/*
 * These read in steps: Prisma runs three or more sibling relations as parallel queries, which a
 * transaction's single connection can only queue (node-postgres deprecates that).
 */

/** The assignment a reminder or an overdue nudge is about, with whom to tell. */
export async function getAssignmentForNudge({
  tx,
  assignmentId,
}: {
  tx: Tx;
  assignmentId: string;
}) {
  const assignment = await tx.assignment.findUnique({
    select: {
      id: true,
      status: true,
      dueAt: true,
      userId: true,
      organisationId: true,
      campaign: { select: { status: true, title: true } },
      taskVersion: { select: { title: true } },
    },
    where: { id: assignmentId },
  });
  if (!assignment) return null;
  const user = await tx.user.findUniqueOrThrow({
    select: CONTACT,
    where: { id: assignment.userId },
  });
  return { ...assignment, user };
}

/** A reported assignment, how it was reported, and the follow-up it opened. */
export async function getReportedAssignment({
  tx,
  assignmentId,
}: {
  tx: Tx;
  assignmentId: string;
}) {
  const assignment = await tx.assignment.findUnique({
    select: {
      id: true,
      status: true,
      userId: true,
      organisationId: true,
      taskVersion: { select: { title: true } },
      report: { select: { source: true } },
    },
    where: { id: assignmentId },
  });
  if (!assignment) return null;
  const next = await tx.assignment.findUnique({
    select: {
      id: true,
      status: true,
      taskVersion: { select: { title: true } },
      campaign: { select: { title: true, status: true } },
    },
    where: { previousId: assignmentId },
  });
  const user = await tx.user.findUniqueOrThrow({
    select: CONTACT,
    where: { id: assignment.userId },
  });
  return { ...assignment, next, user };
}

/**
 * What the contact policy reads about a person, in one statement: the newest consent row for the
 * channel, any active suppression of the address (or a personal one of the person's), and when
 * each nudge counted against the weekly cap was sent in the 7 days before `now`. A nudge counts
 * once however many channels it went on (its rows share the dedupe key up to the channel), and the
 * nudge being decided (`exceptKey`), whose other channel may have gone already, doesn't count.
 * `kinds` empty: no nudge times are read (the message isn't a nudge).
 */
export async function getContactFacts({
  tx,
  userId,
  channel,
  address,
  now,
  kinds,
  exceptKey,
}: {
  tx: Tx;
  userId: string | null;
  channel: Channel;
  address: string;
  now: Date;
  kinds: readonly string[];
  exceptKey: string;
}) {
  const from = new Date(now.getTime() - 7 * DAY_MS).toISOString();
  const to = now.toISOString();
  // A database function (migration 20261125140000_delivery_functions) so that its plan is kept.
  const [row] = await tx.$queryRaw<
    Array<{
      granted: boolean | null;
      suppression: SuppressionReason | null;
      /** Epoch milliseconds (UTC): a plain number, whatever the session's time zone. */
      sent: number[] | null;
    }>
  >`
    SELECT * FROM onward_contact_facts(
      ${userId}::text, ${channel}::text, ${address}::text, ${PERSONAL_SUPPRESSIONS}::text[],
      ${[...kinds]}::text[],
      (${from}::timestamptz AT TIME ZONE 'UTC'), (${to}::timestamptz AT TIME ZONE 'UTC'),
      ${exceptKey}::text)`;
  return {
    newestConsent: row && row.granted !== null ? { granted: row.granted } : null,
    suppression: row?.suppression ? { reason: row.suppression } : null,
    sentInWindow: (row?.sent ?? []).map((ms) => new Date(Number(ms))),
  };
}

export function countOpenAssignments({ tx, userId }: { tx: Tx; userId: string }) {
  return tx.assignment.count({ where: { userId, status: "ASSIGNED" } });
}

/** Reports in the campaign since a time, and the objective's total so far. */
export async function getCampaignPulse({
  tx,
  campaignId,
  metricKey,
  since,
}: {
  tx: Tx;
  campaignId: string;
  metricKey: string;
  since: Date;
}) {
  const recentReports = await tx.report.count({ where: { campaignId, createdAt: { gte: since } } });
  const total = await tx.reportMetric.aggregate({
    _sum: { value: true },
    where: { campaignId, metricKey },
  });
  return { recentReports, total: Number(total._sum.value ?? 0) };
}

// --- Re-engaging idle volunteers ---------------------------------------------------------------

export function listLiveCampaigns() {
  return db.campaign.findMany({
    select: { id: true, organisationId: true, settings: true },
    where: { status: "LIVE" },
    orderBy: { createdAt: "asc" },
  });
}

/**
 * Volunteers of a campaign who have gone quiet: their last step there (assigned or closed) is
 * older than `idleSince`, they have no open task anywhere and no report since then, no re-engage
 * message since then either, and fewer than `maxUnanswered` re-engage messages since their last
 * step (so nobody is nudged for ever). `lastAssignmentId` ties the message to the campaign.
 */
export function listIdleVolunteers({
  campaignId,
  organisationId,
  idleSince,
  maxUnanswered,
  limit,
}: {
  campaignId: string;
  organisationId: string;
  idleSince: Date;
  maxUnanswered: number;
  limit: number;
}) {
  const since = idleSince.toISOString();
  return db.$queryRaw<Array<{ userId: string; lastAssignmentId: string; lastAt: Date }>>`
    SELECT last."userId", last."assignmentId" AS "lastAssignmentId", last.at AS "lastAt"
    FROM (
      SELECT DISTINCT ON (a."userId") a."userId", a.id AS "assignmentId",
             coalesce(a."closedAt", a."assignedAt") AS at
      FROM "Assignment" a
      WHERE a."campaignId" = ${campaignId}
      ORDER BY a."userId", coalesce(a."closedAt", a."assignedAt") DESC
    ) last
    JOIN "User" u ON u.id = last."userId" AND u."deletedAt" IS NULL
    JOIN "Membership" ms ON ms."userId" = u.id AND ms."organisationId" = ${organisationId}
    WHERE last.at < ${since}::timestamptz
      AND NOT EXISTS (
        SELECT 1 FROM "Assignment" o WHERE o."userId" = u.id AND o.status = 'ASSIGNED')
      AND NOT EXISTS (
        SELECT 1 FROM "Report" r WHERE r."userId" = u.id AND r."createdAt" >= ${since}::timestamptz)
      AND NOT EXISTS (
        SELECT 1 FROM "Message" m
        WHERE m."userId" = u.id AND m.kind = 'REENGAGE'
          AND m."createdAt" >= ${since}::timestamptz
          AND m.status IN ('QUEUED', 'HELD', 'SENDING', 'SENT', 'DELIVERED'))
      AND (
        SELECT count(DISTINCT regexp_replace(m."dedupeKey", ':(EMAIL|SMS)$', ''))
        FROM "Message" m
        WHERE m."userId" = u.id AND m.kind = 'REENGAGE'
          AND m."createdAt" > last.at AND m.status IN ('SENT', 'DELIVERED')
      ) < ${maxUnanswered}
    ORDER BY last.at ASC
    LIMIT ${limit}`;
}

export function getVolunteerContact({ tx, userId }: { tx: Tx; userId: string }) {
  return tx.user.findUnique({ select: CONTACT, where: { id: userId } });
}

// --- The organiser digest ------------------------------------------------------------------------

export function listOrganisationsForDigest() {
  return db.organisation.findMany({
    select: { id: true, name: true, timezone: true },
    orderBy: { createdAt: "asc" },
  });
}

/** Owners and organisers with an email address: who gets the digest. */
export function listDigestRecipients({ organisationId }: { organisationId: string }) {
  return db.membership.findMany({
    select: { user: { select: { id: true, name: true, email: true } } },
    where: {
      organisationId,
      role: { in: [...ORGANISER_ROLES] },
      user: { deletedAt: null, email: { not: null } },
    },
    orderBy: { createdAt: "asc" },
  });
}

/** Volunteers who joined, reports and messages not sent in [from, to). */
function countWeek({ organisationId, from, to }: { organisationId: string; from: Date; to: Date }) {
  const range = { gte: from, lt: to };
  return Promise.all([
    db.membership.count({ where: { organisationId, role: "VOLUNTEER", createdAt: range } }),
    db.report.count({ where: { organisationId, createdAt: range } }),
    db.message.count({ where: { organisationId, status: "SUPPRESSED", updatedAt: range } }),
  ]);
}

/**
 * An organisation's headline numbers for the week [from, to), beside the week before it
 * ("what changed"), and each live campaign's progress.
 */
export async function getDigestNumbers({
  organisationId,
  from,
  to,
}: {
  organisationId: string;
  from: Date;
  to: Date;
}) {
  const weekBefore = new Date(from.getTime() - (to.getTime() - from.getTime()));
  const [
    [newVolunteers, reports, suppressed],
    [newBefore, reportsBefore, suppressedBefore],
    campaigns,
  ] = await Promise.all([
    countWeek({ organisationId, from, to }),
    countWeek({ organisationId, from: weekBefore, to: from }),
    db.campaign.findMany({
      select: { id: true, title: true, metricKey: true, metricLabel: true, target: true },
      where: { organisationId, status: "LIVE" },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  const progress = await Promise.all(
    campaigns.map(async (campaign) => {
      const where = { campaignId: campaign.id, metricKey: campaign.metricKey };
      const sum = (createdAt: { gte?: Date; lt: Date }) =>
        db.reportMetric
          .aggregate({ _sum: { value: true }, where: { ...where, createdAt } })
          .then((result) => Number(result._sum.value ?? 0));
      const [total, thisWeek, lastWeek] = await Promise.all([
        sum({ lt: to }),
        sum({ gte: from, lt: to }),
        sum({ gte: weekBefore, lt: from }),
      ]);
      return {
        title: campaign.title,
        metricLabel: campaign.metricLabel,
        target: campaign.target,
        total,
        thisWeek,
        lastWeek,
      };
    }),
  );
  return {
    newVolunteers,
    reports,
    suppressed,
    lastWeek: { newVolunteers: newBefore, reports: reportsBefore, suppressed: suppressedBefore },
    campaigns: progress,
  };
}
