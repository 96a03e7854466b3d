import { createElement } from "react";
import FeedbackReplyEmail, { feedbackReplySubject } from "../../emails/feedback-reply.tsx";
import { Prisma, type FeedbackStatus } from "~/generated/prisma/client.ts";
import { recordAuditEvents } from "~/models/audit.server.ts";
import {
  campaignFilterOptions,
  NotFoundError,
  requireCampaignAccess,
} from "~/models/campaign.server.ts";
import { ORGANISER_ROLES } from "~/models/membership.server.ts";
import { recordFeedbackAnswered } from "~/models/webhooks.server.ts";
import { channelsFor, queueMessages } from "~/models/message.server.ts";
import { INBOX_PAGE_SIZE, MAX_TAGS, type InboxAction, type InboxFilters } from "~/schemas/inbox.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { fitSms } from "~/utils/sms-text.ts";
import { unsubscribeUrl } from "~/utils/unsubscribe.server.ts";

/**
 * The organiser inbox (ADR 015): every report with free text (the feedback box or an answer to a
 * text question) and every skip reason of a campaign, with what organisers did about each. An item
 * is named by its assignment's id: a report has exactly one assignment, and a skip is one. What
 * was done lives in FeedbackHandling, keyed by the report or the skipped assignment, and is made
 * when an organiser first acts on the item.
 */

export const FEEDBACK_REPLY_KIND = "FEEDBACK_REPLY";

export type InboxItemKind = "report" | "skip";

type ItemRow = {
  id: string;
  kind: InboxItemKind;
  reportId: string | null;
  /** Epoch milliseconds of the report or the skip. */
  at: number;
  taskId: string;
  taskTitle: string;
  fields: unknown;
  values: unknown;
  district: string;
  feedback: string | null;
  skipReason: string | null;
  userId: string | null;
  userName: string | null;
  handlingId: string | null;
  status: FeedbackStatus | null;
  reply: string | null;
  reason: string | null;
  tags: string[] | null;
  assigneeId: string | null;
  assigneeName: string | null;
  answeredAt: number | null;
  repliedAt: number | null;
};

/** Has an answer to a text question: a non-blank value for a field whose type is "text". */
const HAS_TEXT_ANSWER = Prisma.sql`EXISTS (
  SELECT 1 FROM jsonb_array_elements(
    CASE WHEN jsonb_typeof(tv.fields) = 'array' THEN tv.fields ELSE '[]'::jsonb END) f
  WHERE f->>'type' = 'text' AND btrim(coalesce(r.values->>(f->>'key'), '')) <> '')`;

/** Every item of a campaign, as rows of ItemRow (plus `handledStatus` for filtering). */
function itemsOf(campaignId: string) {
  return Prisma.sql`
    SELECT r."assignmentId" AS id, 'report' AS kind, r.id AS "reportId", r."createdAt" AS at,
      r."taskId", tv.title AS "taskTitle", tv.fields, r.values,
      coalesce(r.district, '') AS district, r.feedback, NULL::text AS "skipReason",
      r."userId", fh.id AS "handlingId", fh.status, fh.reply, fh.reason, fh.tags,
      fh."assigneeId", fh."answeredAt", fh."repliedAt"
    FROM "Report" r
    JOIN "TaskVersion" tv ON tv.id = r."taskVersionId"
    LEFT JOIN "FeedbackHandling" fh ON fh."reportId" = r.id
    WHERE r."campaignId" = ${campaignId}
      AND ((r.feedback IS NOT NULL AND btrim(r.feedback) <> '') OR ${HAS_TEXT_ANSWER})
    UNION ALL
    SELECT a.id, 'skip', NULL, a."closedAt", a."taskId", tv.title, tv.fields, NULL::jsonb,
      coalesce(u.district, ''), NULL, a."skipReason",
      a."userId", fh.id, fh.status, fh.reply, fh.reason, fh.tags,
      fh."assigneeId", fh."answeredAt", fh."repliedAt"
    FROM "Assignment" a
    JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
    JOIN "User" u ON u.id = a."userId"
    LEFT JOIN "FeedbackHandling" fh ON fh."assignmentId" = a.id
    WHERE a."campaignId" = ${campaignId} AND a.status = 'SKIPPED'
      AND a."closedAt" IS NOT NULL AND btrim(coalesce(a."skipReason", '')) <> ''`;
}

