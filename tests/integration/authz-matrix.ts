import { uniqueSuffix } from "../fixtures/people.ts";
import type { Form, Who, World } from "./authz-matrix-app.ts";

/**
 * Who may do what: for every route, the status each kind of person gets for GET and, where the
 * route has an action, for POST. authz-matrix.test.ts reads the route list the way `remix build`
 * does and fails for a route without an entry here, or an entry whose route is gone.
 *
 * Adding a route: add an entry under its route id (the file name under app/routes without the
 * extension, or the folder name for a folder route, prefixed with "routes/"). Give
 *   - path: the address to request, built from the world (a real campaign, task, assignment and
 *     person of organisation A; see createWorld in authz-matrix-app.ts),
 *   - get: the status for each of the six kinds of person,
 *   - post (only if the route exports an action): a form that would succeed for someone allowed,
 *     and the status each kind of person gets. Each POST runs in a fresh world.
 * A route without an action is checked to answer POST with 405.
 *
 * The people, all about organisation A unless said otherwise:
 *   signedOut        no session cookie
 *   volunteer        VOLUNTEER of A; the open and the reported assignment are theirs
 *   teamLead         TEAM_LEAD of A, leading a team (world.teamId) the volunteer is in
 *   otherOrganiser   ORGANISER of organisation B only
 *   organiser        ORGANISER of A
 *   owner            OWNER of A
 *
 * Statuses are what a browser gets: 302 is a redirect (to /sign-in for a signed-out person on a
 * private page), 404 is what someone without access sees for another person's or organisation's
 * things (we don't confirm they exist), 403 where the page itself is for a role they lack.
 */

export type Statuses = Record<Who, number>;

export type MatrixEntry = {
  path: (world: World) => string;
  get: Statuses;
  post?: { form: (world: World) => Form; expect: Statuses };
};

const every = (status: number): Statuses => ({
  signedOut: status,
  volunteer: status,
  teamLead: status,
  otherOrganiser: status,
  organiser: status,
  owner: status,
});

/** Any signed-in person; signed-out people are sent to sign in. */
const SIGNED_IN: Statuses = { ...every(200), signedOut: 302 };

/** Owners and organisers of organisation A; everyone else is told it isn't there. */
const ORGANISERS_OF_A: Statuses = {
  signedOut: 302,
  volunteer: 404,
  teamLead: 404,
  otherOrganiser: 404,
  organiser: 200,
  owner: 200,
};
const ORGANISERS_OF_A_WRITE: Statuses = { ...ORGANISERS_OF_A, organiser: 302, owner: 302 };

/** A page for owners of organisation A; anyone else lacks the role for it. */
const OWNERS_OF_A_PAGE: Statuses = {
  signedOut: 302,
  volunteer: 403,
  teamLead: 403,
  otherOrganiser: 403,
  organiser: 403,
  owner: 200,
};

/** The volunteer's own assignment; anyone else's is "not found". */
const OWN_ASSIGNMENT: Statuses = {
  signedOut: 302,
  volunteer: 200,
  teamLead: 404,
  otherOrganiser: 404,
  organiser: 404,
  owner: 404,
};
const OWN_ASSIGNMENT_WRITE: Statuses = { ...OWN_ASSIGNMENT, volunteer: 302 };

const campaignPath = (w: World) => `/org/campaigns/${w.campaign.id}`;

/** A task form that saves: the end of the ladder, no questions. */
const taskForm = (): Form => ({
  title: `Lead a team ${uniqueSuffix()}`,
  instructions: "Ask **two friends** to knock with you.",
  dueAfterDays: "7",
  defaultNext: "end",
  onSkip: "end",
});

const campaignForm = (w: World): Form => ({
  organisationId: w.orgA.id,
  title: `Cleaner Air ${uniqueSuffix()}`,
  description: "Count the idling cars outside schools.",
  metricLabel: "Cars counted",
  metricUnit: "cars",
  target: "500",
  whyTakePart: "Children breathe the fumes.",
  whatWeDo: "We take the counts to the council.",
  whatIsOpen: "Which schools we cover.",
});

/** Dev-only pages: not served unless OUTBOX_PREVIEW is on, which it is not in a deployment. */
const DEV_ONLY = every(404);

