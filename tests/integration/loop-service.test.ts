import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLadderCampaign, DOORS_LADDER, saveVersion } from "../fixtures/ladder.ts";
import { createUser, ukMobile, uniqueSuffix } from "../fixtures/people.ts";
import { queueThanksAndNext, thanksAndNextJob } from "~/loop/nudges.server.ts";
import {
  joinAsMember,
  signUpVolunteer,
  skipAssignment,
  submitReport,
} from "~/loop/service.server.ts";
import { readLoopState, storeReport } from "~/models/assignment.server.ts";
import { getCampaignProgress } from "~/models/campaign.server.ts";
import { db, sqlPool } from "~/utils/db.server.ts";

const NOW = new Date("2026-11-25T10:00:00Z");

async function joinNew(
  setup: Awaited<ReturnType<typeof createLadderCampaign>>,
  channel: "EMAIL" | "SMS" | "BOTH" = "BOTH",
) {
  const suffix = uniqueSuffix();
  return signUpVolunteer({
    campaignId: setup.campaign.id,
    organisationId: setup.organisation.id,
    person: {
      name: `Vol ${suffix}`,
      email: `vol-${suffix}@example.org`,
      phone: ukMobile(),
      postcode: "LS6 1AA",
      district: "LS6",
      timezone: "Europe/London",
      channelPreference: channel,
    },
    consents: [
      { channel: "EMAIL", wording: "email ok" },
      { channel: "SMS", wording: "sms ok" },
    ],
    now: NOW,
  });
}

async function openAssignments(userId: string) {
  return db.assignment.findMany({
    where: { userId, status: "ASSIGNED" },
    select: { id: true, taskId: true, dueAt: true, taskVersionId: true },
  });
}

function report(
  assignmentId: string,
  userId: string,
  values: Record<string, number | string | boolean>,
  key = randomUUID(),
) {
  return submitReport({
    assignmentId,
    userId,
    values,
    feedback: null,
    idempotencyKey: key,
    source: "WEB",
    now: NOW,
  });
}

describe("signing up", () => {
  it("creates the volunteer, consents and first task in one go, and queues the 'your task' message", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    const [open] = await openAssignments(userId);
    expect(open?.id).toBe(assignmentId);
    expect(open?.taskId).toBe(setup.ids.doors);
    expect(open?.dueAt.toISOString()).toBe("2026-12-02T10:00:00.000Z");
    expect(await db.membership.findMany({ where: { userId }, select: { role: true } })).toEqual([
      { role: "VOLUNTEER" },
    ]);
    expect(await db.consent.count({ where: { userId, granted: true } })).toBe(2);
    const messages = await db.message.findMany({
      where: { userId },
      select: { kind: true, channel: true, status: true, bodyText: true },
    });
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.kind === "TASK_ASSIGNED" && m.status === "QUEUED")).toBe(true);
    expect(messages[0]?.bodyText).toContain("Knock on 20 doors");
    expect(messages[0]?.bodyText).toContain(`/tasks/${assignmentId}`);
  });

  it("writes nothing when any part fails", async () => {
    const setup = await createLadderCampaign();
    const existing = await createUser();
    await expect(
      signUpVolunteer({
        campaignId: setup.campaign.id,
        organisationId: setup.organisation.id,
        person: {
          name: "Dup",
          email: existing.email,
          phone: null,
          postcode: "LS6 1AA",
          district: "LS6",
          timezone: "Europe/London",
          channelPreference: "EMAIL",
        },
        consents: [{ channel: "EMAIL", wording: "ok" }],
        now: NOW,
      }),
    ).rejects.toThrow();
    expect(await db.assignment.count({ where: { campaignId: setup.campaign.id } })).toBe(0);
    expect(await db.consent.count({ where: { userId: existing.id } })).toBe(0);
  });
});

