import { createElement } from "react";
import TeamNudgeEmail, { teamNudgeSubject } from "../../emails/team-nudge.tsx";
import { Prisma, type ChannelPreference, type Role } from "~/generated/prisma/client.ts";
import { recordAuditEvents } from "~/models/audit.server.ts";
import { lockCampaign, requireCampaignAccess } from "~/models/campaign.server.ts";
import { ForbiddenError, setTeamLeadRole } from "~/models/membership.server.ts";
import { channelsFor, queueMessages } from "~/models/message.server.ts";
import {
  CHAMPIONS_PAGE_SIZE,
  MAX_TEAM_MEMBERS,
  NUDGE_EVERY_HOURS,
  type ChampionSort,
  type TeamAction,
} from "~/schemas/teams.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { escapeHtml, firstNameOnly, formatDateTime } from "~/utils/format";
import { fitSms } from "~/utils/sms-text.ts";
import { unsubscribeUrl } from "~/utils/unsubscribe.server.ts";

/**
 * Champions and teams (ADR 019). Organisers see who reports reliably in a campaign and make a
 * volunteer the lead of a new team; team leads see their own teams (first names, open tasks, last
 * report, totals; never contact details) and send their team a nudge through the outbox and the
 * contact policy like every other nudge. Every function takes the acting user and checks them.
 */

export const TEAM_NUDGE_KIND = "TEAM_NUDGE";

const DAY_MS = 24 * 60 * 60 * 1000;
const ID = /^[A-Za-z0-9_-]{1,40}$/;

// --- The reliability view -----------------------------------------------------------------------

type ChampionRow = {
  userId: string;
  name: string | null;
  role: Role | null;
  reports: number;
  closed: number;
  onTime: number;
  activeWeeks: number;
  weeks: number;
  furthest: number;
  steps: number;
  lastReportAt: Date | null;
  leads: string | null;
  total: number;
  everyone: number;
};

/** ORDER BY per sort; each ends in the person's id so pages never overlap. */
const ORDER: Record<ChampionSort, Prisma.Sql> = {
  "on-time": Prisma.sql`("onTime"::float / nullif(closed, 0)) DESC NULLS LAST, "onTime" DESC, reports DESC, "userId"`,
  consistency: Prisma.sql`("activeWeeks"::float / weeks) DESC, "activeWeeks" DESC, reports DESC, "userId"`,
  furthest: Prisma.sql`furthest DESC, steps DESC, reports DESC, "userId"`,
  reports: Prisma.sql`reports DESC, "lastReportAt" DESC NULLS LAST, "userId"`,
};

/**
 * The campaign's volunteers ranked by reliability, a page at a time, for its organisers. One
 * query: the campaign's participants (CampaignParticipant, kept by triggers: report count, last
 * report, weeks with a report) joined to one pass of aggregates over the campaign's assignments
 * (on time, closed, furthest task position, steps taken). Only people with at least `minReports`
 * reports are ranked, so one lucky report doesn't top the list.
 */
