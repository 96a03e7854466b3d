import {
  claimMessageForDelivery,
  markMessageSuppressed,
  recordMessageAttemptFailed,
  recordMessageSent,
  type MessageForDelivery,
} from "~/models/message.server.ts";
import { countOpenAssignments, getCampaignPulse } from "~/models/nudge.server.ts";
import { applyContactPolicy } from "~/utils/contact-policy.server.ts";
import { db, type Tx } from "~/utils/db.server.ts";
import { sendEmail } from "~/utils/email.server.ts";
import { addDeliveryJob } from "~/utils/jobs.server.ts";
import { renderMessage, type RenderExtras } from "~/utils/nudge-content.server.ts";
import { sendSms } from "~/utils/sms.server.ts";
import { listUnsubscribeHeaders } from "~/utils/unsubscribe.server.ts";

/**
 * Delivers one outbox message: the work of the deliver-message job.
 *
 * Exactly-once, as far as the database can see: the message row is locked (FOR UPDATE SKIP LOCKED)
 * in a transaction that stays open across the send and commits the outcome. Only QUEUED and HELD
 * rows can be locked, so a message already SENT (or SUPPRESSED, or FAILED) is never sent again, and
 * a second worker that reaches the same message meanwhile skips it. The one gap is the SMTP or SMS
 * edge: if the process dies after the provider accepted the message but before the commit, the
 * row is still QUEUED when the job is retried, and the person gets it twice (at-least-once). The
 * claim also takes an advisory lock per person, so two of their messages are decided one after
 * the other and can't both take the last slot under the weekly cap.
 *
 * On the hot path a delivery is four statements: claim and read (one query), the contact facts
 * (one query), the send, and the SENT update; graphile-worker fetches and completes jobs in batches.
 */

export type DeliveryResult =
  | { outcome: "sent"; transport: string; providerId: string | null }
  | { outcome: "held"; until: Date; reason: string }
  | { outcome: "suppressed"; reason: string }
  | { outcome: "skipped"; reason: string }
  /** Another transaction holds the row: the job must retry, or the message could be lost if that
   * holder was a worker that died before committing. */
  | { outcome: "busy" }
  | { outcome: "failed"; error: string; final: boolean };

/** Longer than any send can take (nodemailer gives up after 10 s connecting + 30 s idle). */
const SEND_TRANSACTION_TIMEOUT_MS = 60_000;

/** Kinds about an open task: pointless once it is reported, skipped or closed. */
const NEEDS_OPEN_TASK = new Set(["TASK_ASSIGNED", "THANKS_NEXT", "REMINDER", "OVERDUE"]);

/** Why a message should no longer go at all, whatever the policy says; null if it should. */
async function staleFact(tx: Tx, message: MessageForDelivery): Promise<string | null> {
  if (message.user?.deletedAt) return "account deleted";
  const assignment = message.assignment;
  if (assignment && message.kind !== "ORGANISER_DIGEST") {
    if (NEEDS_OPEN_TASK.has(message.kind) && assignment.status !== "ASSIGNED") {
      return "task already closed";
    }
    if (assignment.campaign.status !== "LIVE") {
      return `campaign ${assignment.campaign.status.toLowerCase()}`;
    }
  }
  if (message.kind === "REENGAGE" && message.userId) {
    if ((await countOpenAssignments({ tx, userId: message.userId })) > 0) return "back in action";
  }
  return null;
}

async function extrasFor(tx: Tx, message: MessageForDelivery, now: Date): Promise<RenderExtras> {
  if (message.kind !== "REENGAGE" || !message.assignment) return {};
  const { campaign } = message.assignment;
  const pulse = await getCampaignPulse({
    tx,
    campaignId: campaign.id,
    metricKey: campaign.metricKey,
    since: new Date(now.getTime() - 30 * 24 * 60 * 60 * 1000),
  });
  return { pulse };
}

async function send(
  message: MessageForDelivery,
  content: Awaited<ReturnType<typeof renderMessage>>,
) {
  if (message.channel === "SMS") return sendSms({ to: message.toAddress, body: content.text });
  return sendEmail({
    to: message.toAddress,
    subject: content.subject ?? "A message from Onward",
    html: content.html ?? "",
    text: content.text,
    headers: message.userId
      ? listUnsubscribeHeaders({ userId: message.userId, channel: "EMAIL" })
      : undefined,
  });
}

export async function deliverMessage({
  messageId,
  now = new Date(),
  attempt = 1,
  maxAttempts = 1,
}: {
  messageId: string;
  now?: Date;
  /** This attempt's number and how many the job gets: the last failure marks the message FAILED. */
  attempt?: number;
  maxAttempts?: number;
}): Promise<DeliveryResult> {
  return db.$transaction(
    async (tx): Promise<DeliveryResult> => {
      const message = await claimMessageForDelivery({ tx, id: messageId });
      if (!message) {
        const current = await tx.message.findUnique({
          select: { status: true },
          where: { id: messageId },
        });
        if (!current) return { outcome: "skipped", reason: "not found" };
        if (current.status === "QUEUED" || current.status === "HELD") return { outcome: "busy" };
        return { outcome: "skipped", reason: `already ${current.status.toLowerCase()}` };
      }
      if (message.status === "HELD" && message.sendAfter.getTime() > now.getTime() + 60_000) {
        // An early run (an older job for the message): make sure the right one is waiting.
        await addDeliveryJob({ tx, messageId, runAt: message.sendAfter });
        return { outcome: "skipped", reason: "held until later" };
      }

      const fact = await staleFact(tx, message);
      if (fact) {
        await markMessageSuppressed({ tx, id: messageId, reason: fact });
        return { outcome: "suppressed", reason: fact };
      }
      const decision = await applyContactPolicy({ tx, message, now });
      if (decision.action === "hold") {
        return { outcome: "held", until: decision.until, reason: decision.reason };
      }
      if (decision.action === "suppress") return { outcome: "suppressed", reason: decision.reason };

      const content = await renderMessage({
        message,
        now,
        extras: await extrasFor(tx, message, now),
      });
      const result = await send(message, content);
      if (result.ok) {
        await recordMessageSent({
          tx,
          id: messageId,
          now,
          transport: result.transport,
          providerId: result.providerId,
          content,
        });
        return { outcome: "sent", transport: result.transport, providerId: result.providerId };
      }
      const final = attempt >= maxAttempts || ("permanent" in result && result.permanent === true);
      await recordMessageAttemptFailed({ tx, id: messageId, error: result.error, final });
      return { outcome: "failed", error: result.error, final };
    },
    { timeout: SEND_TRANSACTION_TIMEOUT_MS, maxWait: 10_000 },
  );
}
