import {
  assignedFromVersion,
  decideFirst,
  decideNext,
  ladderFromRows,
  parseFields,
  type Decision,
  type Outcome,
} from "~/loop/engine.ts";
import type { ReportField } from "~/schemas/task.ts";
import type { ReportValues } from "~/schemas/report.ts";
import type { ReportSource } from "~/generated/prisma/client.ts";
import {
  closeAssignmentSkipped,
  createAssignment,
  findReportByKey,
  lockForLoop,
  readLoopState,
  storeReport,
  type NewAssignment,
} from "~/models/assignment.server.ts";
import { readCampaignLadder, type LoopCampaign } from "~/models/ladder.server.ts";
import { queueTaskMessages } from "~/models/message.server.ts";
import { assignmentNudgeJobs, thanksAndNextJob } from "~/loop/nudges.server.ts";
import {
  createVolunteer,
  ensureVolunteerMembership,
  recordConsents,
} from "~/models/volunteer.server.ts";
import { recordReportCreated, recordVolunteerJoined } from "~/models/webhooks.server.ts";
import {
  db,
  isUniqueViolation,
  newId,
  sqlPool,
  sqlTransaction,
  type SqlTx,
  type Tx,
} from "~/utils/db.server.ts";
import { addJobs } from "~/utils/jobs.server.ts";

/**
 * Applies the loop engine's decisions. Each function is ONE database transaction: the report, the
 * closed assignment, the next assignment, the outbox rows and their jobs (delivery, the reminder
 * and overdue nudge of a new task, thank-and-next after a report) commit together or not at all.
 * A report speaks SQL straight to pg and is usually one statement, its own transaction (ADR 021);
 * the others use the ORM.
 */

export type LoopResult =
  | {
      ok: true;
      assignmentId: string;
      nextAssignmentId: string | null;
      endMessage: string | null;
      repeated: boolean;
    }
  | { ok: false; status: 404 | 409; error: string };

function ladderOf(campaign: LoopCampaign, rows: Parameters<typeof ladderFromRows>[0]["rows"]) {
  return ladderFromRows({ campaignId: campaign.id, firstTaskId: campaign.firstTaskId, rows });
}

async function openNext({
  tx,
  decision,
  campaign,
  userId,
  previousId,
  now,
}: {
  tx: Tx;
  decision: Decision;
  campaign: LoopCampaign;
  userId: string;
  previousId: string | null;
  now: Date;
}) {
  if (!decision.next) {
    await queueTaskMessages({
      tx,
      userId,
      organisationId: campaign.organisationId,
      kind: "LADDER_COMPLETE",
      assignmentId: previousId,
      dedupeKey: `ladder-complete:${previousId ?? campaign.id}`,
    });
    return null;
  }
  const next = await createAssignment({
    tx,
    data: nextAssignment(decision.next, campaign, userId, previousId, now),
  });
  await addJobs({
    tx,
    jobs: assignmentNudgeJobs({ assignment: next, settings: campaign.settings, now }),
  });
  await queueTaskMessages({
    tx,
    userId,
    organisationId: campaign.organisationId,
    kind: "TASK_ASSIGNED",
    assignmentId: next.id,
    dedupeKey: `task-assigned:${next.id}`,
  });
  return next.id;
}

/**
 * After a report: the next task to open, if the ladder has one, and the jobs that follow it. One
 * job answers the report (thank-and-next): thanks with the next task, or thanks for finishing the
 * ladder. The next task's reminder and overdue nudge come with it.
 */
function afterReport({
  decision,
  campaign,
  userId,
  reportedId,
  now,
}: {
  decision: Decision;
  campaign: LoopCampaign;
  userId: string;
  reportedId: string;
  now: Date;
}) {
  const next = decision.next
    ? { id: newId("asg"), ...nextAssignment(decision.next, campaign, userId, reportedId, now) }
    : null;
  const jobs = next
    ? assignmentNudgeJobs({ assignment: next, settings: campaign.settings, now })
    : [];
  jobs.push(thanksAndNextJob(reportedId));
  return { next, jobs };
}

