import { DEFAULT_END_MESSAGE, parseFields, parseRules } from "~/loop/engine.ts";
import { submitReport } from "~/loop/service.server.ts";
import {
  getInboundSms,
  getReportForSmsReply,
  listOpenTasksForSms,
  markInboundSmsHandled,
  recordInboundSms,
  recordSmsDelivery,
} from "~/models/inbound-sms.server.ts";
import { liftSuppressions, suppressAddress } from "~/models/opt-out.server.ts";
import { findUserByPhone } from "~/models/user.server.ts";
import { buildReportSchema, type ReportValues } from "~/schemas/report.ts";
import type { ReportField } from "~/schemas/task.ts";
import { db } from "~/utils/db.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { addJob } from "~/utils/jobs.server.ts";
import { SUPPRESSING_ERROR_CODES } from "~/utils/sms/twilio.server.ts";

/**
 * What Onward does with a text someone sends it, and with delivery reports on texts it sent.
 *
 * Keywords (the whole text, any case, surrounding spaces and a final "." or "!" ignored):
 * - STOP, STOPALL, STOP ALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE: stop texts to the number
 *   at once. No reply: Twilio's default opt-out handling already sends its own confirmation (and
 *   would block ours).
 * - START, UNSTOP: texts again, with a confirmation.
 * - HELP, INFO: who we are and how to stop.
 * - DONE, DONE 12: report back on the sender's open task (the one due soonest) if its report form
 *   can be answered by text; otherwise a link to the form.
 * Anything else is kept and answered with guidance.
 */

const STOP_WORDS = new Set([
  "STOP",
  "STOPALL",
  "STOP ALL",
  "UNSUBSCRIBE",
  "CANCEL",
  "END",
  "QUIT",
  "OPTOUT",
  "REVOKE",
]);
const START_WORDS = new Set(["START", "UNSTOP"]);
const HELP_WORDS = new Set(["HELP", "INFO"]);

export type SmsCommand =
  | { kind: "STOP"; word: string }
  | { kind: "START"; word: string }
  | { kind: "HELP" }
  | { kind: "DONE"; answer: string | null }
  | { kind: "UNKNOWN" };

export function parseSmsCommand(body: string): SmsCommand {
  const text = body
    .trim()
    .replace(/\s+/g, " ")
    .replace(/[.!]+$/, "")
    .trim();
  const word = text.toUpperCase();
  if (STOP_WORDS.has(word)) return { kind: "STOP", word };
  if (START_WORDS.has(word)) return { kind: "START", word };
  if (HELP_WORDS.has(word)) return { kind: "HELP" };
  const done = /^done\b[\s:,-]*(.*)$/i.exec(text);
  if (done) {
    const rest = (done[1] ?? "").trim();
    // "DONE 12 doors" means 12: a number followed by words.
    const number = /^([-+]?[\d.,]*\d)\s+\p{L}[\p{L}\s]*$/u.exec(rest);
    return { kind: "DONE", answer: rest === "" ? null : (number?.[1] ?? rest) };
  }
  return { kind: "UNKNOWN" };
}

export type SmsReportPlan =
  | { kind: "report"; values: ReportValues }
  /** The form needs a number and the text had none. */
  | { kind: "needs-number"; field: ReportField }
  /** The text had an answer the form doesn't accept. */
  | { kind: "invalid"; message: string }
  /** More than a number is needed, or we can't tell what the number is: use the web form. */
  | { kind: "web" };

/**
 * Can this report form be answered by "DONE" or "DONE <number>"? Only when it has at most one
 * required field and that is a number (DONE 12 sets it); plain DONE only when nothing is required.
 * With nothing required, a number is taken only when the form has exactly one number question.
 */
export function planSmsReport(
  fields: readonly ReportField[],
  answer: string | null,
): SmsReportPlan {
  const required = fields.filter((field) => field.required);
  const [firstRequired] = required;
  if (required.length > 1 || (firstRequired && firstRequired.type !== "number")) {
    return { kind: "web" };
  }
  const numberFields = fields.filter((field) => field.type === "number");
  const target = firstRequired ?? (numberFields.length === 1 ? numberFields[0] : undefined);
  if (answer === null) {
    return firstRequired
      ? { kind: "needs-number", field: firstRequired }
      : { kind: "report", values: {} };
  }
  if (!target) return { kind: "web" };
  const schema = buildReportSchema([target]);
  const parsed = schema.safeParse({ [target.key]: answer, idempotencyKey: "sms-report" });
  if (!parsed.success) {
    const issue = parsed.error.issues.find((i) => i.path[0] === target.key);
    return { kind: "invalid", message: issue?.message ?? "Enter a number, like 12" };
  }
  const value = parsed.data[target.key];
  return { kind: "report", values: value === undefined ? {} : { [target.key]: value } };
}

const TITLE_MAX = 45;

