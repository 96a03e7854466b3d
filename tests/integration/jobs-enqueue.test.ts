import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { jobsAbout, joinVolunteer, listJobs } from "../fixtures/nudges.ts";
import { skipAssignment, submitReport } from "~/loop/service.server.ts";
import { db } from "~/utils/db.server.ts";
import { addJob, addJobs } from "~/utils/jobs.server.ts";

const NOW = new Date("2026-11-25T10:00:00Z");
const HOUR = 60 * 60 * 1000;

function report(assignmentId: string, userId: string, values: Record<string, unknown>) {
  return submitReport({
    assignmentId,
    userId,
    values: values as Record<string, number | string | boolean>,
    feedback: null,
    idempotencyKey: randomUUID(),
    source: "WEB",
    now: NOW,
  });
}

describe("jobs are enqueued in the loop's transaction", () => {
  it("signing up commits the delivery jobs, the reminder and the overdue nudge", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup, { channel: "BOTH", now: NOW });
    const messages = await db.message.findMany({ select: { id: true }, where: { userId } });
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      const [job] = await listJobs({ key: `deliver:${message.id}` });
      expect(job).toMatchObject({ task_identifier: "deliver-message", max_attempts: 12 });
      expect(job?.payload).toEqual({ messageId: message.id });
    }
    const due = new Date("2026-12-02T10:00:00Z");
    const [remind] = await listJobs({ key: `remind:${assignmentId}` });
    expect(remind).toMatchObject({ task_identifier: "remind-before-due" });
    expect(remind?.payload).toEqual({ assignmentId });
    expect(remind?.run_at).toEqual(new Date(due.getTime() - 24 * HOUR));
    const [overdue] = await listJobs({ key: `overdue:${assignmentId}` });
    expect(overdue).toMatchObject({ task_identifier: "overdue-nudge" });
    expect(overdue?.run_at).toEqual(new Date(due.getTime() + 24 * HOUR));
  });

  it("a report commits thank-and-next and the next task's nudges, but no separate 'your task' message", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup, { now: NOW });
    const result = await report(assignmentId, userId, { doors: 25, outcome: "Well" });
    expect(result.ok).toBe(true);
    const next = result.ok ? (result.nextAssignmentId ?? "") : "";
    const [thanks] = await listJobs({ key: `thanks:${assignmentId}` });
    expect(thanks).toMatchObject({ task_identifier: "thank-and-next" });
    expect(thanks?.payload).toEqual({ assignmentId });
    expect((await jobsAbout(next)).map((job) => job.key).sort()).toEqual([
      `overdue:${next}`,
      `remind:${next}`,
    ]);
    // The stall task is due in 14 days; its reminder 24 hours before.
    const [remind] = await listJobs({ key: `remind:${next}` });
    expect(remind?.run_at).toEqual(new Date(NOW.getTime() + 14 * 24 * HOUR - 24 * HOUR));
    expect(await db.message.count({ where: { userId, assignmentId: next } })).toBe(0);
  });

  it("a report that rolls back leaves no job behind", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup, { now: NOW });
    const before = await listJobs();
    // The last write of a report is its thank-and-next job: refuse it, after the next task and its
    // reminder and overdue jobs were written in the same transaction.
    await db.$executeRawUnsafe(`
      CREATE FUNCTION refuse_thank_and_next() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT identifier FROM graphile_worker._private_tasks WHERE id = NEW.task_id)
           = 'thank-and-next' THEN
          RAISE EXCEPTION 'refused for the test';
        END IF;
        RETURN NEW;
      END $$`);
    await db.$executeRawUnsafe(`
      CREATE TRIGGER refuse_thank_and_next BEFORE INSERT ON graphile_worker._private_jobs
      FOR EACH ROW EXECUTE FUNCTION refuse_thank_and_next()`);
    try {
      await expect(report(assignmentId, userId, { doors: 25, outcome: "Well" })).rejects.toThrow(
        /refused for the test/,
      );
    } finally {
      await db.$executeRawUnsafe(
        `DROP TRIGGER refuse_thank_and_next ON graphile_worker._private_jobs`,
      );
      await db.$executeRawUnsafe(`DROP FUNCTION refuse_thank_and_next()`);
    }
    expect(await listJobs()).toEqual(before);
    expect(await db.assignment.count({ where: { userId } })).toBe(1);
    expect(await db.report.count({ where: { assignmentId } })).toBe(0);

    // The same report, with nothing refused, commits all of it.
    const result = await report(assignmentId, userId, { doors: 25, outcome: "Well" });
    const next = result.ok ? (result.nextAssignmentId ?? "") : "";
    expect((await jobsAbout(next)).map((job) => job.task_identifier).sort()).toEqual([
      "overdue-nudge",
      "remind-before-due",
    ]);
    expect(await listJobs({ key: `thanks:${assignmentId}` })).toHaveLength(1);
  });

  it("addJob itself commits and rolls back with its transaction", async () => {
    const key = `test:${randomUUID()}`;
    await expect(
      db.$transaction(async (tx) => {
        await addJob({ tx, task: "overdue-nudge", payload: { assignmentId: "x" }, jobKey: key });
        expect(await listJobsIn(tx, key)).toHaveLength(1);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await listJobs({ key })).toEqual([]);
    await db.$transaction((tx) =>
      addJob({ tx, task: "overdue-nudge", payload: { assignmentId: "x" }, jobKey: key }),
    );
    expect(await listJobs({ key })).toHaveLength(1);
  });

  it("addJobs adds a batch in order, each key once, as add_job would one by one", async () => {
    const id = randomUUID();
    const [a, b, c] = [`test:${id}:a`, `test:${id}:b`, `test:${id}:c`];
    const early = new Date("2026-12-01T09:00:00Z");
    const late = new Date("2026-12-03T09:00:00Z");
    // c is there already, with a time a preserving add keeps.
    await addJob({ tx: db, task: "overdue-nudge", payload: { n: 0 }, jobKey: c, runAt: early });
    await db.$transaction((tx) =>
      addJobs({
        tx,
        jobs: [
          { task: "remind-before-due", payload: { n: 1 }, jobKey: a, runAt: early },
          { task: "overdue-nudge", payload: { n: 2 }, jobKey: b, runAt: early },
          // The same key again in the batch: the later one wins, as with two add_job calls.
          { task: "overdue-nudge", payload: { n: 3 }, jobKey: a, runAt: late },
          { task: "thank-and-next", payload: { n: 4, id } },
          {
            task: "overdue-nudge",
            payload: { n: 5 },
            jobKey: c,
            runAt: late,
            jobKeyMode: "preserve_run_at",
          },
        ],
      }),
    );
    const [jobA] = await listJobs({ key: a });
    expect(jobA).toMatchObject({ task_identifier: "overdue-nudge", max_attempts: 5, run_at: late });
    expect(jobA?.payload).toEqual({ n: 3 });
    const [jobB] = await listJobs({ key: b });
    expect(jobB?.payload).toEqual({ n: 2 });
    const [jobC] = await listJobs({ key: c });
    expect(jobC?.payload).toEqual({ n: 5 });
    expect(jobC?.run_at).toEqual(early);
    const keyless = await jobsAbout(id);
    expect(keyless.map((job) => [job.task_identifier, job.key, job.payload])).toEqual([
      ["thank-and-next", null, { n: 4, id }],
    ]);
    // Added in the order given: b before the keyless job.
    expect(BigInt(jobB!.id) < BigInt(keyless[0]!.id)).toBe(true);
  });

  it("a skip schedules the follow-up's nudges and its 'your task' message", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup, { now: NOW });
    const result = await skipAssignment({ assignmentId, userId, reason: "Busy", now: NOW });
    const next = result.ok ? (result.nextAssignmentId ?? "") : "";
    expect((await jobsAbout(next)).map((job) => job.task_identifier).sort()).toEqual([
      "overdue-nudge",
      "remind-before-due",
    ]);
    const [message] = await db.message.findMany({
      select: { id: true, kind: true },
      where: { userId, assignmentId: next },
    });
    expect(message?.kind).toBe("TASK_ASSIGNED");
    expect(await listJobs({ key: `deliver:${message?.id}` })).toHaveLength(1);
  });

  it("takes the delays from the campaign's settings; 0 turns a nudge off", async () => {
    const setup = await createLadderCampaign();
    await db.campaign.update({
      where: { id: setup.campaign.id },
      data: { settings: { reminderHours: 48, overdueHours: 0 } },
    });
    const { assignmentId } = await joinVolunteer(setup, { now: NOW });
    const [remind] = await listJobs({ key: `remind:${assignmentId}` });
    expect(remind?.run_at).toEqual(new Date("2026-11-30T10:00:00Z"));
    expect(await listJobs({ key: `overdue:${assignmentId}` })).toEqual([]);
  });

  it("bad settings fall back to the defaults", async () => {
    const setup = await createLadderCampaign();
    await db.campaign.update({
      where: { id: setup.campaign.id },
      data: { settings: { reminderHours: "soon", overdueHours: -3 } },
    });
    const { assignmentId } = await joinVolunteer(setup, { now: NOW });
    const [remind] = await listJobs({ key: `remind:${assignmentId}` });
    expect(remind?.run_at).toEqual(new Date("2026-12-01T10:00:00Z"));
    const [overdue] = await listJobs({ key: `overdue:${assignmentId}` });
    expect(overdue?.run_at).toEqual(new Date("2026-12-03T10:00:00Z"));
  });

  it("no reminder for a task due within the reminder period (it would arrive with the task)", async () => {
    const setup = await createLadderCampaign();
    await db.campaign.update({
      where: { id: setup.campaign.id },
      data: { settings: { reminderHours: 24 * 7 } },
    });
    const { assignmentId } = await joinVolunteer(setup, { now: NOW });
    expect(await listJobs({ key: `remind:${assignmentId}` })).toEqual([]);
  });
});

function listJobsIn(tx: Parameters<Parameters<typeof db.$transaction>[0]>[0], key: string) {
  return tx.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM graphile_worker.jobs WHERE key = ${key}`;
}
