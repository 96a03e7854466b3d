import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getCampaignPoster, orNotFound } from "~/models/campaign.server.ts";
import posterHref from "~/styles/poster.css";
import { getEnv } from "~/utils/env.server.ts";
import { qrCodeSvg } from "./qr.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: posterHref }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Poster: ${data.campaign.title} – Onward` : "Poster – Onward" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const campaign = await orNotFound(
    getCampaignPoster({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const joinUrl = `${getEnv().APP_URL}/join/${campaign.slug}`;
  const qrSvg = await qrCodeSvg(joinUrl);
  return { campaign, joinUrl, qrSvg };
}

export default function Poster() {
  const { campaign, joinUrl, qrSvg } = useLoaderData<typeof loader>();
  return (
    <>
      <div className="print-hint no-print">
        <p>
          <Link to={`/org/campaigns/${campaign.id}`}>Back to {campaign.title}</Link>
        </p>
        <p>
          To print, use your browser's Print command (Ctrl+P, or ⌘P on a Mac). The poster fits one
          sheet of A4.
          {campaign.status === "DRAFT"
            ? " The campaign is still a draft: the link works once it is live."
            : ""}
        </p>
      </div>
      <article className="poster" aria-labelledby="poster-title">
        <p className="poster__org">{campaign.organisation.name}</p>
        <h1 id="poster-title" className="poster__title">
          {campaign.title}
        </h1>
        <p className="poster__description">{campaign.description}</p>
        <div className="poster__join">
          <p className="poster__scan">Scan to join</p>
          <div
            className="poster__qr"
            role="img"
            aria-label={`QR code for ${joinUrl}`}
            dangerouslySetInnerHTML={{ __html: qrSvg }}
          />
          <p>or go to</p>
          <p className="poster__url">{joinUrl}</p>
        </div>
        <section className="poster__why" aria-labelledby="poster-why">
          <h2 id="poster-why">Why take part</h2>
          <p className="pre-line">{campaign.whyTakePart}</p>
        </section>
      </article>
    </>
  );
}
