import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ObjectiveProgress } from "~/components/progress";
import { parseRules } from "~/loop/engine.ts";
import { DEFAULT_END_MESSAGE } from "~/loop/engine.ts";
import { getReportStreak } from "~/models/assignment.server.ts";
import { getCampaignProgress } from "~/models/campaign.server.ts";
import { dueWords, formatNumber } from "~/utils/format";
import { requireOwnAssignment } from "~/utils/volunteer.server.ts";

export const meta: MetaFunction = () => [{ title: "Thank you – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, assignment } = await requireOwnAssignment(request, params.id);
  if (assignment.status === "ASSIGNED") throw redirect(`/tasks/${assignment.id}`);
  const { campaign } = assignment;
  const added = (assignment.report?.metrics ?? [])
    .filter((metric) => metric.metricKey === campaign.metricKey)
    .reduce((sum, metric) => sum + Number(metric.value), 0);
  const skipped = assignment.status === "SKIPPED";
  const [progress, streak] = await Promise.all([
    getCampaignProgress({ campaignId: campaign.id }),
    skipped ? null : getReportStreak({ userId: user.id, timeZone: user.timezone }),
  ]);
  return {
    skipped,
    // Weeks in a row with a report, when there are two or more to celebrate.
    streakWeeks: streak && streak.weeks >= 2 ? streak.weeks : null,
    added,
    unit: campaign.metricUnit,
    campaign: { title: campaign.title, target: campaign.target, metricLabel: campaign.metricLabel },
    total: progress.total,
    next: assignment.next
      ? {
          id: assignment.next.id,
          title: assignment.next.taskVersion.title,
          due: dueWords(assignment.next.dueAt, new Date(), user.timezone ?? undefined),
        }
      : null,
    endMessage: parseRules(assignment.taskVersion.rules).endMessage?.trim() || DEFAULT_END_MESSAGE,
  };
}

export default function Thanks() {
  const { skipped, streakWeeks, added, unit, campaign, total, next, endMessage } =
    useLoaderData<typeof loader>();
  return (
    <>
      <h1>{skipped ? "Thanks for letting us know" : "Thank you!"}</h1>
      {!skipped ? (
        <p className="lead" role="status">
          {added > 0
            ? `Your report added ${formatNumber(added)} ${unit} to ${campaign.title}.`
            : `Your report is in. It helps us plan what ${campaign.title} does next.`}
        </p>
      ) : null}
      {streakWeeks ? (
        <p>
          That's <strong>{formatNumber(streakWeeks)} weeks in a row</strong> you've reported back.
          Thank you for keeping at it.
        </p>
      ) : null}
      <ObjectiveProgress total={total} target={campaign.target} label={campaign.metricLabel} />
      {next ? (
        <section className="panel" aria-labelledby="next-heading">
          <h2 id="next-heading">Your next task</h2>
          <p>
            <strong>{next.title}</strong>
            <br />
            {next.due}
          </p>
          <p>
            <Link
              className="button"
              to={`/tasks/${next.id}`}
              // Kept on the phone by the service worker, so the next task opens without signal.
              data-offline-url={`/tasks/${next.id} /tasks/${next.id}/report`}
            >
              See your next task
            </Link>
          </p>
        </section>
      ) : (
        <section className="panel" aria-labelledby="end-heading">
          <h2 id="end-heading">That's the last task</h2>
          <p>{endMessage}</p>
        </section>
      )}
      <p>
        <Link className="standalone-link" to="/me">
          See all your tasks
        </Link>
      </p>
    </>
  );
}
