import type pg from "pg";
import {
  claimForSending,
  DELIVERY_JOB_MAX_ATTEMPTS,
  finishSending,
  HELD_EARLY_MS,
  type ContactFacts,
  type DeliveryClient,
  type MessageForDelivery,
  type SendingOutcome,
} from "~/models/message.server.ts";
import { decideContact, NUDGE_KINDS, type ContactDecision } from "~/utils/contact-policy.ts";
import { contactInputFor } from "~/utils/contact-policy.server.ts";
import { db, pool as appPool } from "~/utils/db.server.ts";
import { sendEmail } from "~/utils/email.server.ts";
import { addDeliveryJob } from "~/utils/jobs.server.ts";
import { renderMessage, type RenderedMessage } from "~/utils/nudge-content.server.ts";
import { sendSms } from "~/utils/sms.server.ts";
import { listUnsubscribeHeaders } from "~/utils/unsubscribe.server.ts";

/**
 * Delivers one outbox message: the work of the deliver-message job.
 *
 * The claim is committed before the send. One autocommit statement claims the message (only a
 * QUEUED row, or a HELD one that is due, can be claimed; FOR UPDATE SKIP LOCKED), reads all that
 * the contact policy and the template need, and marks it SENDING; the send follows with no
 * transaction open; one more statement records the outcome (SENT, HELD, SUPPRESSED, or QUEUED /
 * FAILED after a failed attempt). A second worker that reaches the message meanwhile finds it
 * SENDING and leaves it, so a message already SENT (or SUPPRESSED, or FAILED) is never sent again,
 * and one being sent is sent by one worker only.
 *
 * Who is sending a SENDING message: the claim takes a session-level advisory lock on
 * "sending:<id>" on its database connection, and the statement that records the outcome releases
 * it. If the worker dies (or its connection does) in between, the lock goes with the session, and
 * the sweep (requeueStaleSending, run when a worker starts and every few minutes from
 * jobs/crontab) returns the message to QUEUED with a new job. That is the one gap, at the SMTP or
 * SMS edge: if the provider had accepted the message before the worker died, the person gets it
 * twice; so a crash duplicates at most the sends in flight (at most the worker's concurrency).
 *
 * The claim takes the person's contact lock for its statement, so two of their messages are
 * claimed one after the other, and the second counts the first (SENDING counts as sent now)
 * against the weekly cap.
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

/** A connection for one delivery, held from claim to outcome (graphile-worker's withPgClient). */
export type WithClient = <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/** Kinds about an open task: pointless once it is reported, skipped or closed. */
const NEEDS_OPEN_TASK = new Set(["TASK_ASSIGNED", "THANKS_NEXT", "REMINDER", "OVERDUE"]);

/** Why a message should no longer go at all, whatever the policy says; null if it should. */
function staleFact(
  message: MessageForDelivery,
  reengage: { openAssignments: number } | null,
): string | null {
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
  if (message.kind === "REENGAGE" && reengage && reengage.openAssignments > 0) {
    return "back in action";
  }
  return null;
}

