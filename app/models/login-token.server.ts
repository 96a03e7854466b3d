import type { Channel } from "~/generated/prisma/client.ts";
import { db } from "~/utils/db.server.ts";

export function createLoginToken(data: {
  id: string;
  userId: string;
  channel: Channel;
  tokenHash: string;
  expiresAt: Date;
  redirectTo: string | null;
  ip: string | null;
}) {
  return db.loginToken.create({ select: { id: true }, data });
}

export function findLoginTokenByHash({ tokenHash }: { tokenHash: string }) {
  return db.loginToken.findUnique({
    select: {
      id: true,
      userId: true,
      channel: true,
      expiresAt: true,
      usedAt: true,
      redirectTo: true,
    },
    where: { tokenHash },
  });
}

/** The newest code texted to this person that is still open. */
export function findNewestOpenCode({ userId, now }: { userId: string; now: Date }) {
  return db.loginToken.findFirst({
    select: { id: true, tokenHash: true, attempts: true, redirectTo: true, expiresAt: true },
    where: { userId, channel: "SMS", usedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
  });
}

/** Marks a token used; false when another request used it first. */
export async function useLoginToken({ id, now }: { id: string; now: Date }): Promise<boolean> {
  const { count } = await db.loginToken.updateMany({
    where: { id, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  return count === 1;
}

export function recordWrongCode({ id }: { id: string }) {
  return db.loginToken.update({
    select: { attempts: true },
    where: { id },
    data: { attempts: { increment: 1 } },
  });
}

/** A new code replaces any earlier one still open. */
export function closeOpenCodes({ userId, now }: { userId: string; now: Date }) {
  return db.loginToken.updateMany({
    where: { userId, channel: "SMS", usedAt: null, expiresAt: { gt: now } },
    data: { expiresAt: now },
  });
}
