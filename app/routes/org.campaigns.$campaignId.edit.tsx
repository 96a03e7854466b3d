import { parseWithZod } from "@conform-to/zod/v4";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { CampaignForm } from "~/components/campaign/campaign-form";
import { getCampaignForEdit, orNotFound, updateCampaign } from "~/models/campaign.server.ts";
import { CampaignFormSchema } from "~/schemas/campaign.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Edit ${data.campaign.title} – Onward` : "Edit campaign – Onward" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const campaign = await orNotFound(
    getCampaignForEdit({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  return { campaign };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const submission = parseWithZod(await request.formData(), { schema: CampaignFormSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    updateCampaign({ actorId: user.id, campaignId, input: submission.value }),
  );
  if (!result.ok) {
    return data(
      submission.reply({ formErrors: result.formErrors, fieldErrors: result.fieldErrors }),
      { status: 400 },
    );
  }
  return redirect(`/org/campaigns/${campaignId}?done=updated`);
}

export default function EditCampaign() {
  const { campaign } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <>
      <p>
        <Link to={`/org/campaigns/${campaign.id}`}>Back to {campaign.title}</Link>
      </p>
      <h1>Edit the campaign</h1>
      {campaign.status === "DRAFT" ? null : (
        <p className="notice">
          This campaign has gone live, so people may already have read these details. Changes are
          recorded.
        </p>
      )}
      <CampaignForm
        lastResult={lastResult}
        defaultValue={campaign.defaults}
        submitLabel="Save changes"
        metricKeyNote="Changing the words doesn't change what is counted: reports already in still count."
      />
    </>
  );
}
