import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { getChampions, getPromotionCandidate, promoteToTeamLead } from "~/models/teams.server.ts";
import {
  CHAMPION_SORTS,
  MAX_MIN_REPORTS,
  MAX_TEAM_NAME,
  PromoteSchema,
  SORT_WORDS,
  parseChampionsQuery,
  type ChampionsQuery,
} from "~/schemas/teams.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatDate, formatNumber } from "~/utils/format";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Champions: ${data.campaign.title} – Onward` : "Champions – Onward" },
];

function search(query: ChampionsQuery, changes: Partial<ChampionsQuery> = {}) {
  const next = { ...query, ...changes };
  const params = new URLSearchParams({ sort: next.sort, min: String(next.minReports) });
  if (next.page > 1) params.set("page", String(next.page));
  if (next.promote) params.set("promote", next.promote);
  return `?${params}`;
}

/**
 * /org/campaigns/<id>/champions: who reports on time, week after week, or furthest up the ladder,
 * for the campaign's organisers; "Make team lead" gives one of them a team (ADR 019).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const query = parseChampionsQuery(new URL(request.url).searchParams);
  const found = await orNotFound(
    getChampions({
      actorId: user.id,
      campaignId,
      sort: query.sort,
      minReports: query.minReports,
      page: query.page,
    }),
  );
  const candidate = query.promote
    ? await orNotFound(
        getPromotionCandidate({ actorId: user.id, campaignId, userId: query.promote }),
      )
    : null;
  return {
    campaign: found.campaign,
    query,
    total: found.total,
    unranked: found.unranked,
    pages: found.pages,
    candidate,
    people: found.people.map((person) => ({
      ...person,
      lastReportAt: person.lastReportAt ? formatDate(person.lastReportAt, found.timeZone) : null,
    })),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const submission = parseForm(await request.formData(), { schema: PromoteSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    promoteToTeamLead({
      actorId: user.id,
      campaignId,
      userId: submission.value.userId,
      name: submission.value.name,
      ip: clientIp(request),
    }),
  );
  if (!result.ok) {
    return data(submission.reply({ fieldErrors: { [result.field]: [result.message] } }), {
      status: 400,
    });
  }
  return redirect(`/org/campaigns/${campaignId}/teams?done=promoted#team-${result.teamId}`);
}

function percent(rate: number | null) {
  return rate === null ? "–" : `${Math.round(rate * 100)}%`;
}

export default function Champions() {
  const { campaign, query, total, unranked, pages, candidate, people } =
    useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const fieldErrors = (lastResult?.error ?? {}) as Record<string, string[] | null | undefined>;
  const errors = Object.entries(fieldErrors).flatMap(([name, messages]) =>
    (messages ?? []).map((message) => ({
      id: name === "name" ? "promote-name" : "",
      message,
    })),
  );
  const submitted = (lastResult?.initialValue ?? {}) as Record<string, unknown>;
  const submittedUser = typeof submitted.userId === "string" ? submitted.userId : null;
  const promoting = candidate ?? null;
  const base = `/org/campaigns/${campaign.id}`;
  const nameError = fieldErrors.name?.[0];
  return (
    <>
      <p>
        <Link to={base}>Back to {campaign.title}</Link>
      </p>
      <h1>Champions</h1>
      <p className="lead">
        The people who report on time, week after week, or get furthest up the ladder. Make one of
        them a team lead: they see how their team is doing and can nudge them.
      </p>
      <p>
        <Link to={`${base}/teams`}>See the teams</Link>
      </p>
      <ErrorSummary errors={errors} />

      {promoting || submittedUser ? (
        <section aria-labelledby="promote-heading" className="panel">
          <h2 id="promote-heading">
            {promoting ? `Make ${promoting.firstName} a team lead` : "Make a team lead"}
          </h2>
          <p>
            They get a team of their own in this campaign. They see their team&rsquo;s first names,
            tasks and reports, never contact details, and can send the team one nudge a day.
          </p>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="promote" />
            <input type="hidden" name="userId" value={promoting?.userId ?? submittedUser ?? ""} />
            <div className="field">
              <label htmlFor="promote-name">Team name</label>
              <span className="hint" id="promote-name-hint">
                Up to {MAX_TEAM_NAME} characters, like &ldquo;Elm Street knockers&rdquo;.
              </span>
              {nameError ? (
                <span className="field-error" id="promote-name-error">
                  {nameError}
                </span>
              ) : null}
              <input
                id="promote-name"
                name="name"
                type="text"
                defaultValue={typeof submitted.name === "string" ? submitted.name : ""}
                aria-invalid={nameError ? true : undefined}
                aria-describedby={
                  nameError ? "promote-name-hint promote-name-error" : "promote-name-hint"
                }
              />
            </div>
            <div className="actions">
              <button type="submit" className="button">
                Make team lead
              </button>
              <Link to={search(query, { promote: null })}>Cancel</Link>
            </div>
          </Form>
        </section>
      ) : null}

      <Form method="get" className="report-filters">
        <div className="field">
          <label htmlFor="champions-sort">Rank by</label>
          <select id="champions-sort" name="sort" defaultValue={query.sort}>
            {CHAMPION_SORTS.map((sort) => (
              <option key={sort} value={sort}>
                {SORT_WORDS[sort]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="champions-min">At least this many reports</label>
          <select id="champions-min" name="min" defaultValue={String(query.minReports)}>
            {Array.from({ length: MAX_MIN_REPORTS }, (_, i) => i + 1).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="submit" className="button button--secondary">
            Show
          </button>
        </div>
      </Form>

      <p>
        {total === 0
          ? "Nobody has that many reports yet."
          : `${formatNumber(total)} ${total === 1 ? "person" : "people"} with at least ${formatNumber(query.minReports)} ${query.minReports === 1 ? "report" : "reports"}.`}
        {unranked > 0
          ? ` ${formatNumber(unranked)} more ${unranked === 1 ? "has" : "have"} fewer and ${unranked === 1 ? "isn't" : "aren't"} ranked.`
          : ""}
      </p>

      {people.length > 0 ? (
        <div className="table-wrap" role="region" aria-labelledby="champions-caption" tabIndex={0}>
          <table>
            <caption id="champions-caption">
              Ranked by {SORT_WORDS[query.sort].toLowerCase()}, page {formatNumber(query.page)} of{" "}
              {formatNumber(pages)}
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Reports</th>
                <th scope="col">On time</th>
                <th scope="col">Weeks with a report</th>
                <th scope="col">Furthest step</th>
                <th scope="col">Last report</th>
                <th scope="col">Team lead</th>
              </tr>
            </thead>
            <tbody>
              {people.map((person) => (
                <tr key={person.userId}>
                  <th scope="row">
                    <Link to={`/org/people/${person.userId}`}>{person.firstName}</Link>
                  </th>
                  <td>{formatNumber(person.reports)}</td>
                  <td>
                    {percent(person.onTimeRate)}
                    {person.closed > 0 ? (
                      <span className="muted">
                        {" "}
                        ({formatNumber(person.onTime)} of {formatNumber(person.closed)})
                      </span>
                    ) : null}
                  </td>
                  <td>
                    {formatNumber(person.activeWeeks)} of {formatNumber(person.weeks)}
                  </td>
                  <td>
                    {person.furthestStep === null
                      ? "–"
                      : `${formatNumber(person.furthestStep)}${person.furthestTitle ? `: ${person.furthestTitle}` : ""}`}
                  </td>
                  <td>{person.lastReportAt ?? "–"}</td>
                  <td>
                    {person.leads ? (
                      `Leads ${person.leads}`
                    ) : person.canPromote ? (
                      <Link to={`${search(query, { promote: person.userId })}#promote-heading`}>
                        Make team lead
                        <span className="visually-hidden">: {person.firstName}</span>
                      </Link>
                    ) : person.role === "TEAM_LEAD" ? (
                      "Team lead"
                    ) : person.role === "OWNER" || person.role === "ORGANISER" ? (
                      "Organiser"
                    ) : (
                      "–"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {pages > 1 ? (
        <nav aria-label="Pages" className="actions">
          {query.page > 1 ? (
            <Link to={search(query, { page: query.page - 1, promote: null })}>Previous page</Link>
          ) : null}
          {query.page < pages ? (
            <Link to={search(query, { page: query.page + 1, promote: null })}>Next page</Link>
          ) : null}
        </nav>
      ) : null}

      <p className="hint">
        On time: reports made by the due date, out of tasks reported, skipped or left to run out.
        Weeks with a report: out of the weeks since they joined. Furthest step: the furthest task of
        the ladder they were given.
      </p>
    </>
  );
}
