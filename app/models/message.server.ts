import type { Channel } from "~/generated/prisma/client.ts";
import { db } from "~/utils/db.server.ts";

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
