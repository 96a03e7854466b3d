import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseCrontab } from "graphile-worker";
import { describe, expect, it } from "vitest";
import { CRONTAB_FILE, loadTaskList } from "../../jobs/worker.ts";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import {
  joinVolunteer,
  keepOnlyJobs,
  listJobs,
  makeDue,
  messagesOf,
  runJobsOnce,
} from "../fixtures/nudges.ts";
import { addMember, createUser } from "../fixtures/people.ts";
import {
  queueOrganiserDigests,
  queueOverdueNudge,
  queueReminder,
  queueThanksAndNext,
  expireOverdueTasks,
  reengageIdleVolunteers,
} from "~/loop/nudges.server.ts";
import { joinAsMember, submitReport } from "~/loop/service.server.ts";
import { db } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { addJob } from "~/utils/jobs.server.ts";

const DAY = 24 * 60 * 60 * 1000;

function report(
  assignmentId: string,
  userId: string,
  values: Record<string, number | string | boolean>,
  { now = new Date(), source = "WEB" as "WEB" | "SMS" } = {},
) {
  return submitReport({
    assignmentId,
    userId,
    values,
    feedback: null,
    idempotencyKey: randomUUID(),
    source,
    now,
  });
}

async function nextOf(result: Awaited<ReturnType<typeof report>>) {
  if (!result.ok || !result.nextAssignmentId) throw new Error("expected a next task");
  return result.nextAssignmentId;
}

describe("reminders and overdue nudges", () => {
  it("a reminder after the task was reported does nothing; one for an open task writes the reminder", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { channel: "BOTH" });
    const next = await nextOf(
      await report(volunteer.assignmentId, volunteer.userId, { doors: 25, outcome: "Well" }),
    );
    const keys = [`remind:${volunteer.assignmentId}`, `remind:${next}`];
    await keepOnlyJobs(keys);
    await makeDue({ key: keys[0] });
    await makeDue({ key: keys[1] });

    expect(await runJobsOnce()).toEqual([]);
    const messages = await messagesOf(volunteer.userId);
    expect(
      messages.filter((m) => m.assignmentId === volunteer.assignmentId && m.kind === "REMINDER"),
    ).toEqual([]);
    const reminders = messages.filter((m) => m.kind === "REMINDER");
    // Written with their delivery jobs, which the same run then delivered.
    expect(reminders.map((m) => [m.assignmentId, m.channel, m.status])).toEqual([
      [next, "EMAIL", "SENT"],
      [next, "SMS", "SENT"],
    ]);
    expect(reminders.find((m) => m.channel === "SMS")?.bodyText).toMatch(
      /^Onward reminder: Run a street stall\. Due by \w+ \d+ \w+\. http:\/\/localhost:3000\/tasks\//,
    );
    expect(await listJobs()).toEqual([]);
  });

  it("a reminder that runs twice writes one message; one that runs after the due date writes none", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const now = new Date();
    expect(await queueReminder({ assignmentId: volunteer.assignmentId, now })).toEqual({
      queued: 1,
    });
    expect(await queueReminder({ assignmentId: volunteer.assignmentId, now })).toEqual({
      queued: 0,
    });
    const late = new Date(now.getTime() + 8 * DAY);
    const other = await joinVolunteer(setup);
    expect(await queueReminder({ assignmentId: other.assignmentId, now: late })).toEqual({
      queued: 0,
      skipped: "already due",
    });
  });

  it("the overdue nudge asks how it went, unless the task was skipped", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    expect(await queueOverdueNudge({ assignmentId: volunteer.assignmentId })).toEqual({
      queued: 1,
    });
    const [overdue] = (await messagesOf(volunteer.userId)).filter((m) => m.kind === "OVERDUE");
    expect(await deliverMessage({ messageId: overdue!.id })).toMatchObject({ outcome: "sent" });
    const sent = await db.message.findUniqueOrThrow({ where: { id: overdue!.id } });
    expect(sent.subject).toBe("How did it go? Knock on 20 doors");
    expect(sent.bodyText).toContain(`/tasks/${volunteer.assignmentId}/report`);

    const skipped = await joinVolunteer(setup);
    await db.assignment.update({
      where: { id: skipped.assignmentId },
      data: { status: "SKIPPED", closedAt: new Date() },
    });
    expect(await queueOverdueNudge({ assignmentId: skipped.assignmentId })).toEqual({
      queued: 0,
      skipped: "assignment skipped",
    });
  });
});

