import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ReportFilterForm, describeFilters } from "~/components/report-filters";
import { orNotFound } from "~/models/campaign.server.ts";
import { chooseOrganisation } from "~/models/membership.server.ts";
import { getOrganisationReport } from "~/models/reports.server.ts";
import { formatRate } from "~/reports/compute.ts";
import { filtersToSearch, parseReportFilters } from "~/reports/filters.ts";
import { formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Reports – Onward" }];

const STATUS_WORDS = { DRAFT: "Draft", LIVE: "Live", PAUSED: "Paused", CLOSED: "Closed" } as const;

/**
 * The headline figures of every campaign in the organisation, with totals, under the filters in
 * the URL. ?org=<id> picks the organisation when someone organises several.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const chosen = await chooseOrganisation({ userId: user.id, wanted: url.searchParams.get("org") });
  if (chosen === "choose") throw redirect("/org");
  if (!chosen) throw new Response("Not found", { status: 404 });
  const { filters, problems } = parseReportFilters(url.searchParams);
  const report = await orNotFound(
    getOrganisationReport({ actorId: user.id, organisationId: chosen.organisation.id, filters }),
  );
  return { report, problems, search: filtersToSearch(report.filters) };
}

export default function OrganisationReports() {
  const { report, problems, search } = useLoaderData<typeof loader>();
  const { organisation, totals, campaigns, filters } = report;
  return (
    <>
      <p>
        <Link to="/org">Back to campaigns</Link>
      </p>
      <h1>Reports</h1>
      <p className="lead">
        Every campaign in {organisation.name}. {describeFilters(filters, null)}
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
        tasks={null}
        hidden={{ org: organisation.id }}
        clearTo={`/org/reports?org=${organisation.id}`}
        timeZone={organisation.timezone}
      />
      <section aria-labelledby="totals-heading">
        <h2 id="totals-heading">All campaigns</h2>
        <dl className="report-figures">
          <div>
            <dt>People joined</dt>
            <dd>{formatNumber(totals.joined)}</dd>
          </div>
          <div>
            <dt>Reported back</dt>
            <dd>{formatNumber(totals.firstReport)}</dd>
          </div>
          <div>
            <dt>Still active</dt>
            <dd>{formatNumber(totals.active)}</dd>
          </div>
          <div>
            <dt>Reports</dt>
            <dd>{formatNumber(totals.reported)}</dd>
          </div>
          <div>
            <dt>Tasks done</dt>
            <dd>{formatRate(totals.completion)}</dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="campaigns-heading">
        <h2 id="campaigns-heading">By campaign</h2>
        {campaigns.length === 0 ? (
          <p>No campaigns yet.</p>
        ) : (
          <ul className="card-list">
            {campaigns.map((campaign) => (
              <li className="card" key={campaign.id}>
                <h3>
                  <Link to={`/org/campaigns/${campaign.id}/reports${search}`}>
                    {campaign.title}
                  </Link>
                </h3>
                <p>
                  <span className="tag">{STATUS_WORDS[campaign.status]}</span>{" "}
                  <strong>{formatNumber(campaign.metric)}</strong> of{" "}
                  {formatNumber(campaign.target)} {campaign.metricLabel} (
                  {formatRate(campaign.share)}).
                </p>
                <dl className="details-list">
                  <dt>People joined</dt>
                  <dd>{formatNumber(campaign.joined)}</dd>
                  <dt>Reported back</dt>
                  <dd>{formatNumber(campaign.firstReport)}</dd>
                  <dt>Still active</dt>
                  <dd>{formatNumber(campaign.active)}</dd>
                  <dt>Reports</dt>
                  <dd>
                    {formatNumber(campaign.reported)} of {formatNumber(campaign.assigned)} tasks
                    given ({formatRate(campaign.completion)})
                  </dd>
                </dl>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
