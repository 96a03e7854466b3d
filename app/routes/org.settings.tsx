import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorSummary, TextField, summariseErrors } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { chooseOrganisation } from "~/models/membership.server.ts";
import {
  getOrganisationSettings,
  updateOrganisationSettings,
} from "~/models/organisation.server.ts";
import { OrganisationSettingsSchema } from "~/schemas/organisation.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Contact settings – Onward" }];

/**
 * The organisation's contact settings: timezone, quiet hours and weekly limit. Owners change them;
 * organisers see them read-only (they explain why a message waited); anyone else gets a 404.
 * With several organisations, ?org=<id> says which (the org home links with it).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const chosen = await chooseOrganisation({ userId: user.id, wanted: url.searchParams.get("org") });
  if (chosen === "choose") throw redirect("/org");
  if (!chosen) throw new Response("Not found", { status: 404 });
  const settings = await orNotFound(
    getOrganisationSettings({ actorId: user.id, organisationId: chosen.organisation.id }),
  );
  return { ...settings, saved: url.searchParams.get("done") === "saved" };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const formData = await request.formData();
  const organisationId = String(formData.get("organisationId") ?? "");
  const submission = parseForm(formData, { schema: OrganisationSettingsSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    updateOrganisationSettings({ actorId: user.id, organisationId, input: submission.value }),
  );
  if (!result.ok) {
    return data(
      submission.reply({ formErrors: result.formErrors, fieldErrors: result.fieldErrors }),
      { status: 400 },
    );
  }
  return redirect(`/org/settings?org=${encodeURIComponent(organisationId)}&done=saved`);
}

const QUIET_HINT =
  "We never send nudges between these times in each volunteer's own time zone. " +
  "Sign-in codes are not affected.";

export default function OrganisationSettings() {
  const { organisation, canEdit, saved } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: "settings",
    lastResult,
    defaultValue: {
      timezone: organisation.timezone,
      quietStart: organisation.quietStart,
      quietEnd: organisation.quietEnd,
      weeklyCap: String(organisation.weeklyCap),
    },
  });
  return (
    <>
      <p>
        <Link to="/org">Back to campaigns</Link>
      </p>
      <h1>Contact settings</h1>
      <p className="lead">
        For {organisation.name}. These decide when, and how often, volunteers hear from you, in
        every campaign.
      </p>
      {saved && !lastResult ? (
        <p className="notice" role="status">
          Settings saved.
        </p>
      ) : null}
      {canEdit ? (
        <>
          <ErrorSummary errors={summariseErrors(form.id, form.allErrors)} />
          <Form method="post" {...getFormProps(form)}>
            <input type="hidden" name="organisationId" value={organisation.id} />
            <TextField
              meta={fields.timezone}
              label="Time zone"
              hint="Like Europe/London. We use it for volunteers who haven't told us theirs, and for the Monday digest."
              autoComplete="off"
            />
            <fieldset className="group">
              <legend>Quiet hours</legend>
              <p className="hint">
                {QUIET_HINT} A start later than the end, like 21:00 to 09:00, runs overnight.
              </p>
              <TextField
                meta={fields.quietStart}
                label="Quiet from"
                hint="A 24-hour time, like 21:00"
                className="input--number"
              />
              <TextField
                meta={fields.quietEnd}
                label="Quiet until"
                hint="A 24-hour time, like 09:00"
                className="input--number"
              />
            </fieldset>
            <TextField
              meta={fields.weeklyCap}
              label="Most nudges a person gets in 7 days"
              hint="From 1 to 14, across all your campaigns. Anything over waits for a free slot. Sign-in codes don't count."
              inputMode="numeric"
              className="input--number"
            />
            <button type="submit" className="button" disabled={navigation.state === "submitting"}>
              Save settings
            </button>
          </Form>
        </>
      ) : (
        <>
          <p>Only an owner of {organisation.name} can change these.</p>
          <dl className="details-list">
            <dt>Time zone</dt>
            <dd>{organisation.timezone}</dd>
            <dt>Quiet hours</dt>
            <dd>
              {organisation.quietStart} to {organisation.quietEnd}. {QUIET_HINT}
            </dd>
            <dt>Most nudges a person gets in 7 days</dt>
            <dd>{formatNumber(organisation.weeklyCap)}, across all your campaigns.</dd>
          </dl>
        </>
      )}
      {canEdit ? (
        <section aria-labelledby="webhooks-heading">
          <h2 id="webhooks-heading">Webhooks</h2>
          <p>
            Tell your own systems when someone joins, reports back or gets an answer.{" "}
            <Link to={`/org/settings/webhooks?org=${encodeURIComponent(organisation.id)}`}>
              Manage webhooks
            </Link>
          </p>
        </section>
      ) : null}
    </>
  );
}
