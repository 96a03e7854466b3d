import { createElement } from "react";
import CampaignUpdateEmail, { campaignUpdateSubject } from "../../emails/campaign-update.tsx";
import { Prisma } from "~/generated/prisma/client.ts";
import { recordAuditEvents } from "~/models/audit.server.ts";
import { campaignFilterOptions, requireCampaignAccess } from "~/models/campaign.server.ts";
import { channelsFor, DELIVERY_JOB_MAX_ATTEMPTS } from "~/models/message.server.ts";
import {
  PICKER_PAGE_SIZE,
  SAMPLE_SIZE,
  type AudienceSegment,
  type PickerFilters,
} from "~/schemas/updates.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { escapeHtml, firstNameOnly } from "~/utils/format";
import { markdownToText, renderMarkdown } from "~/utils/markdown.server.ts";
import { fitSms } from "~/utils/sms-text.ts";
import { unsubscribeUrl } from "~/utils/unsubscribe.server.ts";

/**
 * Campaign updates ("keeping participants informed") and "you said, we did" updates, which tell
 * exactly the people whose contributions they link. Sending writes the update, its recipients and
 * one outbox message per recipient and channel (dedupe key update:<update>:<person>:<channel>)
 * with their delivery jobs, all in one transaction; delivery applies the contact policy (kind
 * CAMPAIGN_UPDATE: a nudge, so consent, quiet hours and the weekly cap apply).
 */

export const CAMPAIGN_UPDATE_KIND = "CAMPAIGN_UPDATE";

/** Rows written per INSERT when sending to a large audience. */
const CHUNK = 1000;

/** Stand-ins in the once-rendered email, replaced per person. */
const UNSUBSCRIBE_MARK = "https://onward.invalid/__onward_unsubscribe__";
const THEY_SAID_MARK = "__onward_they_said__";
const NAME_MARK = "__onward_name__";

/** What a person said in a contribution, in a line, for the message and the sample. */
function shorten(text: string, max = 300) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** A report counts as a contribution when it has free text. */
const HAS_FEEDBACK = Prisma.sql`btrim(coalesce(r.feedback, '')) <> ''`;

/**
 * The audience of an update in a campaign: one row per person, with (for "you said, we did")
 * what they said in the linked contributions. Participants are the people given a task in the
 * campaign; deleted accounts are left out.
 */
function audienceSql(campaignId: string, audience: AudienceSegment): Prisma.Sql {
  if (audience.kind === "contributions") {
    return Prisma.sql`
      SELECT r."userId" AS "userId",
             string_agg(btrim(r.feedback), ' / ' ORDER BY r."createdAt", r.id) AS "theySaid"
      FROM "Report" r JOIN "User" u ON u.id = r."userId"
      WHERE r."campaignId" = ${campaignId} AND r.id = ANY(${audience.reportIds}::text[])
        AND u."deletedAt" IS NULL AND ${HAS_FEEDBACK}
      GROUP BY r."userId"`;
  }
  if (audience.kind === "team") {
    return Prisma.sql`
      SELECT u.id AS "userId", NULL::text AS "theySaid"
      FROM "TeamMember" tm
      JOIN "Team" t ON t.id = tm."teamId" AND t."campaignId" = ${campaignId}
      JOIN "User" u ON u.id = tm."userId"
      WHERE tm."teamId" = ${audience.teamId} AND u."deletedAt" IS NULL`;
  }
  const segment = audience.kind === "segment" ? audience : null;
  const task = segment?.taskId ? Prisma.sql`AND a."taskId" = ${segment.taskId}` : Prisma.empty;
  const area = segment?.area ? Prisma.sql`AND u.district = ${segment.area}` : Prisma.empty;
  const channel = segment?.channel
    ? Prisma.sql`AND u."channelPreference"::text = ${segment.channel}`
    : Prisma.empty;
  return Prisma.sql`
    SELECT u.id AS "userId", NULL::text AS "theySaid"
    FROM "User" u
    WHERE u."deletedAt" IS NULL ${area} ${channel}
      AND EXISTS (SELECT 1 FROM "Assignment" a
                  WHERE a."campaignId" = ${campaignId} AND a."userId" = u.id ${task})`;
}

async function loadCampaign(client: Tx | typeof db, campaignId: string) {
  return client.campaign.findUniqueOrThrow({
    select: {
      id: true,
      title: true,
      organisationId: true,
      organisation: { select: { name: true, timezone: true } },
    },
    where: { id: campaignId },
  });
}

