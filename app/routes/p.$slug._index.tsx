import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ObjectiveProgress } from "~/components/progress";
import {
  MIN_AREA_VOLUNTEERS,
  OTHER_AREAS,
  getPublicOutcomes,
  type AreaFigures,
} from "~/models/public-outcomes.server.ts";
import { ACTIVE_DAYS } from "~/models/reports.server.ts";
import { formatRate } from "~/reports/compute.ts";
import { formatDate, formatNumber } from "~/utils/format";
import { renderMarkdown } from "~/utils/markdown.server.ts";

/**
 * /p/<slug>: a campaign's public outcomes page, when its organisers have turned it on (404
 * otherwise). No personal data; areas with few volunteers are merged (ADR 017). Served without
 * React in the browser, so it works without JavaScript.
 */
export const handle = { volunteerPage: true };

export const meta: MetaFunction<typeof loader> = ({ data }) =>
  data
    ? [
        { title: `${data.campaign.title}: what it achieved – Onward` },
        { name: "description", content: data.summary },
      ]
    : [{ title: "Page not found – Onward" }];

function summarise(outcomes: NonNullable<Awaited<ReturnType<typeof getPublicOutcomes>>>) {
  const { objective, participation } = outcomes;
  const share = objective.share === null ? "" : ` (${formatRate(objective.share)} of the target)`;
  const people =
    participation.joined === 1
      ? "1 person has joined"
      : `${formatNumber(participation.joined)} people have joined`;
  return (
    `So far: ${formatNumber(objective.total)} of ${formatNumber(objective.target)} ${objective.label}${share}. ` +
    `${people}, and ${formatNumber(participation.reportedOnce)} of them reported back at least once.`
  );
}

export async function loader({ params }: LoaderFunctionArgs) {
  const outcomes = await getPublicOutcomes({ slug: params.slug ?? "" });
  if (!outcomes) throw new Response("Not found", { status: 404 });
  return {
    campaign: outcomes.campaign,
    objective: outcomes.objective,
    participation: outcomes.participation,
    areas: outcomes.areas,
    updates: outcomes.updates.map((update) => ({
      title: update.title,
      html: renderMarkdown(update.body),
      publishedAt: update.publishedAt.toISOString(),
      day: formatDate(update.publishedAt, outcomes.timeZone),
    })),
    summary: summarise(outcomes),
    activeDays: ACTIVE_DAYS,
    minimum: MIN_AREA_VOLUNTEERS,
  };
}

function AreaRow({ row, name }: { row: AreaFigures; name: string }) {
  return (
    <tr>
      <th scope="row">{name}</th>
      <td className="number">{formatNumber(row.volunteers)}</td>
      <td className="number">{formatNumber(row.reportedOnce)}</td>
      <td className="number">{formatNumber(row.active)}</td>
      <td className="number">{formatNumber(row.metric)}</td>
    </tr>
  );
}

export default function PublicOutcomes() {
  const { campaign, objective, participation, areas, updates, summary, activeDays, minimum } =
    useLoaderData<typeof loader>();
  const base = `/p/${encodeURIComponent(campaign.slug)}`;
  return (
    <>
      <p className="muted">{campaign.organisation}</p>
      <h1>{`${campaign.title}: what it achieved`}</h1>
      <p className="lead">{summary}</p>
      <p>{campaign.description}</p>
      {campaign.status === "LIVE" ? (
        <p>
          <Link to={`/join/${campaign.slug}`} reloadDocument>
            Join in
          </Link>{" "}
          and help reach the target.
        </p>
      ) : null}

      <section aria-labelledby="objective-heading">
        <h2 id="objective-heading">Our objective</h2>
        <ObjectiveProgress
          total={objective.total}
          target={objective.target}
          label={objective.label}
        />
      </section>

      <section aria-labelledby="people-heading">
        <h2 id="people-heading">Who took part</h2>
        <ul>
          <li>
            <strong>{formatNumber(participation.joined)}</strong>{" "}
            {participation.joined === 1 ? "person joined" : "people joined"}
          </li>
          <li>
            <strong>{formatNumber(participation.reportedOnce)}</strong> reported back at least once
          </li>
          <li>
            <strong>{formatNumber(participation.active)}</strong> still active (reported in the last{" "}
            {activeDays} days)
          </li>
          <li>
            <strong>{formatNumber(participation.reports)}</strong>{" "}
            {participation.reports === 1 ? "report" : "reports"} in all
          </li>
        </ul>
      </section>

      <section aria-labelledby="areas-heading">
        <h2 id="areas-heading">By area</h2>
        <p>
          Areas are postcode districts, like LS6. To protect people&apos;s privacy, we never show a
          group of fewer than {minimum} people. An area with fewer than {minimum} volunteers is
          counted in &ldquo;{OTHER_AREAS}&rdquo;.
        </p>
        {areas.hidden ? (
          <p>Not enough people have joined yet to show figures by area.</p>
        ) : areas.rows.length === 0 && !areas.other ? (
          <p>Nobody has joined yet.</p>
        ) : (
          <div className="table-wrap" role="region" aria-labelledby="areas-caption" tabIndex={0}>
            <table>
              <caption id="areas-caption">Volunteers and {objective.label} by area</caption>
              <thead>
                <tr>
                  <th scope="col">Area</th>
                  <th scope="col" className="number">
                    Volunteers
                  </th>
                  <th scope="col" className="number">
                    Reported back
                  </th>
                  <th scope="col" className="number">
                    Still active
                  </th>
                  <th scope="col" className="number">
                    {objective.unit}
                  </th>
                </tr>
              </thead>
              <tbody>
                {areas.rows.map((row) => (
                  <AreaRow key={row.area} row={row} name={row.area} />
                ))}
                {areas.other ? <AreaRow row={areas.other} name={OTHER_AREAS} /> : null}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">All areas</th>
                  <td className="number">{formatNumber(participation.joined)}</td>
                  <td className="number">{formatNumber(participation.reportedOnce)}</td>
                  <td className="number">{formatNumber(participation.active)}</td>
                  <td className="number">{formatNumber(objective.total)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="updates-heading">
        <h2 id="updates-heading">You said, we did</h2>
        {updates.length === 0 ? (
          <p>No updates yet. When the organisers act on what people reported, they say so here.</p>
        ) : (
          updates.map((update) => (
            <article key={`${update.publishedAt}-${update.title}`} className="card">
              <h3>{update.title}</h3>
              <p className="muted">
                <time dateTime={update.publishedAt}>{update.day}</time>
              </p>
              <div dangerouslySetInnerHTML={{ __html: update.html }} />
            </article>
          ))
        )}
      </section>

      <section aria-labelledby="data-heading">
        <h2 id="data-heading">Open data</h2>
        <p>The same figures, free to reuse, updated as reports come in:</p>
        <ul>
          <li>
            <a href={`${base}/outcomes.json`}>All figures (JSON)</a>
          </li>
          <li>
            <a href={`${base}/areas.csv`}>Figures by area (CSV)</a>{" "}
            <span className="muted">opens in a spreadsheet</span>
          </li>
        </ul>
      </section>
    </>
  );
}
