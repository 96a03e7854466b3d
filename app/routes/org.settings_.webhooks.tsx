import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorSummary, TextField, summariseErrors } from "~/components/ui/form";
import { ForbiddenError, OWNER_ROLES, chooseOrganisation } from "~/models/membership.server.ts";
import { createEndpoint, listEndpoints } from "~/models/webhooks.server.ts";
import { CreateEndpointSchema, EVENT_WORDS, WEBHOOK_EVENTS } from "~/schemas/webhooks.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatDateTime } from "~/utils/format";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Webhooks – Onward" }];

const STATUS_WORDS = { PENDING: "Sending", SUCCEEDED: "Delivered", FAILED: "Failed" } as const;

/**
 * /org/settings/webhooks: the organisation's outgoing webhooks (ADR 018), for its owners only;
 * organisers, team leads, volunteers and other organisations' people get a 403, as on the audit
 * log. ?org=<id> picks the organisation. Adding one shows its signing secret on the answer.
 */
async function ownedOrganisation(request: Request, userId: string) {
  const chosen = await chooseOrganisation({
    userId,
    wanted: new URL(request.url).searchParams.get("org"),
    roles: OWNER_ROLES,
  });
  if (chosen === "choose") throw redirect("/org");
  if (!chosen) throw new Response("Forbidden", { status: 403 });
  return chosen.organisation;
}

function forbidden(error: unknown): never {
  if (error instanceof ForbiddenError) throw new Response("Forbidden", { status: 403 });
  throw error;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const organisation = await ownedOrganisation(request, user.id);
  const endpoints = await listEndpoints({
    actorId: user.id,
    organisationId: organisation.id,
  }).catch(forbidden);
  const done = new URL(request.url).searchParams.get("done");
  return {
    organisation,
    notice: done === "deleted" ? "Webhook deleted." : null,
    endpoints: endpoints.map((endpoint) => ({
      id: endpoint.id,
      url: endpoint.url,
      events: endpoint.events.map(
        (event) => EVENT_WORDS[event as keyof typeof EVENT_WORDS]?.label ?? event,
      ),
      on: endpoint.disabledAt === null,
      last: endpoint.lastDelivery
        ? `${STATUS_WORDS[endpoint.lastDelivery.status]}, ${formatDateTime(endpoint.lastDelivery.createdAt, organisation.timezone)}`
        : "Nothing sent yet",
    })),
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const organisation = await ownedOrganisation(request, user.id);
  const submission = parseForm(await request.formData(), { schema: CreateEndpointSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), created: null }, { status: 400 });
  }
  const result = await createEndpoint({
    actorId: user.id,
    organisationId: organisation.id,
    input: submission.value,
    ip: clientIp(request),
  }).catch(forbidden);
  if (!result.ok) {
    return data(
      {
        result: submission.reply({
          formErrors: result.formErrors,
          fieldErrors: result.fieldErrors,
        }),
        created: null,
      },
      { status: 400 },
    );
  }
  // Answered here rather than redirected: the secret is shown on this one answer and kept out of
  // any address.
  return {
    result: submission.reply({ resetForm: true }),
    created: { id: result.endpointId, url: submission.value.url, secret: result.secret },
  };
}

export default function Webhooks() {
  const { organisation, endpoints, notice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm<{ url: string; events: string[] }>({
    id: "webhook",
    lastResult: actionData?.result as SubmissionResult<string[]> | undefined,
    defaultValue: { events: [...WEBHOOK_EVENTS] },
  });
  const created = actionData?.created ?? null;
  const chosenEvents = Array.isArray(fields.events.initialValue)
    ? fields.events.initialValue
    : [fields.events.initialValue];
  const eventsError = fields.events.errors?.[0];
  const org = `?org=${encodeURIComponent(organisation.id)}`;
  return (
    <>
      <p>
        <Link to={`/org/settings${org}`}>Back to settings</Link>
      </p>
      <h1>Webhooks</h1>
      <p className="lead">
        A webhook tells your own systems when something happens in {organisation.name}: we send a
        signed message to an address you choose. Only owners can see this page.
      </p>
      <ErrorSummary errors={summariseErrors(form.id, form.allErrors)} />
      {notice && !actionData ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {created ? (
        <div className="notice" role="status">
          <p>
            Webhook added for <span className="break-anywhere">{created.url}</span>. Copy its
            signing secret into your receiver now:
          </p>
          <pre className="message-body">{created.secret}</pre>
          <p>
            You can see it again on{" "}
            <Link to={`/org/settings/webhooks/${created.id}`}>the webhook&apos;s page</Link>, where
            you can also send it a test event.
          </p>
        </div>
      ) : null}

      <h2>Your webhooks</h2>
      {endpoints.length === 0 ? (
        <p>You have none yet.</p>
      ) : (
        <ul className="card-list">
          {endpoints.map((endpoint) => (
            <li key={endpoint.id} className="card">
              <h3 className="break-anywhere">
                <Link to={`/org/settings/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
              </h3>
              <dl className="details-list">
                <dt>Status</dt>
                <dd>{endpoint.on ? "On" : "Off"}</dd>
                <dt>Sends</dt>
                <dd>{endpoint.events.join("; ")}</dd>
                <dt>Last delivery</dt>
                <dd>{endpoint.last}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}

      <h2 id="add-heading">Add a webhook</h2>
      <Form method="post" {...getFormProps(form)} aria-labelledby="add-heading">
        <input type="hidden" name="intent" value="create" />
        <TextField
          meta={fields.url}
          label="Address"
          hint="Where we send events, like https://example.org/onward-webhooks"
          type="url"
          autoComplete="off"
        />
        <div className="field">
          <fieldset aria-describedby={eventsError ? fields.events.errorId : undefined}>
            <legend>Send</legend>
            {eventsError ? (
              <span className="field-error" id={fields.events.errorId}>
                {eventsError}
              </span>
            ) : null}
            {WEBHOOK_EVENTS.map((event, index) => {
              const id = index === 0 ? fields.events.id : `${fields.events.id}-${index}`;
              return (
                <div key={event}>
                  <div className="choice">
                    <input
                      type="checkbox"
                      id={id}
                      name={fields.events.name}
                      value={event}
                      defaultChecked={chosenEvents.includes(event)}
                      aria-describedby={`${id}-hint`}
                    />
                    <label htmlFor={id}>{EVENT_WORDS[event].label}</label>
                  </div>
                  <span className="hint" id={`${id}-hint`}>
                    {EVENT_WORDS[event].hint}
                  </span>
                </div>
              );
            })}
          </fieldset>
        </div>
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Add webhook
        </button>
      </Form>

      <h2>Checking a message came from us</h2>
      <p>
        Every message is a POST of JSON with an <code>Onward-Signature</code> header:{" "}
        <code>t=</code> the time it was sent and <code>v1=</code> an HMAC-SHA256 of the time, a dot
        and the body, made with the webhook&apos;s secret. Work it out yourself, compare, and refuse
        a time more than 5 minutes away. <code>Onward-Delivery</code> stays the same when we try
        again, so you can ignore a message you already have. Our README has an example.
      </p>
    </>
  );
}