function short(title: string) {
  const clean = title.replace(/\s+/g, " ").trim();
  return clean.length <= TITLE_MAX ? clean : `${clean.slice(0, TITLE_MAX - 3).trimEnd()}...`;
}

/** Fits one part with an APP_URL of up to 31 characters. */
function helpText(appUrl: string) {
  return `Onward: texts about your volunteering. To report back, reply DONE and a number, e.g. DONE 12. Your tasks: ${appUrl}/me Reply STOP to stop.`;
}

const START_REPLY = "You'll get texts from Onward again. Reply HELP for help, STOP to stop.";

type Sender = { id: string } | null;

type Outcome = { reply: string | null; handledAs: string };

function reportedReply({
  appUrl,
  assignment,
  several,
}: {
  appUrl: string;
  assignment: NonNullable<Awaited<ReturnType<typeof getReportForSmsReply>>>["assignment"];
  several: boolean;
}): string {
  const which = several ? ` (${short(assignment.campaign.title)})` : "";
  const thanks = `Thanks, your report on "${short(assignment.taskVersion.title)}"${which} is in.`;
  if (assignment.next) {
    return `${thanks} Your next task: ${short(assignment.next.taskVersion.title)} ${appUrl}/tasks/${assignment.next.id}`;
  }
  const end = parseRules(assignment.taskVersion.rules).endMessage?.trim() || DEFAULT_END_MESSAGE;
  return `${thanks} ${end}`;
}

async function reportBySms({
  sender,
  answer,
  messageSid,
  replay,
  now,
}: {
  sender: Sender;
  answer: string | null;
  messageSid: string;
  replay: boolean;
  now: Date;
}): Promise<Outcome> {
  const appUrl = getEnv().APP_URL;
  if (!sender) {
    return {
      reply: `We don't know this number, so we can't record that. Report back at ${appUrl}/me`,
      handledAs: "DONE_UNKNOWN_SENDER",
    };
  }
  const idempotencyKey = `sms-${messageSid}`;
  const earlier = await getReportForSmsReply({ idempotencyKey });
  // A retried webhook: the report is in; answer as the first time.
  if (earlier) {
    return {
      reply: reportedReply({ appUrl, assignment: earlier.assignment, several: false }),
      handledAs: "DONE_REPORTED",
    };
  }
  const tasks = await listOpenTasksForSms({ userId: sender.id });
  const [task] = tasks;
  if (!task) {
    return {
      reply: `You have no open tasks just now, so there's nothing to report. See your tasks: ${appUrl}/me`,
      handledAs: "DONE_NO_TASK",
    };
  }
  const several = tasks.length > 1;
  const title = `"${short(task.taskVersion.title)}"${several ? ` (${short(task.campaign.title)})` : ""}`;
  const formLink = `${appUrl}/tasks/${task.id}/report`;
  const plan = planSmsReport(parseFields(task.taskVersion.fields), answer);
  switch (plan.kind) {
    case "web":
      return {
        reply: `To report on ${title}, please use the form: ${formLink}`,
        handledAs: "DONE_NEEDS_WEB",
      };
    case "needs-number":
      return {
        reply: `To report on ${title}, reply DONE and the number (${short(plan.field.label)}), e.g. DONE 12. Or use the form: ${formLink}`,
        handledAs: "DONE_NEEDS_NUMBER",
      };
    case "invalid":
      return {
        reply: `${plan.message} for ${title}, e.g. DONE 12. Or use the form: ${formLink}`,
        handledAs: "DONE_INVALID",
      };
    case "report":
      break;
  }
  // Handled before without a report, and the tasks have moved on since: never report on another.
  if (replay) return { reply: `See your tasks: ${appUrl}/me`, handledAs: "DONE_REPLAY" };
  const result = await submitReport({
    assignmentId: task.id,
    userId: sender.id,
    values: plan.values,
    feedback: null,
    idempotencyKey,
    source: "SMS",
    now,
  });
  const stored = await getReportForSmsReply({ idempotencyKey });
  if (stored) {
    return {
      reply: reportedReply({ appUrl, assignment: stored.assignment, several }),
      handledAs: "DONE_REPORTED",
    };
  }
  return {
    reply: `${result.ok ? "We couldn't record that." : result.error} See your tasks: ${appUrl}/me`,
    handledAs: "DONE_REFUSED",
  };
}