describe("thank-and-next", () => {
  it("after a report, one message per channel thanks and gives the next task", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { channel: "BOTH" });
    const next = await nextOf(
      await report(volunteer.assignmentId, volunteer.userId, { doors: 25, outcome: "Well" }),
    );
    const key = `thanks:${volunteer.assignmentId}`;
    await keepOnlyJobs([key]);
    expect(await runJobsOnce()).toEqual([]);
    const thanks = (await messagesOf(volunteer.userId)).filter((m) => m.assignmentId === next);
    expect(thanks.map((m) => [m.kind, m.channel])).toEqual([
      ["THANKS_NEXT", "EMAIL"],
      ["THANKS_NEXT", "SMS"],
    ]);

    // Delivered in the same run: the text says thanks and what's next, with the link.
    expect(thanks.every((m) => m.status === "SENT")).toBe(true);
    const text = thanks.find((m) => m.channel === "SMS")!;
    expect(text.bodyText).toContain("thank you! Your report on Knock on 20 doors is in.");
    expect(text.bodyText).toContain(`Your next task: Run a street stall.`);
    expect(text.bodyText).toContain(`/tasks/${next}`);
    const email = thanks.find((m) => m.channel === "EMAIL")!;
    expect(email.subject).toBe("Thank you! Your next task: Run a street stall");
    expect(email.bodyHtml).toContain(`/tasks/${next}`);
    // No separate "your task" message for the next task.
    expect(
      (await messagesOf(volunteer.userId)).filter((m) => m.kind === "TASK_ASSIGNED"),
    ).toHaveLength(2);

    // The job again writes nothing more.
    expect(await queueThanksAndNext({ assignmentId: volunteer.assignmentId })).toEqual({
      queued: 0,
    });
  });

  it("a report sent by text was answered by text: the thanks goes by email only", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { channel: "BOTH" });
    await report(
      volunteer.assignmentId,
      volunteer.userId,
      { doors: 25, outcome: "Well" },
      { source: "SMS" },
    );
    expect(await queueThanksAndNext({ assignmentId: volunteer.assignmentId })).toEqual({
      queued: 1,
    });
    const thanks = (await messagesOf(volunteer.userId)).filter((m) => m.kind === "THANKS_NEXT");
    expect(thanks.map((m) => m.channel)).toEqual(["EMAIL"]);
  });

  it("the end of the ladder is answered by the thank-and-next job: one thank-you for finishing", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const team = await nextOf(
      await report(volunteer.assignmentId, volunteer.userId, {
        doors: 30,
        outcome: "Well",
        would_lead: true,
      }),
    );
    await report(team, volunteer.userId, { doors: 60 });
    // The report's transaction wrote no message; its job answers it.
    const ladderComplete = async () =>
      (await messagesOf(volunteer.userId)).filter((m) => m.kind === "LADDER_COMPLETE");
    expect(await ladderComplete()).toEqual([]);
    expect(await listJobs({ key: `thanks:${team}` })).toHaveLength(1);
    expect(await queueThanksAndNext({ assignmentId: team })).toEqual({ queued: 1 });
    // Run twice (a retried job): still one message.
    expect(await queueThanksAndNext({ assignmentId: team })).toEqual({ queued: 0 });
    const [complete, ...more] = await ladderComplete();
    expect(more).toEqual([]);
    expect((await messagesOf(volunteer.userId)).filter((m) => m.kind === "THANKS_NEXT")).toEqual(
      [],
    );
    expect(await listJobs({ key: `deliver:${complete!.id}` })).toHaveLength(1);
    expect(await deliverMessage({ messageId: complete!.id })).toMatchObject({ outcome: "sent" });
    const sent = await db.message.findUniqueOrThrow({ where: { id: complete!.id } });
    expect(sent.subject).toBe("Thank you from Test campaign");
    expect(sent.bodyText).toContain("You did it all.");
  });
});

