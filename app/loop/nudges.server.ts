import OrganiserDigestEmail, { organiserDigestSubject } from "../../emails/organiser-digest.tsx";
import { createElement } from "react";
import { expireOverdueAssignments } from "~/models/assignment.server.ts";
import { channelsFor, queueMessages, queueTaskMessages } from "~/models/message.server.ts";
import {
  getAssignmentForNudge,
  getDigestNumbers,
  getReportedAssignment,
  getVolunteerContact,
  listDigestRecipients,
  listIdleVolunteers,
  listLiveCampaigns,
  listOrganisationsForDigest,
} from "~/models/nudge.server.ts";
import { parseNudgeSettings } from "~/schemas/nudges.ts";
import { usableTimeZone, wallClock } from "~/utils/contact-policy.ts";
import { db } from "~/utils/db.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import type { JobSpec } from "~/utils/jobs.server.ts";
import { unsubscribeUrl } from "~/utils/unsubscribe.server.ts";

/**
 * The nudges around the loop. Scheduling happens in the loop's own transaction (service.server.ts);
 * the jobs in jobs/tasks call the rest when they run. Every job re-checks the state it is about and
 * writes outbox messages (with their delivery jobs) in one transaction; the deliver-message job
 * then applies the contact policy and sends.
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A reminder that would go within this long of the task itself adds nothing. */
const MIN_REMINDER_LEAD_MS = HOUR_MS;

/** Re-engage messages a volunteer gets without answering before we stop. */
export const MAX_UNANSWERED_REENGAGE = 2;

export const reminderJobKey = (assignmentId: string) => `remind:${assignmentId}`;
export const overdueJobKey = (assignmentId: string) => `overdue:${assignmentId}`;
export const thanksJobKey = (assignmentId: string) => `thanks:${assignmentId}`;

/**
 * The reminder (dueAt − reminderHours) and the overdue nudge (dueAt + overdueHours) of a new
 * assignment, keyed per assignment. Hours come from the campaign's settings (as the loop read them
 * with its ladder).
 */
export function assignmentNudgeJobs({
  assignment,
  settings,
  now,
}: {
  assignment: { id: string; dueAt: Date };
  settings: unknown;
  now: Date;
}): JobSpec[] {
  const { reminderHours, overdueHours } = parseNudgeSettings(settings);
  const due = assignment.dueAt.getTime();
  const remindAt = new Date(due - reminderHours * HOUR_MS);
  const jobs: JobSpec[] = [];
  if (reminderHours > 0 && remindAt.getTime() >= now.getTime() + MIN_REMINDER_LEAD_MS) {
    jobs.push({
      task: "remind-before-due",
      payload: { assignmentId: assignment.id },
      runAt: remindAt,
      jobKey: reminderJobKey(assignment.id),
    });
  }
  if (overdueHours > 0) {
    jobs.push({
      task: "overdue-nudge",
      payload: { assignmentId: assignment.id },
      runAt: new Date(due + overdueHours * HOUR_MS),
      jobKey: overdueJobKey(assignment.id),
    });
  }
  return jobs;
}

/** Right after a report is stored: "thank you, here's your next task" (thank-and-next job). */
export function thanksAndNextJob(assignmentId: string): JobSpec {
  return { task: "thank-and-next", payload: { assignmentId }, jobKey: thanksJobKey(assignmentId) };
}

export type NudgeOutcome = { queued: number; skipped?: string };

/** Is the assignment still worth nudging about? The reason not, or null. */
function notOpen(assignment: Awaited<ReturnType<typeof getAssignmentForNudge>>): string | null {
  if (!assignment) return "assignment gone";
  if (assignment.status !== "ASSIGNED") return `assignment ${assignment.status.toLowerCase()}`;
  if (assignment.campaign.status !== "LIVE") return "campaign not live";
  if (assignment.user.deletedAt) return "account deleted";
  return null;
}

