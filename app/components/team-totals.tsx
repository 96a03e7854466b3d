import { formatNumber } from "~/utils/format";

/** A team's figures, as its lead sees them on the list of teams and on the team's page. */
export function TeamTotals({
  totals,
  metricLabel,
}: {
  totals: { members: number; reports: number; recentReports: number; metricTotal: number };
  metricLabel: string | null;
}) {
  return (
    <dl className="report-figures">
      <div>
        <dt>People</dt>
        <dd>{formatNumber(totals.members)}</dd>
      </div>
      <div>
        <dt>Reports</dt>
        <dd>{formatNumber(totals.reports)}</dd>
      </div>
      <div>
        <dt>Reports in the last 7 days</dt>
        <dd>{formatNumber(totals.recentReports)}</dd>
      </div>
      {metricLabel ? (
        <div>
          <dt className="capitalise-first">{metricLabel}</dt>
          <dd>{formatNumber(totals.metricTotal)}</dd>
        </div>
      ) : null}
    </dl>
  );
}
