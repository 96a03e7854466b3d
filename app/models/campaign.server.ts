import type { z } from "zod";
import type { Prisma, CampaignStatus } from "~/generated/prisma/client.ts";
import { ladderFromRows, type Ladder, type LadderTask } from "~/loop/engine.ts";
import { validateLadder, type LadderValidation } from "~/loop/validate.ts";
import { ForbiddenError, ORGANISER_ROLES, requireRole } from "~/models/membership.server.ts";
import {
  CampaignFormSchema,
  STATUS_TRANSITIONS,
  campaignSlugBase,
  metricKeyFromLabel,
  type CampaignInput,
} from "~/schemas/campaign.ts";
import {
  NudgeSettingsFormSchema,
  parseNudgeSettings,
  type NudgeSettingsInput,
} from "~/schemas/nudges.ts";
import type { Condition } from "~/schemas/task.ts";
import { db, isUniqueViolation, type Tx } from "~/utils/db.server.ts";
import { formatNumber } from "~/utils/format";

/** Thrown when a task asked for is not in the campaign. Routes answer 404, as for ForbiddenError. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** For routes: a campaign or task that isn't there, or isn't the actor's to see, is a 404 alike. */
export async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ForbiddenError || error instanceof NotFoundError) {
      throw new Response("Not found", { status: 404 });
    }
    throw error;
  }
}

/** What a write returns when its input, or the ladder it would leave, is refused. */
export type Refusal = {
  ok: false;
  formErrors: string[];
  /** Keyed by the form's field name, e.g. "target" or "rules[0].conditions[1].value". */
  fieldErrors: Record<string, string[]>;
};

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((name, part) => {
    if (typeof part === "number") return `${name}[${part}]`;
    const text = String(part);
    return name === "" ? text : `${name}.${text}`;
  }, "");
}

/** A zod error as a Refusal, with messages keyed by form field name. */
export function refusalFromZod(error: z.ZodError): Refusal {
  const fieldErrors: Record<string, string[]> = {};
  const formErrors: string[] = [];
  for (const issue of error.issues) {
    const name = formatPath(issue.path);
    if (name === "") formErrors.push(issue.message);
    else (fieldErrors[name] ??= []).push(issue.message);
  }
  return { ok: false, formErrors, fieldErrors };
}

/**
 * The campaign, if the actor is an owner or organiser of its organisation. A campaign that
 * doesn't exist gets the same ForbiddenError as one that isn't theirs, so neither leaks.
 */
