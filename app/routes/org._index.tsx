import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { listCampaigns } from "~/models/campaign.server.ts";
import { listMemberships, ORGANISER_ROLES } from "~/models/membership.server.ts";
import { formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Campaigns – Onward" }];

const STATUS_WORDS = { DRAFT: "Draft", LIVE: "Live", PAUSED: "Paused", CLOSED: "Closed" } as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const memberships = (await listMemberships({ userId: user.id })).filter((m) =>
    ORGANISER_ROLES.includes(m.role),
  );
  if (memberships.length === 0) {
    throw new Response("Forbidden", { status: 403 });
  }
  const organisations = await Promise.all(
    memberships.map(async ({ organisation, role }) => ({
      ...organisation,
      role,
      campaigns: await listCampaigns({ actorId: user.id, organisationId: organisation.id }),
    })),
  );
  return { organisations };
}

export default function OrganiserHome() {
  const { organisations } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Campaigns</h1>
      {organisations.map((organisation) => (
        <section key={organisation.id} aria-labelledby={`org-${organisation.id}`}>
          <h2 id={`org-${organisation.id}`}>{organisation.name}</h2>
          <p>
            <Link className="button" to={`/org/campaigns/new?org=${organisation.id}`}>
              New campaign<span className="visually-hidden"> for {organisation.name}</span>
            </Link>
          </p>
          <ul>
            <li>
              <Link to={`/org/people?org=${organisation.id}`}>
                People<span className="visually-hidden"> in {organisation.name}</span>
              </Link>
            </li>
            <li>
              <Link to={`/org/reports?org=${organisation.id}`}>
                Reports<span className="visually-hidden"> for {organisation.name}</span>
              </Link>
              : what every campaign achieved, and who takes part
            </li>
            {organisation.role === "OWNER" ? (
              <li>
                <Link to={`/org/settings?org=${organisation.id}`}>
                  Contact settings
                  <span className="visually-hidden"> for {organisation.name}</span>
                </Link>
                : quiet hours and how often we nudge people
              </li>
            ) : null}
            {organisation.role === "OWNER" ? (
              <li>
                <Link to={`/org/audit?org=${organisation.id}`}>
                  Audit log<span className="visually-hidden"> for {organisation.name}</span>
                </Link>
                : who looked at people's details, downloaded data or changed settings
              </li>
            ) : null}
          </ul>
          {organisation.campaigns.length === 0 ? (
            <p>No campaigns yet.</p>
          ) : (
            <ul className="card-list">
              {organisation.campaigns.map((campaign) => (
                <li className="card" key={campaign.id}>
                  <h3>
                    <Link to={`/org/campaigns/${campaign.id}`}>{campaign.title}</Link>
                  </h3>
                  <p>
                    <span className="tag">{STATUS_WORDS[campaign.status]}</span> Target:{" "}
                    {formatNumber(campaign.target)} {campaign.metricLabel}.{" "}
                    {formatNumber(campaign._count.reports)}{" "}
                    {campaign._count.reports === 1 ? "report" : "reports"} so far.
                  </p>
                  <p>
                    Join link: <code>/join/{campaign.slug}</code>
                  </p>
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </>
  );
}
