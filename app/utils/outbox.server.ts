import type { Channel } from "~/generated/prisma/client.ts";
import { createMessage, markMessageFailed, markMessageSent } from "~/models/message.server.ts";
import { sendEmail } from "~/utils/email.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { sendSms } from "~/utils/sms.server.ts";

export type TransactionalMessage = {
  userId: string | null;
  channel: Channel;
  kind: string;
  dedupeKey: string;
  to: string;
  subject?: string;
  text: string;
  html?: string;
  /** Stored instead of the body when the message really leaves the machine: no secrets at rest. */
  redacted: { text: string; html?: string };
};

export type SendResult = { ok: true; messageId: string } | { ok: false; error: string };

/**
 * Records and sends a message that a person is waiting for right now (a sign-in link or code).
 * These bypass the nudge queue and the contact policy's caps, but are still written to the
 * outbox so organisers and the person can see what was sent.
 */
export async function sendTransactional(message: TransactionalMessage): Promise<SendResult> {
  const env = getEnv();
  const staysHere = message.channel === "EMAIL" ? !env.SMTP_URL : env.SMS_PROVIDER === "preview";
  const keepBody = env.OUTBOX_PREVIEW && staysHere;
  const stored = keepBody ? { text: message.text, html: message.html } : message.redacted;
  const { id } = await createMessage({
    userId: message.userId,
    channel: message.channel,
    kind: message.kind,
    dedupeKey: message.dedupeKey,
    toAddress: message.to,
    subject: message.subject ?? null,
    bodyText: stored.text,
    bodyHtml: stored.html ?? null,
  });
  const result =
    message.channel === "EMAIL"
      ? await sendEmail({
          to: message.to,
          subject: message.subject ?? "",
          html: message.html ?? "",
          text: message.text,
        })
      : await sendSms({ to: message.to, body: message.text });
  if (result.ok) {
    await markMessageSent({ id, transport: result.transport, providerId: result.providerId });
    return { ok: true, messageId: id };
  }
  await markMessageFailed({ id, reason: result.error });
  return { ok: false, error: result.error };
}
