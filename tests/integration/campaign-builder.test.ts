import { parseWithZod } from "@conform-to/zod/v4";
import { describe, expect, it } from "vitest";
import {
  campaignInput,
  createAssignment,
  createOrganiser,
  doorsTaskInput,
  taskInput,
} from "../fixtures/campaigns.ts";
import { addMember, createUser, uniqueSuffix } from "../fixtures/people.ts";
import {
  changeCampaignStatus,
  createCampaign,
  getCampaignForEdit,
  getCampaignOverview,
  getCampaignPoster,
  getCampaignProgress,
  listCampaigns,
  updateCampaign,
} from "~/models/campaign.server.ts";
import { ForbiddenError } from "~/models/membership.server.ts";
import { archiveTask, getTaskEditor, getTaskPreview, saveTask } from "~/models/task.server.ts";
import { CampaignFormSchema } from "~/schemas/campaign.ts";
import { TaskFormSchema, type TaskFormInput } from "~/schemas/task.ts";
import { db } from "~/utils/db.server.ts";

async function newCampaign(overrides: Parameters<typeof campaignInput>[0] = {}) {
  const { organisation, user } = await createOrganiser();
  const result = await createCampaign({
    actorId: user.id,
    organisationId: organisation.id,
    input: campaignInput(overrides),
  });
  if (!result.ok) throw new Error(`createCampaign refused: ${JSON.stringify(result)}`);
  return { organisation, user, campaign: result.campaign };
}

async function addTask(actorId: string, campaignId: string, input: TaskFormInput, taskId?: string) {
  const result = await saveTask({ actorId, campaignId, taskId, input });
  if (!result.ok) throw new Error(`saveTask refused: ${JSON.stringify(result)}`);
  return result;
}

/** A DRAFT campaign with the e2e ladder: A (doors, would lead) → C if keen, else B; B, C end. */
async function branchingCampaign() {
  const setup = await newCampaign();
  const { user, campaign } = setup;
  const b = await addTask(user.id, campaign.id, taskInput({ title: "Deliver leaflets" }));
  const c = await addTask(user.id, campaign.id, taskInput({ title: "Lead a team" }));
  const a = await addTask(
    user.id,
    campaign.id,
    doorsTaskInput({ ifKeen: c.taskId, otherwise: b.taskId, makeFirst: true }),
  );
  return { ...setup, a: a.taskId, b: b.taskId, c: c.taskId };
}

/** The messages of a submission that failed, by field name. */
function errorsOf(submission: { status?: string; error?: unknown }) {
  expect(submission.status).toBe("error");
  return (submission.error ?? {}) as Record<string, string[] | null>;
}

function formData(entries: Record<string, string>) {
  const data = new FormData();
  for (const [name, value] of Object.entries(entries)) data.append(name, value);
  return data;
}

async function counts(campaignId?: string) {
  const [campaigns, versions, tasks, audits] = await Promise.all([
    db.campaign.count(),
    db.taskVersion.count({ where: campaignId ? { task: { campaignId } } : {} }),
    db.task.count({ where: campaignId ? { campaignId } : {} }),
    db.auditEvent.count(),
  ]);
  return { campaigns, versions, tasks, audits };
}

describe("creating a campaign", () => {
  it("starts as a draft with a slug from the title, made unique with -2, -3", async () => {
    const { organisation, user } = await createOrganiser();
    const title = `Warmer Homes ${uniqueSuffix()}!`;
    const made = [];
    for (let i = 0; i < 3; i += 1) {
      const result = await createCampaign({
        actorId: user.id,
        organisationId: organisation.id,
        input: campaignInput({ title, metricLabel: "Doors knocked" }),
      });
      expect(result.ok).toBe(true);
      if (result.ok) made.push(result.campaign);
    }
    const base = title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/-$/, "");
    expect(made.map((c) => c.slug)).toEqual([base, `${base}-2`, `${base}-3`]);

    const stored = await db.campaign.findUniqueOrThrow({ where: { id: made[0]!.id } });
    expect(stored).toMatchObject({
      status: "DRAFT",
      organisationId: organisation.id,
      metricKey: "doors-knocked",
      metricLabel: "Doors knocked",
      target: 5000,
      firstTaskId: null,
    });
    const listed = await listCampaigns({ actorId: user.id, organisationId: organisation.id });
    expect(listed.map((c) => c.id).sort()).toEqual(made.map((c) => c.id).sort());
  });

  it("keeps the slug and metric key when the title and label change", async () => {
    const { user, campaign } = await newCampaign({ startsOn: "2026-03-01" });
    const result = await updateCampaign({
      actorId: user.id,
      campaignId: campaign.id,
      input: campaignInput({
        title: "A new name",
        metricLabel: "Homes reached",
        endsOn: "2026-04-01",
      }),
    });
    expect(result.ok).toBe(true);
    const stored = await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    expect(stored).toMatchObject({
      slug: campaign.slug,
      title: "A new name",
      metricKey: "doors-knocked",
    });
    expect(stored.startsOn).toBeNull();
    expect(stored.endsOn?.toISOString().slice(0, 10)).toBe("2026-04-01");
    const edit = await getCampaignForEdit({ actorId: user.id, campaignId: campaign.id });
    expect(edit.defaults).toMatchObject({ title: "A new name", endsOn: "2026-04-01" });
    // A draft's edits are not audited.
    expect(await db.auditEvent.count({ where: { subjectId: campaign.id } })).toBe(0);
  });
});

