import type { Channel } from "~/generated/prisma/client.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { getEnv } from "~/utils/env.server.ts";

export function createMessage(data: {
  userId: string | null;
  organisationId?: string | null;
  channel: Channel;
  kind: string;
  dedupeKey: string;
  toAddress: string;
  subject?: string | null;
  bodyText: string;
  bodyHtml?: string | null;
}) {
  return db.message.create({ select: { id: true }, data });
}

export function markMessageSent({
  id,
  transport,
  providerId,
}: {
  id: string;
  transport: string;
  providerId: string | null;
}) {
  return db.message.update({
    select: { id: true },
    where: { id },
    data: { status: "SENT", transport, providerId, sentAt: new Date(), attempts: { increment: 1 } },
  });
}

export function markMessageFailed({ id, reason }: { id: string; reason: string }) {
  return db.message.update({
    select: { id: true },
    where: { id },
    data: { status: "FAILED", statusReason: reason.slice(0, 500), attempts: { increment: 1 } },
  });
}

/** Messages for the development outbox page, newest first. */
export function listOutbox({ take = 100 }: { take?: number } = {}) {
  return db.message.findMany({
    select: {
      id: true,
      channel: true,
      kind: true,
      toAddress: true,
      subject: true,
      bodyText: true,
      status: true,
      statusReason: true,
      transport: true,
      createdAt: true,
    },
    orderBy: { createdAt: "desc" },
    take,
  });
}

export function getOutboxMessage({ id }: { id: string }) {
  return db.message.findUnique({
    select: {
      id: true,
      channel: true,
      kind: true,
      toAddress: true,
      subject: true,
      bodyText: true,
      bodyHtml: true,
      status: true,
      statusReason: true,
      transport: true,
      createdAt: true,
    },
    where: { id },
  });
}

type TaskMessageKind = "TASK_ASSIGNED" | "LADDER_COMPLETE";

/**
 * Writes "your task" / "you've finished" messages to the outbox, one per channel the volunteer
 * chose, inside the caller's transaction. Delivery (and the contact policy) happens later.
 */
export async function queueTaskMessages({
  tx,
  userId,
  organisationId,
  kind,
  assignmentId,
  dedupeKey,
}: {
  tx: Tx;
  userId: string;
  organisationId: string;
  kind: TaskMessageKind;
  assignmentId: string | null;
  dedupeKey: string;
}) {
  const [user, assignment] = await Promise.all([
    tx.user.findUniqueOrThrow({
      select: { name: true, email: true, phone: true, channelPreference: true },
      where: { id: userId },
    }),
    assignmentId
      ? tx.assignment.findUniqueOrThrow({
          select: {
            taskVersion: { select: { title: true } },
            campaign: { select: { title: true } },
          },
          where: { id: assignmentId },
        })
      : null,
  ]);
  const appUrl = getEnv().APP_URL;
  const title = assignment?.taskVersion.title ?? "";
  const campaign = assignment?.campaign.title ?? "your campaign";
  const text =
    kind === "TASK_ASSIGNED"
      ? `Your next task for ${campaign}: ${title}. Open it here: ${appUrl}/tasks/${assignmentId}`
      : `You've finished every task in ${campaign}. Thank you for everything you did!`;
  const subject =
    kind === "TASK_ASSIGNED" ? `Your next task: ${title}` : `Thank you from ${campaign}`;
  const channels: Array<{ channel: Channel; to: string }> = [];
  if (user.email && user.channelPreference !== "SMS")
    channels.push({ channel: "EMAIL", to: user.email });
  if (user.phone && user.channelPreference !== "EMAIL")
    channels.push({ channel: "SMS", to: user.phone });
  for (const { channel, to } of channels) {
    await tx.message.create({
      select: { id: true },
      data: {
        userId,
        organisationId,
        assignmentId,
        channel,
        kind,
        dedupeKey: `${dedupeKey}:${channel}`,
        toAddress: to,
        subject: channel === "EMAIL" ? subject : null,
        bodyText: text,
      },
    });
  }
}