async function respond({
  command,
  sender,
  from,
  messageSid,
  replay,
  now,
}: {
  command: SmsCommand;
  sender: Sender;
  from: string;
  messageSid: string;
  replay: boolean;
  now: Date;
}): Promise<Outcome> {
  const appUrl = getEnv().APP_URL;
  switch (command.kind) {
    case "STOP":
      if (!replay) {
        await suppressAddress({
          channel: "SMS",
          address: from,
          userId: sender?.id ?? null,
          reason: "SMS_STOP",
          detail: `Replied ${command.word}`,
          consent: {
            wording: `Replied ${command.word} to a text from Onward`,
            source: "sms-keyword",
          },
          now,
        });
      }
      return { reply: null, handledAs: "STOP" };
    case "START":
      if (!replay) {
        await liftSuppressions({
          channel: "SMS",
          address: from,
          userId: sender?.id ?? null,
          // Texting us shows the number takes texts, so an earlier bounce is lifted too.
          reasons: ["SMS_STOP", "UNSUBSCRIBED", "BOUNCE", "COMPLAINT"],
          consent: {
            wording: `Replied ${command.word} to a text from Onward`,
            source: "sms-keyword",
          },
          now,
        });
      }
      return { reply: START_REPLY, handledAs: "START" };
    case "HELP":
      return { reply: helpText(appUrl), handledAs: "HELP" };
    case "DONE":
      return reportBySms({ sender, answer: command.answer, messageSid, replay, now });
    case "UNKNOWN":
      return {
        reply: `Sorry, we didn't understand that. ${helpText(appUrl)}`,
        handledAs: "UNKNOWN",
      };
  }
}

/**
 * Stores a text and acts on it, once per MessageSid: a retried webhook is answered again but
 * changes nothing more (a DONE is reported once; STOP and START write once).
 */
export async function handleInboundSms({
  messageSid,
  from,
  to,
  body,
  now = new Date(),
}: {
  messageSid: string;
  from: string;
  to: string;
  body: string;
  now?: Date;
}): Promise<Outcome> {
  const sender = await findUserByPhone({ phone: from });
  const { created } = await recordInboundSms({
    providerId: messageSid,
    fromPhone: from,
    toPhone: to,
    body,
    userId: sender?.id ?? null,
    receivedAt: now,
  });
  // A copy whose first delivery was never finished (handledAs still empty) is handled in full;
  // every step is safe to repeat.
  const replay = !created && Boolean((await getInboundSms({ providerId: messageSid }))?.handledAs);
  const outcome = await respond({
    command: parseSmsCommand(body),
    sender: sender ? { id: sender.id } : null,
    from,
    messageSid,
    replay,
    now,
  });
  if (!replay)
    await markInboundSmsHandled({ providerId: messageSid, handledAs: outcome.handledAs });
  return outcome;
}

export type SmsStatusReport = {
  messageSid: string;
  status: string;
  errorCode: string | null;
  to: string | null;
};

/**
 * A delivery report on a text we sent: delivered, or failed with Twilio's error code. A code that
 * means the number can't take texts suppresses it. Other statuses (queued, sent…) change nothing:
 * the message was marked sent when Twilio accepted it.
 *
 * Twilio can report on a text before the send that made it has saved Twilio's id (the delivery
 * transaction commits after Twilio answers). A final report for an id we don't know yet is
 * therefore not dropped: `unknown: "defer"` (the webhook) queues an apply-sms-status job, which
 * tries again with backoff (`"retry"` throws while the id is unknown) and on its last attempt
 * (`"settle"`) acts on the address alone.
 */
export async function handleSmsStatus({
  messageSid,
  status,
  errorCode,
  to,
  now = new Date(),
  unknown = "settle",
}: SmsStatusReport & {
  now?: Date;
  unknown?: "defer" | "retry" | "settle";
}): Promise<{
  recorded: "DELIVERED" | "FAILED" | null;
  suppressed: boolean;
  deferred?: boolean;
}> {
  const final =
    status === "delivered"
      ? ("DELIVERED" as const)
      : status === "failed" || status === "undelivered"
        ? ("FAILED" as const)
        : null;
  if (!final) return { recorded: null, suppressed: false };
  const reason = errorCode ? `Twilio error ${errorCode} (${status})` : `Twilio: ${status}`;
  const message = await recordSmsDelivery({
    providerId: messageSid,
    status: final,
    reason: final === "FAILED" ? reason : null,
    at: now,
  });
  if (!message && unknown === "defer") {
    await addJob({
      tx: db,
      task: "apply-sms-status",
      payload: { messageSid, status, errorCode, to, at: now.toISOString() },
      jobKey: `sms-status:${messageSid}:${final}`,
      jobKeyMode: "preserve_run_at",
    });
    return { recorded: null, suppressed: false, deferred: true };
  }
  if (!message && unknown === "retry") {
    throw new Error(`No text with Twilio id ${messageSid} yet; will look again`);
  }
  const suppression = errorCode ? SUPPRESSING_ERROR_CODES[errorCode] : undefined;
  const address = message?.toAddress ?? to;
  let suppressed = false;
  if (final === "FAILED" && suppression && address) {
    const result = await suppressAddress({
      channel: "SMS",
      address,
      userId: message ? message.userId : ((await findUserByPhone({ phone: address }))?.id ?? null),
      reason: suppression,
      detail: reason,
      consent: null,
      now,
    });
    suppressed = result.suppressed;
  }
  return { recorded: message?.updated ? final : null, suppressed };
}
