import type { Channel, SuppressionReason } from "~/generated/prisma/client.ts";
import { overdueJobKey, reminderJobKey, thanksJobKey } from "~/loop/nudges.server.ts";
import { recordAuditEvents } from "~/models/audit.server.ts";
import { liftSuppressions, suppressAddress } from "~/models/opt-out.server.ts";
import { forgetWebhookDeliveriesAbout } from "~/models/webhooks.server.ts";
import { ACCOUNT_PAGE_SOURCE, CONSENT_WORDING } from "~/schemas/privacy.ts";
import { suppressionWords } from "~/utils/contact-policy.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { deliveryJobKey } from "~/utils/jobs.server.ts";
import { limitKey } from "~/utils/rate-limit.server.ts";

/**
 * A person's own data: their consent per channel, a copy of everything we hold about them, and
 * deleting their account. Also the retention purge of old message bodies. See
 * docs/decisions/013-privacy.md.
 */

const CHANNELS: readonly Channel[] = ["EMAIL", "SMS"];

/** Suppressions a person can't lift from their account page: the address itself can't take them. */
const ADDRESS_BLOCKS: readonly SuppressionReason[] = ["SMS_STOP", "BOUNCE", "COMPLAINT"];

// --- Consent -------------------------------------------------------------------------------------

/**
 * Per channel the person has an address for (or a consent history on): whether we may contact
 * them on it now, the latest change with its wording, time and source, and every change before
 * it. "On" needs the newest consent row to grant it and no active opt-out of the person or the
 * address, which is what the contact policy checks before every message.
 */
