import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getVolunteerOverview } from "~/models/assignment.server.ts";
import { dueWords, formatDateTime, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Your tasks – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const overview = await getVolunteerOverview({ userId: user.id });
  return {
    name: user.name,
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
      when: formatDateTime(report.createdAt),
    })),
    contributions: overview.contributions,
  };
}

export default function MyTasks() {
  const { name, open, reports, contributions } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{name ? `${name}, here are your tasks` : "Your tasks"}</h1>
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
    </>
  );
}
