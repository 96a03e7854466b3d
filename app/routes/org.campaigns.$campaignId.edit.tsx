import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { CampaignForm } from "~/components/campaign/campaign-form";
import {
  NUDGE_SETTINGS_INTENT,
  NudgeSettingsForm,
} from "~/components/campaign/nudge-settings-form";
import {
  getCampaignForEdit,
  orNotFound,
  updateCampaign,
  updateCampaignNudges,
} from "~/models/campaign.server.ts";
import { CampaignFormSchema } from "~/schemas/campaign.ts";
import { NudgeSettingsFormSchema } from "~/schemas/nudges.ts";
import { parseForm } from "~/utils/form.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Edit ${data.campaign.title} – Onward` : "Edit campaign – Onward" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const campaign = await orNotFound(
    getCampaignForEdit({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const saved = new URL(request.url).searchParams.get("done") === NUDGE_SETTINGS_INTENT;
  return { campaign, saved };
}

async function saveReminders({
  formData,
  actorId,
  campaignId,
}: {
  formData: FormData;
  actorId: string;
  campaignId: string;
}) {
  const submission = parseForm(formData, { schema: NudgeSettingsFormSchema });
  if (submission.status !== "success") {
    return data({ form: "reminders" as const, reply: submission.reply() }, { status: 400 });
  }
  const result = await orNotFound(
    updateCampaignNudges({ actorId, campaignId, input: submission.value }),
  );
  if (!result.ok) {
    const reply = submission.reply({
      formErrors: result.formErrors,
      fieldErrors: result.fieldErrors,
    });
    return data({ form: "reminders" as const, reply }, { status: 400 });
  }
  return redirect(`/org/campaigns/${campaignId}/edit?done=${NUDGE_SETTINGS_INTENT}#reminders`);
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const formData = await request.formData();
  if (formData.get("intent") === NUDGE_SETTINGS_INTENT) {
    return saveReminders({ formData, actorId: user.id, campaignId });
  }
  const submission = parseForm(formData, { schema: CampaignFormSchema });
  if (submission.status !== "success") {
    return data({ form: "campaign" as const, reply: submission.reply() }, { status: 400 });
  }
  const result = await orNotFound(
    updateCampaign({ actorId: user.id, campaignId, input: submission.value }),
  );
  if (!result.ok) {
    const reply = submission.reply({
      formErrors: result.formErrors,
      fieldErrors: result.fieldErrors,
    });
    return data({ form: "campaign" as const, reply }, { status: 400 });
  }
  return redirect(`/org/campaigns/${campaignId}?done=updated`);
}

export default function EditCampaign() {
  const { campaign, saved } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
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
        lastResult={actionData?.form === "campaign" ? actionData.reply : undefined}
        defaultValue={campaign.defaults}
        submitLabel="Save changes"
        metricKeyNote="Changing the words doesn't change what is counted: reports already in still count."
      />
      <section id="reminders" aria-labelledby="reminders-heading">
        <h2 id="reminders-heading">Reminders</h2>
        <p>
          New reminder times apply to tasks given from now on: tasks people already have keep the
          times they were given.
        </p>
        {saved && !actionData ? (
          <p className="notice" role="status">
            Reminders saved.
          </p>
        ) : null}
        <NudgeSettingsForm
          lastResult={actionData?.form === "reminders" ? actionData.reply : undefined}
          defaultValue={campaign.nudges}
        />
      </section>
    </>
  );
}
