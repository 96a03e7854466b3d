import type { ReactElement } from "react";
import { EMAIL_TEMPLATES } from "../../emails/templates.ts";
import { DEFAULT_END_MESSAGE, parseRules } from "~/loop/engine.ts";
import type { MessageForDelivery } from "~/models/message.server.ts";
import { usableTimeZone } from "~/utils/contact-policy.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { dueWords, formatNumber } from "~/utils/format";
import { toGsm } from "~/utils/sms-text.ts";
import { unsubscribeUrl } from "~/utils/unsubscribe.server.ts";

/**
 * What a stored message says when it goes: rendered at delivery from the ids it carries, so a
 * message held overnight tells the truth in the morning ("Due tomorrow"). Emails come from the
 * React Email templates in emails/; texts are short plain sentences. A kind without a template
 * (the organiser digest, rendered when its numbers were taken) sends what is stored.
 */

export type RenderedMessage = { subject: string | null; text: string; html: string | null };

/** Extra facts some kinds show, read by the delivery transaction. */
export type RenderExtras = { pulse?: { recentReports: number; total: number } };

const STOP_LINE = "Reply STOP to stop texts.";

function stored(message: MessageForDelivery): RenderedMessage {
  return {
    subject: message.subject,
    text: message.bodyText,
    html: message.channel === "EMAIL" ? message.bodyHtml : null,
  };
}

export async function renderMessage({
  message,
  now,
  extras = {},
}: {
  message: MessageForDelivery;
  now: Date;
  extras?: RenderExtras;
}): Promise<RenderedMessage> {
  const assignment = message.assignment;
  if (!assignment) return stored(message);
  const appUrl = getEnv().APP_URL;
  const timeZone = usableTimeZone(message.user?.timezone ?? message.organisation?.timezone);
  const name = message.user?.name ?? null;
  const campaign = assignment.campaign.title;
  const title = assignment.taskVersion.title;
  const taskLink = `${appUrl}/tasks/${assignment.id}`;
  const due = dueWords(assignment.dueAt, now, timeZone);
  const unsubscribeLink =
    message.channel === "EMAIL" && message.userId
      ? unsubscribeUrl({ userId: message.userId, channel: "EMAIL" })
      : null;
  const email = message.channel === "EMAIL";

  const finish = async <P>(
    entry: { element: (props: P) => ReactElement; subject: (props: P) => string },
    props: P,
    sms: string,
  ): Promise<RenderedMessage> => {
    // GSM-7 text fits 153 characters a part rather than 67; the link is never cut.
    if (!email) return { subject: null, text: toGsm(sms), html: null };
    const rendered = await renderEmail(entry.element(props));
    return { subject: entry.subject(props), text: rendered.text, html: rendered.html };
  };

  switch (message.kind) {
    case "TASK_ASSIGNED":
      return finish(
        EMAIL_TEMPLATES["task-assigned"],
        {
          name,
          campaign,
          taskTitle: title,
          due,
          location: assignment.taskVersion.location,
          link: taskLink,
          unsubscribeLink,
        },
        `Onward: your task for ${campaign}: ${title}. ${due}. Open it: ${taskLink} ${STOP_LINE}`,
      );
    case "REMINDER":
      return finish(
        EMAIL_TEMPLATES.reminder,
        {
          name,
          campaign,
          taskTitle: title,
          due,
          link: taskLink,
          skipLink: `${taskLink}/skip`,
          unsubscribeLink,
        },
        `Onward reminder: ${title}. ${due}. ${taskLink} ${STOP_LINE}`,
      );
    case "OVERDUE":
      return finish(
        EMAIL_TEMPLATES.overdue,
        {
          name,
          campaign,
          taskTitle: title,
          link: `${taskLink}/report`,
          skipLink: `${taskLink}/skip`,
          unsubscribeLink,
        },
        `Onward: how did "${title}" go? Reply DONE and a number (like DONE 12) or report here: ${taskLink}/report ${STOP_LINE}`,
      );
    case "THANKS_NEXT": {
      const doneTitle = assignment.previous?.taskVersion.title ?? "your last task";
      return finish(
        EMAIL_TEMPLATES["thanks-next"],
        { name, campaign, doneTitle, nextTitle: title, due, link: taskLink, unsubscribeLink },
        `Onward: thank you! Your report on ${doneTitle} is in. Your next task: ${title}. ${due}. ${taskLink} ${STOP_LINE}`,
      );
    }
    case "LADDER_COMPLETE": {
      const endMessage =
        parseRules(assignment.taskVersion.rules).endMessage?.trim() || DEFAULT_END_MESSAGE;
      return finish(
        EMAIL_TEMPLATES["ladder-complete"],
        { name, campaign, endMessage, link: `${appUrl}/me`, unsubscribeLink },
        `Onward: ${endMessage} See what you did: ${appUrl}/me`,
      );
    }
    case "REENGAGE": {
      const pulse = extras.pulse ?? { recentReports: 0, total: 0 };
      const { target, metricLabel } = assignment.campaign;
      const progress = `${formatNumber(pulse.total)} of ${formatNumber(target)} ${metricLabel}`;
      const link = `${appUrl}/join/${assignment.campaign.slug}`;
      return finish(
        EMAIL_TEMPLATES.reengage,
        { name, campaign, recentReports: pulse.recentReports, progress, link, unsubscribeLink },
        `Onward: we miss you at ${campaign}! So far: ${progress}. Want a task? ${link} ${STOP_LINE}`,
      );
    }
    default:
      return stored(message);
  }
}