export async function requireCampaignAccess({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  const campaign = await db.campaign.findUnique({
    select: { id: true, organisationId: true },
    where: { id: campaignId },
  });
  if (!campaign) throw new ForbiddenError("You don't have access to that campaign.");
  await requireRole({
    userId: actorId,
    organisationId: campaign.organisationId,
    roles: ORGANISER_ROLES,
  });
  return campaign;
}

/** Serialises writes to one campaign's ladder and status (two organisers saving at once). */
export async function lockCampaign(tx: Tx, campaignId: string) {
  await tx.$executeRaw`SELECT 1 FROM "Campaign" WHERE id = ${campaignId} FOR UPDATE`;
}

export const TASK_ROW_SELECT = {
  id: true,
  position: true,
  archivedAt: true,
  currentVersion: {
    select: {
      id: true,
      version: true,
      title: true,
      instructions: true,
      location: true,
      durationMinutes: true,
      dueAfterDays: true,
      fields: true,
      rules: true,
    },
  },
} as const;

/** Every task of a campaign (archived ones too) with its current version, in ladder order. */
export function listTaskRows(client: Tx, { campaignId }: { campaignId: string }) {
  return client.task.findMany({
    select: TASK_ROW_SELECT,
    where: { campaignId },
    orderBy: [{ position: "asc" }, { createdAt: "asc" }],
  });
}

/** The ladder's problems, plus the one the validator leaves to us: no task at all to go live with. */
export function checkLadder(ladder: Ladder): LadderValidation {
  const validation = validateLadder(ladder);
  const hasTask = [...ladder.tasks.values()].some((task) => !task.archived);
  if (!hasTask) {
    return {
      errors: [{ taskId: null, message: "Add at least one task." }, ...validation.errors],
      warnings: validation.warnings.filter(
        (warning) => warning.message !== "This campaign has no tasks yet.",
      ),
    };
  }
  return validation;
}

/** Errors in `after` that `before` didn't have: what a change to a live campaign would break. */
export function newErrors(before: LadderValidation, after: LadderValidation) {
  const known = new Set(before.errors.map((error) => error.message));
  return after.errors.filter((error) => !known.has(error.message));
}

export async function writeAudit(
  tx: Tx,
  event: {
    organisationId: string;
    actorId: string;
    action: string;
    subjectType: string;
    subjectId: string;
    detail: Prisma.InputJsonValue;
  },
) {
  await tx.auditEvent.create({ select: { id: true }, data: event });
}

/** The organisation's campaigns, for its owners and organisers only. */
export async function listCampaigns({
  actorId,
  organisationId,
}: {
  actorId: string;
  organisationId: string;
}) {
  await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  return db.campaign.findMany({
    select: {
      id: true,
      slug: true,
      title: true,
      status: true,
      metricLabel: true,
      target: true,
      _count: { select: { assignments: true, reports: true } },
    },
    where: { organisationId },
    orderBy: { createdAt: "desc" },
  });
}

/** The running total of a campaign's objective. Public: the join and thank-you pages show it. */
export async function getCampaignProgress({
  campaignId,
}: {
  campaignId: string;
}): Promise<{ total: number }> {
  // The campaign's metric as ReportDay sums it, kept in a few stripes by a trigger
  // (migration 20261207030000_campaign_totals): a handful of rows, not one per report.
  const result = await db.campaignTotal.aggregate({
    _sum: { metricTotal: true },
    where: { campaignId },
  });
  const sum = result._sum.metricTotal;
  return { total: sum === null ? 0 : Number(sum.toString()) };
}

function toDate(value: string | undefined): Date | null {
  return value ? new Date(`${value}T00:00:00.000Z`) : null;
}

function fromDate(value: Date | null): string | undefined {
  return value ? value.toISOString().slice(0, 10) : undefined;
}

function campaignData(input: CampaignInput) {
  return {
    title: input.title,
    description: input.description,
    metricLabel: input.metricLabel,
    metricUnit: input.metricUnit,
    target: input.target,
    whyTakePart: input.whyTakePart,
    whatWeDo: input.whatWeDo,
    whatIsOpen: input.whatIsOpen,
    startsOn: toDate(input.startsOn),
    endsOn: toDate(input.endsOn),
  };
}

async function freeSlug(base: string): Promise<string> {
  const taken = new Set(
    (
      await db.campaign.findMany({
        select: { slug: true },
        where: { OR: [{ slug: base }, { slug: { startsWith: `${base}-` } }] },
      })
    ).map((campaign) => campaign.slug),
  );
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

export type CampaignWriteResult = { ok: true; campaign: { id: string; slug: string } } | Refusal;

/**
 * A new DRAFT campaign. Its address (slug) comes from the title, with -2, -3… when taken; its
 * metric key comes from the metric label and never changes, so counted reports stay counted.
 */
export async function createCampaign({
  actorId,
  organisationId,
  input,
}: {
  actorId: string;
  organisationId: string;
  input: CampaignInput;
}): Promise<CampaignWriteResult> {
  await requireRole({ userId: actorId, organisationId, roles: ORGANISER_ROLES });
  const parsed = CampaignFormSchema.safeParse(input);
  if (!parsed.success) return refusalFromZod(parsed.error);
  const base = campaignSlugBase(parsed.data.title);
  for (let attempt = 0; ; attempt += 1) {
    const slug = await freeSlug(base);
    try {
      const campaign = await db.campaign.create({
        select: { id: true, slug: true },
        data: {
          organisationId,
          slug,
          status: "DRAFT",
          metricKey: metricKeyFromLabel(parsed.data.metricLabel),
          ...campaignData(parsed.data),
        },
      });
      return { ok: true, campaign };
    } catch (error) {
      // Someone took the same slug a moment ago: look again.
      if (isUniqueViolation(error) && attempt < 5) continue;
      throw error;
    }
  }
}

/** The campaign form's starting values. */
export async function getCampaignForEdit({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const campaign = await db.campaign.findUniqueOrThrow({
    select: {
      id: true,
      title: true,
      status: true,
      description: true,
      metricLabel: true,
      metricUnit: true,
      target: true,
      whyTakePart: true,
      whatWeDo: true,
      whatIsOpen: true,
      startsOn: true,
      endsOn: true,
      settings: true,
    },
    where: { id: campaignId },
  });
  return {
    id: campaign.id,
    title: campaign.title,
    status: campaign.status,
    nudges: parseNudgeSettings(campaign.settings),
    defaults: {
      title: campaign.title,
      description: campaign.description,
      metricLabel: campaign.metricLabel,
      metricUnit: campaign.metricUnit,
      target: campaign.target,
      whyTakePart: campaign.whyTakePart,
      whatWeDo: campaign.whatWeDo,
      whatIsOpen: campaign.whatIsOpen,
      startsOn: fromDate(campaign.startsOn),
      endsOn: fromDate(campaign.endsOn),
    },
  };
}

/** Changes a campaign's details. On a campaign that has gone live, the change is audited. */
export async function updateCampaign({
  actorId,
  campaignId,
  input,
}: {
  actorId: string;
  campaignId: string;
  input: CampaignInput;
}): Promise<CampaignWriteResult> {
  const access = await requireCampaignAccess({ actorId, campaignId });
  const parsed = CampaignFormSchema.safeParse(input);
  if (!parsed.success) return refusalFromZod(parsed.error);
  const data = campaignData(parsed.data);
  return db.$transaction(async (tx) => {
    await lockCampaign(tx, campaignId);
    const before = await tx.campaign.findUniqueOrThrow({
      select: {
        status: true,
        slug: true,
        title: true,
        description: true,
        metricLabel: true,
        metricUnit: true,
        target: true,
        whyTakePart: true,
        whatWeDo: true,
        whatIsOpen: true,
        startsOn: true,
        endsOn: true,
      },
      where: { id: campaignId },
    });
    const campaign = await tx.campaign.update({
      select: { id: true, slug: true },
      where: { id: campaignId },
      data,
    });
    if (before.status !== "DRAFT") {
      const changed: Record<string, { from: string | number | null; to: string | number | null }> =
        {};
      for (const name of Object.keys(data) as Array<keyof typeof data>) {
        const from = before[name];
        const to = data[name];
        const plain = (value: typeof from) => (value instanceof Date ? fromDate(value)! : value);
        if (plain(from) !== plain(to)) changed[name] = { from: plain(from), to: plain(to) };
      }
      if (Object.keys(changed).length > 0) {
        await writeAudit(tx, {
          organisationId: access.organisationId,
          actorId,
          action: "campaign.updated",
          subjectType: "Campaign",
          subjectId: campaignId,
          detail: { status: before.status, changed },
        });
      }
    }
    return { ok: true as const, campaign };
  });
}

/** A settings value's own keys, or none when it isn't a JSON object. */
function settingsObject(value: Prisma.JsonValue): Prisma.InputJsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Prisma.InputJsonObject)
    : {};
}

export type NudgeSettingsResult = { ok: true } | Refusal;

/**
 * Changes when a campaign's reminders, follow-ups and "we miss you" messages go. The three values
 * are merged into Campaign.settings, keeping any other keys. Every change is audited, draft or
 * not: it decides when people are contacted.
 */
export async function updateCampaignNudges({
  actorId,
  campaignId,
  input,
}: {
  actorId: string;
  campaignId: string;
  input: NudgeSettingsInput;
}): Promise<NudgeSettingsResult> {
  const access = await requireCampaignAccess({ actorId, campaignId });
  const parsed = NudgeSettingsFormSchema.safeParse(input);
  if (!parsed.success) return refusalFromZod(parsed.error);
  const next = parsed.data;
  return db.$transaction(async (tx) => {
    await lockCampaign(tx, campaignId);
    const { settings } = await tx.campaign.findUniqueOrThrow({
      select: { settings: true },
      where: { id: campaignId },
    });
    const before = parseNudgeSettings(settings);
    const changed: Record<string, { from: number; to: number }> = {};
    for (const name of Object.keys(next) as Array<keyof typeof next>) {
      if (before[name] !== next[name]) changed[name] = { from: before[name], to: next[name] };
    }
    if (Object.keys(changed).length === 0) return { ok: true as const };
    await tx.campaign.update({
      select: { id: true },
      where: { id: campaignId },
      data: { settings: { ...settingsObject(settings), ...next } },
    });
    await writeAudit(tx, {
      organisationId: access.organisationId,
      actorId,
      action: "campaign.nudges_updated",
      subjectType: "Campaign",
      subjectId: campaignId,
      detail: { changed },
    });
    return { ok: true as const };
  });
}

const STATUS_WORDS: Record<CampaignStatus, string> = {
  DRAFT: "draft",
  LIVE: "live",
  PAUSED: "paused",
  CLOSED: "closed",
};

export type StatusChangeResult =
  { ok: true; status: CampaignStatus } | { ok: false; errors: string[] };

/**
 * Moves a campaign along DRAFT → LIVE ⇄ PAUSED → CLOSED. Going live is refused while the ladder
 * has errors; the errors come back to show. Every change is audited.
 */
export async function changeCampaignStatus({
  actorId,
  campaignId,
  status,
}: {
  actorId: string;
  campaignId: string;
  status: CampaignStatus;
}): Promise<StatusChangeResult> {
  const access = await requireCampaignAccess({ actorId, campaignId });
  return db.$transaction(async (tx) => {
    await lockCampaign(tx, campaignId);
    const campaign = await tx.campaign.findUniqueOrThrow({
      select: { status: true, firstTaskId: true },
      where: { id: campaignId },
    });
    if (campaign.status === status) return { ok: true as const, status };
    if (!STATUS_TRANSITIONS[campaign.status].includes(status)) {
      return {
        ok: false as const,
        errors: [
          `A ${STATUS_WORDS[campaign.status]} campaign can't be made ${STATUS_WORDS[status]}.`,
        ],
      };
    }
    if (status === "LIVE") {
      const rows = await listTaskRows(tx, { campaignId });
      const { errors } = checkLadder(
        ladderFromRows({ campaignId, firstTaskId: campaign.firstTaskId, rows }),
      );
      if (errors.length > 0) {
        return { ok: false as const, errors: errors.map((error) => error.message) };
      }
    }
    await tx.campaign.update({ select: { id: true }, where: { id: campaignId }, data: { status } });
    await writeAudit(tx, {
      organisationId: access.organisationId,
      actorId,
      action: "campaign.status_changed",
      subjectType: "Campaign",
      subjectId: campaignId,
      detail: { from: campaign.status, to: status },
    });
    return { ok: true as const, status };
  });
}

const OP_SYMBOLS: Record<Condition["op"], string> = {
  gte: "≥",
  gt: ">",
  lte: "≤",
  lt: "<",
  eq: "=",
  neq: "≠",
};

function targetWords(ladder: Ladder, target: string | null) {
  if (target === null) return "end of the ladder";
  const task = ladder.tasks.get(target);
  if (!task) return "a deleted task";
  return task.archived ? `${task.title} (deleted)` : task.title;
}

function conditionWords(condition: Condition) {
  const { value } = condition;
  const shown =
    typeof value === "boolean"
      ? value
        ? "yes"
        : "no"
      : typeof value === "number"
        ? formatNumber(value)
        : `“${value}”`;
  return `${condition.field.replace(/_/g, " ")} ${OP_SYMBOLS[condition.op] ?? condition.op} ${shown}`;
}

/**
 * Where a task sends people, in words: "If doors ≥ 20 and would lead = yes → Lead a team of
 * three; otherwise → Run a street stall; if skipped → Deliver 30 leaflets".
 */
export function describeFollowUps(ladder: Ladder, task: LadderTask): string {
  const parts = task.rules.rules.map(
    (rule, index) =>
      `${index === 0 ? "If" : "if"} ${rule.when.map(conditionWords).join(" and ")} → ${targetWords(ladder, rule.next)}`,
  );
  parts.push(
    `${parts.length > 0 ? "otherwise" : "Next"} → ${targetWords(ladder, task.rules.defaultNext)}`,
  );
  parts.push(`if skipped → ${targetWords(ladder, task.rules.onSkip)}`);
  return parts.join("; ");
}

/** Everything the campaign overview shows: details, the ladder, its problems and progress. */
export async function getCampaignOverview({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const campaign = await db.campaign.findUniqueOrThrow({
    select: {
      id: true,
      slug: true,
      title: true,
      description: true,
      status: true,
      metricKey: true,
      metricLabel: true,
      metricUnit: true,
      target: true,
      whyTakePart: true,
      whatWeDo: true,
      whatIsOpen: true,
      startsOn: true,
      endsOn: true,
      firstTaskId: true,
      organisation: { select: { name: true } },
    },
    where: { id: campaignId },
  });
  const rows = await listTaskRows(db, { campaignId });
  const ladder = ladderFromRows({ campaignId, firstTaskId: campaign.firstTaskId, rows });
  const validation = checkLadder(ladder);
  const progress = await getCampaignProgress({ campaignId });
  const tasks = rows.flatMap((row) => {
    const task = ladder.tasks.get(row.id);
    if (!task || !row.currentVersion) return [];
    return [
      {
        id: row.id,
        title: task.title,
        version: row.currentVersion.version,
        archived: task.archived,
        isFirst: row.id === campaign.firstTaskId,
        questions: task.fields.length,
        followUps: describeFollowUps(ladder, task),
      },
    ];
  });
  return {
    campaign: {
      ...campaign,
      startsOn: fromDate(campaign.startsOn) ?? null,
      endsOn: fromDate(campaign.endsOn) ?? null,
    },
    transitions: STATUS_TRANSITIONS[campaign.status],
    tasks: tasks.filter((task) => !task.archived),
    archivedTasks: tasks.filter((task) => task.archived),
    validation,
    progress,
  };
}

/** What the printable poster needs. */
export async function getCampaignPoster({
  actorId,
  campaignId,
}: {
  actorId: string;
  campaignId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  return db.campaign.findUniqueOrThrow({
    select: {
      id: true,
      slug: true,
      title: true,
      description: true,
      whyTakePart: true,
      status: true,
      organisation: { select: { name: true } },
    },
    where: { id: campaignId },
  });
}

/**
 * What a campaign's filters offer: its tasks in ladder order (deleted ones too, since older reports
 * and skips name them) and the areas (postcode districts) its volunteers live in now or reported
 * from. The inbox, the update composer and its contribution picker all choose from these.
 */
export async function campaignFilterOptions(campaignId: string) {
  const [tasks, areas] = await Promise.all([
    db.task.findMany({
      select: { id: true, currentVersion: { select: { title: true } } },
      where: { campaignId },
      orderBy: { position: "asc" },
    }),
    db.$queryRaw<Array<{ district: string }>>`
      SELECT u.district FROM "CampaignParticipant" p JOIN "User" u ON u.id = p."userId"
      WHERE p."campaignId" = ${campaignId} AND u."deletedAt" IS NULL AND u.district <> ''
      UNION
      SELECT r.district FROM "Report" r WHERE r."campaignId" = ${campaignId} AND r.district <> ''
      ORDER BY 1`,
  ]);
  return {
    tasks: tasks.map((task) => ({
      id: task.id,
      title: task.currentVersion?.title ?? "Untitled task",
    })),
    areas: areas.map((row) => row.district),
  };
}
