import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ReportFields } from "~/components/task/report-fields";
import { TaskDetails } from "~/components/task/task-details";
import { orNotFound } from "~/models/campaign.server.ts";
import { getTaskPreview } from "~/models/task.server.ts";
import { FEEDBACK_LABEL } from "~/schemas/report.ts";
import { dueWords } from "~/utils/format";
import { renderMarkdown } from "~/utils/markdown.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Preview: ${data.task.title} – Onward` : "Preview – Onward" },
];

const DAY_MS = 24 * 60 * 60 * 1000;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const { campaign, task } = await orNotFound(
    getTaskPreview({ actorId: user.id, campaignId, taskId: params.taskId ?? "" }),
  );
  return {
    campaign,
    task: {
      ...task,
      instructionsHtml: renderMarkdown(task.instructions),
      // As if it were given now.
      dueText: dueWords(new Date(Date.now() + task.dueAfterDays * DAY_MS)),
    },
  };
}

export default function TaskPreview() {
  const { campaign, task } = useLoaderData<typeof loader>();
  const editLink = `/org/campaigns/${campaign.id}/tasks/${task.id}`;
  return (
    <>
      <div className="preview-banner" role="note">
        <p>
          <strong>Preview — this is what volunteers see.</strong> The date is as if the task were
          given today. Nothing you type here is saved.
        </p>
        <p>
          <Link to={editLink}>Back to editing</Link> ·{" "}
          <Link to={`/org/campaigns/${campaign.id}`}>Back to {campaign.title}</Link>
        </p>
      </div>
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
      <section aria-labelledby="report-heading" className="preview-report">
        <h2 id="report-heading">Report back</h2>
        <p className="hint">When they report back, volunteers see this form.</p>
        <form aria-labelledby="report-heading" noValidate>
          <ReportFields fields={task.fields} />
          <div className="field">
            <label htmlFor="feedback">
              {FEEDBACK_LABEL}
              <span className="optional"> (optional)</span>
            </label>
            <span className="hint" id="feedback-hint">
              The organisers read every message.
            </span>
            <textarea id="feedback" name="feedback" rows={4} aria-describedby="feedback-hint" />
          </div>
          <button type="submit" className="button" disabled>
            Send my report
          </button>
        </form>
      </section>
    </>
  );
}
