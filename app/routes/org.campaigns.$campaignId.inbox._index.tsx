import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { areaOptions, FilterSelect, taskOptions } from "~/components/filter-select";
import { orNotFound } from "~/models/campaign.server.ts";
import { listInbox } from "~/models/inbox.server.ts";
import {
  STATUS_WORDS,
  durationWords,
  inboxSearch,
  itemWords,
  parseInboxFilters,
} from "~/schemas/inbox.ts";
import { formatDateTime, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Inbox: ${data.campaign.title} – Onward` : "Inbox – Onward" },
];

/**
 * A campaign's inbox for its owners and organisers: every report with free text and every skip
 * reason, newest first, filtered by the address (?unanswered=1&area=&task=&feedback=1&page=).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { filters, problems } = parseInboxFilters(new URL(request.url).searchParams);
  const now = new Date();
  const inbox = await orNotFound(
    listInbox({ actorId: user.id, campaignId: params.campaignId ?? "", filters, now }),
  );
  return {
    campaign: { id: inbox.campaign.id, title: inbox.campaign.title },
    filters,
    problems,
    total: inbox.total,
    unanswered: inbox.unanswered,
    pages: inbox.pages,
    median:
      inbox.median.medianMs === null
        ? null
        : { words: durationWords(inbox.median.medianMs), answered: inbox.median.answered },
    tasks: inbox.tasks,
    areas: inbox.areas,
    previous: filters.page > 1 ? inboxSearch(filters, filters.page - 1) || "?" : null,
    next: filters.page < inbox.pages ? inboxSearch(filters, filters.page + 1) : null,
    items: inbox.items.map((item) => ({
      id: item.id,
      kind: item.kind,
      when: formatDateTime(item.at, inbox.campaign.organisation.timezone),
      age: item.ageMs === null ? null : durationWords(item.ageMs),
      taskTitle: item.taskTitle,
      district: item.district,
      volunteer: item.volunteer?.name ?? "Deleted account",
      words: itemWords(item),
      status: STATUS_WORDS[item.status],
      tags: item.tags,
      assignee: item.assignee?.name ?? null,
    })),
  };
}

export default function CampaignInbox() {
  const data = useLoaderData<typeof loader>();
  const { campaign, filters, items } = data;
  const base = `/org/campaigns/${campaign.id}`;
  const search = inboxSearch(filters);
  return (
    <>
      <p>
        <Link to={base}>Back to {campaign.title}</Link>
      </p>
      <h1>Inbox: {campaign.title}</h1>
      <p className="lead">
        What volunteers told you in their reports, and why they skipped tasks. Reply, or mark what
        you did about it.
      </p>
      {data.problems.length > 0 ? (
        <div className="notice" role="status">
          <ul>
            {data.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      ) : null}

      <dl className="report-figures">
        <div>
          <dt>Waiting for an answer</dt>
          <dd>{formatNumber(data.unanswered)}</dd>
        </div>
        <div>
          <dt>Typical time to answer</dt>
          <dd>{data.median ? data.median.words : "None answered yet"}</dd>
        </div>
      </dl>
      <p className="hint">
        The typical time to answer is the median time from a report or skip to your first reply or
        mark
        {data.median ? `, over ${formatNumber(data.median.answered)} answered` : ""}.
      </p>

      {/* Keyed by the filters so the fields show the values as read ("ls7" comes back as "LS7"). */}
      <Form key={search} method="get" aria-label="Filters">
        <div className="report-filters">
          <div className="field">
            <div className="choice">
              <input
                type="checkbox"
                id="filter-unanswered"
                name="unanswered"
                value="1"
                defaultChecked={filters.unanswered}
              />
              <label htmlFor="filter-unanswered">Waiting for an answer only</label>
            </div>
          </div>
          <div className="field">
            <div className="choice">
              <input
                type="checkbox"
                id="filter-feedback"
                name="feedback"
                value="1"
                defaultChecked={filters.hasFeedback}
              />
              <label htmlFor="filter-feedback">Has feedback</label>
            </div>
          </div>
          <FilterSelect
            id="filter-area"
            name="area"
            label="Area"
            anyLabel="Every area"
            defaultValue={filters.area}
            options={areaOptions(data.areas)}
          />
          <FilterSelect
            id="filter-task"
            name="task"
            label="Task"
            anyLabel="Every task"
            defaultValue={filters.taskId}
            options={taskOptions(data.tasks)}
          />
        </div>
        <div className="actions">
          <button type="submit" className="button">
            Show
          </button>
          <Link to={`${base}/inbox`}>Clear filters</Link>
        </div>
      </Form>

      <h2 id="items-heading">
        {formatNumber(data.total)} {data.total === 1 ? "item" : "items"}, newest first
      </h2>
      {items.length === 0 ? (
        <p>Nothing here{search ? " with these filters" : " yet"}.</p>
      ) : (
        <ul className="card-list" aria-labelledby="items-heading">
          {items.map((item) => (
            <li className="card" key={item.id}>
              <p className="muted">
                {item.kind === "skip" ? "Skipped" : "Report"}: {item.taskTitle} · {item.volunteer}
                {item.district ? ` · ${item.district}` : ""} · {item.when}
              </p>
              <p className="pre-line">{item.words}</p>
              <p>
                <strong>{item.status}</strong>
                {item.age ? ` for ${item.age}` : ""}
                {item.assignee ? ` · With ${item.assignee}` : ""}
                {item.tags.map((tag) => (
                  <span key={tag}>
                    {" "}
                    <span className="tag">{tag}</span>
                  </span>
                ))}
              </p>
              <p>
                <Link to={`${base}/inbox/${item.id}${search}`}>
                  Open<span className="visually-hidden"> what {item.volunteer} said</span>
                </Link>
              </p>
            </li>
          ))}
        </ul>
      )}
      {data.previous || data.next ? (
        <nav aria-label="Pages" className="actions">
          {data.previous ? <Link to={data.previous}>Newer</Link> : null}
          <span>
            Page {formatNumber(filters.page)} of {formatNumber(data.pages)}
          </span>
          {data.next ? <Link to={data.next}>Older</Link> : null}
        </nav>
      ) : null}
    </>
  );
}