function nextAssignment(
  next: NonNullable<Decision["next"]>,
  campaign: LoopCampaign,
  userId: string,
  previousId: string | null,
  now: Date,
): NewAssignment {
  return {
    organisationId: campaign.organisationId,
    campaignId: campaign.id,
    taskId: next.taskId,
    taskVersionId: next.versionId,
    userId,
    dueAt: next.dueAt,
    assignedAt: now,
    previousId,
  };
}

/** Gives a volunteer the campaign's first task, unless they already have one open there. */
export async function assignFirstTask({
  tx,
  campaignId,
  userId,
  now,
}: {
  tx: Tx;
  campaignId: string;
  userId: string;
  now: Date;
}) {
  const existing = await tx.assignment.findFirst({
    select: { id: true },
    where: { campaignId, userId, status: "ASSIGNED" },
  });
  if (existing) return existing.id;
  const { campaign, rows } = await readCampaignLadder({ tx, campaignId });
  const decision = decideFirst({ ladder: ladderOf(campaign, rows), now });
  return openNext({ tx, decision, campaign, userId, previousId: null, now });
}

type ReportInput = {
  assignmentId: string;
  userId: string;
  values: ReportValues;
  feedback: string | null;
  idempotencyKey: string;
  source: ReportSource;
  now: Date;
};

type LoopState = NonNullable<Awaited<ReturnType<typeof readLoopState>>>;

/** What a report on an assignment starts from: the task's fields, to check the form with. */
export type ReportStart = {
  assignmentId: string;
  userId: string;
  idempotencyKey: string | null;
  fields: ReportField[];
  state: LoopState;
};

/**
 * Reads what a report needs, before its form is checked: one read gives the task's fields for the
 * form and, passed to submitReport, everything the report's first try decides on. Null when the
 * task is not this person's or doesn't exist.
 */
export async function startReport({
  assignmentId,
  userId,
  idempotencyKey,
}: {
  assignmentId: string;
  userId: string;
  /** The form's key, if it is one the form's schema takes (else the read can't use it). */
  idempotencyKey: string | null;
}): Promise<ReportStart | null> {
  const state = await readLoopState({ tx: sqlPool, assignmentId, idempotencyKey });
  if (!state || state.assignment.userId !== userId) return null;
  const fields = parseFields(state.assignment.taskVersion.fields);
  return { assignmentId, userId, idempotencyKey, fields, state };
}

/** The report's first try found the assignment changed, or needs a transaction: try under a lock. */
const UNDER_LOCK = Symbol("under lock");

/**
 * Records a report and opens the follow-up task. A retried or double-submitted form (same
 * idempotency key) returns the first result.
 *
 * The first try takes no lock and opens no transaction: one read, the engine's decision, and one
 * statement that writes it all if the assignment's status is still the one read (ADR 021). If
 * another report or a skip got there in between, that statement changes nothing, and the report
 * is tried again in a transaction under the assignment's lock, where it is answered as a repeat or
 * refused. So is a report whose organisation has a webhook, whose event is a second statement.
 */
