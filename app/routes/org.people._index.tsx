import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { orNotFound } from "~/models/campaign.server.ts";
import { chooseOrganisation } from "~/models/membership.server.ts";
import { listPeople, PEOPLE_PAGE_SIZE } from "~/models/people.server.ts";
import { formatDate, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "People – Onward" }];

const CONTACT_WORDS = { EMAIL: "Email", SMS: "Text", BOTH: "Email and text" } as const;
const ROLE_WORDS: Record<string, string | null> = {
  OWNER: "Owner",
  ORGANISER: "Organiser",
  TEAM_LEAD: "Team lead",
  VOLUNTEER: null,
};

/**
 * Everyone in the organisation, newest to join first, 50 a page, for its owners and organisers.
 * ?org=<id> picks the organisation (as on /org/settings), ?q= searches, ?page= pages.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const chosen = await chooseOrganisation({ userId: user.id, wanted: url.searchParams.get("org") });
  if (chosen === "choose") throw redirect("/org");
  if (!chosen) throw new Response("Not found", { status: 404 });
  const page = Number(url.searchParams.get("page") ?? "1");
  const found = await orNotFound(
    listPeople({
      actorId: user.id,
      organisationId: chosen.organisation.id,
      search: url.searchParams.get("q") ?? "",
      page: Number.isSafeInteger(page) ? page : 1,
    }),
  );
  return {
    organisation: chosen.organisation,
    search: found.search,
    page: found.page,
    pageCount: found.pageCount,
    total: found.total,
    first: (found.page - 1) * PEOPLE_PAGE_SIZE + 1,
    people: found.people.map((person) => ({
      id: person.id,
      name: person.name ?? "No name given",
      role: ROLE_WORDS[person.role] ?? null,
      contactBy: CONTACT_WORDS[person.channelPreference],
      joined: formatDate(person.joinedAt, chosen.organisation.timezone),
      openTask: person.openTask,
      lastReport: person.lastReportAt
        ? formatDate(person.lastReportAt, chosen.organisation.timezone)
        : null,
    })),
  };
}

function pageLink({ org, search, page }: { org: string; search: string; page: number }) {
  const params = new URLSearchParams({ org });
  if (search) params.set("q", search);
  if (page > 1) params.set("page", String(page));
  return `/org/people?${params.toString()}`;
}

export default function People() {
  const { organisation, search, page, pageCount, total, first, people } =
    useLoaderData<typeof loader>();
  const last = first + people.length - 1;
  const link = (to: number) => pageLink({ org: organisation.id, search, page: to });
  const noun = total === 1 ? "person" : "people";
  return (
    <>
      <p>
        <Link to="/org">Back to campaigns</Link>
      </p>
      <h1>People</h1>
      <p className="lead">
        Everyone in {organisation.name}, newest first. Choose a name to see every message we sent
        them.
      </p>
      <Form method="get" role="search" aria-label="People">
        <input type="hidden" name="org" value={organisation.id} />
        <div className="field">
          <label htmlFor="people-search">Search by name, email or phone</label>
          <input id="people-search" type="search" name="q" defaultValue={search} />
        </div>
        <div className="actions">
          <button type="submit" className="button">
            Search
          </button>
          {search ? <Link to={link(1)}>Show everyone</Link> : null}
        </div>
      </Form>
      <p role="status">
        {total === 0
          ? search
            ? `Nobody matches “${search}”.`
            : "Nobody has joined yet."
          : people.length === 0
            ? `There is no page ${formatNumber(page)}.`
            : `${formatNumber(total)} ${noun}${search ? ` matching “${search}”` : ""}. Showing ${formatNumber(first)} to ${formatNumber(last)}.`}
      </p>
      {people.length > 0 ? (
        <ul className="card-list">
          {people.map((person) => (
            <li className="card" key={person.id}>
              <h2>
                <Link to={`/org/people/${person.id}`}>{person.name}</Link>
                {person.role ? (
                  <>
                    {" "}
                    <span className="tag">{person.role}</span>
                  </>
                ) : null}
              </h2>
              <dl className="task-facts">
                <div className="task-facts__item">
                  <dt>Contact by</dt>
                  <dd>{person.contactBy}</dd>
                </div>
                <div className="task-facts__item">
                  <dt>Joined</dt>
                  <dd>{person.joined}</dd>
                </div>
                <div className="task-facts__item">
                  <dt>Open task</dt>
                  <dd>
                    {person.openTask
                      ? `${person.openTask.title} (${person.openTask.campaign})${
                          person.openTask.others > 0
                            ? `, and ${formatNumber(person.openTask.others)} more`
                            : ""
                        }`
                      : "None"}
                  </dd>
                </div>
                <div className="task-facts__item">
                  <dt>Last report</dt>
                  <dd>{person.lastReport ?? "None yet"}</dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      ) : null}
      {pageCount > 1 || page > 1 ? (
        <nav aria-label="Pages" className="actions">
          {page > 1 ? <Link to={link(Math.min(page - 1, pageCount))}>Previous page</Link> : null}
          <span>
            Page {formatNumber(page)} of {formatNumber(pageCount)}
          </span>
          {page < pageCount ? <Link to={link(page + 1)}>Next page</Link> : null}
        </nav>
      ) : null}
    </>
  );
}
