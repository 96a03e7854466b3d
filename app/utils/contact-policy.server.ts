import {
  markMessageHeld,
  markMessageSuppressed,
  type ContactFacts,
  type MessageForDelivery,
} from "~/models/message.server.ts";
import { getContactFacts } from "~/models/nudge.server.ts";
import {
  classOf,
  decideContact,
  isOptedOut,
  NUDGE_KINDS,
  staleAtFor,
  type ContactDecision,
  type ContactInput,
} from "~/utils/contact-policy.ts";
import type { Tx } from "~/utils/db.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { addDeliveryJob } from "~/utils/jobs.server.ts";

/**
 * The contact policy (app/utils/contact-policy.ts) applied to a stored Message: loads what the
 * decision needs and records a hold or a suppression. Runs inside the delivery transaction, which
 * holds the message row and the person's contact lock, so two messages to one person can't both
 * take the last slot under the weekly cap.
 */

/** The dedupe key without its channel: the rows of one nudge on its channels share it. */
export function nudgeKey(dedupeKey: string) {
  return dedupeKey.replace(/:(EMAIL|SMS)$/, "");
}

export async function loadContactInput({
  tx,
  message,
  now,
}: {
  tx: Tx;
  message: MessageForDelivery;
  now: Date;
}): Promise<ContactInput> {
  const facts = await getContactFacts({
    tx,
    userId: message.userId,
    channel: message.channel,
    address: message.toAddress,
    now,
    kinds: classOf(message.kind) === "nudge" && message.userId ? NUDGE_KINDS : [],
    exceptKey: nudgeKey(message.dedupeKey),
  });
  return contactInputFor({ message, facts, now });
}

/**
 * The contact policy's input for a message, from the facts read about its person (by
 * loadContactInput, or by the delivery claim under the person's contact lock). The one place
 * that fills in the organisation's and the deployment's defaults.
 */
export function contactInputFor({
  message,
  facts,
  now,
}: {
  message: MessageForDelivery;
  facts: ContactFacts;
  now: Date;
}): ContactInput {
  const env = getEnv();
  const messageClass = classOf(message.kind);
  const organisation = message.organisation;
  return {
    now,
    channel: message.channel,
    messageClass,
    person: {
      timezone: message.user?.timezone ?? organisation?.timezone ?? env.DEFAULT_TIMEZONE,
    },
    optedOut: isOptedOut({ newestConsent: facts.newestConsent, messageClass }),
    suppressed: facts.suppression,
    quietHours: {
      start: organisation?.quietStart ?? env.QUIET_HOURS_START,
      end: organisation?.quietEnd ?? env.QUIET_HOURS_END,
    },
    sentInWindow: messageClass === "nudge" ? facts.sentInWindow : [],
    weeklyCap: organisation?.weeklyCap ?? 3,
    staleAt: staleAtFor(message.kind, {
      createdAt: message.createdAt,
      dueAt: message.assignment?.dueAt ?? null,
    }),
  };
}

/**
 * Decides for one message and records the outcome unless it is "send": a held message becomes
 * HELD with sendAfter = until and its delivery job moves to that time (job_key deliver:<id>); a
 * suppressed one becomes SUPPRESSED with the reason.
 */
export async function applyContactPolicy({
  tx,
  message,
  now,
}: {
  tx: Tx;
  message: MessageForDelivery;
  now: Date;
}): Promise<ContactDecision> {
  const decision = decideContact(await loadContactInput({ tx, message, now }));
  if (decision.action === "hold") {
    await markMessageHeld({ tx, id: message.id, until: decision.until, reason: decision.reason });
    await addDeliveryJob({ tx, messageId: message.id, runAt: decision.until });
  } else if (decision.action === "suppress") {
    await markMessageSuppressed({ tx, id: message.id, reason: decision.reason });
  }
  return decision;
}