describe("reporting back picks the right follow-up", () => {
  it.each([
    [{ doors: 25, outcome: "Well", would_lead: true }, "team"],
    [{ doors: 20, outcome: "Well", would_lead: false }, "stall"],
    [{ doors: 20, outcome: "Well" }, "stall"],
    [{ doors: 19, outcome: "Hard", would_lead: true }, "doors"],
    [{ doors: 0, outcome: "Couldn't" }, "leaflets"],
  ] as const)("%o → %s", async (values, expected) => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    const result = await report(assignmentId!, userId, values);
    expect(result.ok).toBe(true);
    const open = await openAssignments(userId);
    expect(open).toHaveLength(1);
    expect(open[0]?.taskId).toBe(setup.ids[expected]);
    const stored = await db.report.findUniqueOrThrow({
      where: { assignmentId: assignmentId! },
      select: {
        values: true,
        district: true,
        metrics: { select: { metricKey: true, value: true } },
      },
    });
    expect(stored.values).toEqual(values);
    expect(stored.district).toBe("LS6");
    expect(stored.metrics.map((m) => [m.metricKey, Number(m.value)])).toEqual([
      ["doors", values.doors],
    ]);
    expect((await db.assignment.findUniqueOrThrow({ where: { id: assignmentId! } })).status).toBe(
      "REPORTED",
    );
  });

  it("ends the ladder with no open task and a thank-you message", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup, "EMAIL");
    await report(assignmentId!, userId, { doors: 30, outcome: "Well", would_lead: true });
    const [team] = await openAssignments(userId);
    const end = await report(team!.id, userId, { doors: 60 });
    expect(end).toMatchObject({ ok: true, nextAssignmentId: null, endMessage: "You did it all." });
    expect(await openAssignments(userId)).toHaveLength(0);
    // The report's thank-and-next job answers it with the thank-you for finishing.
    expect(await db.message.count({ where: { userId, kind: "LADDER_COMPLETE" } })).toBe(0);
    expect(await queueThanksAndNext({ assignmentId: team!.id })).toEqual({ queued: 1 });
    expect(await db.message.count({ where: { userId, kind: "LADDER_COMPLETE" } })).toBe(1);
  });

  it("20 simultaneous submits of one form record one report and one next task", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        report(assignmentId!, userId, { doors: 22, outcome: "Well" }, key),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(results.map((r) => (r.ok ? r.nextAssignmentId : null))).size).toBe(1);
    expect(await db.report.count({ where: { assignmentId: assignmentId! } })).toBe(1);
    expect(await db.assignment.count({ where: { userId, previousId: assignmentId! } })).toBe(1);
    expect(
      await db.reportMetric.count({ where: { report: { assignmentId: assignmentId! } } }),
    ).toBe(1);
  });

  it("one form's key sent for two tasks at once stores one report; the other is told to reload", async () => {
    const first = await createLadderCampaign();
    const second = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(first);
    const joined = await joinAsMember({
      campaignId: second.campaign.id,
      organisationId: second.organisation.id,
      userId,
      now: NOW,
    });
    const key = randomUUID();
    const results = await Promise.all(
      [assignmentId!, joined.assignmentId!].flatMap((id) =>
        Array.from({ length: 4 }, () => report(id, userId, { doors: 3, outcome: "Well" }, key)),
      ),
    );
    const stored = await db.report.findMany({ where: { idempotencyKey: key } });
    expect(stored).toHaveLength(1);
    // Every submit for the task that got the report is answered as done; every other is refused.
    for (const result of results) {
      if (result.ok) expect(result.assignmentId).toBe(stored[0]!.assignmentId);
      else {
        expect(result.status).toBe(409);
        expect(result.error).toMatch(/already used for another report/);
      }
    }
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    const other = stored[0]!.assignmentId === assignmentId ? joined.assignmentId! : assignmentId!;
    expect((await db.assignment.findUniqueOrThrow({ where: { id: other } })).status).toBe(
      "ASSIGNED",
    );
  });

  it("20 simultaneous different submits for one task: one wins, the rest are told it's done", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        report(assignmentId!, userId, { doors: i, outcome: "Well" }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.status === 409)).toHaveLength(19);
    expect(await db.report.count({ where: { assignmentId: assignmentId! } })).toBe(1);
    expect(await openAssignments(userId)).toHaveLength(1);
  });

  it("30 volunteers reporting at once each add to the campaign's total, which counts every one", async () => {
    const setup = await createLadderCampaign();
    const people = await Promise.all(Array.from({ length: 30 }, () => joinNew(setup)));
    const results = await Promise.all(
      people.map(({ userId, assignmentId }, i) =>
        report(assignmentId!, userId, { doors: i + 0.5, outcome: "Well" }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    // 0.5 + 1.5 + … + 29.5
    expect(await getCampaignProgress({ campaignId: setup.campaign.id })).toEqual({ total: 450 });
    const [{ sum }] = await db.$queryRaw<[{ sum: number }]>`
      SELECT sum(value)::float8 AS sum FROM "ReportMetric"
      WHERE "campaignId" = ${setup.campaign.id} AND "metricKey" = 'doors'`;
    expect(sum).toBe(450);
  });

  it("a report decided before a skip writes nothing; tried again, it is refused", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    // The report's first try reads without a lock; a skip lands before its write.
    const state = await readLoopState({ tx: sqlPool, assignmentId: assignmentId! });
    expect(state?.assignment.status).toBe("ASSIGNED");
    const skipped = await skipAssignment({ assignmentId: assignmentId!, userId, reason: "Ill" });
    expect(skipped.ok).toBe(true);
    const stored = await storeReport({
      tx: sqlPool,
      data: {
        organisationId: state!.assignment.organisationId,
        campaignId: state!.assignment.campaignId,
        taskId: state!.assignment.taskId,
        taskVersionId: state!.assignment.taskVersion.id,
        assignmentId: assignmentId!,
        status: "ASSIGNED",
        userId,
        values: { doors: 9, outcome: "Well" },
        feedback: "Lovely street",
        source: "WEB",
        idempotencyKey: randomUUID(),
        district: state!.district,
        createdAt: NOW,
      },
      metrics: [{ metricKey: "doors", value: 9 }],
      jobs: [thanksAndNextJob(assignmentId!)],
    });
    expect(stored).toBeNull();
    const jobs = await db.$queryRaw<unknown[]>`
      SELECT id FROM graphile_worker.jobs WHERE key = ${thanksAndNextJob(assignmentId!).jobKey}`;
    expect(jobs).toHaveLength(0);
    expect(await db.report.count({ where: { assignmentId: assignmentId! } })).toBe(0);
    expect(
      await db.reportMetric.count({ where: { report: { assignmentId: assignmentId! } } }),
    ).toBe(0);
    expect((await db.assignment.findUniqueOrThrow({ where: { id: assignmentId! } })).status).toBe(
      "SKIPPED",
    );
    // Sent in full, the same report reads the skip and is refused.
    expect(await report(assignmentId!, userId, { doors: 9, outcome: "Well" })).toMatchObject({
      ok: false,
      status: 409,
      error: "This task is closed, so it can't take a report.",
    });
  });

  it("refuses a report on someone else's task and writes nothing", async () => {
    const setup = await createLadderCampaign();
    const { assignmentId } = await joinNew(setup);
    const other = await createUser();
    expect(await report(assignmentId!, other.id, { doors: 5, outcome: "Well" })).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(await db.report.count({ where: { assignmentId: assignmentId! } })).toBe(0);
  });

  it("rolls everything back when the transaction fails part-way", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    // A metric too large for its column fails after the assignment was closed in the transaction.
    await expect(report(assignmentId!, userId, { doors: 1e15, outcome: "Well" })).rejects.toThrow();
    expect((await db.assignment.findUniqueOrThrow({ where: { id: assignmentId! } })).status).toBe(
      "ASSIGNED",
    );
    expect(await db.report.count({ where: { assignmentId: assignmentId! } })).toBe(0);
    expect(await openAssignments(userId)).toHaveLength(1);
  });
});