/** A volunteer who finished the ladder `daysAgo` days ago. */
async function finishedVolunteer(
  setup: Awaited<ReturnType<typeof createLadderCampaign>>,
  daysAgo: number,
) {
  const then = new Date(Date.now() - daysAgo * DAY);
  const volunteer = await joinVolunteer(setup, { now: then });
  const team = await nextOf(
    await report(
      volunteer.assignmentId,
      volunteer.userId,
      { doors: 30, outcome: "Well", would_lead: true },
      { now: then },
    ),
  );
  await report(team, volunteer.userId, { doors: 60 }, { now: then });
  return volunteer;
}

describe("re-engaging idle volunteers", () => {
  it("one 'we miss you' after idleDays, not again within idleDays, and at most twice", async () => {
    const setup = await createLadderCampaign();
    const idle = await finishedVolunteer(setup, 20);
    const recent = await finishedVolunteer(setup, 3);
    const busy = await joinVolunteer(setup, { now: new Date(Date.now() - 20 * DAY) });
    const now = new Date();

    await reengageIdleVolunteers({ now });
    const kinds = async (userId: string) =>
      (await messagesOf(userId)).filter((m) => m.kind === "REENGAGE");
    expect(await kinds(idle.userId)).toHaveLength(1);
    expect(await kinds(recent.userId)).toHaveLength(0);
    expect(await kinds(busy.userId)).toHaveLength(0);

    // Delivered: what's happening in the campaign, and a way back in.
    const [message] = await kinds(idle.userId);
    expect(await deliverMessage({ messageId: message!.id, now })).toMatchObject({
      outcome: "sent",
    });
    const sent = await db.message.findUniqueOrThrow({ where: { id: message!.id } });
    expect(sent.subject).toBe("We miss you at Test campaign");
    expect(sent.bodyText).toContain("So far: 180 of 100 doors knocked.");
    expect(sent.bodyText).toContain(`/join/${setup.campaign.slug}`);

    // The same day, and the next: nothing more.
    await reengageIdleVolunteers({ now });
    await reengageIdleVolunteers({ now: new Date(now.getTime() + DAY) });
    expect(await kinds(idle.userId)).toHaveLength(1);
    // After idleDays, a second; never a third.
    await reengageIdleVolunteers({ now: new Date(now.getTime() + 15 * DAY) });
    const second = (await kinds(idle.userId))[1];
    await db.message.update({
      where: { id: second!.id },
      data: { status: "SENT", sentAt: new Date(now.getTime() + 15 * DAY) },
    });
    await reengageIdleVolunteers({ now: new Date(now.getTime() + 30 * DAY) });
    expect(await kinds(idle.userId)).toHaveLength(2);
  });

  it("uses the campaign's idleDays", async () => {
    const setup = await createLadderCampaign();
    await db.campaign.update({
      where: { id: setup.campaign.id },
      data: { settings: { idleDays: 30 } },
    });
    const idle = await finishedVolunteer(setup, 20);
    await reengageIdleVolunteers({ now: new Date() });
    expect((await messagesOf(idle.userId)).filter((m) => m.kind === "REENGAGE")).toHaveLength(0);
  });
});

