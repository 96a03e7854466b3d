import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import {
  MIN_AREA_VOLUNTEERS,
  getPublicPageSetting,
  setPublicPage,
} from "~/models/public-outcomes.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { parseForm } from "~/utils/form.server.ts";
import { requireUser } from "~/utils/session.server.ts";

/**
 * /org/campaigns/<id>/public: the campaign's public outcomes page (/p/<slug>) and its open data,
 * off until an owner or organiser turns it on. Each change is in the audit log (ADR 017).
 */

const PublicPageSchema = z.object({
  public: z.enum(["on", "off"], { error: "Choose whether the page is public." }),
});

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data ? `Public page of ${data.campaign.title} – Onward` : "Public page – Onward",
  },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const campaign = await orNotFound(
    getPublicPageSetting({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const done = new URL(request.url).searchParams.get("done");
  return {
    campaign,
    publicUrl: `${getEnv().APP_URL}/p/${campaign.slug}`,
    notice:
      done === "on"
        ? "The public page is on. Anyone with the link can see it."
        : done === "off"
          ? "The public page is off. Its address and open data now say “not found”."
          : null,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const submission = parseForm(await request.formData(), { schema: PublicPageSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const isPublic = submission.value.public === "on";
  await orNotFound(setPublicPage({ actorId: user.id, campaignId, isPublic }));
  return redirect(`/org/campaigns/${campaignId}/public?done=${isPublic ? "on" : "off"}`);
}

export default function PublicPageSettings() {
  const { campaign, publicUrl, notice } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({ id: "public-page", lastResult });
  const errors = [...(form.errors ?? []), ...(fields.public?.errors ?? [])].map((message) => ({
    id: "",
    message,
  }));
  const path = `/p/${campaign.slug}`;
  return (
    <>
      <p>
        <Link to={`/org/campaigns/${campaign.id}`}>Back to {campaign.title}</Link>
      </p>
      <h1>Public outcomes page</h1>
      {notice && !lastResult ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorSummary errors={errors} />
      <p>
        Show anyone what this campaign has achieved: progress toward the objective, how many people
        took part, figures by area, and your published &ldquo;you said, we did&rdquo; updates. The
        same figures are open data (JSON and CSV) that other sites can reuse.
      </p>
      <p>
        It never shows names, contact details, what people wrote in their reports, or anything about
        one person. An area with fewer than {MIN_AREA_VOLUNTEERS} volunteers is counted in
        &ldquo;Other areas&rdquo;.
      </p>
      <section aria-labelledby="public-status-heading">
        <h2 id="public-status-heading">
          {`The public page is ${campaign.isPublic ? "on" : "off"}`}
        </h2>
        {campaign.isPublic ? (
          <>
            <div className="field">
              <label htmlFor="public-link">Public page link</label>
              <span className="hint" id="public-link-hint">
                Select the link and copy it into posts and newsletters.
              </span>
              <input
                id="public-link"
                type="text"
                readOnly
                value={publicUrl}
                aria-describedby="public-link-hint"
                className="input--copy"
              />
            </div>
            <ul>
              <li>
                <a href={path}>Open the public page</a>
              </li>
              <li>
                <a href={`${path}/outcomes.json`}>All figures (JSON)</a>
              </li>
              <li>
                <a href={`${path}/areas.csv`}>Figures by area (CSV)</a>
              </li>
            </ul>
          </>
        ) : (
          <p>Nobody can see it: its address says &ldquo;not found&rdquo;.</p>
        )}
        <Form method="post" {...getFormProps(form)}>
          <input type="hidden" name="public" value={campaign.isPublic ? "off" : "on"} />
          <button
            type="submit"
            className={campaign.isPublic ? "button button--secondary" : "button"}
          >
            {campaign.isPublic ? "Turn the public page off" : "Turn the public page on"}
          </button>
        </Form>
      </section>
    </>
  );
}
