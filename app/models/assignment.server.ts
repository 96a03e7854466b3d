import type { Prisma, ReportSource } from "~/generated/prisma/client.ts";
import { db, type Tx } from "~/utils/db.server.ts";

/** Locks an assignment row for the rest of the transaction, so concurrent reports queue up. */
export async function lockAssignment({ tx, assignmentId }: { tx: Tx; assignmentId: string }) {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM "Assignment" WHERE id = ${assignmentId} FOR UPDATE`;
  if (rows.length === 0) return null;
  return tx.assignment.findUniqueOrThrow({
    select: {
      id: true,
      userId: true,
      campaignId: true,
      organisationId: true,
      taskId: true,
      status: true,
      taskVersion: { select: { id: true, taskId: true, fields: true, rules: true } },
      next: { select: { id: true } },
    },
    where: { id: assignmentId },
  });
}

export function findReportByKey({ tx, idempotencyKey }: { tx: Tx; idempotencyKey: string }) {
  return tx.report.findUnique({
    select: {
      id: true,
      assignmentId: true,
      userId: true,
      assignment: { select: { next: { select: { id: true } } } },
    },
    where: { idempotencyKey },
  });
}

export function readHistory({
  tx,
  userId,
  campaignId,
}: {
  tx: Tx;
  userId: string;
  campaignId: string;
}) {
  return tx.assignment.findMany({
    select: { taskId: true, status: true, closedAt: true },
    where: { userId, campaignId, status: { not: "ASSIGNED" } },
    orderBy: { assignedAt: "asc" },
  });
}

export function createAssignment({
  tx,
  data,
}: {
  tx: Tx;
  data: {
    organisationId: string;
    campaignId: string;
    taskId: string;
    taskVersionId: string;
    userId: string;
    dueAt: Date;
    assignedAt: Date;
    previousId: string | null;
  };
}) {
  return tx.assignment.create({ select: { id: true, dueAt: true }, data });
}

export function closeAssignment({
  tx,
  assignmentId,
  status,
  closedAt,
  skipReason,
}: {
  tx: Tx;
  assignmentId: string;
  status: "REPORTED" | "SKIPPED";
  closedAt: Date;
  skipReason?: string;
}) {
  return tx.assignment.update({
    select: { id: true },
    where: { id: assignmentId },
    data: { status, closedAt, skipReason: skipReason ?? null },
  });
}

export function createReport({
  tx,
  data,
  metrics,
}: {
  tx: Tx;
  data: {
    organisationId: string;
    campaignId: string;
    taskId: string;
    taskVersionId: string;
    assignmentId: string;
    userId: string;
    values: Prisma.InputJsonValue;
    feedback: string | null;
    source: ReportSource;
    idempotencyKey: string;
    district: string | null;
    createdAt: Date;
  };
  metrics: Array<{ metricKey: string; value: number }>;
}) {
  return tx.report.create({
    select: { id: true },
    data: {
      ...data,
      metrics: {
        create: metrics.map((metric) => ({
          organisationId: data.organisationId,
          campaignId: data.campaignId,
          taskId: data.taskId,
          metricKey: metric.metricKey,
          value: metric.value,
          district: data.district,
          createdAt: data.createdAt,
        })),
      },
      feedbackHandling: data.feedback ? { create: {} } : undefined,
    },
  });
}

/** The volunteer's own assignment, with what the task page and report form need. */
export function getVolunteerAssignment({
  assignmentId,
  userId,
}: {
  assignmentId: string;
  userId: string;
}) {
  return db.assignment.findFirst({
    select: {
      id: true,
      status: true,
      dueAt: true,
      assignedAt: true,
      closedAt: true,
      skipReason: true,
      taskVersion: {
        select: {
          id: true,
          taskId: true,
          title: true,
          instructions: true,
          location: true,
          durationMinutes: true,
          fields: true,
          rules: true,
        },
      },
      campaign: {
        select: {
          id: true,
          slug: true,
          title: true,
          metricKey: true,
          metricLabel: true,
          metricUnit: true,
          target: true,
          whyTakePart: true,
          whatWeDo: true,
          whatIsOpen: true,
        },
      },
      report: {
        select: {
          id: true,
          createdAt: true,
          metrics: { select: { metricKey: true, value: true } },
        },
      },
      next: { select: { id: true, dueAt: true, taskVersion: { select: { title: true } } } },
    },
    where: { id: assignmentId, userId },
  });
}

/** "My tasks": every campaign the volunteer is in, its open task, and their reports. */
export async function getVolunteerOverview({ userId }: { userId: string }) {
  const [open, reports, totals] = await Promise.all([
    db.assignment.findMany({
      select: {
        id: true,
        dueAt: true,
        taskVersion: { select: { title: true, location: true } },
        campaign: { select: { id: true, title: true } },
      },
      where: { userId, status: "ASSIGNED" },
      orderBy: { dueAt: "asc" },
    }),
    db.report.findMany({
      select: {
        id: true,
        createdAt: true,
        assignmentId: true,
        taskVersion: { select: { title: true } },
        campaign: { select: { title: true } },
      },
      where: { userId },
      orderBy: { createdAt: "desc" },
      take: 50,
    }),
    db.reportMetric.groupBy({
      by: ["campaignId", "metricKey"],
      _sum: { value: true },
      where: { report: { userId } },
    }),
  ]);
  const campaignIds = [...new Set([...totals.map((t) => t.campaignId)])];
  const campaigns = await db.campaign.findMany({
    select: { id: true, title: true, metricKey: true, metricLabel: true, metricUnit: true },
    where: { id: { in: campaignIds } },
  });
  return {
    open,
    reports,
    // Only numbers that feed each campaign's own objective count as the person's contribution.
    contributions: totals.flatMap((total) => {
      const campaign = campaigns.find((c) => c.id === total.campaignId);
      if (!campaign || campaign.metricKey !== total.metricKey) return [];
      return {
        campaignId: total.campaignId,
        campaignTitle: campaign.title,
        unit: campaign.metricUnit,
        total: Number(total._sum.value ?? 0),
      };
    }),
  };
}

/**
 * Closes a campaign's tasks that are still open `expireDays` after they were due, as EXPIRED: the
 * person is free again (a "we miss you" can reach them, and joining gives a new task), and the
 * task can still take a late report. The WHERE is checked again on each locked row, so a task
 * reported meanwhile stays reported.
 */
export async function expireOverdueAssignments({
  campaignId,
  dueBefore,
  now,
}: {
  campaignId: string;
  dueBefore: Date;
  now: Date;
}): Promise<number> {
  const { count } = await db.assignment.updateMany({
    where: { campaignId, status: "ASSIGNED", dueAt: { lt: dueBefore } },
    data: { status: "EXPIRED", closedAt: now },
  });
  return count;
}