/** The campaign's updates, newest first, for its organisers. */
export async function listCampaignUpdates({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const [campaign, updates] = await Promise.all([
    loadCampaign(db, campaignId),
    db.update.findMany({
      select: {
        id: true,
        title: true,
        isYouSaidWeDid: true,
        publishedAt: true,
        author: { select: { name: true } },
        _count: { select: { recipients: true, contributions: true } },
      },
      where: { campaignId },
      orderBy: [{ publishedAt: "desc" }, { id: "desc" }],
      take: 200,
    }),
  ]);
  return { campaign, updates };
}

/** What the "new update" form needs: the tasks and areas to choose from, and a page of contributions. */
export async function getComposeOptions({
  actorId,
  campaignId,
  picker,
  selected,
}: {
  actorId: string;
  campaignId: string;
  picker: PickerFilters;
  /** Contributions already picked, shown with their details wherever the picker is. */
  selected: string[];
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const where = [Prisma.sql`r."campaignId" = ${campaignId}`, HAS_FEEDBACK];
  if (picker.taskId) where.push(Prisma.sql`r."taskId" = ${picker.taskId}`);
  if (picker.area) where.push(Prisma.sql`coalesce(r.district, '') = ${picker.area}`);
  if (picker.q) {
    const like = `%${picker.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(Prisma.sql`r.feedback ILIKE ${like}`);
  }
  const filter = Prisma.join(where, " AND ");
  type Row = {
    id: string;
    feedback: string;
    district: string | null;
    createdAt: Date;
    taskTitle: string;
    name: string | null;
    deleted: boolean;
  };
  const columns = Prisma.sql`r.id, r.feedback, r.district, r."createdAt", tv.title AS "taskTitle",
    u.name, (u.id IS NULL OR u."deletedAt" IS NOT NULL) AS deleted`;
  const joins = Prisma.sql`JOIN "TaskVersion" tv ON tv.id = r."taskVersionId"
    LEFT JOIN "User" u ON u.id = r."userId"`;
  const [campaign, options, rows, [count], picked, teams] = await Promise.all([
    loadCampaign(db, campaignId),
    campaignFilterOptions(campaignId),
    db.$queryRaw<Row[]>`
      SELECT ${columns} FROM "Report" r ${joins}
      WHERE ${filter}
      ORDER BY r."createdAt" DESC, r.id DESC
      LIMIT ${PICKER_PAGE_SIZE} OFFSET ${(picker.page - 1) * PICKER_PAGE_SIZE}`,
    db.$queryRaw<Array<{ total: number }>>`
      SELECT count(*)::int AS total FROM "Report" r WHERE ${filter}`,
    selected.length > 0
      ? db.$queryRaw<Row[]>`
          SELECT ${columns} FROM "Report" r ${joins}
          WHERE r."campaignId" = ${campaignId} AND ${HAS_FEEDBACK} AND r.id = ANY(${selected}::text[])
          ORDER BY r."createdAt" DESC, r.id DESC`
      : Promise.resolve([] as Row[]),
    db.team.findMany({
      select: { id: true, name: true },
      where: { campaignId },
      orderBy: [{ name: "asc" }, { id: "asc" }],
    }),
  ]);
  const total = count?.total ?? 0;
  const toItem = (row: Row) => ({
    id: row.id,
    words: shorten(row.feedback, 400),
    area: row.district ?? "",
    at: row.createdAt,
    taskTitle: row.taskTitle,
    name: row.deleted ? "Deleted account" : firstNameOnly(row.name),
  });
  return {
    campaign,
    ...options,
    teams,
    contributions: rows.map(toItem),
    picked: picked.map(toItem),
    total,
    pages: Math.max(1, Math.ceil(total / PICKER_PAGE_SIZE)),
  };
}

export type AudienceCheck =
  | {
      ok: true;
      count: number;
      sample: Array<{ name: string; area: string; theySaid: string | null }>;
    }
  | { ok: false; field: string; message: string };

/** Checks an audience's choices belong to the campaign (tasks, teams, contributions). */
async function checkAudience(
  client: Tx | typeof db,
  campaignId: string,
  audience: AudienceSegment,
): Promise<{ field: string; message: string } | null> {
  if (audience.kind === "segment" && audience.taskId) {
    const task = await client.task.findFirst({
      select: { id: true },
      where: { id: audience.taskId, campaignId },
    });
    if (!task) return { field: "task", message: "Choose a task from the list." };
  }
  if (audience.kind === "team") {
    const team = await client.team.findFirst({
      select: { id: true },
      where: { id: audience.teamId, campaignId },
    });
    if (!team) return { field: "team", message: "Choose a team from the list." };
  }
  if (audience.kind === "contributions") {
    const [found] = await client.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM "Report" r
      WHERE r."campaignId" = ${campaignId} AND r.id = ANY(${audience.reportIds}::text[])
        AND ${HAS_FEEDBACK}`;
    if ((found?.n ?? 0) !== audience.reportIds.length) {
      return {
        field: "contribution",
        message: "Some of the contributions you picked aren't in this campaign any more.",
      };
    }
  }
  return null;
}

/** How many people an update would reach, and a few of them (first name and area). */
export async function previewAudience({
  actorId,
  campaignId,
  audience,
}: {
  actorId: string;
  campaignId: string;
  audience: AudienceSegment;
}): Promise<AudienceCheck> {
  await requireCampaignAccess({ actorId, campaignId });
  const problem = await checkAudience(db, campaignId, audience);
  if (problem) return { ok: false, ...problem };
  const people = audienceSql(campaignId, audience);
  const [[count], sample] = await Promise.all([
    db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM (${people}) p`,
    db.$queryRaw<Array<{ name: string | null; district: string | null; theySaid: string | null }>>`
      SELECT u.name, u.district, p."theySaid" FROM (${people}) p JOIN "User" u ON u.id = p."userId"
      ORDER BY u."createdAt", u.id LIMIT ${SAMPLE_SIZE}`,
  ]);
  const n = count?.n ?? 0;
  if (n === 0) {
    return { ok: false, field: "audience", message: "Nobody is in that audience. Choose another." };
  }
  return {
    ok: true,
    count: n,
    sample: sample.map((row) => ({
      name: firstNameOnly(row.name),
      area: row.district ?? "",
      theySaid: row.theySaid ? shorten(row.theySaid, 120) : null,
    })),
  };
}

export type PublishResult =
  | { ok: true; updateId: string; recipients: number; messages: number }
  | { ok: false; field: string; message: string };

/**
 * Publishes an update and queues it to its audience, in one transaction: the Update row, its
 * linked contributions, one UpdateRecipient per person, one outbox message per person and channel
 * (createMany in chunks, dedupe keys update:<id>:<person>:<channel>), one deliver-message job per
 * message (one INSERT … SELECT graphile_worker.add_job), and the audit event. Nothing is written
 * when the audience is refused or empty.
 */
export async function publishUpdate({
  actorId,
  campaignId,
  title,
  body,
  audience,
  ip = null,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  title: string;
  body: string;
  audience: AudienceSegment;
  ip?: string | null;
  now?: Date;
}): Promise<PublishResult> {
  await requireCampaignAccess({ actorId, campaignId });
  const appUrl = getEnv().APP_URL;
  const link = `${appUrl}/me#updates`;
  return db.$transaction(
    async (tx) => {
      const campaign = await loadCampaign(tx, campaignId);
      const problem = await checkAudience(tx, campaignId, audience);
      if (problem) return { ok: false, ...problem };
      const people = await tx.$queryRaw<
        Array<{
          userId: string;
          theySaid: string | null;
          name: string | null;
          email: string | null;
          phone: string | null;
          channelPreference: "EMAIL" | "SMS" | "BOTH";
        }>
      >`SELECT p."userId", p."theySaid", u.name, u.email, u.phone, u."channelPreference"
        FROM (${audienceSql(campaignId, audience)}) p JOIN "User" u ON u.id = p."userId"
        ORDER BY p."userId"`;
      if (people.length === 0) {
        return {
          ok: false,
          field: "audience",
          message: "Nobody is in that audience. Choose another.",
        };
      }
      const update = await tx.update.create({
        select: { id: true },
        data: {
          campaignId,
          authorId: actorId,
          title,
          body,
          isYouSaidWeDid: audience.kind === "contributions",
          segment: audience,
          publishedAt: now,
          createdAt: now,
        },
      });
      if (audience.kind === "contributions") {
        await tx.updateContribution.createMany({
          data: audience.reportIds.map((reportId) => ({ updateId: update.id, reportId })),
        });
      }
      for (let i = 0; i < people.length; i += CHUNK) {
        await tx.updateRecipient.createMany({
          data: people.slice(i, i + CHUNK).map((p) => ({ updateId: update.id, userId: p.userId })),
          skipDuplicates: true,
        });
      }

      // The email is rendered once; each person's unsubscribe link and words go in by replacement.
      const organisation = campaign.organisation.name;
      const youSaid = audience.kind === "contributions";
      const email = await renderEmail(
        createElement(CampaignUpdateEmail, {
          name: NAME_MARK,
          organisation,
          campaign: campaign.title,
          title,
          // The pages show the organiser's Markdown formatted; an email shows it as plain words.
          body: markdownToText(body),
          theySaid: youSaid ? THEY_SAID_MARK : null,
          link,
          unsubscribeLink: UNSUBSCRIBE_MARK,
        }),
      );
      const subject = campaignUpdateSubject({ campaign: campaign.title, title });
      const sms = `${fitSms(`Onward: ${campaign.title}: ${title}`, { maxSegments: 2 })} Read it: ${appUrl}/me Reply STOP to stop texts.`;
      const rows: Prisma.MessageCreateManyInput[] = [];
      for (const person of people) {
        const said = youSaid ? shorten(person.theySaid ?? "") : "";
        const first = firstNameOnly(person.name);
        const greeting = first === "Someone" ? "there" : first;
        for (const { channel, to } of channelsFor(person)) {
          const base = {
            userId: person.userId,
            organisationId: campaign.organisationId,
            channel,
            kind: CAMPAIGN_UPDATE_KIND,
            dedupeKey: `update:${update.id}:${person.userId}:${channel}`,
            toAddress: to,
            sendAfter: now,
            createdAt: now,
          };
          if (channel === "SMS") {
            rows.push({ ...base, subject: null, bodyText: sms, bodyHtml: null });
          } else {
            const unsubscribe = unsubscribeUrl({ userId: person.userId, channel: "EMAIL" });
            rows.push({
              ...base,
              subject,
              bodyText: email.text
                .replaceAll(UNSUBSCRIBE_MARK, unsubscribe)
                .replaceAll(NAME_MARK, greeting)
                .replaceAll(THEY_SAID_MARK, said),
              bodyHtml: email.html
                .replaceAll(UNSUBSCRIBE_MARK, escapeHtml(unsubscribe))
                .replaceAll(NAME_MARK, escapeHtml(greeting))
                .replaceAll(THEY_SAID_MARK, escapeHtml(said)),
            });
          }
        }
      }
      let messages = 0;
      for (let i = 0; i < rows.length; i += CHUNK) {
        const created = await tx.message.createManyAndReturn({
          select: { id: true },
          data: rows.slice(i, i + CHUNK),
          skipDuplicates: true,
        });
        messages += created.length;
        await addDeliveryJobs(
          tx,
          created.map((row) => row.id),
        );
      }
      await recordAuditEvents({
        tx,
        events: [
          {
            organisationId: campaign.organisationId,
            actorId,
            action: "update.sent",
            subjectType: "Update",
            subjectId: update.id,
            detail: {
              campaignId,
              title,
              audience: audience as unknown as Prisma.InputJsonValue,
              recipients: people.length,
              messages,
            },
            ip,
            createdAt: now,
          },
        ],
      });
      return { ok: true, updateId: update.id, recipients: people.length, messages };
    },
    { timeout: 120_000 },
  );
}

/** One deliver-message job per message (job key deliver:<id>), in one statement. */
async function addDeliveryJobs(tx: Tx, ids: string[]) {
  if (ids.length === 0) return;
  await tx.$executeRaw`SELECT graphile_worker.add_job(
      identifier => 'deliver-message'::text,
      payload => json_build_object('messageId', id),
      max_attempts => ${DELIVERY_JOB_MAX_ATTEMPTS}::integer,
      job_key => 'deliver:' || id,
      job_key_mode => 'replace'::text)
    FROM unnest(${ids}::text[]) AS id`;
}

/** Updates sent to a volunteer, newest first, with what they said for "you said, we did". */
export async function listUpdatesForVolunteer({ userId }: { userId: string }) {
  const rows = await db.updateRecipient.findMany({
    select: {
      update: {
        select: {
          id: true,
          title: true,
          body: true,
          isYouSaidWeDid: true,
          publishedAt: true,
          campaign: { select: { title: true, organisation: { select: { name: true } } } },
          contributions: {
            select: {
              report: { select: { feedback: true, taskVersion: { select: { title: true } } } },
            },
            where: { report: { userId } },
          },
        },
      },
    },
    where: { userId, update: { publishedAt: { not: null } } },
    orderBy: [{ update: { publishedAt: "desc" } }, { updateId: "desc" }],
    take: 20,
  });
  return rows.map(({ update }) => ({
    id: update.id,
    title: update.title,
    bodyHtml: renderMarkdown(update.body),
    publishedAt: update.publishedAt!,
    campaign: update.campaign.title,
    organisation: update.campaign.organisation.name,
    youSaid: update.isYouSaidWeDid
      ? update.contributions.map((link) => ({
          taskTitle: link.report.taskVersion.title,
          words: shorten(link.report.feedback ?? "", 300),
        }))
      : [],
  }));
}