describe("bad input is refused with a clear message and nothing is written", () => {
  it("refuses an empty title, a target of 0 and an end before the start", async () => {
    const { organisation, user } = await createOrganiser();
    const before = await counts();
    const good = campaignInput();
    const asForm = Object.fromEntries(
      Object.entries(good).map(([name, value]) => [name, String(value)]),
    );

    const cases: Array<[Record<string, string>, string, string]> = [
      [{ ...asForm, title: "   " }, "title", "Enter a title"],
      [{ ...asForm, target: "0" }, "target", "The target must be more than 0"],
      [{ ...asForm, target: "lots" }, "target", "Enter the target as a whole number, like 5000"],
      [
        { ...asForm, startsOn: "2026-05-02", endsOn: "2026-05-01" },
        "endsOn",
        "The end date must be on or after the start date",
      ],
    ];
    for (const [entries, field, message] of cases) {
      const submission = parseWithZod(formData(entries), { schema: CampaignFormSchema });
      expect(errorsOf(submission)[field]).toEqual([message]);
    }

    // The model checks too, whoever calls it.
    const refusals = await Promise.all([
      createCampaign({
        actorId: user.id,
        organisationId: organisation.id,
        input: { ...good, title: "" },
      }),
      createCampaign({
        actorId: user.id,
        organisationId: organisation.id,
        input: { ...good, target: 0 },
      }),
      createCampaign({
        actorId: user.id,
        organisationId: organisation.id,
        input: { ...good, startsOn: "2026-05-02", endsOn: "2026-05-01" },
      }),
    ]);
    expect(refusals.map((r) => (r.ok ? null : r.fieldErrors))).toEqual([
      { title: ["Enter a title"] },
      { target: ["The target must be more than 0"] },
      { endsOn: ["The end date must be on or after the start date"] },
    ]);
    expect(await counts()).toEqual(before);
  });

  it("refuses a choice with one option and a number whose min is above its max", async () => {
    const { user, campaign } = await newCampaign();
    const before = await counts(campaign.id);

    const submission = parseWithZod(
      formData({
        title: "Ask about heating",
        instructions: "Ask people.",
        dueAfterDays: "7",
        "questions[0].type": "choice",
        "questions[0].label": "How do you heat your home?",
        "questions[0].options": "Gas\n\n",
        "questions[1].type": "number",
        "questions[1].label": "Rooms",
        "questions[1].min": "10",
        "questions[1].max": "2",
        defaultNext: "end",
        onSkip: "end",
      }),
      { schema: TaskFormSchema },
    );
    const errors = errorsOf(submission);
    expect(errors["questions[0].options"]).toEqual(["Give at least 2 options, one per line"]);
    expect(errors["questions[1].max"]).toEqual([
      "The largest answer must be at least the smallest answer",
    ]);

    const oneOption = await saveTask({
      actorId: user.id,
      campaignId: campaign.id,
      input: taskInput({ questions: [{ type: "choice", label: "Heating", options: "Gas" }] }),
    });
    expect(oneOption).toMatchObject({
      ok: false,
      fieldErrors: { "questions[0].options": ["Give at least 2 options, one per line"] },
    });
    const minAboveMax = await saveTask({
      actorId: user.id,
      campaignId: campaign.id,
      input: taskInput({ questions: [{ type: "number", label: "Rooms", min: 10, max: 2 }] }),
    });
    expect(minAboveMax).toMatchObject({
      ok: false,
      fieldErrors: {
        "questions[0].max": ["The largest answer must be at least the smallest answer"],
      },
    });
    const emptyTitle = await saveTask({
      actorId: user.id,
      campaignId: campaign.id,
      input: taskInput({ title: " " }),
    });
    expect(emptyTitle).toMatchObject({ ok: false, fieldErrors: { title: ["Enter a title"] } });
    expect(await counts(campaign.id)).toEqual(before);
  });

  it("refuses a rule on a question that isn't there, or one compared the wrong way", async () => {
    const { user, campaign } = await newCampaign();
    const result = await saveTask({
      actorId: user.id,
      campaignId: campaign.id,
      input: taskInput({
        questions: [{ type: "yesno", label: "Would lead" }],
        rules: [
          {
            conditions: [
              { field: "doors", op: "gte", value: "20" },
              { field: "would_lead", op: "gte", value: "maybe" },
            ],
            next: "end",
          },
        ],
      }),
    });
    expect(result).toMatchObject({
      ok: false,
      fieldErrors: {
        "rules[0].conditions[0].field": ["Choose a question from this task's report form"],
        "rules[0].conditions[1].op": ['Use "is" or "is not" for a yes/no question'],
        "rules[0].conditions[1].value": ["Enter yes or no"],
      },
    });
    expect(await db.task.count({ where: { campaignId: campaign.id } })).toBe(0);
  });
});