describe("expiring tasks left open long past their due date", () => {
  it("closes them after the campaign's expireDays, once; a late report is still taken", async () => {
    const setup = await createLadderCampaign();
    const now = new Date();
    // Joined 30 days ago: due 23 days ago (tasks are due a week after they are given).
    const stale = await joinVolunteer(setup, { now: new Date(now.getTime() - 30 * DAY) });
    const fresh = await joinVolunteer(setup, { now: new Date(now.getTime() - 10 * DAY) });
    const statusOf = async (id: string) =>
      (await db.assignment.findUniqueOrThrow({ where: { id } })).status;

    expect(await expireOverdueTasks({ now })).toEqual({ expired: 1 });
    expect(await statusOf(stale.assignmentId)).toBe("EXPIRED");
    expect(await statusOf(fresh.assignmentId)).toBe("ASSIGNED");
    expect(await expireOverdueTasks({ now })).toEqual({ expired: 0 });

    // Late, but done: the report counts and opens the follow-up.
    const late = await report(stale.assignmentId, stale.userId, { doors: 25, outcome: "Well" });
    expect(late).toMatchObject({ ok: true, repeated: false });
    expect(await statusOf(stale.assignmentId)).toBe("REPORTED");
    expect(await statusOf(await nextOf(late))).toBe("ASSIGNED");
  });

  it("a late report after the person took a new task keeps that one as their next", async () => {
    const setup = await createLadderCampaign();
    const now = new Date();
    const volunteer = await joinVolunteer(setup, { now: new Date(now.getTime() - 30 * DAY) });
    await expireOverdueTasks({ now });
    const again = await joinAsMember({
      campaignId: setup.campaign.id,
      organisationId: setup.organisation.id,
      userId: volunteer.userId,
      now,
    });
    expect(again.assignmentId).not.toBeNull();

    const late = await report(volunteer.assignmentId, volunteer.userId, { doors: 3 });
    expect(late).toMatchObject({ ok: true, nextAssignmentId: again.assignmentId });
    expect(
      await db.assignment.count({ where: { userId: volunteer.userId, status: "ASSIGNED" } }),
    ).toBe(1);
    expect(await db.report.count({ where: { assignmentId: volunteer.assignmentId } })).toBe(1);
  });

  it("uses the campaign's expireDays, and leaves other campaigns' settings alone", async () => {
    const patient = await createLadderCampaign();
    await db.campaign.update({
      where: { id: patient.campaign.id },
      data: { settings: { expireDays: 60 } },
    });
    const now = new Date();
    const volunteer = await joinVolunteer(patient, { now: new Date(now.getTime() - 30 * DAY) });
    await expireOverdueTasks({ now });
    expect(
      (await db.assignment.findUniqueOrThrow({ where: { id: volunteer.assignmentId } })).status,
    ).toBe("ASSIGNED");
  });
});

/** The first Monday 08:00 in Tokyo after now, as an instant (23:00 UTC on the Sunday). */
function nextTokyoMonday8am(now = new Date()) {
  const sunday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 23));
  while (sunday.getUTCDay() !== 0 || sunday.getTime() <= now.getTime()) {
    sunday.setUTCDate(sunday.getUTCDate() + 1);
  }
  return sunday;
}