async function send(message: MessageForDelivery, content: RenderedMessage) {
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

/** A connection of the app's pool, for callers outside the worker (tests, scripts). */
const withAppClient: WithClient = async (work) => {
  const client = await appPool.connect();
  let failed = false;
  try {
    return await work(client);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // A connection that failed mid-delivery is closed rather than reused: it may hold a claim's
    // lock, which must not outlive the delivery.
    client.release(failed);
  }
};

export async function deliverMessage({
  messageId,
  now = new Date(),
  attempt = 1,
  maxAttempts = 1,
  withClient = withAppClient,
}: {
  messageId: string;
  now?: Date;
  /** This attempt's number and how many the job gets: the last failure marks the message FAILED. */
  attempt?: number;
  maxAttempts?: number;
  withClient?: WithClient;
}): Promise<DeliveryResult> {
  return withClient((client) => deliverOn(client, { messageId, now, attempt, maxAttempts }));
}

async function deliverOn(
  client: DeliveryClient,
  {
    messageId,
    now,
    attempt,
    maxAttempts,
  }: { messageId: string; now: Date; attempt: number; maxAttempts: number },
): Promise<DeliveryResult> {
  const claim = await claimForSending({ client, id: messageId, now, nudgeKinds: NUDGE_KINDS });
  if (!claim) return { outcome: "skipped", reason: "not found" };
  if (!claim.claimed) {
    if (claim.status === "HELD" && claim.sendAfter.getTime() > now.getTime() + HELD_EARLY_MS) {
      // An early run (an older job for the message): make sure the right one is waiting.
      await addDeliveryJob({ tx: db, messageId, runAt: claim.sendAfter });
      return { outcome: "skipped", reason: "held until later" };
    }
    if (claim.status === "QUEUED" || claim.status === "HELD") return { outcome: "busy" };
    // Its sender records the outcome; if that sender died, the sweep sends it again.
    if (claim.status === "SENDING") return { outcome: "skipped", reason: "being sent" };
    return { outcome: "skipped", reason: `already ${claim.status.toLowerCase()}` };
  }

  const { message, facts, reengage } = claim;
  let result: DeliveryResult;
  let outcome: SendingOutcome;
  try {
    ({ result, outcome } = await decideAndSend({ message, facts, reengage, now }));
    if (result.outcome === "failed") {
      const final = attempt >= maxAttempts || result.final;
      result = { ...result, final };
      outcome = { status: final ? "FAILED" : "QUEUED", reason: result.error };
    }
  } catch (error) {
    // A fault of ours (not the provider's answer): the message goes back to QUEUED and the job
    // retries, as it would have had the transaction rolled back.
    const reason = error instanceof Error ? error.message : String(error);
    await record(client, messageId, { status: "QUEUED", reason });
    throw error;
  }
  await record(client, messageId, outcome);
  return result;
}

async function decideAndSend({
  message,
  facts,
  reengage,
  now,
}: {
  message: MessageForDelivery;
  facts: ContactFacts;
  reengage: { openAssignments: number; pulse: { recentReports: number; total: number } } | null;
  now: Date;
}): Promise<{ result: DeliveryResult; outcome: SendingOutcome }> {
  const fact = staleFact(message, reengage);
  if (fact) {
    return {
      result: { outcome: "suppressed", reason: fact },
      outcome: { status: "SUPPRESSED", reason: fact },
    };
  }
  const decision: ContactDecision = decideContact(contactInputFor({ message, facts, now }));
  if (decision.action === "hold") {
    return {
      result: { outcome: "held", until: decision.until, reason: decision.reason },
      outcome: { status: "HELD", at: decision.until, reason: decision.reason },
    };
  }
  if (decision.action === "suppress") {
    return {
      result: { outcome: "suppressed", reason: decision.reason },
      outcome: { status: "SUPPRESSED", reason: decision.reason },
    };
  }

  const content = await renderMessage({
    message,
    now,
    extras: reengage ? { pulse: reengage.pulse } : {},
  });
  const sent = await send(message, content);
  if (sent.ok) {
    return {
      result: { outcome: "sent", transport: sent.transport, providerId: sent.providerId },
      outcome: {
        status: "SENT",
        at: now,
        transport: sent.transport,
        providerId: sent.providerId,
        content,
      },
    };
  }
  const permanent = "permanent" in sent && sent.permanent === true;
  return {
    result: { outcome: "failed", error: sent.error, final: permanent },
    outcome: { status: "FAILED", reason: sent.error },
  };
}

/**
 * Records the outcome on the claim's connection, releasing its lock. If that connection fails
 * (the database restarted, say), the claim's session and lock are gone with it: the outcome is
 * recorded once more on a fresh connection, so that a message that did go is not sent again by the
 * sweep. If that fails too, the error goes up: the job retries, and the sweep requeues the message.
 */
async function record(client: DeliveryClient, id: string, outcome: SendingOutcome) {
  try {
    await finishSending({
      client,
      id,
      outcome,
      unlock: true,
      jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS,
    });
  } catch (error) {
    await finishSending({
      client: appPool,
      id,
      outcome,
      unlock: false,
      jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS,
    }).catch(() => {
      throw error;
    });
    // The claim's connection may still be up (the statement failed, not the link): its lock must
    // not go back into the pool with it.
    await client
      .query({
        text: `SELECT pg_advisory_unlock(hashtextextended('sending:' || $1, 0))`,
        values: [id],
      })
      .catch(() => {});
  }
}