const ITEM_COLUMNS = Prisma.sql`
  i.id, i.kind, i."reportId", floor(extract(epoch FROM i.at) * 1000)::float8 AS at,
  i."taskId", i."taskTitle", i.fields, i.values, i.district, i.feedback, i."skipReason",
  i."userId", u.name AS "userName", i."handlingId", i.status, i.reply, i.reason, i.tags,
  i."assigneeId", au.name AS "assigneeName",
  floor(extract(epoch FROM i."answeredAt") * 1000)::float8 AS "answeredAt",
  floor(extract(epoch FROM i."repliedAt") * 1000)::float8 AS "repliedAt"`;

const ITEM_JOINS = Prisma.sql`
  LEFT JOIN "User" u ON u.id = i."userId"
  LEFT JOIN "User" au ON au.id = i."assigneeId"`;

function filterSql(filters: InboxFilters) {
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filters.unanswered) parts.push(Prisma.sql`(i.status IS NULL OR i.status = 'OPEN')`);
  if (filters.area) parts.push(Prisma.sql`i.district = ${filters.area}`);
  if (filters.taskId) parts.push(Prisma.sql`i."taskId" = ${filters.taskId}`);
  if (filters.hasFeedback) parts.push(Prisma.sql`i.feedback IS NOT NULL`);
  return Prisma.join(parts, " AND ");
}

/** The answers to a report's text questions, with their questions. */
function textAnswers(fields: unknown, values: unknown): Array<{ label: string; answer: string }> {
  if (!Array.isArray(fields) || !values || typeof values !== "object") return [];
  const answers: Array<{ label: string; answer: string }> = [];
  for (const field of fields as Array<Record<string, unknown>>) {
    if (field?.type !== "text" || typeof field.key !== "string") continue;
    const answer = (values as Record<string, unknown>)[field.key];
    if (typeof answer === "string" && answer.trim() !== "") {
      answers.push({ label: typeof field.label === "string" ? field.label : field.key, answer });
    }
  }
  return answers;
}

function toItem(row: ItemRow, now: Date) {
  const status: FeedbackStatus = row.status ?? "OPEN";
  const at = new Date(Number(row.at));
  return {
    id: row.id,
    kind: row.kind,
    at,
    taskId: row.taskId,
    taskTitle: row.taskTitle,
    district: row.district,
    feedback: row.feedback,
    skipReason: row.skipReason,
    answers: row.kind === "report" ? textAnswers(row.fields, row.values) : [],
    volunteer: row.userId ? { id: row.userId, name: row.userName } : null,
    status,
    unanswered: status === "OPEN",
    /** How long it has waited for a reply or a mark; null once answered. */
    ageMs: status === "OPEN" ? Math.max(0, now.getTime() - at.getTime()) : null,
    reply: row.reply,
    reason: row.reason,
    tags: row.tags ?? [],
    assignee: row.assigneeId ? { id: row.assigneeId, name: row.assigneeName } : null,
    answeredAt: row.answeredAt === null ? null : new Date(Number(row.answeredAt)),
    repliedAt: row.repliedAt === null ? null : new Date(Number(row.repliedAt)),
  };
}

export type InboxItem = ReturnType<typeof toItem>;

/**
 * The median time from a contribution to the organisers' first reply or mark, over the campaign's
 * answered items (null when none is answered yet), and how many that is.
 */
export async function getMedianResponse({ campaignId }: { campaignId: string }) {
  const [row] = await db.$queryRaw<Array<{ median: number | null; answered: number }>>`
    SELECT percentile_cont(0.5) WITHIN GROUP (
             ORDER BY extract(epoch FROM i."answeredAt" - i.at) * 1000)::float8 AS median,
           count(*)::int AS answered
    FROM (${itemsOf(campaignId)}) i
    WHERE i."answeredAt" IS NOT NULL`;
  return {
    medianMs: row?.median === null || row?.median === undefined ? null : Number(row.median),
    answered: row?.answered ?? 0,
  };
}

