import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { DataDownloads } from "~/components/data-downloads.tsx";
import { Link, useLoaderData } from "@remix-run/react";
import { CumulativeLineChart, HorizontalBarChart, formatShortDay } from "~/components/charts";
import {
  CHANNEL_WORDS,
  ReportFilterForm,
  describeFilters,
  formatLongDay,
} from "~/components/report-filters";
import { orNotFound } from "~/models/campaign.server.ts";
import { getCampaignReport } from "~/models/reports.server.ts";
import { BURST_MINUTES, BURST_REPORTS, formatRate } from "~/reports/compute.ts";
import { filtersToSearch, parseReportFilters } from "~/reports/filters.ts";
import { formatDateTime, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Reports: ${data.report.campaign.title} – Onward` : "Reports – Onward" },
];

/**
 * The campaign dashboard for its owners and organisers: outcome, participation, tasks, segments,
 * nudges and report quality, all under the filters in the URL (app/reports/filters.ts).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { filters, problems } = parseReportFilters(new URL(request.url).searchParams);
  const report = await orNotFound(
    getCampaignReport({ actorId: user.id, campaignId: params.campaignId ?? "", filters }),
  );
  return { report, problems, search: filtersToSearch(filters) };
}

const NUDGE_WORDS: Record<string, string> = {
  TASK_ASSIGNED: "New task",
  REMINDER: "Reminder before the due date",
  OVERDUE: "How did it go? (overdue)",
  REENGAGE: "We miss you",
  THANKS_NEXT: "Thanks, and your next task",
};

function nudgeName(kind: string) {
  return NUDGE_WORDS[kind] ?? kind.charAt(0) + kind.slice(1).toLowerCase().replace(/_/g, " ");
}

function plural(count: number, one: string, many: string) {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

export default function CampaignReports() {
  const { report, problems, search } = useLoaderData<typeof loader>();
  const { campaign, filters, totals, outcome, funnel } = report;
  const base = `/org/campaigns/${campaign.id}`;
  const unit = campaign.metricUnit || campaign.metricLabel;
  const taskTitle = report.taskOptions.find((task) => task.id === filters.taskId)?.title ?? null;
  const forecast = outcome.forecast;
  const forecastWords =
    forecast.kind === "reached"
      ? `The target was reached on ${formatLongDay(forecast.day)}.`
      : forecast.kind === "forecast"
        ? `At the current rate (about ${formatNumber(Math.round(forecast.perDay * 10) / 10)} ${unit} a day), the target will be reached around ${formatLongDay(forecast.day)}.`
        : forecast.why;
  const joined = funnel[0]?.count ?? 0;
  const active = funnel.at(-1)?.count ?? 0;
  return (
    <>
      <p>
        <Link to={base}>Back to {campaign.title}</Link>
      </p>
      <h1>Reports: {campaign.title}</h1>
      <p className="lead">
        What people did, and what it achieved. {describeFilters(filters, taskTitle)}
      </p>
      {problems.length > 0 ? (
        <div className="notice" role="status">
          <ul>
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <ReportFilterForm
        filters={filters}
        tasks={report.taskOptions}
        clearTo={`${base}/reports`}
        timeZone={campaign.organisation.timezone}
      />

      <section aria-labelledby="headline-heading">
        <h2 id="headline-heading">In numbers</h2>
        <dl className="report-figures">
          <div>
            <dt className="capitalise-first">{campaign.metricLabel}</dt>
            <dd>{formatNumber(outcome.total)}</dd>
          </div>
          <div>
            <dt>People joined</dt>
            <dd>{formatNumber(joined)}</dd>
          </div>
          <div>
            <dt>Reports</dt>
            <dd>{formatNumber(totals.reported)}</dd>
          </div>
          <div>
            <dt>Still active</dt>
            <dd>{formatNumber(active)}</dd>
          </div>
        </dl>
      </section>

      <section aria-labelledby="outcome-heading">
        <h2 id="outcome-heading">Outcome</h2>
        <p>
          <strong>{formatNumber(outcome.total)}</strong> of {formatNumber(outcome.target)}{" "}
          {campaign.metricLabel} ({formatRate(outcome.share)} of the target). {forecastWords}
        </p>
        {outcome.series.length > 0 ? (
          <CumulativeLineChart
            id="outcome"
            title={`${campaign.metricLabel}, running total by day`}
            summary={`${
              outcome.series.length === 1
                ? `On ${formatShortDay(outcome.series[0]!.day)} the total reached`
                : `From ${formatShortDay(outcome.series[0]!.day)} to ${formatShortDay(outcome.series.at(-1)!.day)} the total rose to`
            } ${formatNumber(outcome.total)} ${unit}, against a target of ${formatNumber(outcome.target)} (the dashed line).`}
            points={outcome.series}
            target={outcome.target}
            unit={unit}
          />
        ) : (
          <p>No results yet for this view.</p>
        )}
      </section>

      <section aria-labelledby="funnel-heading">
        <h2 id="funnel-heading">Taking part</h2>
        <p className="hint">
          People who joined in the dates chosen, and how far they got. Area and contact choice are
          as they were when each person joined; the task filter doesn&apos;t apply here.
        </p>
        <HorizontalBarChart
          id="funnel"
          title="From joining to staying active"
          summary={
            joined === 0
              ? "Nobody has joined in this view yet."
              : `Of ${plural(joined, "person", "people")} who joined, ${formatNumber(funnel[2]!.count)} reported back (${formatRate(funnel[2]!.fromJoined)}) and ${formatNumber(active)} ${active === 1 ? "is" : "are"} still active (${formatRate(funnel.at(-1)!.fromJoined)}).`
          }
          valueHeading="People"
          bars={funnel.map((step) => ({
            label: step.label,
            value: step.count,
            note: step.fromPrevious === null ? undefined : formatRate(step.fromPrevious),
          }))}
        />
      </section>

      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading">Tasks</h2>
        {report.tasks.length === 0 ? (
          <p>No tasks yet.</p>
        ) : (
          <div className="table-wrap" role="region" aria-label="How each task went" tabIndex={0}>
            <table>
              <caption className="visually-hidden">How each task went</caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col" className="number">
                    Given
                  </th>
                  <th scope="col" className="number">
                    Reported
                  </th>
                  <th scope="col" className="number">
                    Skipped
                  </th>
                  <th scope="col" className="number">
                    Expired
                  </th>
                  <th scope="col" className="number">
                    Done
                  </th>
                  <th scope="col">Usual time to report</th>
                </tr>
              </thead>
              <tbody>
                {report.tasks.map((task) => (
                  <tr key={task.taskId}>
                    <th scope="row">{task.title}</th>
                    <td className="number">{formatNumber(task.assigned)}</td>
                    <td className="number">{formatNumber(task.reported)}</td>
                    <td className="number">{formatNumber(task.skipped)}</td>
                    <td className="number">{formatNumber(task.expired)}</td>
                    <td className="number">{formatRate(task.completion)}</td>
                    <td>{task.medianTimeToReport ?? "No reports yet"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h3>Why people skipped</h3>
        {report.tasks.every((task) => task.skipReasons.length === 0) ? (
          <p>Nobody skipped a task in this view.</p>
        ) : (
          report.tasks
            .filter((task) => task.skipReasons.length > 0)
            .map((task) => (
              <div key={task.taskId}>
                <h4>{task.title}</h4>
                <ul>
                  {task.skipReasons.map((reason) => (
                    <li key={reason.reason}>
                      {reason.reason}: {plural(reason.count, "time", "times")}
                    </li>
                  ))}
                </ul>
              </div>
            ))
        )}
      </section>

      <section aria-labelledby="segments-heading">
        <h2 id="segments-heading">Who takes part</h2>
        <SegmentTable
          heading="By area"
          first="Area"
          rows={report.areas.map((row) => ({ ...row, name: row.key || "Not known" }))}
          unit={unit}
        />
        <SegmentTable
          heading="By how they want to be contacted"
          first="Contact by"
          rows={report.channels.map((row) => ({
            ...row,
            name: CHANNEL_WORDS[row.key as keyof typeof CHANNEL_WORDS] ?? row.key,
          }))}
          unit={unit}
        />
        <h3>By the week they joined</h3>
        {report.cohorts.length === 0 ? (
          <p>Nobody has joined in this view yet.</p>
        ) : (
          <div
            className="table-wrap"
            role="region"
            aria-label="Cohort retention by sign-up week"
            tabIndex={0}
          >
            <table>
              <caption>
                Of the people who joined each week, the share who reported in that week (week 0) and
                each week after.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Week from</th>
                  <th scope="col" className="number">
                    Joined
                  </th>
                  {report.cohorts[0]!.shares.map((_, k) => (
                    <th scope="col" className="number" key={k}>
                      Week {k}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {report.cohorts.map((row) => (
                  <tr key={row.week}>
                    <th scope="row">{formatShortDay(row.week)}</th>
                    <td className="number">{formatNumber(row.joined)}</td>
                    {row.shares.map((share, k) => (
                      <td className="number" key={k}>
                        {share === null ? "" : formatRate(share)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <SegmentTable
          heading="By team"
          first="Team"
          empty="There are no teams yet."
          rows={report.teams.map((team) => ({
            key: team.id,
            name: team.name,
            joined: team.joined,
            reportedOnce: team.reported,
            active: team.active,
            reports: team.reports,
            reportRate: null,
          }))}
        />
      </section>

      <section aria-labelledby="nudges-heading">
        <h2 id="nudges-heading">Nudges</h2>
        <p className="hint">
          Nudges sent from {formatLongDay(report.recentFrom)}. &ldquo;Reported within 2 days&rdquo;
          counts tasks reported in the 48 hours after the nudge; the comparison is tasks in this
          view that didn&apos;t get that nudge, reported within 48 hours of being given.
        </p>
        {report.nudges.kinds.length === 0 ? (
          <p>No nudges were sent in this view.</p>
        ) : (
          <div className="table-wrap" role="region" aria-label="How nudges worked" tabIndex={0}>
            <table>
              <caption className="visually-hidden">How nudges worked</caption>
              <thead>
                <tr>
                  <th scope="col">Nudge</th>
                  <th scope="col" className="number">
                    Tasks nudged
                  </th>
                  <th scope="col" className="number">
                    Reported within 2 days
                  </th>
                  <th scope="col" className="number">
                    Without this nudge
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.nudges.kinds.map((row) => (
                  <tr key={row.kind}>
                    <th scope="row">{nudgeName(row.kind)}</th>
                    <td className="number">{formatNumber(row.nudged)}</td>
                    <td className="number">
                      {formatNumber(row.reportedSoon)} ({formatRate(row.share)})
                    </td>
                    <td className="number">{formatRate(row.withoutNudge)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h3>Messages not sent</h3>
        {report.nudges.suppressed.length === 0 ? (
          <p>Every nudge in this view was allowed.</p>
        ) : (
          <ul>
            {report.nudges.suppressed.map((row) => (
              <li key={`${row.kind}:${row.reason}`}>
                {nudgeName(row.kind)}: {plural(row.count, "message", "messages")} not sent. Why:{" "}
                {row.reason}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="quality-heading">
        <h2 id="quality-heading">Reports to check</h2>
        <p className="hint">
          From {formatLongDay(report.recentFrom)}: numbers far above what a task usually gets, and
          people who sent {BURST_REPORTS} or more reports within {BURST_MINUTES} minutes. They may
          be right; it is worth a look.
        </p>
        {report.quality.outliers.length === 0 && report.quality.bursts.length === 0 ? (
          <p>Nothing looks unusual in this view.</p>
        ) : null}
        {report.quality.outliers.length > 0 ? (
          <ul>
            {report.quality.outliers.map((row) => (
              <li key={row.reportId}>
                {row.userId ? (
                  <Link to={`/org/people/${row.userId}`}>{row.name ?? "No name given"}</Link>
                ) : (
                  "A deleted account"
                )}{" "}
                reported {formatNumber(row.value)} {unit} for &ldquo;{row.task}&rdquo; on{" "}
                {formatDateTime(row.at, campaign.organisation.timezone)}. Usually up to{" "}
                {formatNumber(Math.round(row.limit))}.
              </li>
            ))}
          </ul>
        ) : null}
        {report.quality.bursts.length > 0 ? (
          <ul>
            {report.quality.bursts.map((row) => (
              <li key={row.userId}>
                <Link to={`/org/people/${row.userId}`}>{row.name ?? "No name given"}</Link> sent
                reports in quick succession, the last on{" "}
                {formatDateTime(row.last, campaign.organisation.timezone)}.
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <DataDownloads base={base} search={search} />
      <p>
        <Link
          to={`/org/reports?org=${campaign.organisation.id}${search ? `&${search.slice(1)}` : ""}`}
        >
          Every campaign in {campaign.organisation.name}
        </Link>
      </p>
    </>
  );
}

function SegmentTable({
  heading,
  first,
  rows,
  unit,
  empty = "Nobody in this view yet.",
}: {
  heading: string;
  first: string;
  rows: ReadonlyArray<{
    key: string;
    name: string;
    joined: number;
    reportedOnce: number;
    active: number;
    reports: number;
    /** The campaign metric's total; without `unit` the column is left out (teams have none). */
    metric?: number;
    reportRate: number | null;
  }>;
  unit?: string;
  empty?: string;
}) {
  return (
    <>
      <h3>{heading}</h3>
      {rows.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <div className="table-wrap" role="region" aria-label={heading} tabIndex={0}>
          <table>
            <caption className="visually-hidden">{heading}</caption>
            <thead>
              <tr>
                <th scope="col">{first}</th>
                <th scope="col" className="number">
                  Joined
                </th>
                <th scope="col" className="number">
                  Reported
                </th>
                <th scope="col" className="number">
                  Active
                </th>
                <th scope="col" className="number">
                  Reports
                </th>
                {unit ? (
                  <th scope="col" className="number">
                    {unit}
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key}>
                  <th scope="row">{row.name}</th>
                  <td className="number">{formatNumber(row.joined)}</td>
                  <td className="number">
                    {formatNumber(row.reportedOnce)}
                    {row.reportRate === null ? "" : ` (${formatRate(row.reportRate)})`}
                  </td>
                  <td className="number">{formatNumber(row.active)}</td>
                  <td className="number">{formatNumber(row.reports)}</td>
                  {unit ? <td className="number">{formatNumber(row.metric ?? 0)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