export async function submitReport({
  now = new Date(),
  start,
  ...rest
}: Omit<ReportInput, "now"> & {
  now?: Date;
  /** The read the form was checked against (startReport): the first try decides on it. */
  start?: ReportStart;
}): Promise<LoopResult> {
  const input = { ...rest, now };
  const read =
    start &&
    start.assignmentId === input.assignmentId &&
    start.userId === input.userId &&
    start.idempotencyKey === input.idempotencyKey
      ? start.state
      : undefined;
  try {
    const first = await reportOnce(sqlPool, input, { locked: false, read });
    if (first !== UNDER_LOCK) return first;
    const second = await sqlTransaction((tx) => reportOnce(tx, input, { locked: true }));
    if (second === UNDER_LOCK) throw new Error("A report under its assignment's lock was raced.");
    return second;
  } catch (error) {
    // Two submits with one key raced past the lookup: the loser reads what the winner stored.
    if (isUniqueViolation(error)) {
      const earlier = await findReportByKey({
        tx: db as unknown as Tx,
        idempotencyKey: input.idempotencyKey,
      });
      if (earlier?.assignmentId === input.assignmentId) {
        return {
          ok: true,
          assignmentId: input.assignmentId,
          nextAssignmentId: earlier.assignment.next?.id ?? null,
          endMessage: null,
          repeated: true,
        };
      }
      return {
        ok: false,
        status: 409,
        error: earlier
          ? "This form was already used for another report. Reload the page and try again."
          : "You've already reported back on this task.",
      };
    }
    throw error;
  }
}

async function reportOnce(
  tx: SqlTx,
  { assignmentId, userId, values, feedback, idempotencyKey, source, now }: ReportInput,
  { locked, read }: { locked: boolean; read?: LoopState },
): Promise<LoopResult | typeof UNDER_LOCK> {
  const state = locked
    ? await lockForLoop({ tx, assignmentId, idempotencyKey })
    : (read ?? (await readLoopState({ tx, assignmentId, idempotencyKey })));
  if (!state || state.assignment.userId !== userId) {
    return { ok: false, status: 404, error: "We can't find that task." };
  }
  const { assignment, earlier, campaign } = state;
  if (earlier) {
    if (earlier.assignmentId !== assignmentId || earlier.userId !== userId) {
      return {
        ok: false,
        status: 409,
        error: "This form was already used for another report. Reload the page and try again.",
      };
    }
    return {
      ok: true,
      assignmentId,
      nextAssignmentId: earlier.nextId,
      endMessage: null,
      repeated: true,
    };
  }
  // A task closed as expired still takes its report: the work was done, only late (a report
  // saved offline on a phone may arrive days after).
  if (assignment.status !== "ASSIGNED" && assignment.status !== "EXPIRED") {
    return {
      ok: false,
      status: 409,
      error:
        assignment.status === "REPORTED"
          ? "You've already reported back on this task."
          : "This task is closed, so it can't take a report.",
    };
  }
  // The webhook's event is a second statement: both go in one transaction.
  if (!locked && state.reportWebhooks) return UNDER_LOCK;
  const openSince = assignment.status === "EXPIRED" ? state.openId : null;
  const history = state.history.map((h) => ({
    taskId: h.taskId,
    status: h.status as "REPORTED" | "SKIPPED" | "EXPIRED" | "CANCELLED",
    closedAt: h.closedAt ?? now,
  }));
  const outcome: Outcome = { kind: "report", values };
  const decision = decideNext({
    ladder: ladderOf(campaign, state.ladderRows),
    assigned: assignedFromVersion(assignment.taskVersion),
    outcome,
    history,
    now,
  });
  // After a late report the person may have a task already (they came back meanwhile): that
  // one stays their next, and the report opens no other.
  const follow = openSince
    ? { next: null, jobs: [] }
    : afterReport({ decision, campaign, userId, reportedId: assignmentId, now });
  const stored = await storeReport({
    tx,
    data: {
      organisationId: assignment.organisationId,
      campaignId: assignment.campaignId,
      taskId: assignment.taskId,
      taskVersionId: assignment.taskVersion.id,
      assignmentId,
      status: assignment.status,
      userId,
      values,
      feedback,
      source,
      idempotencyKey,
      district: state.district,
      createdAt: now,
    },
    metrics: decision.metrics,
    ...follow,
  });
  if (!stored) return UNDER_LOCK;
  const nextAssignmentId = openSince ?? follow.next?.id ?? null;
  // Read with the rest: most organisations have no endpoint, and then no statement is sent.
  if (state.reportWebhooks) {
    await recordReportCreated({
      tx,
      organisationId: assignment.organisationId,
      assignmentId,
      nextAssignmentId,
      now,
    });
  }
  return {
    ok: true,
    assignmentId,
    nextAssignmentId,
    endMessage: decision.endMessage,
    repeated: false,
  };
}