describe("saving a task", () => {
  it("stores fields and rules the engine reads, with keys from the labels", async () => {
    const { user, campaign, a, b, c } = await branchingCampaign();
    const version = await db.taskVersion.findFirstOrThrow({ where: { taskId: a } });
    expect(version.fields).toEqual([
      {
        type: "number",
        key: "doors",
        label: "Doors",
        required: true,
        min: 0,
        max: 500,
        unit: "doors",
        metricKey: "doors-knocked",
      },
      { type: "yesno", key: "would_lead", label: "Would lead", required: false },
    ]);
    expect(version.rules).toEqual({
      rules: [
        {
          when: [
            { field: "doors", op: "gte", value: 20 },
            { field: "would_lead", op: "eq", value: true },
          ],
          next: c,
        },
      ],
      defaultNext: b,
      onSkip: null,
    });
    const stored = await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
    expect(stored.firstTaskId).toBe(a);

    const overview = await getCampaignOverview({ actorId: user.id, campaignId: campaign.id });
    expect(overview.validation.errors).toEqual([]);
    expect(overview.tasks.map((t) => t.title)).toEqual([
      "Deliver leaflets",
      "Lead a team",
      "Knock on 20 doors",
    ]);
    expect(overview.tasks.find((t) => t.id === a)).toMatchObject({
      isFirst: true,
      followUps:
        "If doors ≥ 20 and would lead = yes → Lead a team; otherwise → Deliver leaflets; if skipped → end of the ladder",
    });
  });

  it("makes a new version each time and leaves open assignments on the version they had", async () => {
    const { organisation, user, campaign, a, b, c } = await branchingCampaign();
    const first = await db.task.findUniqueOrThrow({ where: { id: a } });
    const assignment = await createAssignment({
      organisationId: organisation.id,
      campaignId: campaign.id,
      taskId: a,
      taskVersionId: first.currentVersionId!,
    });

    const saved = await addTask(
      user.id,
      campaign.id,
      doorsTaskInput({ ifKeen: c, otherwise: b, title: "Knock on 30 doors" }),
      a,
    );
    expect(saved.version).toBe(2);
    const task = await db.task.findUniqueOrThrow({
      where: { id: a },
      include: { currentVersion: true },
    });
    expect(task.currentVersionId).not.toBe(first.currentVersionId);
    expect(task.currentVersion).toMatchObject({ version: 2, title: "Knock on 30 doors" });
    expect(await db.taskVersion.count({ where: { taskId: a } })).toBe(2);

    const still = await db.assignment.findUniqueOrThrow({
      where: { id: assignment.id },
      include: { taskVersion: true },
    });
    expect(still.taskVersionId).toBe(first.currentVersionId);
    expect(still.taskVersion).toMatchObject({ version: 1, title: "Knock on 20 doors" });

    // Saved keys stay put when a question is renamed.
    const editor = await getTaskEditor({ actorId: user.id, campaignId: campaign.id, taskId: a });
    const defaults = editor.task!.defaults;
    const renamed = {
      ...defaults,
      questions: defaults.questions!.map((q, i) =>
        i === 0 ? { ...q, label: "Doors knocked on" } : q,
      ),
    };
    const third = await addTask(user.id, campaign.id, renamed, a);
    expect(third.version).toBe(3);
    const latest = await db.task.findUniqueOrThrow({
      where: { id: a },
      include: { currentVersion: true },
    });
    expect(latest.currentVersion?.fields).toMatchObject([
      { key: "doors", label: "Doors knocked on" },
      { key: "would_lead" },
    ]);
  });

  it("previews the current version", async () => {
    const { user, campaign, a } = await branchingCampaign();
    const preview = await getTaskPreview({ actorId: user.id, campaignId: campaign.id, taskId: a });
    expect(preview.task).toMatchObject({ title: "Knock on 20 doors", version: 1 });
    expect(preview.task.fields.map((f) => f.key)).toEqual(["doors", "would_lead"]);
    expect(preview.campaign.whyTakePart).toContain("cold and damp");
  });
});

