import { createElement, type ReactElement } from "react";
import CampaignUpdateEmail, { campaignUpdateSubject } from "./campaign-update.tsx";
import FeedbackReplyEmail, { feedbackReplySubject } from "./feedback-reply.tsx";
import LadderCompleteEmail, { ladderCompleteSubject } from "./ladder-complete.tsx";
import OrganiserDigestEmail, { organiserDigestSubject } from "./organiser-digest.tsx";
import OverdueEmail, { overdueSubject } from "./overdue.tsx";
import ReengageEmail, { reengageSubject } from "./reengage.tsx";
import ReminderEmail, { reminderSubject } from "./reminder.tsx";
import SignInLinkEmail, { signInLinkSubject } from "./sign-in-link.tsx";
import TaskAssignedEmail, { taskAssignedSubject } from "./task-assigned.tsx";
import TeamNudgeEmail, { teamNudgeSubject } from "./team-nudge.tsx";
import ThanksNextEmail, { thanksNextSubject } from "./thanks-next.tsx";

/**
 * Every email template, by name: how to build it from its props, its subject, and its preview
 * props (for /dev/outbox/templates). Presentation only: no database, no environment.
 */
type Template<P> = {
  element: (props: P) => ReactElement;
  subject: (props: P) => string;
  previewProps: P;
};

function template<P extends object>(
  component: ((props: P) => ReactElement) & { PreviewProps: NoInfer<P> },
  subject: (props: NoInfer<P>) => string,
): Template<P> {
  return {
    element: (props) => createElement(component, props),
    subject,
    previewProps: component.PreviewProps,
  };
}

export const EMAIL_TEMPLATES = {
  "sign-in-link": template(SignInLinkEmail, signInLinkSubject),
  "task-assigned": template(TaskAssignedEmail, taskAssignedSubject),
  reminder: template(ReminderEmail, reminderSubject),
  overdue: template(OverdueEmail, overdueSubject),
  "thanks-next": template(ThanksNextEmail, thanksNextSubject),
  "ladder-complete": template(LadderCompleteEmail, ladderCompleteSubject),
  reengage: template(ReengageEmail, reengageSubject),
  "organiser-digest": template(OrganiserDigestEmail, organiserDigestSubject),
  "feedback-reply": template(FeedbackReplyEmail, feedbackReplySubject),
  "campaign-update": template(CampaignUpdateEmail, campaignUpdateSubject),
  "team-nudge": template(TeamNudgeEmail, teamNudgeSubject),
};

export type TemplateName = keyof typeof EMAIL_TEMPLATES;

export const TEMPLATE_NAMES = Object.keys(EMAIL_TEMPLATES) as TemplateName[];

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(EMAIL_TEMPLATES, name);
}

/** A template filled with its preview props, and its subject. */
export function previewTemplate(name: TemplateName): { element: ReactElement; subject: string } {
  const entry = EMAIL_TEMPLATES[name] as Template<object>;
  return { element: entry.element(entry.previewProps), subject: entry.subject(entry.previewProps) };
}
