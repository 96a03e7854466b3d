import type { Prisma } from "~/generated/prisma/client.ts";
import { ladderFromRows, parseFields, parseRules, type TaskRow } from "~/loop/engine.ts";
import type { LadderValidation } from "~/loop/validate.ts";
import {
  NotFoundError,
  checkLadder,
  listTaskRows,
  lockCampaign,
  newErrors,
  refusalFromZod,
  requireCampaignAccess,
  writeAudit,
  type Refusal,
} from "~/models/campaign.server.ts";
import {
  END_OF_LADDER,
  TaskFormSchema,
  taskFormFromVersion,
  taskVersionFromForm,
  type TaskFormInput,
  type TaskFormValue,
} from "~/schemas/task.ts";
import { db } from "~/utils/db.server.ts";

/** Stands for a task being created while its ladder is checked (it has no id yet). */
const NEW_TASK_ID = "__new_task__";

const LIVE_REFUSAL =
  "This campaign is live, so a change that breaks its ladder can't be saved. Nothing was changed.";

/** The task editor's data: the campaign, the tasks a follow-up can point at and the task itself. */
export async function getTaskEditor({
  actorId,
  campaignId,
  taskId,
}: {
  actorId: string;
  campaignId: string;
  taskId?: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const campaign = await db.campaign.findUniqueOrThrow({
    select: {
      id: true,
      title: true,
      status: true,
      metricKey: true,
      metricLabel: true,
      firstTaskId: true,
    },
    where: { id: campaignId },
  });
  const rows = await listTaskRows(db, { campaignId });
  const tasks = rows.flatMap((row) =>
    row.currentVersion
      ? [{ id: row.id, title: row.currentVersion.title, archived: row.archivedAt !== null }]
      : [],
  );
  if (taskId === undefined) return { campaign, tasks, task: null };
  const row = rows.find((candidate) => candidate.id === taskId);
  if (!row?.currentVersion) throw new NotFoundError("That task isn't in this campaign.");
  const version = row.currentVersion;
  const isFirst = campaign.firstTaskId === row.id;
  return {
    campaign,
    tasks,
    task: {
      id: row.id,
      archived: row.archivedAt !== null,
      isFirst,
      version: version.version,
      defaults: taskFormFromVersion(
        {
          title: version.title,
          instructions: version.instructions,
          location: version.location,
          durationMinutes: version.durationMinutes,
          dueAfterDays: version.dueAfterDays,
          fields: parseFields(version.fields),
          rules: parseRules(version.rules),
        },
        { metricKey: campaign.metricKey, isFirst },
      ),
    },
  };
}

export type SaveTaskResult =
  { ok: true; taskId: string; version: number; validation: LadderValidation } | Refusal;

/** JSON with sorted keys, so stored (jsonb) and new content compare by meaning. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : inner,
  );
}

/** Form fields whose "next task" points outside this campaign (a tampered or stale form). */
function foreignTargets(value: TaskFormValue, taskIds: ReadonlySet<string>) {
  const fieldErrors: Record<string, string[]> = {};
  const check = (name: string, target: string) => {
    if (target !== END_OF_LADDER && !taskIds.has(target)) {
      fieldErrors[name] = ["Choose a task from this campaign, or the end of the ladder"];
    }
  };
  value.rules.forEach((rule, index) => check(`rules[${index}].next`, rule.next));
  check("defaultNext", value.defaultNext);
  check("onSkip", value.onSkip);
  return fieldErrors;
}

/**
 * Creates a task, or saves a new version of one: the version number goes up by one and the task
 * points at it, in one transaction. Open assignments keep the version they were given.
 *
 * On a LIVE campaign a save that would give the ladder new errors is refused and nothing is
 * written; on a draft it is saved and the errors show on the overview. After a campaign has gone
 * live, every save is audited.
 */
export async function saveTask({
  actorId,
  campaignId,
  taskId,
  input,
}: {
  actorId: string;
  campaignId: string;
  /** Absent for a new task. */
  taskId?: string;
  input: TaskFormInput | TaskFormValue;
}): Promise<SaveTaskResult> {
  const access = await requireCampaignAccess({ actorId, campaignId });
  const parsed = TaskFormSchema.safeParse(input);
  if (!parsed.success) return refusalFromZod(parsed.error);
  const value = parsed.data;

  return db.$transaction(async (tx): Promise<SaveTaskResult> => {
    await lockCampaign(tx, campaignId);
    const campaign = await tx.campaign.findUniqueOrThrow({
      select: { status: true, metricKey: true, firstTaskId: true },
      where: { id: campaignId },
    });
    const rows = await listTaskRows(tx, { campaignId });
    const existing = taskId === undefined ? null : rows.find((row) => row.id === taskId);
    if (existing === undefined) throw new NotFoundError("That task isn't in this campaign.");
    if (existing?.archivedAt) {
      return {
        ok: false,
        formErrors: ["This task was deleted, so it can't be changed."],
        fieldErrors: {},
      };
    }
    const foreign = foreignTargets(value, new Set(rows.map((row) => row.id)));
    if (Object.keys(foreign).length > 0) {
      return { ok: false, formErrors: [], fieldErrors: foreign };
    }

    const content = taskVersionFromForm(value, { metricKey: campaign.metricKey });
    const candidateId = existing?.id ?? NEW_TASK_ID;
    const firstTaskId =
      value.makeFirst || campaign.firstTaskId === null ? candidateId : campaign.firstTaskId;
    const candidate: TaskRow = {
      id: candidateId,
      archivedAt: null,
      currentVersion: {
        id: "__candidate_version__",
        title: content.title,
        dueAfterDays: content.dueAfterDays,
        fields: content.fields,
        rules: content.rules,
      },
    };
    const candidateRows = existing
      ? rows.map((row) => (row.id === existing.id ? candidate : row))
      : [...rows, candidate];
    const before = checkLadder(
      ladderFromRows({ campaignId, firstTaskId: campaign.firstTaskId, rows }),
    );
    const after = checkLadder(ladderFromRows({ campaignId, firstTaskId, rows: candidateRows }));
    if (campaign.status === "LIVE") {
      const broken = newErrors(before, after);
      if (broken.length > 0) {
        return {
          ok: false,
          formErrors: [LIVE_REFUSAL, ...broken.map((error) => error.message)],
          fieldErrors: {},
        };
      }
    }

    const task =
      existing ??
      (await tx.task.create({
        select: { id: true },
        data: {
          campaignId,
          organisationId: access.organisationId,
          position: rows.reduce((max, row) => Math.max(max, row.position + 1), 0),
        },
      }));
    const latest = await tx.taskVersion.aggregate({
      _max: { version: true },
      where: { taskId: task.id },
    });
    const versionNumber = (latest._max.version ?? 0) + 1;
    const version = await tx.taskVersion.create({
      select: { id: true },
      data: {
        taskId: task.id,
        version: versionNumber,
        title: content.title,
        instructions: content.instructions,
        location: content.location,
        durationMinutes: content.durationMinutes,
        dueAfterDays: content.dueAfterDays,
        fields: content.fields as Prisma.InputJsonValue,
        rules: content.rules as Prisma.InputJsonValue,
        createdById: actorId,
      },
    });
    await tx.task.update({
      select: { id: true },
      where: { id: task.id },
      data: { currentVersionId: version.id },
    });
    const madeFirst = firstTaskId === candidateId && campaign.firstTaskId !== task.id;
    if (madeFirst) {
      await tx.campaign.update({
        select: { id: true },
        where: { id: campaignId },
        data: { firstTaskId: task.id },
      });
    }

    if (campaign.status !== "DRAFT") {
      const previous = existing?.currentVersion ?? null;
      const changed = previous
        ? (
            [
              "title",
              "instructions",
              "location",
              "durationMinutes",
              "dueAfterDays",
              "fields",
              "rules",
            ] as const
          ).filter((name) => stableJson(previous[name]) !== stableJson(content[name]))
        : [];
      await writeAudit(tx, {
        organisationId: access.organisationId,
        actorId,
        action: existing ? "task.updated" : "task.created",
        subjectType: "Task",
        subjectId: task.id,
        detail: {
          campaignId,
          campaignStatus: campaign.status,
          title: content.title,
          version: versionNumber,
          previousVersion: previous?.version ?? null,
          changed,
          madeFirst,
        },
      });
    }
    const validation = checkLadder(
      ladderFromRows({
        campaignId,
        firstTaskId: madeFirst ? task.id : campaign.firstTaskId,
        rows: await listTaskRows(tx, { campaignId }),
      }),
    );
    return { ok: true, taskId: task.id, version: versionNumber, validation };
  });
}

export type ArchiveTaskResult = { ok: true } | { ok: false; errors: string[] };

/**
 * "Deletes" a task: it is archived, never removed, because assignments and reports point at its
 * versions. Refused on a LIVE campaign when the ladder would break (a rule still points at it).
 */
export async function archiveTask({
  actorId,
  campaignId,
  taskId,
}: {
  actorId: string;
  campaignId: string;
  taskId: string;
}): Promise<ArchiveTaskResult> {
  const access = await requireCampaignAccess({ actorId, campaignId });
  return db.$transaction(async (tx): Promise<ArchiveTaskResult> => {
    await lockCampaign(tx, campaignId);
    const campaign = await tx.campaign.findUniqueOrThrow({
      select: { status: true, firstTaskId: true },
      where: { id: campaignId },
    });
    const rows = await listTaskRows(tx, { campaignId });
    const task = rows.find((row) => row.id === taskId);
    if (!task) throw new NotFoundError("That task isn't in this campaign.");
    if (task.archivedAt) return { ok: true };
    const archivedAt = new Date();
    if (campaign.status === "LIVE") {
      const before = checkLadder(
        ladderFromRows({ campaignId, firstTaskId: campaign.firstTaskId, rows }),
      );
      const after = checkLadder(
        ladderFromRows({
          campaignId,
          firstTaskId: campaign.firstTaskId,
          rows: rows.map((row) => (row.id === taskId ? { ...row, archivedAt } : row)),
        }),
      );
      const broken = newErrors(before, after);
      if (broken.length > 0) {
        return {
          ok: false,
          errors: [
            "This campaign is live, so this task can't be deleted until nothing leads to it. Nothing was changed.",
            ...broken.map((error) => error.message),
          ],
        };
      }
    }
    await tx.task.update({ select: { id: true }, where: { id: taskId }, data: { archivedAt } });
    if (campaign.status !== "DRAFT") {
      await writeAudit(tx, {
        organisationId: access.organisationId,
        actorId,
        action: "task.archived",
        subjectType: "Task",
        subjectId: taskId,
        detail: {
          campaignId,
          campaignStatus: campaign.status,
          title: task.currentVersion?.title ?? null,
        },
      });
    }
    return { ok: true };
  });
}

/** The task as a volunteer would be given it now (its current version), for the preview. */
export async function getTaskPreview({
  actorId,
  campaignId,
  taskId,
}: {
  actorId: string;
  campaignId: string;
  taskId: string;
}) {
  await requireCampaignAccess({ actorId, campaignId });
  const task = await db.task.findFirst({
    select: {
      id: true,
      archivedAt: true,
      campaign: {
        select: {
          id: true,
          title: true,
          whyTakePart: true,
          whatWeDo: true,
          whatIsOpen: true,
        },
      },
      currentVersion: {
        select: {
          version: true,
          title: true,
          instructions: true,
          location: true,
          durationMinutes: true,
          dueAfterDays: true,
          fields: true,
        },
      },
    },
    where: { id: taskId, campaignId },
  });
  if (!task?.currentVersion) throw new NotFoundError("That task isn't in this campaign.");
  const { currentVersion: version, campaign } = task;
  return {
    campaign,
    task: {
      id: task.id,
      archived: task.archivedAt !== null,
      version: version.version,
      title: version.title,
      instructions: version.instructions,
      location: version.location,
      durationMinutes: version.durationMinutes,
      dueAfterDays: version.dueAfterDays,
      fields: parseFields(version.fields),
    },
  };
}