describe("the organiser digest", () => {
  it("goes at 08:00 on Monday in the organisation's timezone to each owner and organiser", async () => {
    const setup = await createLadderCampaign();
    await db.organisation.update({
      where: { id: setup.organisation.id },
      data: { timezone: "Asia/Tokyo", name: "Tokyo Action" },
    });
    const owner = await createUser({ name: "Olu" });
    const organiser = await createUser({ name: "Priya" });
    const lead = await createUser({ name: "Lee" });
    await addMember({ userId: owner.id, organisationId: setup.organisation.id, role: "OWNER" });
    await addMember({
      userId: organiser.id,
      organisationId: setup.organisation.id,
      role: "ORGANISER",
    });
    await addMember({ userId: lead.id, organisationId: setup.organisation.id, role: "TEAM_LEAD" });

    const monday = nextTokyoMonday8am();
    const volunteer = await joinVolunteer(setup, { now: new Date(monday.getTime() - 2 * DAY) });
    await report(
      volunteer.assignmentId,
      volunteer.userId,
      { doors: 25, outcome: "Well" },
      {
        now: new Date(monday.getTime() - DAY),
      },
    );
    // The week before: one volunteer joined and reported 10 doors, so the digest can say what
    // changed.
    const earlier = await joinVolunteer(setup, { now: new Date(monday.getTime() - 10 * DAY) });
    await db.membership.updateMany({
      where: { userId: earlier.userId },
      data: { createdAt: new Date(monday.getTime() - 10 * DAY) },
    });
    await report(
      earlier.assignmentId,
      earlier.userId,
      { doors: 10, outcome: "Well" },
      { now: new Date(monday.getTime() - 9 * DAY) },
    );
    const optedOut = await joinVolunteer(setup, { consent: false });
    const [unsent] = await messagesOf(optedOut.userId);
    await deliverMessage({ messageId: unsent!.id });

    // An hour before, nothing; at 08:00 Tokyo time, one each.
    expect(
      await queueOrganiserDigests({ now: new Date(monday.getTime() - 60 * 60 * 1000) }),
    ).toMatchObject({ queued: 0 });
    await queueOrganiserDigests({ now: monday });
    const digests = await db.message.findMany({
      where: { kind: "ORGANISER_DIGEST", organisationId: setup.organisation.id },
    });
    expect(digests.map((d) => d.userId).sort()).toEqual([owner.id, organiser.id].sort());
    const digest = digests.find((d) => d.userId === owner.id)!;
    expect(digest.subject).toBe("Your week at Tokyo Action: 1 report, 2 new volunteers");
    expect(digest.bodyText).toContain("Hello Olu,");
    expect(digest.bodyText).toContain("2 new volunteers · 1 report · 1 message not sent");
    expect(digest.bodyText).toContain(
      "What changed: new volunteers up 1 on last week; reports the same as last week; messages not sent up 1 on last week.",
    );
    expect(digest.bodyText).toContain(
      "Test campaign: 35 of 100 doors knocked (35%), 25 this week (up 15 on last week).",
    );

    // Sent at 08:00 although that is inside quiet hours: it is work email, not a nudge. (Written
    // "then": this test wrote it days before the Monday it stands for.)
    await db.message.update({ where: { id: digest.id }, data: { createdAt: monday } });
    expect(await deliverMessage({ messageId: digest.id, now: monday })).toMatchObject({
      outcome: "sent",
    });
    // A second run in the same hour writes nothing more.
    await queueOrganiserDigests({ now: new Date(monday.getTime() + 10 * 60 * 1000) });
    expect(
      await db.message.count({
        where: { kind: "ORGANISER_DIGEST", organisationId: setup.organisation.id },
      }),
    ).toBe(2);

    // The cron job, through the worker, a week later: two more, delivered in the same run.
    const nextWeek = new Date(monday.getTime() + 7 * DAY);
    await keepOnlyJobs([]);
    await addJob({
      tx: db,
      task: "organiser-digest",
      payload: { _cron: { ts: nextWeek.toISOString(), backfilled: false } },
    });
    expect(await runJobsOnce()).toEqual([]);
    const later = await db.message.findMany({
      where: {
        kind: "ORGANISER_DIGEST",
        organisationId: setup.organisation.id,
        id: { notIn: digests.map((d) => d.id) },
      },
    });
    expect(later.map((d) => [d.status, d.transport])).toEqual([
      ["SENT", "preview"],
      ["SENT", "preview"],
    ]);
  });
});

describe("the worker's configuration", () => {
  it("the crontab parses and names only tasks that exist", async () => {
    const items = parseCrontab(await readFile(CRONTAB_FILE, "utf8"));
    const tasks = await loadTaskList();
    expect(items.map((item) => item.task).sort()).toEqual([
      "expire-assignments",
      "fold-report-days",
      "organiser-digest",
      "purge-old-messages",
      "reengage-idle",
      "requeue-stale-sending",
    ]);
    for (const item of items) expect(tasks[item.task]).toBeTypeOf("function");
    expect(Object.keys(tasks).sort()).toEqual([
      "apply-sms-status",
      "deliver-message",
      "deliver-webhook",
      "expire-assignments",
      "fold-report-days",
      "organiser-digest",
      "overdue-nudge",
      "purge-old-messages",
      "reengage-idle",
      "remind-before-due",
      "requeue-stale-sending",
      "thank-and-next",
    ]);
  });

  it("a job whose payload can't be used is reported once and dropped, not retried", async () => {
    await keepOnlyJobs([]);
    await addJob({ tx: db, task: "deliver-message", payload: { message: 42 } });
    const lines = await runJobsOnce();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Worker: Job \d+ \(deliver-message\) has a payload it can't use and was dropped: messageId/,
    );
    expect(await listJobs({ task: "deliver-message" })).toEqual([]);
  });
});