export async function getChampions({
  actorId,
  campaignId,
  sort,
  minReports,
  page,
  now = new Date(),
}: {
  actorId: string;
  campaignId: string;
  sort: ChampionSort;
  minReports: number;
  page: number;
  now?: Date;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const [campaign, tasks] = await Promise.all([
    db.campaign.findUniqueOrThrow({
      select: {
        id: true,
        title: true,
        organisationId: true,
        organisation: { select: { timezone: true } },
      },
      where: { id: campaignId },
    }),
    db.task.findMany({
      select: { position: true, currentVersion: { select: { title: true } } },
      where: { campaignId },
      orderBy: { position: "asc" },
    }),
  ]);
  const nowText = now.toISOString();
  const rows = await db.$queryRaw<ChampionRow[]>`
    WITH a AS (
      SELECT a."userId",
             count(*) FILTER (WHERE a.status IN ('REPORTED', 'SKIPPED', 'EXPIRED'))::int AS closed,
             count(*) FILTER (WHERE a.status = 'REPORTED' AND a."closedAt" <= a."dueAt")::int AS "onTime",
             max(t.position) FILTER (WHERE a.status <> 'CANCELLED') AS furthest,
             count(*) FILTER (WHERE a.status <> 'CANCELLED')::int AS steps
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE a."campaignId" = ${campaignId}
      GROUP BY a."userId"
    ),
    people AS (
      SELECT cp."userId", u.name, m.role, cp."reportCount" AS reports, cp."lastReportAt",
             coalesce(a.closed, 0) AS closed, coalesce(a."onTime", 0) AS "onTime",
             coalesce(a.furthest, -1) AS furthest, coalesce(a.steps, 0) AS steps,
             bit_count(cp."reportWeeks"::bit(64))::int AS "activeWeeks",
             least(64, greatest(1, floor(extract(epoch FROM
               ((${nowText}::timestamptz AT TIME ZONE 'UTC') - date_trunc('week', cp."joinedAt")))
               / 604800)::int + 1)) AS weeks
      FROM "CampaignParticipant" cp
      JOIN "User" u ON u.id = cp."userId" AND u."deletedAt" IS NULL
      LEFT JOIN "Membership" m ON m."userId" = cp."userId" AND m."organisationId" = cp."organisationId"
      LEFT JOIN a ON a."userId" = cp."userId"
      WHERE cp."campaignId" = ${campaignId}
    )
    SELECT p.*,
           (SELECT string_agg(tm.name, ', ' ORDER BY tm.name) FROM "Team" tm
            WHERE tm."campaignId" = ${campaignId} AND tm."leadId" = p."userId") AS leads,
           count(*) OVER ()::int AS total,
           (SELECT count(*) FROM people)::int AS everyone
    FROM people p
    WHERE p.reports >= ${minReports}
    ORDER BY ${ORDER[sort]}
    LIMIT ${CHAMPIONS_PAGE_SIZE} OFFSET ${(page - 1) * CHAMPIONS_PAGE_SIZE}`;

  const titles = new Map(tasks.map((task) => [task.position, task.currentVersion?.title ?? null]));
  let total = rows[0]?.total ?? 0;
  let everyone = rows[0]?.everyone ?? 0;
  if (rows.length === 0) {
    // A page past the end (or nobody ranked): the counts still matter to the page.
    const [count] = await db.$queryRaw<Array<{ total: number; everyone: number }>>`
      SELECT count(*) FILTER (WHERE cp."reportCount" >= ${minReports})::int AS total,
             count(*)::int AS everyone
      FROM "CampaignParticipant" cp JOIN "User" u ON u.id = cp."userId" AND u."deletedAt" IS NULL
      WHERE cp."campaignId" = ${campaignId}`;
    total = count?.total ?? 0;
    everyone = count?.everyone ?? 0;
  }
  return {
    campaign: { id: campaign.id, title: campaign.title },
    /** The organisation's timezone: the page gives each last report's day by its clock. */
    timeZone: campaign.organisation.timezone,
    total,
    unranked: everyone - total,
    pages: Math.max(1, Math.ceil(total / CHAMPIONS_PAGE_SIZE)),
    people: rows.map((row) => ({
      userId: row.userId,
      firstName: firstNameOnly(row.name),
      reports: row.reports,
      onTime: row.onTime,
      closed: row.closed,
      onTimeRate: row.closed > 0 ? row.onTime / row.closed : null,
      activeWeeks: row.activeWeeks,
      weeks: row.weeks,
      furthestStep: row.furthest >= 0 ? row.furthest + 1 : null,
      furthestTitle: row.furthest >= 0 ? (titles.get(row.furthest) ?? null) : null,
      steps: row.steps,
      lastReportAt: row.lastReportAt,
      leads: row.leads,
      role: row.role,
      canPromote: row.role === "VOLUNTEER",
    })),
  };
}

/** The person "Make team lead" was pressed for, if they can be promoted in this campaign. */
export async function getPromotionCandidate({
  actorId,
  campaignId,
  userId,
}: {
  actorId: string;
  campaignId: string;
  userId: string;
}) {
  const campaign = await requireCampaignAccess({ actorId, campaignId });
  if (!ID.test(userId)) return null;
  const [row] = await db.$queryRaw<Array<{ name: string | null; role: Role }>>`
    SELECT u.name, m.role
    FROM "CampaignParticipant" cp
    JOIN "User" u ON u.id = cp."userId" AND u."deletedAt" IS NULL
    JOIN "Membership" m ON m."userId" = cp."userId" AND m."organisationId" = ${campaign.organisationId}
    WHERE cp."campaignId" = ${campaignId} AND cp."userId" = ${userId}`;
  if (!row || row.role !== "VOLUNTEER") return null;
  return { userId, firstName: firstNameOnly(row.name) };
}

// --- Promoting and managing teams ----------------------------------------------------------------

export type TeamWriteResult =
  { ok: true; teamId: string } | { ok: false; field: string; message: string };

/** A participant of the campaign (not deleted) with their role in its organisation. */
async function findParticipant(tx: Tx, campaignId: string, organisationId: string, userId: string) {
  if (!ID.test(userId)) return null;
  const [row] = await tx.$queryRaw<Array<{ name: string | null; role: Role | null }>>`
    SELECT u.name, m.role
    FROM "CampaignParticipant" cp
    JOIN "User" u ON u.id = cp."userId" AND u."deletedAt" IS NULL
    LEFT JOIN "Membership" m ON m."userId" = cp."userId" AND m."organisationId" = ${organisationId}
    WHERE cp."campaignId" = ${campaignId} AND cp."userId" = ${userId}`;
  return row ?? null;
}

/**
 * An organiser makes a volunteer of the campaign the lead of a new team: the membership role
 * becomes TEAM_LEAD (membership.role_set in the audit log) and the team is created with them as
 * its lead (team.created), in one transaction. A refusal writes nothing.
 */
export async function promoteToTeamLead({
  actorId,
  campaignId,
  userId,
  name,
  ip = null,
}: {
  actorId: string;
  campaignId: string;
  userId: string;
  name: string;
  ip?: string | null;
}): Promise<TeamWriteResult> {
  const campaign = await requireCampaignAccess({ actorId, campaignId });
  const organisationId = campaign.organisationId;
  return db.$transaction(async (tx) => {
    await lockCampaign(tx, campaignId);
    const person = await findParticipant(tx, campaignId, organisationId, userId);
    if (!person || person.role === null) {
      return {
        ok: false,
        field: "userId",
        message: "That person isn't taking part in this campaign.",
      };
    }
    const who = firstNameOnly(person.name);
    if (person.role === "TEAM_LEAD") {
      return { ok: false, field: "userId", message: `${who} already leads a team.` };
    }
    if (person.role !== "VOLUNTEER") {
      return {
        ok: false,
        field: "userId",
        message: `${who} is an organiser here, so they can't be made a team lead.`,
      };
    }
    if (userId === actorId) {
      return { ok: false, field: "userId", message: "You can't make yourself a team lead." };
    }
    const clash = await tx.team.findFirst({
      select: { id: true },
      where: { campaignId, name: { equals: name, mode: "insensitive" } },
    });
    if (clash) {
      return {
        ok: false,
        field: "name",
        message: `There is already a team called “${name}” in this campaign. Choose another name.`,
      };
    }
    const changed = await setTeamLeadRole({ tx, actorId, organisationId, userId, lead: true, ip });
    if (!changed) {
      return { ok: false, field: "userId", message: `${who} can't be made a team lead right now.` };
    }
    const team = await tx.team.create({
      select: { id: true },
      data: { organisationId, campaignId, name, leadId: userId },
    });
    await recordAuditEvents({
      tx,
      events: [
        {
          organisationId,
          actorId,
          action: "team.created",
          subjectType: "Team",
          subjectId: team.id,
          detail: { campaignId, title: name, leadId: userId },
          ip,
        },
      ],
    });
    return { ok: true, teamId: team.id };
  });
}

/** The campaign's teams with their leads and members, and the people who could join one. */
export async function getCampaignTeams({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const [campaign, teams, candidates] = await Promise.all([
    db.campaign.findUniqueOrThrow({ select: { id: true, title: true }, where: { id: campaignId } }),
    db.team.findMany({
      select: {
        id: true,
        name: true,
        createdAt: true,
        lead: { select: { id: true, name: true, deletedAt: true } },
        members: {
          select: { user: { select: { id: true, name: true, district: true } } },
          where: { user: { deletedAt: null } },
          orderBy: { createdAt: "asc" },
        },
      },
      where: { campaignId },
      orderBy: [{ name: "asc" }, { id: "asc" }],
    }),
    // Participants in no team of the campaign and leading none, most reports first.
    db.$queryRaw<Array<{ userId: string; name: string | null; district: string; reports: number }>>`
      SELECT cp."userId", u.name, cp.district, cp."reportCount" AS reports
      FROM "CampaignParticipant" cp JOIN "User" u ON u.id = cp."userId" AND u."deletedAt" IS NULL
      WHERE cp."campaignId" = ${campaignId}
        AND NOT EXISTS (SELECT 1 FROM "TeamMember" tm JOIN "Team" t ON t.id = tm."teamId"
                        WHERE tm."userId" = cp."userId" AND t."campaignId" = ${campaignId})
        AND NOT EXISTS (SELECT 1 FROM "Team" t WHERE t."leadId" = cp."userId" AND t."campaignId" = ${campaignId})
      ORDER BY cp."reportCount" DESC, u.name, cp."userId"
      LIMIT 300`,
  ]);
  const label = (name: string | null) => (name ?? "").trim() || "Someone with no name";
  return {
    campaign,
    teams: teams.map((team) => ({
      id: team.id,
      name: team.name,
      lead:
        team.lead && !team.lead.deletedAt
          ? { id: team.lead.id, name: label(team.lead.name) }
          : null,
      members: team.members.map(({ user }) => ({
        id: user.id,
        name: label(user.name),
        area: user.district ?? "",
      })),
    })),
    candidates: candidates.map((row) => ({
      id: row.userId,
      name: label(row.name),
      area: row.district,
      reports: row.reports,
    })),
  };
}

/** After a lead loses a team: back to VOLUNTEER unless they still lead another in the organisation. */
async function demoteIfNoTeamLeft(
  tx: Tx,
  {
    actorId,
    organisationId,
    leadId,
    ip,
  }: { actorId: string; organisationId: string; leadId: string; ip: string | null },
) {
  const still = await tx.team.count({ where: { organisationId, leadId } });
  if (still === 0)
    await setTeamLeadRole({ tx, actorId, organisationId, userId: leadId, lead: false, ip });
}

/**
 * The team page's changes: add a participant to a team (one team per person per campaign),
 * take someone off, remove the lead (who goes back to being a volunteer unless they lead another
 * team), or delete the team. Each is in the audit log; a refusal writes nothing.
 */
export async function changeTeam({
  actorId,
  campaignId,
  action,
  ip = null,
}: {
  actorId: string;
  campaignId: string;
  action: TeamAction;
  ip?: string | null;
}): Promise<TeamWriteResult> {
  const campaign = await requireCampaignAccess({ actorId, campaignId });
  const organisationId = campaign.organisationId;
  return db.$transaction(async (tx) => {
    await lockCampaign(tx, campaignId);
    const team = await tx.team.findFirst({
      select: { id: true, name: true, leadId: true, _count: { select: { members: true } } },
      where: { id: action.teamId, campaignId },
    });
    if (!team) return { ok: false, field: "teamId", message: "That team isn't in this campaign." };
    const audit = (event: string, detail: Record<string, string | null>) =>
      recordAuditEvents({
        tx,
        events: [
          {
            organisationId,
            actorId,
            action: event,
            subjectType: "Team",
            subjectId: team.id,
            detail: { campaignId, title: team.name, ...detail },
            ip,
          },
        ],
      });

    switch (action.intent) {
      case "add-member": {
        const person = await findParticipant(tx, campaignId, organisationId, action.userId);
        if (!person) {
          return {
            ok: false,
            field: "userId",
            message: "That person isn't taking part in this campaign.",
          };
        }
        const who = (person.name ?? "").trim() || "That person";
        if (team.leadId === action.userId) {
          return { ok: false, field: "userId", message: `${who} leads this team already.` };
        }
        const inTeam = await tx.team.findFirst({
          select: { name: true },
          where: { campaignId, members: { some: { userId: action.userId } } },
        });
        if (inTeam) {
          return {
            ok: false,
            field: "userId",
            message: `${who} is already in the team ${inTeam.name}.`,
          };
        }
        if (team._count.members >= MAX_TEAM_MEMBERS) {
          return {
            ok: false,
            field: "userId",
            message: `A team can have up to ${MAX_TEAM_MEMBERS} people. Start another team.`,
          };
        }
        await tx.teamMember.create({ data: { teamId: team.id, userId: action.userId } });
        await audit("team.member_added", { userId: action.userId });
        return { ok: true, teamId: team.id };
      }
      case "remove-member": {
        const removed = await tx.teamMember.deleteMany({
          where: { teamId: team.id, userId: action.userId },
        });
        if (removed.count === 0) {
          return { ok: false, field: "userId", message: "That person isn't in this team." };
        }
        await audit("team.member_removed", { userId: action.userId });
        return { ok: true, teamId: team.id };
      }
      case "remove-lead": {
        if (!team.leadId) return { ok: false, field: "teamId", message: "This team has no lead." };
        await tx.team.update({ where: { id: team.id }, data: { leadId: null } });
        await demoteIfNoTeamLeft(tx, { actorId, organisationId, leadId: team.leadId, ip });
        await audit("team.lead_removed", { userId: team.leadId });
        return { ok: true, teamId: team.id };
      }
      case "delete-team": {
        await tx.team.delete({ where: { id: team.id } });
        if (team.leadId) {
          await demoteIfNoTeamLeft(tx, { actorId, organisationId, leadId: team.leadId, ip });
        }
        await audit("team.deleted", { leadId: team.leadId });
        return { ok: true, teamId: team.id };
      }
    }
  });
}

// --- The team lead's side ----------------------------------------------------------------------

/**
 * The teams the actor leads: leadId is them and they are a TEAM_LEAD of the team's organisation
 * (a lead whose role was taken away sees nothing). Nobody else's teams, whoever asks.
 */
function ledTeams(actorId: string, teamId?: string) {
  return db.team.findMany({
    select: {
      id: true,
      name: true,
      organisationId: true,
      campaignId: true,
      organisation: { select: { name: true } },
      campaign: { select: { title: true, metricLabel: true } },
    },
    where: {
      ...(teamId ? { id: teamId } : {}),
      leadId: actorId,
      organisation: { memberships: { some: { userId: actorId, role: "TEAM_LEAD" } } },
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
}

/** The team, if the actor leads it; ForbiddenError otherwise (or for a team that isn't there). */
export async function requireLedTeam({ actorId, teamId }: { actorId: string; teamId: string }) {
  if (!ID.test(teamId)) throw new ForbiddenError("That isn't your team.");
  const [team] = await ledTeams(actorId, teamId);
  if (!team) throw new ForbiddenError("That isn't your team.");
  return team;
}

type MemberRow = {
  teamId: string;
  name: string | null;
  lastReportAt: Date | null;
  reports: number;
  recentReports: number;
  metricTotal: number;
  openTitle: string | null;
  openDueAt: Date | null;
};

/**
 * Each member of the teams with what a team lead may see: first name, open task, last report,
 * and counts for the totals. Contact details are never selected, so they can't reach a page.
 */
async function teamMembers(teamIds: string[], now: Date): Promise<MemberRow[]> {
  if (teamIds.length === 0) return [];
  const weekAgo = new Date(now.getTime() - 7 * DAY_MS).toISOString();
  // A team of a campaign counts that campaign; a team of the whole organisation counts all of it.
  const mine = Prisma.sql`r."userId" = tm."userId" AND (r."campaignId" = t."campaignId"
    OR (t."campaignId" IS NULL AND r."organisationId" = t."organisationId"))`;
  return db.$queryRaw<MemberRow[]>`
    SELECT tm."teamId", u.name, s."lastReportAt", s.reports, s."recentReports",
           coalesce((SELECT sum(rm.value) FROM "ReportMetric" rm JOIN "Report" r ON r.id = rm."reportId"
                     WHERE ${mine} AND rm."metricKey" = c."metricKey"), 0)::float AS "metricTotal",
           o.title AS "openTitle", o."dueAt" AS "openDueAt"
    FROM "TeamMember" tm
    JOIN "Team" t ON t.id = tm."teamId"
    JOIN "User" u ON u.id = tm."userId" AND u."deletedAt" IS NULL
    LEFT JOIN "Campaign" c ON c.id = t."campaignId"
    CROSS JOIN LATERAL (
      SELECT max(r."createdAt") AS "lastReportAt", count(*)::int AS reports,
             count(*) FILTER (WHERE r."createdAt" >= (${weekAgo}::timestamptz AT TIME ZONE 'UTC'))::int
               AS "recentReports"
      FROM "Report" r WHERE ${mine}) s
    LEFT JOIN LATERAL (
      SELECT tv.title, a."dueAt" FROM "Assignment" a JOIN "TaskVersion" tv ON tv.id = a."taskVersionId"
      WHERE a."userId" = tm."userId" AND a.status = 'ASSIGNED'
        AND (a."campaignId" = t."campaignId"
             OR (t."campaignId" IS NULL AND a."organisationId" = t."organisationId"))
      ORDER BY a."dueAt", a.id LIMIT 1) o ON true
    WHERE tm."teamId" = ANY(${teamIds}::text[])
    ORDER BY tm."teamId", lower(u.name), tm."createdAt"`;
}

function totalsOf(members: MemberRow[]) {
  return {
    members: members.length,
    reports: members.reduce((sum, m) => sum + m.reports, 0),
    metricTotal: members.reduce((sum, m) => sum + Number(m.metricTotal), 0),
    recentReports: members.reduce((sum, m) => sum + m.recentReports, 0),
  };
}

/** The actor's teams with their totals, for /team. An empty list when they lead none. */
export async function listLedTeams({ actorId, now = new Date() }: { actorId: string; now?: Date }) {
  const teams = await ledTeams(actorId);
  const members = await teamMembers(
    teams.map((team) => team.id),
    now,
  );
  return teams.map((team) => ({
    id: team.id,
    name: team.name,
    campaign: team.campaign?.title ?? null,
    metricLabel: team.campaign?.metricLabel ?? null,
    organisation: team.organisation.name,
    totals: totalsOf(members.filter((m) => m.teamId === team.id)),
  }));
}

/** Outbox statuses, as a team lead reads them. */
function outcomeCounts(rows: Array<{ status: string; n: number }>) {
  const count = (...statuses: string[]) =>
    rows.filter((row) => statuses.includes(row.status)).reduce((sum, row) => sum + row.n, 0);
  return {
    sent: count("SENT", "DELIVERED"),
    waiting: count("QUEUED", "SENDING"),
    held: count("HELD"),
    notSent: count("SUPPRESSED", "FAILED"),
  };
}

/**
 * One team the actor leads, for /team/<id>: members (first names, open task, last report), the
 * totals, the last nudge and what became of it, and when the next may go. ForbiddenError for a
 * team they don't lead, or that doesn't exist.
 */
export async function getLedTeam({
  actorId,
  teamId,
  now = new Date(),
}: {
  actorId: string;
  teamId: string;
  now?: Date;
}) {
  const team = await requireLedTeam({ actorId, teamId });
  const [members, lastNudge] = await Promise.all([
    teamMembers([team.id], now),
    db.teamNudge.findFirst({
      select: { createdAt: true, recipients: true, body: true, messageIds: true },
      where: { teamId: team.id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    }),
  ]);
  const outcomes = lastNudge
    ? outcomeCounts(
        await db.$queryRaw<Array<{ status: string; n: number }>>`
          SELECT status::text AS status, count(*)::int AS n FROM "Message"
          WHERE id = ANY(${lastNudge.messageIds}::text[]) GROUP BY status`,
      )
    : null;
  const nextNudgeAt = lastNudge
    ? new Date(lastNudge.createdAt.getTime() + NUDGE_EVERY_HOURS * 60 * 60 * 1000)
    : null;
  return {
    id: team.id,
    name: team.name,
    campaign: team.campaign?.title ?? null,
    metricLabel: team.campaign?.metricLabel ?? null,
    organisation: team.organisation.name,
    members: members.map((member) => ({
      firstName: firstNameOnly(member.name),
      openTask: member.openTitle
        ? { title: member.openTitle, dueAt: member.openDueAt as Date }
        : null,
      lastReportAt: member.lastReportAt,
    })),
    totals: totalsOf(members),
    lastNudge: lastNudge
      ? {
          at: lastNudge.createdAt,
          body: lastNudge.body,
          recipients: lastNudge.recipients,
          messages: lastNudge.messageIds.length,
          outcomes: outcomes ?? outcomeCounts([]),
        }
      : null,
    nextNudgeAt: nextNudgeAt && nextNudgeAt.getTime() > now.getTime() ? nextNudgeAt : null,
  };
}

export type TeamNudgeResult =
  | {
      ok: true;
      nudgeId: string;
      /** Members it was queued for, and members with no way to reach them. */
      recipients: number;
      unreachable: number;
      messages: number;
      /** A repeat of a nudge already sent (the same form sent twice): nothing new was queued. */
      repeated: boolean;
    }
  | { ok: false; status: 400 | 429; message: string; retryAfterSeconds?: number };

/** Stand-ins in the once-rendered email, replaced per member. */
const NAME_MARK = "__onward_member_name__";
const UNSUBSCRIBE_MARK = "https://onward.invalid/__onward_unsubscribe__";

/**
 * A team lead's nudge to every member of their team, in one transaction: the TeamNudge row, one
 * outbox message per member and channel their preference allows (kind TEAM_NUDGE, dedupe key
 * team-nudge:<nudge>:<member>:<channel>) with its delivery job, and the audit event. Delivery
 * applies the contact policy (consent, suppressions, quiet hours, the weekly cap) as for every
 * nudge. The same form sent twice (its idempotency key) finds the first nudge and queues nothing;
 * another nudge within NUDGE_EVERY_HOURS of the last is refused.
 */
export async function sendTeamNudge({
  actorId,
  teamId,
  body,
  idempotencyKey,
  ip = null,
  now = new Date(),
}: {
  actorId: string;
  teamId: string;
  body: string;
  idempotencyKey: string;
  ip?: string | null;
  now?: Date;
}): Promise<TeamNudgeResult> {
  const team = await requireLedTeam({ actorId, teamId });
  const lead = await db.user.findUniqueOrThrow({
    select: { name: true, timezone: true },
    where: { id: actorId },
  });
  const appUrl = getEnv().APP_URL;
  const link = `${appUrl}/me`;

  return db.$transaction(
    async (tx): Promise<TeamNudgeResult> => {
      // One nudge at a time per team, so the rate limit and the repeat check see each other.
      await tx.$executeRaw`SELECT 1 FROM "Team" WHERE id = ${team.id} FOR UPDATE`;
      const same = await tx.teamNudge.findUnique({
        select: { id: true, recipients: true, messageIds: true },
        where: { teamId_idempotencyKey: { teamId: team.id, idempotencyKey } },
      });
      if (same) {
        return {
          ok: true,
          nudgeId: same.id,
          recipients: same.recipients,
          unreachable: 0,
          messages: same.messageIds.length,
          repeated: true,
        };
      }
      const since = new Date(now.getTime() - NUDGE_EVERY_HOURS * 60 * 60 * 1000);
      const last = await tx.teamNudge.findFirst({
        select: { createdAt: true },
        where: { teamId: team.id, createdAt: { gt: since } },
        orderBy: { createdAt: "desc" },
      });
      if (last) {
        const next = new Date(last.createdAt.getTime() + NUDGE_EVERY_HOURS * 60 * 60 * 1000);
        return {
          ok: false,
          status: 429,
          message: `You nudged this team on ${formatDateTime(last.createdAt, lead.timezone)}. Teams get one nudge a day, so you can send the next after ${formatDateTime(next, lead.timezone)}.`,
          retryAfterSeconds: Math.max(1, Math.ceil((next.getTime() - now.getTime()) / 1000)),
        };
      }
      const members = await tx.$queryRaw<
        Array<{
          id: string;
          name: string | null;
          email: string | null;
          phone: string | null;
          channelPreference: ChannelPreference;
        }>
      >`SELECT u.id, u.name, u.email, u.phone, u."channelPreference"
        FROM "TeamMember" tm JOIN "User" u ON u.id = tm."userId" AND u."deletedAt" IS NULL
        WHERE tm."teamId" = ${team.id} ORDER BY u.id`;
      if (members.length === 0) {
        return {
          ok: false,
          status: 400,
          message: "Your team has nobody in it yet. Ask your organiser to add people.",
        };
      }
      const nudge = await tx.teamNudge.create({
        select: { id: true },
        data: {
          teamId: team.id,
          senderId: actorId,
          body,
          idempotencyKey,
          recipients: 0,
          createdAt: now,
        },
      });

      const leadName = firstNameOnly(lead.name);
      const campaign = team.campaign?.title ?? team.organisation.name;
      const email = await renderEmail(
        createElement(TeamNudgeEmail, {
          name: NAME_MARK,
          leadName,
          team: team.name,
          campaign,
          organisation: team.organisation.name,
          message: body,
          link,
          unsubscribeLink: UNSUBSCRIBE_MARK,
        }),
      );
      const subject = teamNudgeSubject({ leadName, team: team.name });
      // The link is kept whole; the message is shortened to fit.
      const sms = `${fitSms(`Onward: ${leadName} (${team.name}) says: ${body}`, { maxSegments: 3 })} Your tasks: ${link} Reply STOP to stop texts.`;

      const messageIds: string[] = [];
      let recipients = 0;
      for (const member of members) {
        const channels = channelsFor(member);
        if (channels.length > 0) recipients += 1;
        const base = {
          tx,
          userId: member.id,
          organisationId: team.organisationId,
          assignmentId: null,
          kind: TEAM_NUDGE_KIND,
          dedupeKey: `team-nudge:${nudge.id}:${member.id}`,
        };
        for (const channel of channels) {
          if (channel.channel === "EMAIL") {
            const first = firstNameOnly(member.name);
            const name = first === "Someone" ? "there" : first;
            const unsubscribe = unsubscribeUrl({ userId: member.id, channel: "EMAIL" });
            const greet = (text: string, escape: (value: string) => string) =>
              text
                .replaceAll(NAME_MARK, escape(name))
                .replaceAll(UNSUBSCRIBE_MARK, escape(unsubscribe));
            messageIds.push(
              ...(await queueMessages({
                ...base,
                channels: [channel],
                subject,
                bodyText: greet(email.text, (value) => value),
                bodyHtml: greet(email.html, escapeHtml),
              })),
            );
          } else {
            messageIds.push(
              ...(await queueMessages({
                ...base,
                channels: [channel],
                subject: "",
                bodyText: sms,
              })),
            );
          }
        }
      }
      await tx.teamNudge.update({
        where: { id: nudge.id },
        data: { recipients, messageIds },
      });
      await recordAuditEvents({
        tx,
        events: [
          {
            organisationId: team.organisationId,
            actorId,
            action: "team.nudged",
            subjectType: "Team",
            subjectId: team.id,
            detail: { title: team.name, body, recipients, messages: messageIds.length },
            ip,
            createdAt: now,
          },
        ],
      });
      return {
        ok: true,
        nudgeId: nudge.id,
        recipients,
        unreachable: members.length - recipients,
        messages: messageIds.length,
        repeated: false,
      };
    },
    { timeout: 60_000 },
  );
}
