import type { Channel, SuppressionReason } from "~/generated/prisma/client.ts";
import { db, type Tx } from "~/utils/db.server.ts";

/**
 * Opting out and back in: a Suppression (the address must not be contacted on the channel) and,
 * for a known person, a row in their consent log, written together. Every function is safe to
 * repeat: a second STOP, a retried webhook or a double click writes nothing more.
 */

export type ConsentNote = { wording: string; source: string };

/** Opt-outs that the person can lift themselves (START, "turn emails back on"). */
export const PERSONAL_OPT_OUTS: readonly SuppressionReason[] = ["UNSUBSCRIBED", "SMS_STOP"];

/** Serialises opt-out changes for one address, so two at once can't both write. */
async function lockAddress(tx: Tx, channel: Channel, address: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`opt-out:${channel}:${address.toLowerCase()}`}, 0))`;
}

/** Adds to the consent log unless its newest row for the channel already says the same. */
async function recordConsentChange({
  tx,
  userId,
  channel,
  granted,
  note,
  now,
}: {
  tx: Tx;
  userId: string;
  channel: Channel;
  granted: boolean;
  note: ConsentNote;
  now: Date;
}) {
  const newest = await tx.consent.findFirst({
    select: { granted: true },
    where: { userId, channel },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
  if (newest?.granted === granted) return false;
  await tx.consent.create({
    select: { id: true },
    data: {
      userId,
      channel,
      granted,
      wording: note.wording,
      source: note.source,
      createdAt: now,
    },
  });
  return true;
}

/**
 * Stops a channel for an address, and records the withdrawal for the person if `consent` is given.
 * With no address (a person whose email was removed) only the withdrawal is recorded.
 */
export function suppressAddress({
  channel,
  address,
  userId,
  reason,
  detail = null,
  consent,
  now = new Date(),
}: {
  channel: Channel;
  address: string | null;
  userId: string | null;
  reason: SuppressionReason;
  detail?: string | null;
  consent: ConsentNote | null;
  now?: Date;
}): Promise<{ suppressed: boolean; consentRecorded: boolean }> {
  return db.$transaction(async (tx) => {
    await lockAddress(tx, channel, address ?? `user:${userId}`);
    const active = address
      ? await tx.suppression.findFirst({
          select: { id: true },
          where: { channel, address, reason, liftedAt: null },
        })
      : null;
    const suppressed = address !== null && !active;
    if (address && !active) {
      await tx.suppression.create({
        select: { id: true },
        data: {
          channel,
          address,
          userId,
          reason,
          detail: detail?.slice(0, 500) ?? null,
          createdAt: now,
        },
      });
    }
    const consentRecorded =
      userId && consent
        ? await recordConsentChange({ tx, userId, channel, granted: false, note: consent, now })
        : false;
    return { suppressed, consentRecorded };
  });
}

/**
 * Lifts the address's (and the person's) active suppressions of the given reasons, and records the
 * renewed consent for the person if `consent` is given.
 */
export function liftSuppressions({
  channel,
  address,
  userId,
  reasons,
  consent,
  now = new Date(),
}: {
  channel: Channel;
  address: string | null;
  userId: string | null;
  reasons: readonly SuppressionReason[];
  consent: ConsentNote | null;
  now?: Date;
}): Promise<{ lifted: number; consentRecorded: boolean }> {
  return db.$transaction(async (tx) => {
    const owner = [...(address ? [{ address }] : []), ...(userId ? [{ userId }] : [])];
    await lockAddress(tx, channel, address ?? `user:${userId}`);
    const { count } =
      owner.length > 0
        ? await tx.suppression.updateMany({
            where: { channel, OR: owner, reason: { in: [...reasons] }, liftedAt: null },
            data: { liftedAt: now },
          })
        : { count: 0 };
    const consentRecorded =
      userId && consent
        ? await recordConsentChange({ tx, userId, channel, granted: true, note: consent, now })
        : false;
    return { lifted: count, consentRecorded };
  });
}

/** Has this person (or their address) opted out of the channel, and not opted back in? */
export async function hasOptedOut({
  userId,
  channel,
  address,
}: {
  userId: string;
  channel: Channel;
  address: string | null;
}): Promise<boolean> {
  const active = await db.suppression.findFirst({
    select: { id: true },
    where: {
      channel,
      OR: [{ userId }, ...(address ? [{ address }] : [])],
      reason: { in: [...PERSONAL_OPT_OUTS] },
      liftedAt: null,
    },
  });
  return active !== null;
}

/** Whom an unsubscribe link is for: a person with an account (a deleted one is not found). */
export function getUnsubscribeContact({ userId }: { userId: string }) {
  return db.user.findFirst({
    select: { id: true, email: true, phone: true },
    where: { id: userId, deletedAt: null },
  });
}