describe("skipping", () => {
  it("follows the skip rule, keeps the reason, and a retried skip does nothing more", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    const first = await skipAssignment({
      assignmentId: assignmentId!,
      userId,
      reason: "No time",
      now: NOW,
    });
    const again = await skipAssignment({
      assignmentId: assignmentId!,
      userId,
      reason: "No time",
      now: NOW,
    });
    expect(first.ok && again.ok && first.nextAssignmentId === again.nextAssignmentId).toBe(true);
    const open = await openAssignments(userId);
    expect(open.map((a) => a.taskId)).toEqual([setup.ids.leaflets]);
    expect(
      (await db.assignment.findUniqueOrThrow({ where: { id: assignmentId! } })).skipReason,
    ).toBe("No time");
  });
});

describe("editing a live ladder", () => {
  it("an open assignment keeps its version; the next step uses the current versions", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinNew(setup);
    const given = (await openAssignments(userId))[0]!;

    // The organiser changes the first task: any report now leads to the leaflets task.
    const doorsSpec = DOORS_LADDER[0]!;
    await saveVersion({
      taskId: setup.ids.doors!,
      task: {
        ...doorsSpec,
        title: "Knock on 30 doors",
        rules: (ids) => ({ defaultNext: ids.leaflets ?? null }),
      },
      ids: setup.ids,
      version: 2,
    });
    // …and renames the stall task.
    const stallSpec = DOORS_LADDER[1]!;
    const stallV2 = await saveVersion({
      taskId: setup.ids.stall!,
      task: { ...stallSpec, title: "Run a stall (new)" },
      ids: setup.ids,
      version: 2,
    });

    expect((await db.assignment.findUniqueOrThrow({ where: { id: given.id } })).taskVersionId).toBe(
      given.taskVersionId,
    );
    await report(assignmentId!, userId, { doors: 25, outcome: "Well" });
    const [next] = await openAssignments(userId);
    expect(next?.taskId).toBe(setup.ids.stall); // the version given still decides
    expect(next?.taskVersionId).toBe(stallV2); // …and the next task is the current version
  });
});