export const MATRIX: Record<string, MatrixEntry> = {
  "routes/_index": { path: () => "/", get: every(200) },
  "routes/$": { path: () => "/no-such-page", get: every(404) },
  "routes/healthz": { path: () => "/healthz", get: every(200) },

  // Signing in: open to all; a signed-in person is sent on from the sign-in page.
  "routes/sign-in._index": {
    path: () => "/sign-in",
    get: { ...every(302), signedOut: 200 },
    post: {
      form: () => ({ identifier: `someone-${uniqueSuffix()}@example.org` }),
      expect: every(302),
    },
  },
  "routes/sign-in.sent": { path: () => "/sign-in/sent", get: every(200) },
  // Without the pending-phone cookie the code page sends you back to /sign-in.
  "routes/sign-in.code": {
    path: () => "/sign-in/code",
    get: every(302),
    post: { form: () => ({ code: "123456" }), expect: every(302) },
  },
  // The token is the authority; a wrong one is refused whoever you are.
  "routes/auth.verify": {
    path: () => "/auth/verify?token=not-a-token",
    get: every(200),
    post: { form: () => ({ token: "not-a-token" }), expect: every(400) },
  },
  "routes/sign-out": {
    path: () => "/sign-out",
    get: every(302),
    post: { form: () => ({}), expect: every(302) },
  },

  // Volunteers.
  "routes/join.$slug": {
    path: (w) => `/join/${w.campaign.slug}`,
    get: every(200),
    // Signed out: signs up a new person. Signed in: joins as themselves.
    post: {
      form: () => ({
        intent: "join-as-member",
        name: "Nia",
        email: `nia-${uniqueSuffix()}@example.org`,
        postcode: "LS6 1AA",
        channel: "EMAIL",
      }),
      expect: every(302),
    },
  },
  "routes/me": { path: () => "/me", get: SIGNED_IN },
  "routes/account": {
    path: () => "/account",
    get: SIGNED_IN,
    // Turning emails off for oneself.
    post: {
      form: () => ({ intent: "consent", channel: "EMAIL", granted: "no" }),
      expect: every(302),
    },
  },
  "routes/account.data[.]json": { path: () => "/account/data.json", get: SIGNED_IN },
  "routes/account_.delete": {
    path: () => "/account/delete",
    get: SIGNED_IN,
    // Each person deletes their own account; an organisation's only owner can't.
    post: { form: () => ({ intent: "delete-account" }), expect: { ...every(302), owner: 400 } },
  },
  "routes/account_.deleted": { path: () => "/account/deleted", get: every(200) },
  "routes/privacy": { path: () => "/privacy", get: every(200) },
  // Public outcomes: the world's campaign hasn't been made public, so it isn't there for anyone.
  // public-outcomes.test.ts turns it on and expects 200 for all six.
  "routes/p.$slug._index": { path: (w) => `/p/${w.campaign.slug}`, get: every(404) },
  "routes/p.$slug.outcomes[.]json": {
    path: (w) => `/p/${w.campaign.slug}/outcomes.json`,
    get: every(404),
  },
  "routes/p.$slug.areas[.]csv": { path: (w) => `/p/${w.campaign.slug}/areas.csv`, get: every(404) },
  "routes/tasks.$id._index": { path: (w) => `/tasks/${w.openAssignmentId}`, get: OWN_ASSIGNMENT },
  "routes/tasks.$id.report": {
    path: (w) => `/tasks/${w.openAssignmentId}/report`,
    get: OWN_ASSIGNMENT,
    post: {
      form: () => ({
        signups: "4",
        feedback: "Good day.",
        idempotencyKey: `key-${uniqueSuffix()}`,
      }),
      expect: OWN_ASSIGNMENT_WRITE,
    },
  },
  "routes/tasks.$id.skip": {
    path: (w) => `/tasks/${w.openAssignmentId}/skip`,
    get: OWN_ASSIGNMENT,
    post: {
      form: () => ({ reason: "No time this week.", idempotencyKey: `key-${uniqueSuffix()}` }),
      expect: OWN_ASSIGNMENT_WRITE,
    },
  },
  "routes/tasks.$id.thanks": {
    path: (w) => `/tasks/${w.reportedAssignmentId}/thanks`,
    get: OWN_ASSIGNMENT,
  },
  // The signed token is the authority (no sign-in: the link is opened from an email).
  "routes/unsubscribe.$token": {
    path: (w) => `/unsubscribe/${w.unsubscribeToken}`,
    get: every(200),
    post: { form: () => ({ intent: "unsubscribe" }), expect: every(200) },
  },

  // Organisers. A person who organises another organisation is told A's things aren't there.
  "routes/org._index": {
    path: () => "/org",
    // The organiser of B sees B's campaigns (and none of A's: see org-people.test.ts and roles.test.ts).
    get: { ...ORGANISERS_OF_A, volunteer: 403, teamLead: 403, otherOrganiser: 200 },
  },
  "routes/org.campaigns.new": {
    path: () => "/org/campaigns/new",
    // The organiser of B gets the form for B; creating a campaign in A is refused.
    get: { ...ORGANISERS_OF_A, otherOrganiser: 200 },
    post: { form: campaignForm, expect: ORGANISERS_OF_A_WRITE },
  },
  "routes/org.campaigns.$campaignId._index": {
    path: campaignPath,
    get: ORGANISERS_OF_A,
    post: { form: () => ({ status: "PAUSED" }), expect: ORGANISERS_OF_A_WRITE },
  },
  "routes/org.campaigns.$campaignId.edit": {
    path: (w) => `${campaignPath(w)}/edit`,
    get: ORGANISERS_OF_A,
    post: {
      form: () => ({
        intent: "reminders",
        reminderHours: "6",
        overdueHours: "0",
        idleDays: "30",
        expireDays: "21",
      }),
      expect: ORGANISERS_OF_A_WRITE,
    },
  },
  "routes/org.campaigns.$campaignId.poster": {
    path: (w) => `${campaignPath(w)}/poster`,
    get: ORGANISERS_OF_A,
  },
  "routes/org.campaigns.$campaignId.public": {
    path: (w) => `${campaignPath(w)}/public`,
    get: ORGANISERS_OF_A,
    post: { form: () => ({ public: "on" }), expect: ORGANISERS_OF_A_WRITE },
  },
  "routes/org.campaigns.$campaignId.inbox._index": {
    path: (w) => `${campaignPath(w)}/inbox`,
    get: ORGANISERS_OF_A,
  },
  // The world's report has feedback ("Most people were out."), so it is an inbox item.
  "routes/org.campaigns.$campaignId.inbox.$itemId": {
    path: (w) => `${campaignPath(w)}/inbox/${w.reportedAssignmentId}`,
    get: ORGANISERS_OF_A,
    post: { form: () => ({ intent: "add-tag", tag: "leaflets" }), expect: ORGANISERS_OF_A_WRITE },
  },
  "routes/org.campaigns.$campaignId.updates._index": {
    path: (w) => `${campaignPath(w)}/updates`,
    get: ORGANISERS_OF_A,
  },
  // "filter" only refilters the form: nothing is written, whoever may see the page may post it.
  "routes/org.campaigns.$campaignId.updates.new": {
    path: (w) => `${campaignPath(w)}/updates/new`,
    get: ORGANISERS_OF_A,
    post: { form: () => ({ intent: "filter" }), expect: ORGANISERS_OF_A },
  },
  "routes/org.campaigns.$campaignId.reports": {
    path: (w) => `${campaignPath(w)}/reports`,
    get: ORGANISERS_OF_A,
  },
  "routes/org.campaigns.$campaignId.reports[.]csv": {
    path: (w) => `${campaignPath(w)}/reports.csv`,
    get: ORGANISERS_OF_A,
  },
  "routes/org.campaigns.$campaignId.participation[.]csv": {
    path: (w) => `${campaignPath(w)}/participation.csv`,
    get: ORGANISERS_OF_A,
  },
  "routes/org.campaigns.$campaignId.tasks.new": {
    path: (w) => `${campaignPath(w)}/tasks/new`,
    get: ORGANISERS_OF_A,
    post: { form: taskForm, expect: ORGANISERS_OF_A_WRITE },
  },
  "routes/org.campaigns.$campaignId.tasks.$taskId._index": {
    path: (w) => `${campaignPath(w)}/tasks/${w.tasks.team}`,
    get: ORGANISERS_OF_A,
    post: { form: taskForm, expect: ORGANISERS_OF_A_WRITE },
  },
  "routes/org.campaigns.$campaignId.tasks.$taskId.preview": {
    path: (w) => `${campaignPath(w)}/tasks/${w.tasks.doors}/preview`,
    get: ORGANISERS_OF_A,
  },
  // Champions and teams (ADR 019): organisers of A only; a team lead is told they aren't there.
  "routes/org.campaigns.$campaignId.champions": {
    path: (w) => `${campaignPath(w)}/champions`,
    get: ORGANISERS_OF_A,
    post: {
      form: (w) => ({ intent: "promote", userId: w.volunteer.id, name: `Team ${uniqueSuffix()}` }),
      expect: ORGANISERS_OF_A_WRITE,
    },
  },
  "routes/org.campaigns.$campaignId.teams": {
    path: (w) => `${campaignPath(w)}/teams`,
    get: ORGANISERS_OF_A,
    post: {
      form: (w) => ({ intent: "remove-member", teamId: w.teamId, userId: w.volunteer.id }),
      expect: ORGANISERS_OF_A_WRITE,
    },
  },
  "routes/org.people._index": { path: (w) => `/org/people?org=${w.orgA.id}`, get: ORGANISERS_OF_A },
  "routes/org.people.$userId": {
    path: (w) => `/org/people/${w.volunteer.id}`,
    get: ORGANISERS_OF_A,
  },
  "routes/org.reports": { path: (w) => `/org/reports?org=${w.orgA.id}`, get: ORGANISERS_OF_A },
  // Organisers may read the contact settings (they explain why a message waited); owners change them.
  "routes/org.settings": {
    path: (w) => `/org/settings?org=${w.orgA.id}`,
    get: ORGANISERS_OF_A,
    post: {
      form: (w) => ({
        organisationId: w.orgA.id,
        timezone: "Europe/London",
        quietStart: "21:00",
        quietEnd: "09:00",
        weeklyCap: "3",
      }),
      expect: { ...ORGANISERS_OF_A_WRITE, organiser: 404 },
    },
  },

  // Team leads: their own teams only. Anyone else who is signed in leads no team (403) and is
  // told the world's team isn't there (404).
  "routes/team._index": {
    path: () => "/team",
    get: { ...every(403), signedOut: 302, teamLead: 200 },
  },
  "routes/team.$teamId": {
    path: (w) => `/team/${w.teamId}`,
    get: { ...every(404), signedOut: 302, teamLead: 200 },
    post: {
      form: () => ({
        body: "Shall we knock on Elm Street on Saturday at 10?",
        idempotencyKey: `nudge-${uniqueSuffix()}`,
      }),
      expect: { ...every(404), signedOut: 302, teamLead: 302 },
    },
  },

  // Owners only: who did what to personal data and settings.
  "routes/org.audit": { path: (w) => `/org/audit?org=${w.orgA.id}`, get: OWNERS_OF_A_PAGE },

  // Owners only: outgoing webhooks (ADR 018). Adding one answers with its secret (200).
  "routes/org.settings_.webhooks": {
    path: (w) => `/org/settings/webhooks?org=${w.orgA.id}`,
    get: OWNERS_OF_A_PAGE,
    post: {
      form: () => ({
        intent: "create",
        url: "https://example.org/onward-hooks",
        events: ["report.created", "feedback.answered"],
      }),
      expect: OWNERS_OF_A_PAGE,
    },
  },
  // One webhook and its delivery log: anyone but an owner of A is told it isn't there.
  "routes/org.settings_.webhooks_.$endpointId": {
    path: (w) => `/org/settings/webhooks/${w.webhookEndpointId}`,
    get: { ...ORGANISERS_OF_A, organiser: 404 },
    // The world's webhook is off: turning it on.
    post: {
      form: () => ({ intent: "enable" }),
      expect: { ...ORGANISERS_OF_A_WRITE, organiser: 404 },
    },
  },

  // Development only.
  "routes/dev.outbox._index": { path: () => "/dev/outbox", get: DEV_ONLY },
  "routes/dev.outbox.$id": { path: (w) => `/dev/outbox/${w.messageId}`, get: DEV_ONLY },
  "routes/dev.outbox.$id.html": { path: (w) => `/dev/outbox/${w.messageId}/html`, get: DEV_ONLY },
  "routes/dev.outbox.templates.$name": {
    path: () => "/dev/outbox/templates/task-assigned",
    get: DEV_ONLY,
  },
  "routes/dev.outbox.templates.$name.html": {
    path: () => "/dev/outbox/templates/task-assigned/html",
    get: DEV_ONLY,
  },

  // Webhooks have their own authority (a signature or a shared secret); a session grants nothing.
  "routes/webhooks.sms.twilio": {
    path: () => "/webhooks/sms/twilio",
    get: every(405),
    post: { form: () => ({ From: "+447400123456", Body: "STOP" }), expect: every(403) },
  },
  "routes/webhooks.sms.twilio_.status": {
    path: () => "/webhooks/sms/twilio/status",
    get: every(405),
    post: { form: () => ({ MessageStatus: "delivered" }), expect: every(403) },
  },
  "routes/webhooks.email.inbound": {
    path: () => "/webhooks/email/inbound",
    get: every(405),
    post: {
      form: (w) => ({ to: `unsubscribe+${w.unsubscribeToken}@onward.local` }),
      expect: every(403),
    },
  },
};