/** remind-before-due: one reminder per assignment, if it is still open and not yet due. */
export function queueReminder({
  assignmentId,
  now,
}: {
  assignmentId: string;
  now: Date;
}): Promise<NudgeOutcome> {
  return db.$transaction(async (tx) => {
    const assignment = await getAssignmentForNudge({ tx, assignmentId });
    const skipped = notOpen(assignment);
    if (skipped || !assignment) return { queued: 0, skipped: skipped ?? "" };
    if (assignment.dueAt.getTime() <= now.getTime()) return { queued: 0, skipped: "already due" };
    const title = assignment.taskVersion.title;
    const ids = await queueMessages({
      tx,
      userId: assignment.userId,
      organisationId: assignment.organisationId,
      assignmentId,
      kind: "REMINDER",
      dedupeKey: `reminder:${assignmentId}`,
      channels: channelsFor(assignment.user),
      subject: `Reminder: ${title}`,
      bodyText: `A reminder about your task for ${assignment.campaign.title}: ${title}.`,
    });
    return { queued: ids.length };
  });
}

/** overdue-nudge: one "how did it go?" per assignment still open after it was due. */
export function queueOverdueNudge({
  assignmentId,
}: {
  assignmentId: string;
}): Promise<NudgeOutcome> {
  return db.$transaction(async (tx) => {
    const assignment = await getAssignmentForNudge({ tx, assignmentId });
    const skipped = notOpen(assignment);
    if (skipped || !assignment) return { queued: 0, skipped: skipped ?? "" };
    const title = assignment.taskVersion.title;
    const ids = await queueMessages({
      tx,
      userId: assignment.userId,
      organisationId: assignment.organisationId,
      assignmentId,
      kind: "OVERDUE",
      dedupeKey: `overdue:${assignmentId}`,
      channels: channelsFor(assignment.user),
      subject: `How did it go? ${title}`,
      bodyText: `How did "${title}" go? Report back or tell us you couldn't do it.`,
    });
    return { queued: ids.length };
  });
}

/**
 * thank-and-next: after a report, ONE message saying thank you and giving the next task; the
 * report's transaction does not write a separate "your next task" message. A report that ended the
 * ladder gets the thank-you for finishing (LADDER_COMPLETE) instead, on every channel the person
 * chose. A report sent by text was already answered by text with the news of the next task: no
 * second text then.
 */
export function queueThanksAndNext({
  assignmentId,
}: {
  assignmentId: string;
}): Promise<NudgeOutcome> {
  return db.$transaction(async (tx) => {
    const reported = await getReportedAssignment({ tx, assignmentId });
    if (!reported || reported.status !== "REPORTED") return { queued: 0, skipped: "not reported" };
    const next = reported.next;
    if (!next) {
      if (reported.user.deletedAt) return { queued: 0, skipped: "account deleted" };
      const ids = await queueTaskMessages({
        tx,
        userId: reported.userId,
        organisationId: reported.organisationId,
        kind: "LADDER_COMPLETE",
        assignmentId,
        dedupeKey: `ladder-complete:${assignmentId}`,
      });
      return { queued: ids.length };
    }
    if (next.status !== "ASSIGNED") return { queued: 0, skipped: "no open next task" };
    if (next.campaign.status !== "LIVE" || reported.user.deletedAt) {
      return { queued: 0, skipped: "campaign not live or account deleted" };
    }
    const channels = channelsFor(reported.user).filter(
      ({ channel }) => !(channel === "SMS" && reported.report?.source === "SMS"),
    );
    const ids = await queueMessages({
      tx,
      userId: reported.userId,
      organisationId: reported.organisationId,
      assignmentId: next.id,
      kind: "THANKS_NEXT",
      dedupeKey: `thanks-next:${next.id}`,
      channels,
      subject: `Thank you! Your next task: ${next.taskVersion.title}`,
      bodyText: `Thank you for reporting back on ${reported.taskVersion.title}. Your next task: ${next.taskVersion.title}. Open it here: ${getEnv().APP_URL}/tasks/${next.id}`,
    });
    return { queued: ids.length };
  });
}

/**
 * expire-assignments (daily): in each live campaign, tasks still open the campaign's expireDays
 * after they were due close as EXPIRED, so the person is free for the "we miss you" and a new
 * task. Running it twice changes nothing the second time.
 */
export async function expireOverdueTasks({ now }: { now: Date }): Promise<{ expired: number }> {
  let expired = 0;
  for (const campaign of await listLiveCampaigns()) {
    const { expireDays } = parseNudgeSettings(campaign.settings);
    expired += await expireOverdueAssignments({
      campaignId: campaign.id,
      dueBefore: new Date(now.getTime() - expireDays * DAY_MS),
      now,
    });
  }
  return { expired };
}

