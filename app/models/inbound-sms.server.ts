import type { MessageStatus } from "~/generated/prisma/client.ts";
import { db } from "~/utils/db.server.ts";

/** Texts people send us, and the queries that answering them needs. */

/** Stores an inbound text once per provider id. `created` is false for a retried webhook. */
export async function recordInboundSms(data: {
  providerId: string;
  fromPhone: string;
  toPhone: string;
  body: string;
  userId: string | null;
  receivedAt: Date;
}): Promise<{ created: boolean }> {
  const { count } = await db.inboundSms.createMany({ data: [data], skipDuplicates: true });
  return { created: count === 1 };
}

export function getInboundSms({ providerId }: { providerId: string }) {
  return db.inboundSms.findUnique({
    select: { id: true, handledAs: true },
    where: { providerId },
  });
}

export function markInboundSmsHandled({
  providerId,
  handledAs,
}: {
  providerId: string;
  handledAs: string;
}) {
  return db.inboundSms.update({
    select: { id: true },
    where: { providerId },
    data: { handledAs },
  });
}

/** The person's open tasks, the one due soonest first. */
export function listOpenTasksForSms({ userId }: { userId: string }) {
  return db.assignment.findMany({
    select: {
      id: true,
      dueAt: true,
      taskVersion: { select: { title: true, fields: true } },
      campaign: { select: { title: true } },
    },
    where: { userId, status: "ASSIGNED" },
    orderBy: [{ dueAt: "asc" }, { assignedAt: "asc" }],
  });
}

/** A report made by text, with what the reply needs: its task and the task that followed. */
export function getReportForSmsReply({ idempotencyKey }: { idempotencyKey: string }) {
  return db.report.findUnique({
    select: {
      assignment: {
        select: {
          id: true,
          taskVersion: { select: { title: true, rules: true } },
          campaign: { select: { title: true } },
          next: { select: { id: true, taskVersion: { select: { title: true } } } },
        },
      },
    },
    where: { idempotencyKey },
  });
}

const OPEN_STATUSES: MessageStatus[] = ["QUEUED", "HELD", "SENT"];

/**
 * Records what the network said became of a text we sent. A message already DELIVERED or FAILED
 * keeps that (callbacks can arrive twice or out of order), so the first final word stands.
 */
export async function recordSmsDelivery({
  providerId,
  status,
  reason,
  at,
}: {
  providerId: string;
  status: "DELIVERED" | "FAILED";
  reason: string | null;
  at: Date;
}) {
  const message = await db.message.findFirst({
    select: { id: true, userId: true, toAddress: true },
    where: { providerId, channel: "SMS" },
  });
  if (!message) return null;
  const { count } = await db.message.updateMany({
    where: { id: message.id, status: { in: OPEN_STATUSES } },
    data:
      status === "DELIVERED"
        ? { status, deliveredAt: at }
        : { status, statusReason: reason?.slice(0, 500) ?? null },
  });
  return { ...message, updated: count === 1 };
}
