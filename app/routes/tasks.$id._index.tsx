import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { TaskDetails } from "~/components/task/task-details";
import { dueWords, formatDateTime } from "~/utils/format";
import { renderMarkdown } from "~/utils/markdown.server.ts";
import { requireOwnAssignment } from "~/utils/volunteer.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.task.title} – Onward` : "Your task – Onward" },
];

export const handle = { volunteerPage: true };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, assignment } = await requireOwnAssignment(request, params.id);
  const { taskVersion, campaign } = assignment;
  const welcome = new URL(request.url).searchParams.get("welcome") === "1";
  return {
    id: assignment.id,
    status: assignment.status,
    welcome,
    name: user.name,
    task: {
      title: taskVersion.title,
      instructionsHtml: renderMarkdown(taskVersion.instructions),
      location: taskVersion.location,
      durationMinutes: taskVersion.durationMinutes,
      dueText:
        assignment.status === "ASSIGNED"
          ? dueWords(assignment.dueAt, new Date(), user.timezone ?? undefined)
          : null,
    },
    campaign: {
      title: campaign.title,
      whyTakePart: campaign.whyTakePart,
      whatWeDo: campaign.whatWeDo,
      whatIsOpen: campaign.whatIsOpen,
    },
    closedAt: assignment.closedAt ? formatDateTime(assignment.closedAt, user.timezone) : null,
    next: assignment.next
      ? { id: assignment.next.id, title: assignment.next.taskVersion.title }
      : null,
  };
}

export default function TaskPage() {
  const { id, status, welcome, name, task, campaign, closedAt, next } =
    useLoaderData<typeof loader>();
  return (
    <>
      {welcome ? (
        <p className="notice" role="status">
          Welcome{name ? `, ${name}` : ""}! Here is your first task. We've also sent it to you so
          you can find it later.
        </p>
      ) : null}
      <p className="muted">{campaign.title}</p>
      <TaskDetails
        title={task.title}
        instructionsHtml={task.instructionsHtml}
        location={task.location}
        durationMinutes={task.durationMinutes}
        dueText={task.dueText}
        groundRules={{
          whyTakePart: campaign.whyTakePart,
          whatWeDo: campaign.whatWeDo,
          whatIsOpen: campaign.whatIsOpen,
        }}
      />
      {status === "ASSIGNED" ? (
        <div className="actions no-print">
          <Link
            className="button"
            to={`/tasks/${id}/report`}
            // Kept on the phone by the service worker, so the report can be made without signal.
            data-offline-url={`/tasks/${id}/report`}
          >
            Report back
          </Link>
          <Link className="button button--secondary" to={`/tasks/${id}/skip`}>
            I can't do this
          </Link>
        </div>
      ) : (
        <div className="panel">
          {/* Also read by the offline queue (app/enhance/) when a saved report arrives too late. */}
          <p data-task-state="">
            {status === "REPORTED"
              ? `You reported back on this task${closedAt ? ` on ${closedAt}` : ""}. Thank you.`
              : status === "SKIPPED"
                ? "You told us you couldn't do this one. That's fine."
                : status === "EXPIRED"
                  ? "This task was due a while ago, so we closed it. If you did it, you can still tell us how it went."
                  : "This task is closed."}
          </p>
          {status === "EXPIRED" ? (
            <p>
              <Link
                className="button"
                to={`/tasks/${id}/report`}
                data-offline-url={`/tasks/${id}/report`}
              >
                Report back
              </Link>
            </p>
          ) : null}
          {next ? (
            <p>
              Your next task: <Link to={`/tasks/${next.id}`}>{next.title}</Link>
            </p>
          ) : (
            <p>
              <Link className="standalone-link" to="/me">
                See all your tasks
              </Link>
            </p>
          )}
        </div>
      )}
    </>
  );
}