/** "I can't do this": closes the task with the reason and opens the skip rule's task. */
export async function skipAssignment({
  assignmentId,
  userId,
  reason,
  now = new Date(),
}: {
  assignmentId: string;
  userId: string;
  reason: string;
  now?: Date;
}): Promise<LoopResult> {
  return db.$transaction(async (tx) => {
    const state = await lockForLoop({ tx, assignmentId });
    if (!state || state.assignment.userId !== userId) {
      return { ok: false, status: 404, error: "We can't find that task." } as const;
    }
    const { assignment, campaign } = state;
    if (assignment.status === "SKIPPED") {
      // A retried skip: the first one already opened the follow-up.
      return {
        ok: true,
        assignmentId,
        nextAssignmentId: assignment.nextId,
        endMessage: null,
        repeated: true,
      } as const;
    }
    if (assignment.status !== "ASSIGNED") {
      return { ok: false, status: 409, error: "This task is already closed." } as const;
    }
    const decision = decideNext({
      ladder: ladderOf(campaign, state.ladderRows),
      assigned: assignedFromVersion(assignment.taskVersion),
      outcome: { kind: "skip", reason },
      now,
    });
    await closeAssignmentSkipped({ tx, assignmentId, closedAt: now, skipReason: reason });
    const nextAssignmentId = await openNext({
      tx,
      decision,
      campaign,
      userId,
      previousId: assignmentId,
      now,
    });
    return {
      ok: true,
      assignmentId,
      nextAssignmentId,
      endMessage: decision.endMessage,
      repeated: false,
    } as const;
  });
}

/**
 * A new volunteer joins: their account, membership, consent per channel and first task are
 * written in one transaction, so nobody is ever signed up without a task (or the other way round).
 */
export async function signUpVolunteer({
  campaignId,
  organisationId,
  person,
  consents,
  now = new Date(),
}: {
  campaignId: string;
  organisationId: string;
  person: {
    name: string;
    email: string | null;
    phone: string | null;
    postcode: string;
    district: string;
    timezone: string;
    channelPreference: "EMAIL" | "SMS" | "BOTH";
  };
  consents: Array<{ channel: "EMAIL" | "SMS"; wording: string }>;
  now?: Date;
}): Promise<{ userId: string; assignmentId: string | null }> {
  return db.$transaction(async (tx) => {
    const user = await createVolunteer({ tx, data: person });
    await ensureVolunteerMembership({ tx, userId: user.id, organisationId });
    await recordConsents({
      tx,
      userId: user.id,
      organisationId,
      consents,
      source: `join:${campaignId}`,
    });
    const assignmentId = await assignFirstTask({ tx, campaignId, userId: user.id, now });
    await recordVolunteerJoined({
      tx,
      organisationId,
      campaignId,
      userId: user.id,
      assignmentId,
      now,
    });
    return { userId: user.id, assignmentId };
  });
}

/** A signed-in person joins another campaign: membership (if new) and the first task. */
export async function joinAsMember({
  campaignId,
  organisationId,
  userId,
  now = new Date(),
}: {
  campaignId: string;
  organisationId: string;
  userId: string;
  now?: Date;
}): Promise<{ assignmentId: string | null }> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId} FOR UPDATE`;
    await ensureVolunteerMembership({ tx, userId, organisationId });
    const assignmentId = await assignFirstTask({ tx, campaignId, userId, now });
    // Their participation row is written at commit, so one there already is from an earlier join.
    await recordVolunteerJoined({
      tx,
      organisationId,
      campaignId,
      userId,
      assignmentId,
      firstTimeOnly: true,
      now,
    });
    return { assignmentId };
  });
}
