import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getReportStreak, getVolunteerOverview } from "~/models/assignment.server.ts";
import { listRepliesForVolunteer } from "~/models/inbox.server.ts";
import { listUpdatesForVolunteer } from "~/models/updates.server.ts";
import { dueWords, formatDateTime, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Your tasks – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const [overview, streak, replies, updates] = await Promise.all([
    getVolunteerOverview({ userId: user.id }),
    getReportStreak({ userId: user.id, timeZone: user.timezone }),
    listRepliesForVolunteer({ userId: user.id }),
    listUpdatesForVolunteer({ userId: user.id }),
  ]);
  return {
    name: user.name,
    // Team leads keep this page, with a way to their team's.
    isTeamLead: user.memberships.some((membership) => membership.role === "TEAM_LEAD"),
    open: overview.open.map((assignment) => ({
      id: assignment.id,
      title: assignment.taskVersion.title,
      location: assignment.taskVersion.location,
      campaign: assignment.campaign.title,
      due: dueWords(assignment.dueAt, new Date(), user.timezone ?? undefined),
      overdue: assignment.dueAt.getTime() < Date.now(),
    })),
    reports: overview.reports.map((report) => ({
      id: report.id,
      assignmentId: report.assignmentId,
      title: report.taskVersion.title,
      campaign: report.campaign.title,
      when: formatDateTime(report.createdAt, user.timezone),
    })),
    contributions: overview.contributions,
    streak,
    replies: replies.map((reply) => ({
      ...reply,
      repliedAt: reply.repliedAt ? formatDateTime(reply.repliedAt, user.timezone) : null,
    })),
    updates: updates.map((update) => ({
      ...update,
      publishedAt: formatDateTime(update.publishedAt, user.timezone),
    })),
  };
}

export default function MyTasks() {
  const { name, isTeamLead, open, reports, contributions, streak, replies, updates } =
    useLoaderData<typeof loader>();
  return (
    <>
      <h1>{name ? `${name}, here are your tasks` : "Your tasks"}</h1>
      {isTeamLead ? (
        <p>
          <Link className="standalone-link" to="/team" reloadDocument>
            See your team and send them a nudge
          </Link>
        </p>
      ) : null}
      {open.length === 0 ? (
        <p>You have no open tasks right now. We'll let you know when there's something new.</p>
      ) : (
        <ul className="card-list">
          {open.map((task) => (
            <li
              className="card"
              key={task.id}
              // Kept on the phone by the service worker, so they open without signal.
              data-offline-url={`/tasks/${task.id} /tasks/${task.id}/report`}
            >
              <p className="muted">{task.campaign}</p>
              <h2>
                <Link to={`/tasks/${task.id}`}>{task.title}</Link>
              </h2>
              <p>
                {task.overdue ? <strong>{task.due}</strong> : task.due}
                {task.location ? ` · ${task.location}` : ""}
              </p>
            </li>
          ))}
        </ul>
      )}
      <h2>What you've done</h2>
      {reports.length === 0 ? (
        <p>Your reports will appear here.</p>
      ) : (
        <>
          <p>
            You've sent <strong>{formatNumber(reports.length)}</strong>{" "}
            {reports.length === 1 ? "report" : "reports"}.
            {contributions.map((c) =>
              c.total > 0
                ? ` You added ${formatNumber(c.total)} ${c.unit} to ${c.campaignTitle}.`
                : "",
            )}
          </p>
          {streak.weeks >= 2 ? (
            <p>
              You've reported back <strong>{formatNumber(streak.weeks)} weeks in a row</strong>.
              {/* Urged on only when there is a task to report on. */}
              {open.length === 0
                ? null
                : streak.thisWeek
                  ? " Keep it going!"
                  : ` Send a report this week to make it ${formatNumber(streak.weeks + 1)}.`}
            </p>
          ) : null}
          <ul>
            {reports.map((report) => (
              <li key={report.id}>
                <Link to={`/tasks/${report.assignmentId}`}>{report.title}</Link>{" "}
                <span className="muted">
                  ({report.campaign}, {report.when})
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {replies.length > 0 ? (
        <section aria-labelledby="replies">
          <h2 id="replies">Replies to you</h2>
          <ul className="card-list">
            {replies.map((reply) => (
              <li className="card" key={reply.id}>
                <p className="muted">
                  {reply.organisation} about {reply.taskTitle}
                  {reply.repliedAt ? `, ${reply.repliedAt}` : ""}
                </p>
                {reply.theirWords ? (
                  <p className="muted pre-line">You said: {reply.theirWords}</p>
                ) : null}
                <p className="pre-line">{reply.reply}</p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {updates.length > 0 ? (
        <section aria-labelledby="updates">
          <h2 id="updates">Updates</h2>
          <ul className="card-list">
            {updates.map((update) => (
              <li className="card" key={update.id}>
                <h3>{update.title}</h3>
                <p className="muted">
                  {update.organisation}, {update.campaign}, {update.publishedAt}
                </p>
                {update.youSaid.map((said, index) => (
                  <p className="muted pre-line" key={index}>
                    You said ({said.taskTitle}): {said.words}
                  </p>
                ))}
                <div dangerouslySetInnerHTML={{ __html: update.bodyHtml }} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