/** One page of a campaign's inbox, newest first, with what the filters and the page need. */
export async function listInbox({
  actorId,
  campaignId,
  filters,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  filters: InboxFilters;
  now?: Date;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const offset = (filters.page - 1) * INBOX_PAGE_SIZE;
  const where = filterSql(filters);
  const [campaign, rows, [count], median, options] = await Promise.all([
    db.campaign.findUniqueOrThrow({
      select: { id: true, title: true, organisation: { select: { timezone: true } } },
      where: { id: campaignId },
    }),
    db.$queryRaw<ItemRow[]>`
      SELECT ${ITEM_COLUMNS}
      FROM (${itemsOf(campaignId)}) i ${ITEM_JOINS}
      WHERE ${where}
      ORDER BY i.at DESC, i.id DESC
      LIMIT ${INBOX_PAGE_SIZE} OFFSET ${offset}`,
    db.$queryRaw<Array<{ total: number; unanswered: number }>>`
      SELECT count(*)::int AS total,
             count(*) FILTER (WHERE i.status IS NULL OR i.status = 'OPEN')::int AS unanswered
      FROM (${itemsOf(campaignId)}) i
      WHERE ${where}`,
    getMedianResponse({ campaignId }),
    campaignFilterOptions(campaignId),
  ]);
  const total = count?.total ?? 0;
  return {
    campaign,
    items: rows.map((row) => toItem(row, now)),
    total,
    unanswered: count?.unanswered ?? 0,
    pages: Math.max(1, Math.ceil(total / INBOX_PAGE_SIZE)),
    median,
    ...options,
  };
}

async function findItem({
  tx = db,
  campaignId,
  itemId,
  now,
}: {
  tx?: Tx;
  campaignId: string;
  itemId: string;
  now: Date;
}) {
  const [row] = await tx.$queryRaw<ItemRow[]>`
    SELECT ${ITEM_COLUMNS}
    FROM (${itemsOf(campaignId)}) i ${ITEM_JOINS}
    WHERE i.id = ${itemId}`;
  return row ? { row, item: toItem(row, now) } : null;
}

/** Owners and organisers of the organisation: who an item can be given to. */
function listColleagues({ organisationId }: { organisationId: string }) {
  return db.membership
    .findMany({
      select: { user: { select: { id: true, name: true, email: true } } },
      where: { organisationId, role: { in: [...ORGANISER_ROLES] }, user: { deletedAt: null } },
      orderBy: { createdAt: "asc" },
    })
    .then((rows) =>
      rows.map(({ user }) => ({ id: user.id, name: user.name ?? user.email ?? "An organiser" })),
    );
}

/** One item with what its page needs; NotFoundError if it isn't an item of the campaign. */
export async function getInboxItem({
  actorId,
  campaignId,
  itemId,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  itemId: string;
  now?: Date;
}) {
  const { organisationId } = await requireCampaignAccess({ actorId, campaignId });
  const found = await findItem({ campaignId, itemId, now });
  if (!found) throw new NotFoundError("That isn't in this campaign's inbox.");
  const [campaign, colleagues] = await Promise.all([
    db.campaign.findUniqueOrThrow({
      select: { id: true, title: true, organisation: { select: { timezone: true } } },
      where: { id: campaignId },
    }),
    listColleagues({ organisationId }),
  ]);
  return { campaign, item: found.item, colleagues };
}

export type InboxActionResult =
  { ok: true; notice: string } | { ok: false; fieldErrors: Record<string, string[]> };

/** Thrown inside the transaction so that a refusal rolls back everything, even the upsert. */
class Refusal extends Error {
  constructor(readonly result: InboxActionResult & { ok: false }) {
    super("refused");
  }
}

function refuse(field: string, message: string): never {
  throw new Refusal({ ok: false, fieldErrors: { [field]: [message] } });
}

const AUDIT_ACTIONS: Record<InboxAction["intent"], string> = {
  reply: "inbox.replied",
  mark: "inbox.marked",
  "add-tag": "inbox.tag_added",
  "remove-tag": "inbox.tag_removed",
  assign: "inbox.assigned",
};

/**
 * Does what an organiser asked to an item, in one transaction with its audit event: a reply
 * (once per item; queued to the volunteer through the outbox and the contact policy), a mark
 * (actioned or no action, with a reason), a tag added or removed, or the item given to a
 * colleague. Refusals change nothing.
 */
export async function actOnInboxItem({
  actorId,
  campaignId,
  itemId,
  action,
  ip = null,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  itemId: string;
  action: InboxAction;
  ip?: string | null;
  now?: Date;
}): Promise<InboxActionResult> {
  const { organisationId } = await requireCampaignAccess({ actorId, campaignId });
  try {
    return await applyAction({ actorId, campaignId, organisationId, itemId, action, ip, now });
  } catch (error) {
    if (error instanceof Refusal) return error.result;
    throw error;
  }
}

async function applyAction({
  actorId,
  campaignId,
  organisationId,
  itemId,
  action,
  ip,
  now,
}: {
  actorId: string;
  campaignId: string;
  organisationId: string;
  itemId: string;
  action: InboxAction;
  ip: string | null;
  now: Date;
}): Promise<InboxActionResult> {
  if (action.intent === "assign" && action.assigneeId !== "") {
    const colleagues = await listColleagues({ organisationId });
    if (!colleagues.some((colleague) => colleague.id === action.assigneeId)) {
      refuse("assigneeId", "Choose an organiser of this organisation");
    }
  }
  return db.$transaction(async (tx): Promise<InboxActionResult> => {
    const found = await findItem({ tx, campaignId, itemId, now });
    if (!found) throw new NotFoundError("That isn't in this campaign's inbox.");
    const { row } = found;
    const subject =
      row.kind === "report" ? { reportId: row.reportId ?? "" } : { assignmentId: row.id };
    // Made on first action; the row lock serialises two organisers acting at once.
    await tx.feedbackHandling.upsert({
      select: { id: true },
      where: row.kind === "report" ? { reportId: row.reportId ?? "" } : { assignmentId: row.id },
      create: subject,
      update: {},
    });
    const [handling] = await tx.$queryRaw<
      Array<{ id: string; tags: string[]; reply: string | null; answeredAt: Date | null }>
    >`SELECT id, tags, reply, "answeredAt" FROM "FeedbackHandling"
      WHERE ${row.kind === "report" ? Prisma.sql`"reportId" = ${row.reportId}` : Prisma.sql`"assignmentId" = ${row.id}`}
      FOR UPDATE`;
    if (!handling) throw new Error("The item's handling row is missing");

    let notice: string;
    let detail: Prisma.InputJsonValue = { campaignId, kind: row.kind };
    switch (action.intent) {
      case "reply": {
        if (handling.reply !== null) refuse("reply", "You have already replied to this");
        if (!row.userId) refuse("reply", "This person has deleted their account");
        await tx.feedbackHandling.update({
          select: { id: true },
          where: { id: handling.id },
          data: {
            reply: action.reply,
            repliedAt: now,
            status: "ANSWERED",
            answeredAt: handling.answeredAt ?? now,
            handledById: actorId,
          },
        });
        const queued = await queueReply({
          tx,
          handlingId: handling.id,
          userId: row.userId,
          organisationId,
          campaignId,
          taskTitle: row.taskTitle,
          theirWords: theirWords(found.item),
          reply: action.reply,
        });
        notice = queued
          ? "Reply sent. They'll get it by their chosen channel, and see it on their page."
          : "Reply saved. They can't get messages from us, but they'll see it on their page.";
        break;
      }
      case "mark": {
        await tx.feedbackHandling.update({
          select: { id: true },
          where: { id: handling.id },
          data: {
            status: action.status,
            reason: action.reason,
            answeredAt: handling.answeredAt ?? now,
            handledById: actorId,
          },
        });
        detail = { ...detail, status: action.status };
        notice = action.status === "ACTIONED" ? "Marked as actioned." : "Marked as no action.";
        break;
      }
      case "add-tag": {
        if (handling.tags.includes(action.tag)) refuse("tag", "It already has that tag");
        if (handling.tags.length >= MAX_TAGS) {
          refuse("tag", `An item can have up to ${MAX_TAGS} tags`);
        }
        await tx.feedbackHandling.update({
          select: { id: true },
          where: { id: handling.id },
          data: { tags: [...handling.tags, action.tag], handledById: actorId },
        });
        detail = { ...detail, tag: action.tag };
        notice = `Tag "${action.tag}" added.`;
        break;
      }
      case "remove-tag": {
        if (!handling.tags.includes(action.tag)) refuse("tag", "It doesn't have that tag");
        await tx.feedbackHandling.update({
          select: { id: true },
          where: { id: handling.id },
          data: { tags: handling.tags.filter((tag) => tag !== action.tag), handledById: actorId },
        });
        detail = { ...detail, tag: action.tag };
        notice = `Tag "${action.tag}" removed.`;
        break;
      }
      case "assign": {
        const assigneeId = action.assigneeId === "" ? null : action.assigneeId;
        await tx.feedbackHandling.update({
          select: { id: true },
          where: { id: handling.id },
          data: { assigneeId, handledById: actorId },
        });
        detail = { ...detail, assigneeId };
        notice = assigneeId ? "Given to your colleague." : "Nobody is looking after it now.";
        break;
      }
    }
    if (action.intent === "reply" || action.intent === "mark") {
      await recordFeedbackAnswered({
        tx,
        organisationId,
        campaignId,
        item: {
          id: row.id,
          kind: row.kind,
          reportId: row.reportId,
          taskId: row.taskId,
          taskTitle: row.taskTitle,
          userId: row.userId,
        },
        answer:
          action.intent === "reply"
            ? { action: "reply", reply: action.reply }
            : { action: "mark", status: action.status, reason: action.reason },
        actorId,
        now,
      });
    }
    await recordAuditEvents({
      tx,
      events: [
        {
          organisationId,
          actorId,
          action: AUDIT_ACTIONS[action.intent],
          subjectType: row.kind === "report" ? "Report" : "Assignment",
          subjectId: row.kind === "report" ? row.reportId : row.id,
          detail,
          ip,
          createdAt: now,
        },
      ],
    });
    return { ok: true, notice };
  });
}

/** What the volunteer wrote, in a line or two, for the reply message. */
function theirWords(item: InboxItem): string {
  const text =
    item.kind === "skip"
      ? (item.skipReason ?? "")
      : [item.feedback, ...item.answers.map((a) => a.answer)].filter(Boolean).join(" / ");
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/**
 * Queues the reply to the volunteer: one outbox row per channel their preference allows (dedupe
 * key feedback-reply:<handling id>:<channel>, so a reply goes once), delivered by the
 * deliver-message job under the contact policy. The content is rendered now and stored: it
 * doesn't change with time. False if they have no channel (or no account) to send it on.
 */
async function queueReply({
  tx,
  handlingId,
  userId,
  organisationId,
  campaignId,
  taskTitle,
  theirWords: words,
  reply,
}: {
  tx: Tx;
  handlingId: string;
  userId: string;
  organisationId: string;
  campaignId: string;
  taskTitle: string;
  theirWords: string;
  reply: string;
}): Promise<boolean> {
  const user = await tx.user.findUniqueOrThrow({
    select: { name: true, email: true, phone: true, channelPreference: true, deletedAt: true },
    where: { id: userId },
  });
  if (user.deletedAt) return false;
  const campaign = await tx.campaign.findUniqueOrThrow({
    select: { title: true, organisation: { select: { name: true } } },
    where: { id: campaignId },
  });
  const appUrl = getEnv().APP_URL;
  const link = `${appUrl}/me#replies`;
  const organisation = campaign.organisation.name;
  let queued = 0;
  for (const channel of channelsFor(user)) {
    const base = {
      tx,
      userId,
      organisationId,
      assignmentId: null,
      kind: FEEDBACK_REPLY_KIND,
      dedupeKey: `feedback-reply:${handlingId}`,
      channels: [channel],
    };
    if (channel.channel === "EMAIL") {
      const props = {
        name: user.name,
        organisation,
        campaign: campaign.title,
        taskTitle,
        theirWords: words,
        reply,
        link,
        unsubscribeLink: unsubscribeUrl({ userId, channel: "EMAIL" }),
      };
      const email = await renderEmail(createElement(FeedbackReplyEmail, props));
      const ids = await queueMessages({
        ...base,
        subject: feedbackReplySubject(props),
        bodyText: email.text,
        bodyHtml: email.html,
      });
      queued += ids.length;
    } else {
      // The link is kept whole; the reply is shortened to fit three parts.
      const tail = ` Read it all: ${appUrl}/me Reply STOP to stop texts.`;
      const head = fitSms(`Onward: ${organisation} replied to you: ${reply}`, { maxSegments: 3 });
      const ids = await queueMessages({
        ...base,
        subject: "",
        bodyText: `${head}${tail}`,
      });
      queued += ids.length;
    }
  }
  return queued > 0;
}

/** Organisers' replies to what the volunteer told them, newest first, for /me. */
export async function listRepliesForVolunteer({ userId }: { userId: string }) {
  const rows = await db.feedbackHandling.findMany({
    select: {
      id: true,
      reply: true,
      repliedAt: true,
      report: {
        select: {
          feedback: true,
          campaign: { select: { title: true, organisation: { select: { name: true } } } },
          taskVersion: { select: { title: true } },
        },
      },
      assignment: {
        select: {
          skipReason: true,
          campaign: { select: { title: true, organisation: { select: { name: true } } } },
          taskVersion: { select: { title: true } },
        },
      },
    },
    where: {
      reply: { not: null },
      OR: [{ report: { userId } }, { assignment: { userId } }],
    },
    orderBy: [{ repliedAt: "desc" }, { id: "desc" }],
    take: 20,
  });
  return rows.flatMap((row) => {
    const about = row.report ?? row.assignment;
    if (!about || !row.reply) return [];
    return [
      {
        id: row.id,
        reply: row.reply,
        repliedAt: row.repliedAt,
        organisation: about.campaign.organisation.name,
        campaign: about.campaign.title,
        taskTitle: about.taskVersion.title,
        theirWords: row.report ? row.report.feedback : (row.assignment?.skipReason ?? null),
      },
    ];
  });
}
