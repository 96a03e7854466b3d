import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { CampaignForm } from "~/components/campaign/campaign-form";
import { createCampaign, orNotFound } from "~/models/campaign.server.ts";
import { listMemberships, ORGANISER_ROLES } from "~/models/membership.server.ts";
import { CampaignFormSchema } from "~/schemas/campaign.ts";
import { parseForm } from "~/utils/form.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "New campaign – Onward" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const organisations = (await listMemberships({ userId: user.id }))
    .filter((membership) => ORGANISER_ROLES.includes(membership.role))
    .map((membership) => membership.organisation);
  const wanted = new URL(request.url).searchParams.get("org");
  const organisation = wanted
    ? organisations.find((candidate) => candidate.id === wanted)
    : organisations.length === 1
      ? organisations[0]
      : undefined;
  if (!organisation) {
    if (!wanted && organisations.length > 1) throw redirect("/org");
    throw new Response("Not found", { status: 404 });
  }
  return { organisation: { id: organisation.id, name: organisation.name } };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const formData = await request.formData();
  const submission = parseForm(formData, { schema: CampaignFormSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const organisationId = String(formData.get("organisationId") ?? "");
  const result = await orNotFound(
    createCampaign({ actorId: user.id, organisationId, input: submission.value }),
  );
  if (!result.ok) {
    return data(
      submission.reply({ formErrors: result.formErrors, fieldErrors: result.fieldErrors }),
      { status: 400 },
    );
  }
  return redirect(`/org/campaigns/${result.campaign.id}?done=created`);
}

export default function NewCampaign() {
  const { organisation } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <>
      <p>
        <Link to="/org">Back to campaigns</Link>
      </p>
      <h1>New campaign</h1>
      <p className="lead">
        For {organisation.name}. It starts as a draft: nobody can join until you make it live.
      </p>
      <CampaignForm
        lastResult={lastResult}
        submitLabel="Create the campaign"
        hiddenFields={{ organisationId: organisation.id }}
      />
    </>
  );
}