export async function getConsentOverview({ userId }: { userId: string }) {
  const user = await db.user.findUniqueOrThrow({
    select: { email: true, phone: true },
    where: { id: userId },
  });
  const addresses = [user.email, user.phone].filter((a): a is string => a !== null);
  const [consents, suppressions] = await Promise.all([
    db.consent.findMany({
      select: {
        id: true,
        channel: true,
        granted: true,
        wording: true,
        source: true,
        createdAt: true,
      },
      where: { userId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    }),
    db.suppression.findMany({
      select: { channel: true, reason: true, createdAt: true },
      where: {
        liftedAt: null,
        OR: [{ userId }, ...(addresses.length ? [{ address: { in: addresses } }] : [])],
      },
      orderBy: { createdAt: "desc" },
    }),
  ]);
  const campaignIds = [
    ...new Set(consents.flatMap((c) => (c.source.startsWith("join:") ? [c.source.slice(5)] : []))),
  ];
  const campaigns = await db.campaign.findMany({
    select: { id: true, title: true },
    where: { id: { in: campaignIds } },
  });
  const titles = new Map(campaigns.map((c) => [c.id, c.title]));
  const sourceWords = (source: string) => describeConsentSource(source, titles);

  return CHANNELS.flatMap((channel) => {
    const address = channel === "EMAIL" ? user.email : user.phone;
    const history = consents
      .filter((c) => c.channel === channel)
      .map((c) => ({
        id: c.id,
        granted: c.granted,
        wording: c.wording,
        source: sourceWords(c.source),
        at: c.createdAt,
      }));
    if (!address && history.length === 0) return [];
    const active = suppressions.filter((s) => s.channel === channel);
    const block = active.find((s) => ADDRESS_BLOCKS.includes(s.reason))?.reason ?? null;
    const newest = history[0] ?? null;
    return [
      {
        channel,
        address,
        on: newest?.granted === true && active.length === 0,
        latest: newest,
        history,
        block,
      },
    ];
  });
}

export type ConsentOverview = Awaited<ReturnType<typeof getConsentOverview>>;

/** Where a consent change came from, in words a person recognises. */
export function describeConsentSource(source: string, campaignTitles: Map<string, string>) {
  if (source.startsWith("join:")) {
    const title = campaignTitles.get(source.slice(5));
    return title ? `When you joined ${title}` : "When you joined a campaign";
  }
  switch (source) {
    case ACCOUNT_PAGE_SOURCE:
      return "On your account page";
    case "unsubscribe-page":
      return "With the unsubscribe link in an email";
    case "one-click":
      return "With your email app's unsubscribe button";
    case "mailto":
      return "By emailing our unsubscribe address";
    case "sms-keyword":
      return "By replying to a text";
    case ACCOUNT_DELETED_SOURCE:
      return "When you deleted your account";
    default:
      return source;
  }
}

export type ConsentChangeResult = { ok: true; changed: boolean } | { ok: false; error: string };

/**
 * One tap on the account page: withdraws consent for a channel (a consent row and an UNSUBSCRIBED
 * suppression, exactly as the unsubscribe link does, so both pages agree), or grants it again
 * (the row, and that suppression lifted). Delivery reads both before every message, so a message
 * already queued on the channel is suppressed when its turn comes. Repeating it changes nothing.
 */
export async function changeConsent({
  userId,
  channel,
  granted,
  now = new Date(),
}: {
  userId: string;
  channel: Channel;
  granted: boolean;
  now?: Date;
}): Promise<ConsentChangeResult> {
  const user = await db.user.findFirst({
    select: { email: true, phone: true },
    where: { id: userId, deletedAt: null },
  });
  if (!user) return { ok: false, error: "We couldn't find your account." };
  const address = channel === "EMAIL" ? user.email : user.phone;
  if (!granted) {
    const result = await suppressAddress({
      channel,
      address,
      userId,
      reason: "UNSUBSCRIBED",
      detail: ACCOUNT_PAGE_SOURCE,
      consent: { wording: CONSENT_WORDING.withdraw[channel], source: ACCOUNT_PAGE_SOURCE },
      now,
    });
    return { ok: true, changed: result.suppressed || result.consentRecorded };
  }
  if (!address) {
    return {
      ok: false,
      error:
        channel === "EMAIL"
          ? "We don't have an email address for you, so we can't send you emails."
          : "We don't have a mobile number for you, so we can't send you texts.",
    };
  }
  const stopped = await db.suppression.findFirst({
    select: { id: true },
    where: { channel: "SMS", address, reason: "SMS_STOP", liftedAt: null },
  });
  if (channel === "SMS" && stopped) {
    return {
      ok: false,
      error: "You replied STOP to one of our texts. To get texts again, reply START to that text.",
    };
  }
  const result = await liftSuppressions({
    channel,
    address,
    userId,
    reasons: ["UNSUBSCRIBED"],
    consent: { wording: CONSENT_WORDING.grant[channel], source: ACCOUNT_PAGE_SOURCE },
    now,
  });
  return { ok: true, changed: result.lifted > 0 || result.consentRecorded };
}

// --- Download my data ----------------------------------------------------------------------------

/**
 * Everything we hold about one person, for them: every row about them in every table, and nothing
 * about anyone else. Rows that are about other people too are cut to the person's part: an update
 * they received without its author, an audit event about them without who did it (that is the
 * organiser's personal data; the organisation is named). Secrets are left out: sign-in token
 * hashes and session ids (a session id is what the cookie carries).
 */
export async function exportPersonalData({
  userId,
  now = new Date(),
}: {
  userId: string;
  now?: Date;
}) {
  const user = await db.user.findUniqueOrThrow({
    select: {
      id: true,
      name: true,
      email: true,
      phone: true,
      postcode: true,
      district: true,
      timezone: true,
      channelPreference: true,
      createdAt: true,
      updatedAt: true,
    },
    where: { id: userId },
  });
  const addresses = [user.email, user.phone].filter((a): a is string => a !== null);
  const ofAddress = addresses.length ? [{ toAddress: { in: addresses } }] : [];

  const [
    memberships,
    consents,
    sessions,
    signIns,
    assignments,
    reports,
    messages,
    inboundTexts,
    suppressions,
    updatesReceived,
    updatesWritten,
    teams,
    teamsLed,
    teamNudgesSent,
    participation,
    auditEvents,
  ] = await Promise.all([
    db.membership.findMany({
      select: { role: true, createdAt: true, organisation: { select: { id: true, name: true } } },
      where: { userId },
      orderBy: { createdAt: "asc" },
    }),
    db.consent.findMany({
      select: {
        channel: true,
        granted: true,
        wording: true,
        source: true,
        organisationId: true,
        createdAt: true,
      },
      where: { userId },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    }),
    db.session.findMany({
      select: {
        userAgent: true,
        ip: true,
        createdAt: true,
        lastSeenAt: true,
        expiresAt: true,
        revokedAt: true,
      },
      where: { userId },
      orderBy: { createdAt: "asc" },
    }),
    db.loginToken.findMany({
      select: {
        channel: true,
        createdAt: true,
        expiresAt: true,
        usedAt: true,
        attempts: true,
        ip: true,
        redirectTo: true,
      },
      where: { userId },
      orderBy: { createdAt: "asc" },
    }),
    db.assignment.findMany({
      select: {
        id: true,
        status: true,
        assignedAt: true,
        dueAt: true,
        closedAt: true,
        skipReason: true,
        previousId: true,
        campaign: { select: { id: true, title: true } },
        taskVersion: { select: { title: true, version: true } },
        // An organiser's answer to a skip reason.
        feedbackHandling: {
          select: { status: true, reply: true, tags: true, answeredAt: true },
        },
      },
      where: { userId },
      orderBy: { assignedAt: "asc" },
    }),
    db.report.findMany({
      select: {
        id: true,
        assignmentId: true,
        values: true,
        feedback: true,
        source: true,
        district: true,
        createdAt: true,
        campaign: { select: { id: true, title: true } },
        taskVersion: { select: { title: true } },
        metrics: { select: { metricKey: true, value: true } },
        feedbackHandling: {
          select: { status: true, reply: true, tags: true, answeredAt: true },
        },
        updateLinks: { select: { update: { select: { id: true, title: true } } } },
      },
      where: { userId },
      orderBy: { createdAt: "asc" },
    }),
    db.message.findMany({
      select: {
        id: true,
        organisationId: true,
        channel: true,
        kind: true,
        toAddress: true,
        subject: true,
        bodyText: true,
        bodyHtml: true,
        status: true,
        statusReason: true,
        sendAfter: true,
        sentAt: true,
        deliveredAt: true,
        createdAt: true,
      },
      where: { OR: [{ userId }, ...ofAddress] },
      orderBy: { createdAt: "asc" },
    }),
    db.inboundSms.findMany({
      select: { fromPhone: true, toPhone: true, body: true, handledAs: true, receivedAt: true },
      where: { OR: [{ userId }, ...(user.phone ? [{ fromPhone: user.phone }] : [])] },
      orderBy: { receivedAt: "asc" },
    }),
    db.suppression.findMany({
      select: {
        channel: true,
        address: true,
        reason: true,
        detail: true,
        createdAt: true,
        liftedAt: true,
      },
      where: { OR: [{ userId }, ...(addresses.length ? [{ address: { in: addresses } }] : [])] },
      orderBy: { createdAt: "asc" },
    }),
    db.updateRecipient.findMany({
      select: {
        update: {
          select: {
            id: true,
            title: true,
            body: true,
            publishedAt: true,
            campaign: { select: { id: true, title: true } },
          },
        },
      },
      where: { userId },
    }),
    db.update.findMany({
      select: {
        id: true,
        title: true,
        body: true,
        publishedAt: true,
        createdAt: true,
        campaign: { select: { id: true, title: true } },
      },
      where: { authorId: userId },
      orderBy: { createdAt: "asc" },
    }),
    db.teamMember.findMany({
      select: { createdAt: true, team: { select: { id: true, name: true } } },
      where: { userId },
    }),
    db.team.findMany({ select: { id: true, name: true }, where: { leadId: userId } }),
    db.teamNudge.findMany({
      select: {
        body: true,
        recipients: true,
        createdAt: true,
        team: { select: { id: true, name: true } },
      },
      where: { senderId: userId },
      orderBy: { createdAt: "asc" },
    }),
    db.campaignParticipant.findMany({
      select: {
        joinedAt: true,
        district: true,
        channel: true,
        reportCount: true,
        firstReportAt: true,
        lastReportAt: true,
        campaign: { select: { id: true, title: true } },
      },
      where: { userId },
      orderBy: { joinedAt: "asc" },
    }),
    db.auditEvent.findMany({
      select: {
        action: true,
        detail: true,
        createdAt: true,
        organisation: { select: { id: true, name: true } },
      },
      where: { subjectType: "User", subjectId: userId },
      orderBy: { createdAt: "asc" },
    }),
  ]);

  return {
    about: "Everything Onward holds about you, as it was when you downloaded it. Times are in UTC.",
    exportedAt: now,
    account: user,
    memberships,
    consents,
    sessions,
    signInRequests: signIns,
    tasks: assignments.map(({ taskVersion, ...assignment }) => ({
      ...assignment,
      task: taskVersion.title,
      taskVersion: taskVersion.version,
    })),
    reports: reports.map(({ taskVersion, metrics, updateLinks, ...report }) => ({
      ...report,
      task: taskVersion.title,
      metrics: metrics.map((metric) => ({
        metricKey: metric.metricKey,
        value: Number(metric.value),
      })),
      updates: updateLinks.map((link) => link.update),
    })),
    messages,
    textsYouSent: inboundTexts,
    optOuts: suppressions,
    updatesYouReceived: updatesReceived.map((row) => row.update),
    updatesYouWrote: updatesWritten,
    teams: teams.map((row) => ({ ...row.team, joinedAt: row.createdAt })),
    teamsYouLead: teamsLed,
    teamNudgesYouSent: teamNudgesSent,
    campaigns: participation,
    auditEventsAboutYou: auditEvents,
  };
}

export type PersonalData = Awaited<ReturnType<typeof exportPersonalData>>;

// --- Delete my account ---------------------------------------------------------------------------

export const ACCOUNT_DELETED_SOURCE = "account deleted";

export type DeleteAccountResult =
  { ok: true; cancelledTasks: number; suppressedMessages: number } | { ok: false; error: string };

/** Organisations that would be left without an owner if this person went. */
export async function listOrganisationsOnlyOwnedBy({
  userId,
  tx = db,
}: {
  userId: string;
  tx?: Tx;
}) {
  const owned = await tx.membership.findMany({
    select: {
      organisation: {
        select: {
          id: true,
          name: true,
          memberships: {
            select: { id: true },
            where: { role: "OWNER", userId: { not: userId }, user: { deletedAt: null } },
            take: 1,
          },
        },
      },
    },
    where: { userId, role: "OWNER" },
  });
  return owned
    .filter((m) => m.organisation.memberships.length === 0)
    .map((m) => ({ id: m.organisation.id, name: m.organisation.name }));
}

/**
 * Deletes a person's account, in one transaction:
 * - name, email, mobile number, postcode and time zone removed; deletedAt set. The postcode
 *   district ("LS6") and contact preference stay: the area and contact figures of organisation
 *   reports, and the raw-row views filtered by them, read them, and a district covers thousands of
 *   homes. The row stays too, so their reports and tasks keep counting where they did.
 * - reports anonymised: feedback, the answers to free-text questions and skip reasons cleared,
 *   organisers' replies to their feedback cleared; numbers, choices and metrics kept, so every
 *   total and rollup stays the same.
 * - open tasks cancelled, and their reminder, overdue and thank-you jobs removed.
 * - queued and held messages SUPPRESSED ("account deleted") with their delivery jobs removed, after
 *   any send in progress has finished; the subject, body and address of every message to them
 *   cleared (the rows stay for counts).
 * - texts from their number, opt-outs of their addresses and recent sign-in limits keyed by them
 *   lose the number or address; sessions are revoked (device and address cleared), sign-in tokens
 *   deleted; an ACCOUNT_DELETED suppression per channel and a consent withdrawal are recorded.
 * - outgoing webhook deliveries about them deleted, sent or not (ADR 018).
 * - an audit event in each of their organisations.
 * Refused for the last owner of an organisation, who must hand it on first.
 */
export async function deleteAccount({
  userId,
  now = new Date(),
}: {
  userId: string;
  now?: Date;
}): Promise<DeleteAccountResult> {
  return db.$transaction(
    async (tx): Promise<DeleteAccountResult> => {
      const [person] = await tx.$queryRaw<
        Array<{ email: string | null; phone: string | null; deletedAt: Date | null }>
      >`SELECT email, phone, "deletedAt" FROM "User" WHERE id = ${userId} FOR UPDATE`;
      if (!person || person.deletedAt) {
        return { ok: false, error: "This account has already been deleted." };
      }
      // Two owners leaving at once must not both pass the check: the organisations they own are
      // locked in a fixed order first.
      await tx.$executeRaw`
        SELECT 1 FROM "Organisation" o
        WHERE o.id IN (SELECT m."organisationId" FROM "Membership" m
                       WHERE m."userId" = ${userId} AND m.role = 'OWNER')
        ORDER BY o.id FOR UPDATE`;
      const orphaned = await listOrganisationsOnlyOwnedBy({ userId, tx });
      if (orphaned.length > 0) {
        return {
          ok: false,
          error: `You're the only owner of ${orphaned.map((o) => o.name).join(" and ")}. Make someone else an owner first, so the organisation isn't left without one.`,
        };
      }
      const addresses = [person.email, person.phone].filter((a): a is string => a !== null);
      const lowered = addresses.map((a) => a.toLowerCase());

      const open = await tx.assignment.findMany({
        select: { id: true },
        where: { userId, status: "ASSIGNED" },
      });
      await tx.assignment.updateMany({
        where: { userId, status: "ASSIGNED" },
        data: { status: "CANCELLED", closedAt: now },
      });
      await tx.assignment.updateMany({
        where: { userId, skipReason: { not: null } },
        data: { skipReason: null },
      });

      // A message being sent right now (SENDING, ADR 010) is held by its sender's session lock
      // 'sending:<id>' until the outcome, and what was sent, is written. Waiting for that lock lets
      // the send finish first, so what it writes is cleared below rather than written after.
      await tx.$executeRaw`
        SELECT pg_advisory_xact_lock(hashtextextended('sending:' || id, 0)) FROM "Message"
        WHERE status::text = 'SENDING'
          AND ("userId" = ${userId} OR lower("toAddress") = ANY(${lowered}::text[]))`;
      // Still SENDING now means nobody is sending it (its worker died): it is ours to stop too.
      const pending = await tx.$queryRaw<Array<{ id: string }>>`
        UPDATE "Message"
        SET status = 'SUPPRESSED', "statusReason" = ${suppressionWords("ACCOUNT_DELETED")},
            "updatedAt" = (${now.toISOString()}::timestamptz AT TIME ZONE 'UTC')
        WHERE status::text IN ('QUEUED', 'HELD', 'SENDING')
          AND ("userId" = ${userId} OR lower("toAddress") = ANY(${lowered}::text[]))
        RETURNING id`;
      const assignments = await tx.assignment.findMany({ select: { id: true }, where: { userId } });
      const jobKeys = [
        ...assignments.flatMap((a) => [
          reminderJobKey(a.id),
          overdueJobKey(a.id),
          thanksJobKey(a.id),
        ]),
        ...pending.map((m) => deliveryJobKey(m.id)),
      ];
      // remove_job deletes a waiting job, and stops a running one from being retried.
      await tx.$executeRaw`
        SELECT graphile_worker.remove_job(k) FROM unnest(${jobKeys}::text[]) AS k`;

      // A provider's error can quote the address ("550 <amira@…>: no such user").
      await tx.$executeRaw`
        UPDATE "Message" m
        SET subject = NULL, "bodyText" = '', "bodyHtml" = NULL, "toAddress" = '',
            "statusReason" = CASE
              WHEN EXISTS (SELECT 1 FROM unnest(${lowered}::text[]) a
                           WHERE strpos(lower(m."statusReason"), a) > 0)
              THEN 'Details removed with the account' ELSE m."statusReason" END
        WHERE m."userId" = ${userId} OR lower(m."toAddress") = ANY(${lowered}::text[])`;
      await forgetWebhookDeliveriesAbout({ tx, userId });
      await tx.$executeRaw`
        UPDATE "InboundSms" SET body = '', "fromPhone" = ''
        WHERE "userId" = ${userId} OR "fromPhone" = ${person.phone ?? ""}`;
      await tx.$executeRaw`
        UPDATE "Suppression" SET address = '', detail = NULL
        WHERE "userId" = ${userId} OR lower(address) = ANY(${lowered}::text[])`;
      await tx.suppression.createMany({
        data: CHANNELS.map((channel) => ({
          channel,
          address: "",
          userId,
          reason: "ACCOUNT_DELETED" as const,
          createdAt: now,
        })),
      });
      const limitKeys = (["signInPerIdentifier", "codeAttemptsPerIdentifier"] as const)
        .flatMap((limit) => addresses.map((address) => limitKey(limit, address)))
        .concat(limitKey("reportPerUser", userId));
      await tx.$executeRaw`DELETE FROM rate_limits WHERE key = ANY(${limitKeys}::text[])`;

      // Free-text answers go; numbers and choices stay for the totals and follow-up statistics.
      await tx.$executeRaw`
        UPDATE "Report" r
        SET feedback = NULL,
            "values" = r."values" - ARRAY(
              SELECT f->>'key' FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(tv.fields) = 'array' THEN tv.fields ELSE '[]'::jsonb END) f
              WHERE f->>'type' = 'text')
        FROM "TaskVersion" tv
        WHERE tv.id = r."taskVersionId" AND r."userId" = ${userId}`;
      await tx.$executeRaw`
        UPDATE "FeedbackHandling" SET reply = NULL
        WHERE "reportId" IN (SELECT id FROM "Report" WHERE "userId" = ${userId})
           OR "assignmentId" IN (SELECT id FROM "Assignment" WHERE "userId" = ${userId})`;

      await tx.session.updateMany({
        where: { userId, revokedAt: null },
        data: { revokedAt: now },
      });
      await tx.session.updateMany({ where: { userId }, data: { ip: null, userAgent: null } });
      await tx.loginToken.deleteMany({ where: { userId } });
      await tx.auditEvent.updateMany({ where: { actorId: userId }, data: { ip: null } });

      for (const channel of CHANNELS) {
        const newest = await tx.consent.findFirst({
          select: { granted: true },
          where: { userId, channel },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        });
        if (newest?.granted) {
          await tx.consent.create({
            select: { id: true },
            data: {
              userId,
              channel,
              granted: false,
              wording: "Deleted my account",
              source: ACCOUNT_DELETED_SOURCE,
              createdAt: now,
            },
          });
        }
      }

      await tx.user.update({
        select: { id: true },
        where: { id: userId },
        data: {
          name: null,
          email: null,
          phone: null,
          postcode: null,
          timezone: null,
          deletedAt: now,
        },
      });

      const memberships = await tx.membership.findMany({
        select: { organisationId: true },
        where: { userId },
      });
      const detail = { cancelledTasks: open.length, suppressedMessages: pending.length };
      const organisationIds = memberships.length
        ? memberships.map((m) => m.organisationId)
        : [null];
      await recordAuditEvents({
        tx,
        events: organisationIds.map((organisationId) => ({
          organisationId,
          actorId: userId,
          action: "account.deleted",
          subjectType: "User",
          subjectId: userId,
          detail,
          createdAt: now,
        })),
      });
      return { ok: true, ...detail };
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

// --- Retention -----------------------------------------------------------------------------------

export const PURGE_BATCH_SIZE = 1_000;

/** What one batch of a purge did: the last id it looked at (null past the end), and how many. */
type BatchResult = { last: string | null; purged: number };

/** Runs `step` over a table in id order, from the start until a batch finds no rows. */
async function inBatches(step: (after: string) => Promise<BatchResult[]>): Promise<number> {
  let total = 0;
  for (let after = ""; ;) {
    const [row] = await step(after);
    total += row?.purged ?? 0;
    if (!row?.last) return total;
    after = row.last;
  }
}
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Clears the subject and body of every message, and the body of every text we received, older
 * than `retentionDays`, and deletes finished webhook deliveries as old; the rows stay, with status, kind, channel and times, so counts and the
 * weekly cap still work. Walks each table in primary-key order, `batchSize` rows a statement, so no
 * statement holds locks for long and the cost is one pass over the table whatever has been purged
 * before. Messages still waiting to go, and rows another transaction holds, are left for next time.
 * Messages of deleted accounts are cleared whatever their age (see clearDeletedAccountsMessages).
 */
export async function purgeOldMessages({
  retentionDays,
  now = new Date(),
  batchSize = PURGE_BATCH_SIZE,
}: {
  retentionDays: number;
  now?: Date;
  batchSize?: number;
}): Promise<{ messages: number; inboundSms: number; webhookDeliveries: number; cutoff: Date }> {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const before = cutoff.toISOString();
  const oldMessages = await inBatches(
    (after) => db.$queryRaw<BatchResult[]>`
      WITH batch AS (
        SELECT id FROM "Message" WHERE id > ${after} ORDER BY id LIMIT ${batchSize}
      ), target AS (
        SELECT m.id FROM "Message" m
        WHERE m.id IN (SELECT id FROM batch)
          AND m."createdAt" < (${before}::timestamptz AT TIME ZONE 'UTC')
          AND m.status::text NOT IN ('QUEUED', 'HELD', 'SENDING')
          AND (m."bodyText" <> '' OR m.subject IS NOT NULL OR m."bodyHtml" IS NOT NULL)
        FOR UPDATE SKIP LOCKED
      ), purged AS (
        UPDATE "Message" m SET subject = NULL, "bodyText" = '', "bodyHtml" = NULL
        FROM target WHERE m.id = target.id
        RETURNING 1
      )
      SELECT (SELECT max(id) FROM batch) AS last, (SELECT count(*)::int FROM purged) AS purged`,
  );
  const messages = oldMessages + (await clearDeletedAccountsMessages());
  const inboundSms = await inBatches(
    (after) => db.$queryRaw<BatchResult[]>`
      WITH batch AS (
        SELECT id FROM "InboundSms" WHERE id > ${after} ORDER BY id LIMIT ${batchSize}
      ), target AS (
        SELECT s.id FROM "InboundSms" s
        WHERE s.id IN (SELECT id FROM batch)
          AND s."receivedAt" < (${before}::timestamptz AT TIME ZONE 'UTC')
          AND s.body <> ''
        FOR UPDATE SKIP LOCKED
      ), purged AS (
        UPDATE "InboundSms" s SET body = '' FROM target WHERE s.id = target.id
        RETURNING 1
      )
      SELECT (SELECT max(id) FROM batch) AS last, (SELECT count(*)::int FROM purged) AS purged`,
  );
  // A webhook delivery's payload holds what the event said (first names, feedback): once it has
  // succeeded or failed for good and is older than the retention period, the row goes.
  const webhookDeliveries = await inBatches(
    (after) => db.$queryRaw<BatchResult[]>`
      WITH batch AS (
        SELECT id FROM "WebhookDelivery" WHERE id > ${after} ORDER BY id LIMIT ${batchSize}
      ), target AS (
        SELECT d.id FROM "WebhookDelivery" d
        WHERE d.id IN (SELECT id FROM batch)
          AND d."createdAt" < (${before}::timestamptz AT TIME ZONE 'UTC')
          AND d.status::text <> 'PENDING'
        FOR UPDATE SKIP LOCKED
      ), purged AS (
        DELETE FROM "WebhookDelivery" d USING target WHERE d.id = target.id
        RETURNING 1
      )
      SELECT (SELECT max(id) FROM batch) AS last, (SELECT count(*)::int FROM purged) AS purged`,
  );
  return { messages, inboundSms, webhookDeliveries, cutoff };
}

/**
 * A nudge job that read a person just before their account was deleted can write its message just
 * after (its insert waits for the deletion to commit, then goes ahead with what it had read).
 * Delivery suppresses such a message ("account deleted"); this clears what it says and where it
 * was going, whatever its age, once it is no longer waiting to go. Run by the daily purge.
 */
function clearDeletedAccountsMessages() {
  return db.$executeRaw`
    UPDATE "Message" m
    SET subject = NULL, "bodyText" = '', "bodyHtml" = NULL, "toAddress" = ''
    FROM "User" u
    WHERE u.id = m."userId" AND u."deletedAt" IS NOT NULL
      AND m.status::text NOT IN ('QUEUED', 'HELD', 'SENDING')
      AND (m."toAddress" <> '' OR m."bodyText" <> '' OR m.subject IS NOT NULL
           OR m."bodyHtml" IS NOT NULL)`;
}