/**
 * reengage-idle (daily): one "we miss you" to each volunteer who has had no open task and sent no
 * report for the campaign's idleDays, at most once per idleDays and at most
 * MAX_UNANSWERED_REENGAGE times in a row. Keyed per person and day, so a re-run writes nothing.
 */
export async function reengageIdleVolunteers({
  now,
  limitPerCampaign = 500,
}: {
  now: Date;
  limitPerCampaign?: number;
}): Promise<{ queued: number; people: number }> {
  const day = now.toISOString().slice(0, 10);
  const done = new Set<string>();
  let queued = 0;
  for (const campaign of await listLiveCampaigns()) {
    const { idleDays } = parseNudgeSettings(campaign.settings);
    const idle = await listIdleVolunteers({
      campaignId: campaign.id,
      organisationId: campaign.organisationId,
      idleSince: new Date(now.getTime() - idleDays * DAY_MS),
      maxUnanswered: MAX_UNANSWERED_REENGAGE,
      limit: limitPerCampaign,
    });
    for (const { userId, lastAssignmentId } of idle) {
      if (done.has(userId)) continue;
      done.add(userId);
      queued += await db.$transaction(async (tx) => {
        const user = await getVolunteerContact({ tx, userId });
        if (!user || user.deletedAt) return 0;
        const ids = await queueMessages({
          tx,
          userId,
          organisationId: campaign.organisationId,
          assignmentId: lastAssignmentId,
          kind: "REENGAGE",
          dedupeKey: `reengage:${userId}:${day}`,
          channels: channelsFor(user),
          subject: "We miss you",
          bodyText: "We miss you. Here's what's happening, and a task if you have an hour.",
        });
        return ids.length;
      });
    }
  }
  return { queued, people: done.size };
}

const dayMonth = (timeZone: string) =>
  new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", timeZone });

/**
 * organiser-digest (hourly, see jobs/crontab): for each organisation where it is now Monday 08:xx
 * in its own timezone, an email to each owner and organiser with the last 7 days in numbers.
 * Rendered now (it is a snapshot) and keyed per organisation, person and local date.
 */
export async function queueOrganiserDigests({
  now,
}: {
  now: Date;
}): Promise<{ organisations: number; queued: number }> {
  const appUrl = getEnv().APP_URL;
  let organisations = 0;
  let queued = 0;
  for (const organisation of await listOrganisationsForDigest()) {
    const timeZone = usableTimeZone(organisation.timezone);
    const local = wallClock(now, timeZone);
    const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
    if (weekday !== 1 || Math.floor(local.minutes / 60) !== 8) continue;
    organisations += 1;
    const from = new Date(now.getTime() - 7 * DAY_MS);
    const numbers = await getDigestNumbers({ organisationId: organisation.id, from, to: now });
    const label = dayMonth(timeZone);
    const week = `${label.format(from)} to ${label.format(new Date(now.getTime() - DAY_MS))}`;
    const localDate = `${local.year}-${String(local.month).padStart(2, "0")}-${String(local.day).padStart(2, "0")}`;
    for (const { user } of await listDigestRecipients({ organisationId: organisation.id })) {
      if (!user.email) continue;
      const props = {
        name: user.name,
        organisation: organisation.name,
        week,
        ...numbers,
        link: `${appUrl}/org`,
        unsubscribeLink: unsubscribeUrl({ userId: user.id, channel: "EMAIL" }),
      };
      const email = await renderEmail(createElement(OrganiserDigestEmail, props));
      const ids = await db.$transaction((tx) =>
        queueMessages({
          tx,
          userId: user.id,
          organisationId: organisation.id,
          assignmentId: null,
          kind: "ORGANISER_DIGEST",
          dedupeKey: `digest:${organisation.id}:${user.id}:${localDate}`,
          channels: [{ channel: "EMAIL", to: user.email ?? "" }],
          subject: organiserDigestSubject(props),
          bodyText: email.text,
          bodyHtml: email.html,
        }),
      );
      queued += ids.length;
    }
  }
  return { organisations, queued };
}
