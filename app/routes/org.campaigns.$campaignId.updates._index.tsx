import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { orNotFound } from "~/models/campaign.server.ts";
import { listCampaignUpdates } from "~/models/updates.server.ts";
import { formatDateTime, formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Updates: ${data.campaign.title} – Onward` : "Updates – Onward" },
];

/** A campaign's updates to its participants, newest first, for its owners and organisers. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { campaign, updates } = await orNotFound(
    listCampaignUpdates({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const sent = new URL(request.url).searchParams.get("sent");
  return {
    campaign: { id: campaign.id, title: campaign.title },
    sent: sent && /^\d{1,9}$/.test(sent) ? Number(sent) : null,
    updates: updates.map((update) => ({
      id: update.id,
      title: update.title,
      youSaid: update.isYouSaidWeDid,
      when: update.publishedAt
        ? formatDateTime(update.publishedAt, campaign.organisation.timezone)
        : null,
      author: update.author?.name ?? null,
      recipients: update._count.recipients,
      contributions: update._count.contributions,
    })),
  };
}

export default function CampaignUpdates() {
  const { campaign, sent, updates } = useLoaderData<typeof loader>();
  const base = `/org/campaigns/${campaign.id}`;
  return (
    <>
      <p>
        <Link to={base}>Back to {campaign.title}</Link>
      </p>
      <h1>Updates: {campaign.title}</h1>
      {sent !== null ? (
        <div className="notice" role="status">
          Update sent to {formatNumber(sent)} {sent === 1 ? "person" : "people"}. They get it by
          email or text, as they chose, and see it on their page.
        </div>
      ) : null}
      <p className="lead">
        Tell the people taking part what is happening, or tell the people who raised something what
        you did about it.
      </p>
      <p>
        <Link className="button" to={`${base}/updates/new`}>
          Write an update
        </Link>
      </p>
      <h2 id="updates-heading">Sent updates</h2>
      {updates.length === 0 ? (
        <p>No updates yet.</p>
      ) : (
        <ul className="card-list" aria-labelledby="updates-heading">
          {updates.map((update) => (
            <li className="card" key={update.id}>
              <h3>{update.title}</h3>
              <p className="muted">
                {update.youSaid
                  ? `You said, we did: ${formatNumber(update.contributions)} ${update.contributions === 1 ? "contribution" : "contributions"}`
                  : "Update"}{" "}
                · sent to {formatNumber(update.recipients)}{" "}
                {update.recipients === 1 ? "person" : "people"}
                {update.when ? ` · ${update.when}` : ""}
                {update.author ? ` · by ${update.author}` : ""}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
