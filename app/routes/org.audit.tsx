import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { listAuditEvents } from "~/models/audit.server.ts";
import { ForbiddenError, OWNER_ROLES, chooseOrganisation } from "~/models/membership.server.ts";
import { AuditFilterSchema } from "~/schemas/privacy.ts";
import { formatFullDateTime, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Audit log – Onward" }];

const ACTION_WORDS: Record<string, string> = {
  "person.viewed": "Looked at a person's messages",
  "export.reports_csv": "Downloaded reports (CSV)",
  "export.participation_csv": "Downloaded participation (CSV)",
  "campaign.updated": "Changed a campaign's details",
  "campaign.nudges_updated": "Changed a campaign's reminders",
  "campaign.status_changed": "Changed a campaign's status",
  "task.created": "Added a task",
  "task.updated": "Changed a task",
  "task.archived": "Deleted a task",
  "organisation.settings_updated": "Changed the contact settings",
  "membership.role_set": "Changed someone's role",
  "account.deleted": "Deleted their own account",
  "inbox.replied": "Replied to a volunteer",
  "inbox.marked": "Marked a contribution",
  "inbox.tag_added": "Tagged a contribution",
  "inbox.tag_removed": "Removed a tag",
  "inbox.assigned": "Gave a contribution to a colleague",
  "update.sent": "Sent a campaign update",
  "campaign.public_page_on": "Made a campaign's outcomes public",
  "campaign.public_page_off": "Took a campaign's outcomes page down",
  "webhook.created": "Added a webhook",
  "webhook.updated": "Changed a webhook",
  "webhook.disabled": "Turned a webhook off",
  "webhook.enabled": "Turned a webhook on",
  "webhook.deleted": "Deleted a webhook",
  "webhook.secret_rolled": "Made a new webhook secret",
};

function actionWords(action: string) {
  return ACTION_WORDS[action] ?? action.replaceAll(/[._]/g, " ");
}

const SUBJECT_WORDS: Record<string, string> = {
  User: "Person",
  Campaign: "Campaign",
  Task: "Task",
  Organisation: "Organisation",
  WebhookEndpoint: "Webhook",
};

function plain(value: unknown): string {
  if (value === null || value === undefined || value === "") return "none";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  return JSON.stringify(value);
}

/** The event's detail in a line: what changed, from what to what. */
function detailWords(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  const changed = detail.changed;
  if (changed && typeof changed === "object" && !Array.isArray(changed)) {
    for (const [name, change] of Object.entries(changed as Record<string, unknown>)) {
      const { from, to } = (change ?? {}) as { from?: unknown; to?: unknown };
      parts.push(`${name}: ${plain(from)} → ${plain(to)}`);
    }
  } else if (Array.isArray(changed) && changed.length > 0) {
    parts.push(`changed ${changed.join(", ")}`);
  }
  if (typeof detail.from === "string" && typeof detail.to === "string") {
    parts.push(`${detail.from.toLowerCase()} → ${detail.to.toLowerCase()}`);
  }
  if (typeof detail.role === "string") parts.push(`made ${detail.role.toLowerCase()}`);
  const filters = detail.filters;
  if (filters && typeof filters === "object" && !Array.isArray(filters)) {
    const used = Object.entries(filters as Record<string, unknown>).map(
      ([name, value]) => `${name} ${plain(value)}`,
    );
    parts.push(used.length ? `filtered by ${used.join(", ")}` : "everything");
  }
  return parts.join("; ");
}

/**
 * /org/audit: the organisation's audit log, newest first, 50 a page, for its owners only.
 * Organisers, team leads, volunteers and other organisations' people get a 403. ?org=<id> picks
 * the organisation, ?action= narrows to one kind of event, ?page= pages.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const chosen = await chooseOrganisation({
    userId: user.id,
    wanted: url.searchParams.get("org"),
    roles: OWNER_ROLES,
  });
  if (chosen === "choose") throw redirect("/org");
  if (!chosen) throw new Response("Forbidden", { status: 403 });
  const organisation = chosen.organisation;
  const parsed = AuditFilterSchema.safeParse({
    action: url.searchParams.get("action") ?? undefined,
    page: url.searchParams.get("page") ?? undefined,
  });
  const filter = parsed.success ? parsed.data : { action: null, page: 1 };
  const found = await listAuditEvents({
    actorId: user.id,
    organisationId: organisation.id,
    action: filter.action,
    page: filter.page,
  }).catch((error: unknown) => {
    if (error instanceof ForbiddenError) throw new Response("Forbidden", { status: 403 });
    throw error;
  });
  const payload = {
    organisation,
    problem: parsed.success ? null : (parsed.error.issues[0]?.message ?? "That filter isn't right"),
    action: filter.action,
    page: found.page,
    pageCount: found.pageCount,
    total: found.total,
    actions: found.actions.map((action) => ({ value: action, label: actionWords(action) })),
    events: found.events.map((event) => ({
      id: event.id,
      when: formatFullDateTime(event.createdAt, organisation.timezone),
      at: event.createdAt.toISOString(),
      who: event.actor
        ? `${event.actor.name ?? "No name"}${event.actor.email ? ` (${event.actor.email})` : ""}`
        : "Onward",
      what: actionWords(event.action),
      subject: `${SUBJECT_WORDS[event.subjectType] ?? event.subjectType}: ${event.subjectName}`,
      subjectLink: !event.subjectFound
        ? null
        : event.subjectType === "User"
          ? `/org/people/${event.subjectId}`
          : event.subjectType === "Campaign"
            ? `/org/campaigns/${event.subjectId}`
            : event.subjectType === "Organisation"
              ? `/org/settings?org=${event.subjectId}`
              : null,
      detail: detailWords(event.detail),
    })),
  };
  return data(payload, { status: parsed.success ? 200 : 400 });
}

function pageLink({ org, action, page }: { org: string; action: string | null; page: number }) {
  const params = new URLSearchParams({ org });
  if (action) params.set("action", action);
  if (page > 1) params.set("page", String(page));
  return `/org/audit?${params.toString()}`;
}

export default function AuditLog() {
  const { organisation, problem, action, page, pageCount, total, actions, events } =
    useLoaderData<typeof loader>();
  const link = (to: number) => pageLink({ org: organisation.id, action, page: to });
  return (
    <>
      <p>
        <Link to="/org">Back to campaigns</Link>
      </p>
      <h1>Audit log</h1>
      <p className="lead">
        Who in {organisation.name} looked at people's details, downloaded data, or changed campaigns
        and settings, newest first. Only owners can see this page.
      </p>
      {problem ? (
        <p className="error-summary" role="alert">
          {problem}. Showing everything instead.
        </p>
      ) : null}
      <Form method="get" aria-label="Filter the audit log">
        <input type="hidden" name="org" value={organisation.id} />
        <div className="field">
          <label htmlFor="audit-action">What happened</label>
          <select id="audit-action" name="action" defaultValue={action ?? ""}>
            <option value="">Everything</option>
            {actions.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="submit" className="button">
            Show
          </button>
          {action ? <Link to={link(1)}>Show everything</Link> : null}
        </div>
      </Form>
      <p role="status">
        {total === 0
          ? "Nothing recorded yet."
          : events.length === 0
            ? `There is no page ${formatNumber(page)}.`
            : `${formatNumber(total)} ${total === 1 ? "event" : "events"}. Page ${formatNumber(page)} of ${formatNumber(pageCount)}.`}
      </p>
      {events.length > 0 ? (
        <div
          className="table-wrap"
          role="region"
          aria-label="Audit events, newest first"
          tabIndex={0}
        >
          <table>
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">About</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td>
                    <time dateTime={event.at}>{event.when}</time>
                  </td>
                  <td>{event.who}</td>
                  <td>{event.what}</td>
                  <td>
                    {event.subjectLink ? (
                      <Link to={event.subjectLink}>{event.subject}</Link>
                    ) : (
                      event.subject
                    )}
                  </td>
                  <td>{event.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {pageCount > 1 || page > 1 ? (
        <nav aria-label="Pages" className="actions">
          {page > 1 ? <Link to={link(Math.min(page - 1, pageCount))}>Newer events</Link> : null}
          {page < pageCount ? <Link to={link(page + 1)}>Older events</Link> : null}
        </nav>
      ) : null}
    </>
  );
}