describe("archiving a task", () => {
  it("keeps the task and its versions, and hides it from the ladder", async () => {
    const { user, campaign, c } = await branchingCampaign();
    const extra = await addTask(user.id, campaign.id, taskInput({ title: "Spare task" }));
    expect(
      await archiveTask({ actorId: user.id, campaignId: campaign.id, taskId: extra.taskId }),
    ).toEqual({
      ok: true,
    });
    const stored = await db.task.findUniqueOrThrow({ where: { id: extra.taskId } });
    expect(stored.archivedAt).toBeInstanceOf(Date);
    expect(stored.currentVersionId).not.toBeNull();
    const overview = await getCampaignOverview({ actorId: user.id, campaignId: campaign.id });
    expect(overview.tasks.map((t) => t.id)).not.toContain(extra.taskId);
    expect(overview.archivedTasks.map((t) => t.id)).toEqual([extra.taskId]);

    // On a draft, archiving a task a rule points at is allowed, and shows as an error.
    expect(await archiveTask({ actorId: user.id, campaignId: campaign.id, taskId: c })).toEqual({
      ok: true,
    });
    const after = await getCampaignOverview({ actorId: user.id, campaignId: campaign.id });
    expect(after.validation.errors.map((e) => e.message).join("\n")).toMatch(
      /Lead a team.*archived/,
    );
    // A deleted task can't be edited.
    const edit = await saveTask({
      actorId: user.id,
      campaignId: campaign.id,
      taskId: c,
      input: taskInput(),
    });
    expect(edit).toMatchObject({
      ok: false,
      formErrors: ["This task was deleted, so it can't be changed."],
    });
  });
});

describe("campaign status", () => {
  it("refuses to go live with errors, lists them, and follows the allowed transitions", async () => {
    const { user, campaign } = await newCampaign();
    const move = (status: "DRAFT" | "LIVE" | "PAUSED" | "CLOSED") =>
      changeCampaignStatus({ actorId: user.id, campaignId: campaign.id, status });

    expect(await move("LIVE")).toEqual({ ok: false, errors: ["Add at least one task."] });
    expect(await move("PAUSED")).toEqual({
      ok: false,
      errors: ["A draft campaign can't be made paused."],
    });

    const b = await addTask(user.id, campaign.id, taskInput({ title: "Deliver leaflets" }));
    const d = await addTask(user.id, campaign.id, taskInput({ title: "Spare task" }));
    const a = await addTask(
      user.id,
      campaign.id,
      doorsTaskInput({ ifKeen: d.taskId, otherwise: b.taskId, makeFirst: true }),
    );
    await archiveTask({ actorId: user.id, campaignId: campaign.id, taskId: d.taskId });
    const refused = await move("LIVE");
    expect(refused.ok).toBe(false);
    expect(refused.ok ? [] : refused.errors).toEqual([
      "'Knock on 20 doors', follow-up rule 1, sends people to 'Spare task', which is archived.",
    ]);
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status).toBe(
      "DRAFT",
    );

    const c = await addTask(user.id, campaign.id, taskInput({ title: "Lead a team" }));
    await addTask(
      user.id,
      campaign.id,
      doorsTaskInput({ ifKeen: c.taskId, otherwise: b.taskId }),
      a.taskId,
    );
    expect(await move("LIVE")).toEqual({ ok: true, status: "LIVE" });
    expect(await move("PAUSED")).toEqual({ ok: true, status: "PAUSED" });
    expect(await move("LIVE")).toEqual({ ok: true, status: "LIVE" });
    expect(await move("DRAFT")).toEqual({
      ok: false,
      errors: ["A live campaign can't be made draft."],
    });
    expect(await move("CLOSED")).toEqual({ ok: true, status: "CLOSED" });
    expect(await move("LIVE")).toEqual({
      ok: false,
      errors: ["A closed campaign can't be made live."],
    });

    const audit = await db.auditEvent.findMany({
      where: { subjectId: campaign.id, action: "campaign.status_changed" },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((e) => e.detail)).toEqual([
      { from: "DRAFT", to: "LIVE" },
      { from: "LIVE", to: "PAUSED" },
      { from: "PAUSED", to: "LIVE" },
      { from: "LIVE", to: "CLOSED" },
    ]);
    expect(audit.every((e) => e.actorId === user.id)).toBe(true);
  });
});

describe("editing a live campaign", () => {
  async function liveCampaign() {
    const setup = await branchingCampaign();
    const live = await changeCampaignStatus({
      actorId: setup.user.id,
      campaignId: setup.campaign.id,
      status: "LIVE",
    });
    expect(live.ok).toBe(true);
    return setup;
  }

  it("refuses a save or a delete that would break the ladder, and writes nothing", async () => {
    const { user, campaign, a, b, c } = await liveCampaign();
    const before = await counts(campaign.id);
    const taskBefore = await db.task.findUniqueOrThrow({ where: { id: a } });

    // The rule's condition checks a question that the new version no longer has.
    const broken = doorsTaskInput({ ifKeen: c, otherwise: b });
    const result = await saveTask({
      actorId: user.id,
      campaignId: campaign.id,
      taskId: a,
      input: {
        ...broken,
        questions: broken.questions!.slice(0, 1),
        rules: [],
        defaultNext: a,
        onSkip: a,
      },
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.formErrors[0]).toMatch(/live.*Nothing was changed/);
    expect(result.ok ? [] : result.formErrors.slice(1)).toEqual([
      "'Knock on 20 doors' sends people back to itself with no way to finish. Make a follow-up rule, the default or the skip option end the campaign or lead somewhere that does.",
    ]);

    const archived = await archiveTask({ actorId: user.id, campaignId: campaign.id, taskId: c });
    expect(archived.ok).toBe(false);
    expect(archived.ok ? [] : archived.errors.slice(1)).toEqual([
      "'Knock on 20 doors', follow-up rule 1, sends people to 'Lead a team', which is archived.",
    ]);

    expect(await counts(campaign.id)).toEqual(before);
    const taskAfter = await db.task.findUniqueOrThrow({ where: { id: a } });
    expect(taskAfter.currentVersionId).toBe(taskBefore.currentVersionId);
    expect((await db.task.findUniqueOrThrow({ where: { id: c } })).archivedAt).toBeNull();
  });

  it("audits every change to a live or paused campaign, saying what changed", async () => {
    const { organisation, user, campaign, a, b, c } = await liveCampaign();
    const since = new Date();

    await addTask(
      user.id,
      campaign.id,
      doorsTaskInput({ ifKeen: c, otherwise: b, dueAfterDays: 10 }),
      a,
    );
    const extra = await addTask(user.id, campaign.id, taskInput({ title: "Spare task" }));
    expect(
      (await archiveTask({ actorId: user.id, campaignId: campaign.id, taskId: extra.taskId })).ok,
    ).toBe(true);
    await changeCampaignStatus({ actorId: user.id, campaignId: campaign.id, status: "PAUSED" });
    const updated = await updateCampaign({
      actorId: user.id,
      campaignId: campaign.id,
      input: campaignInput({ title: "Warmer homes, phase 2", target: 6000 }),
    });
    expect(updated.ok).toBe(true);

    const events = await db.auditEvent.findMany({
      where: { organisationId: organisation.id, createdAt: { gte: since } },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((e) => [e.action, e.subjectId])).toEqual([
      ["task.updated", a],
      ["task.created", extra.taskId],
      ["task.archived", extra.taskId],
      ["campaign.status_changed", campaign.id],
      ["campaign.updated", campaign.id],
    ]);
    expect(events.every((e) => e.actorId === user.id)).toBe(true);
    expect(events[0]!.detail).toMatchObject({
      version: 2,
      previousVersion: 1,
      changed: ["dueAfterDays"],
      campaignStatus: "LIVE",
    });
    expect(events[4]!.detail).toMatchObject({
      status: "PAUSED",
      changed: {
        title: { to: "Warmer homes, phase 2" },
        target: { from: 5000, to: 6000 },
      },
    });
  });
});

describe("only the campaign's own organisers get in", () => {
  it("an organiser of another organisation gets ForbiddenError from every function", async () => {
    const { organisation, campaign, a } = await branchingCampaign();
    const outsider = await createOrganiser();
    const volunteer = await createUser();
    await addMember({ userId: volunteer.id, organisationId: organisation.id, role: "VOLUNTEER" });
    const before = await counts();

    for (const actorId of [outsider.user.id, volunteer.id]) {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ["listCampaigns", () => listCampaigns({ actorId, organisationId: organisation.id })],
        [
          "createCampaign",
          () =>
            createCampaign({ actorId, organisationId: organisation.id, input: campaignInput() }),
        ],
        ["getCampaignForEdit", () => getCampaignForEdit({ actorId, campaignId: campaign.id })],
        [
          "updateCampaign",
          () => updateCampaign({ actorId, campaignId: campaign.id, input: campaignInput() }),
        ],
        ["getCampaignOverview", () => getCampaignOverview({ actorId, campaignId: campaign.id })],
        [
          "changeCampaignStatus",
          () => changeCampaignStatus({ actorId, campaignId: campaign.id, status: "LIVE" }),
        ],
        ["getCampaignPoster", () => getCampaignPoster({ actorId, campaignId: campaign.id })],
        ["getTaskEditor", () => getTaskEditor({ actorId, campaignId: campaign.id, taskId: a })],
        [
          "saveTask (new)",
          () => saveTask({ actorId, campaignId: campaign.id, input: taskInput() }),
        ],
        [
          "saveTask (edit)",
          () => saveTask({ actorId, campaignId: campaign.id, taskId: a, input: taskInput() }),
        ],
        ["archiveTask", () => archiveTask({ actorId, campaignId: campaign.id, taskId: a })],
        ["getTaskPreview", () => getTaskPreview({ actorId, campaignId: campaign.id, taskId: a })],
      ];
      for (const [name, call] of calls) {
        await expect(call(), name).rejects.toBeInstanceOf(ForbiddenError);
      }
    }
    // A campaign that doesn't exist looks the same as one that isn't yours.
    await expect(
      getCampaignOverview({ actorId: outsider.user.id, campaignId: "no-such-campaign" }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(await counts()).toEqual(before);
  });

  it("a task id from another campaign is not found, even for an organiser", async () => {
    const mine = await branchingCampaign();
    const theirs = await branchingCampaign();
    await expect(
      getTaskEditor({ actorId: mine.user.id, campaignId: mine.campaign.id, taskId: theirs.a }),
    ).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(
      archiveTask({ actorId: mine.user.id, campaignId: mine.campaign.id, taskId: theirs.a }),
    ).rejects.toMatchObject({ name: "NotFoundError" });
    // A rule may not point into another campaign.
    const result = await saveTask({
      actorId: mine.user.id,
      campaignId: mine.campaign.id,
      input: taskInput({ defaultNext: theirs.b }),
    });
    expect(result).toMatchObject({
      ok: false,
      fieldErrors: { defaultNext: ["Choose a task from this campaign, or the end of the ladder"] },
    });
  });
});

describe("objective progress", () => {
  it("adds up the campaign's metric and nothing else", async () => {
    const { organisation, user, campaign, a } = await branchingCampaign();
    const task = await db.task.findUniqueOrThrow({ where: { id: a } });
    const metricKey = "doors-knocked";
    for (const [key, value] of [
      [metricKey, 12],
      [metricKey, 8.5],
      ["leaflets", 100],
    ] as const) {
      const assignment = await createAssignment({
        organisationId: organisation.id,
        campaignId: campaign.id,
        taskId: a,
        taskVersionId: task.currentVersionId!,
      });
      const report = await db.report.create({
        data: {
          organisationId: organisation.id,
          campaignId: campaign.id,
          taskId: a,
          taskVersionId: task.currentVersionId!,
          assignmentId: assignment.id,
          values: {},
          idempotencyKey: `key-${uniqueSuffix()}`,
        },
      });
      await db.reportMetric.create({
        data: {
          reportId: report.id,
          organisationId: organisation.id,
          campaignId: campaign.id,
          taskId: a,
          metricKey: key,
          value: value,
        },
      });
    }
    expect(await getCampaignProgress({ campaignId: campaign.id })).toEqual({
      total: 20.5,
    });
    const overview = await getCampaignOverview({ actorId: user.id, campaignId: campaign.id });
    expect(overview.progress.total).toBe(20.5);
  });
});
