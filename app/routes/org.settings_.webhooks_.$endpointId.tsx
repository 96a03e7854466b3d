import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, TextField } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { actOnEndpoint, getEndpointLog } from "~/models/webhooks.server.ts";
import {
  EVENT_WORDS,
  EndpointActionSchema,
  WEBHOOK_EVENTS,
  type EndpointIntent,
} from "~/schemas/webhooks.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatDateTime, formatNumber } from "~/utils/format";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Webhook ${data.endpoint.url} – Onward` : "Webhook – Onward" },
];

const DONE_WORDS: Partial<Record<EndpointIntent, string>> = {
  update: "Saved.",
  disable: "Turned off. We won't send it anything until you turn it on again.",
  enable: "Turned on. New events go to it from now.",
  ping: "Test event sent. It shows at the top of the log below.",
  retry: "Sending it again now. Its new attempt shows in the log below.",
};

const INTENTS: readonly EndpointIntent[] = [
  "update",
  "disable",
  "enable",
  "delete",
  "roll-secret",
  "ping",
  "retry",
];

function eventLabel(event: string) {
  if (event === "ping") return "Test event";
  return EVENT_WORDS[event as keyof typeof EVENT_WORDS]?.label ?? event;
}

function statusWords(delivery: { status: string; nextAttemptAt: Date | null }) {
  if (delivery.status === "SUCCEEDED") return "Delivered";
  if (delivery.status === "FAILED") return "Failed";
  return delivery.nextAttemptAt && delivery.nextAttemptAt.getTime() > Date.now()
    ? "Waiting to try again"
    : "Sending";
}

/**
 * /org/settings/webhooks/<id>: one webhook, its secret and its delivery log (newest first, 50 a
 * page), for owners of its organisation; anyone else is told it isn't there.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const pageText = url.searchParams.get("page") ?? "1";
  const page = /^\d{1,6}$/.test(pageText) && Number(pageText) >= 1 ? Number(pageText) : 1;
  const log = await orNotFound(
    getEndpointLog({ actorId: user.id, endpointId: params.endpointId ?? "", page }),
  );
  const done = url.searchParams.get("done") ?? "";
  const zone = log.endpoint.organisation.timezone;
  return {
    endpoint: {
      id: log.endpoint.id,
      url: log.endpoint.url,
      on: log.endpoint.disabledAt === null,
      events: log.endpoint.events,
      eventLabels: log.endpoint.events.map(eventLabel),
      secret: log.endpoint.secret,
      maskedSecret: log.endpoint.maskedSecret,
      oldSecretUntil: log.endpoint.oldSecretUntil
        ? formatDateTime(log.endpoint.oldSecretUntil, zone)
        : null,
      added: formatDateTime(log.endpoint.createdAt, zone),
      organisation: log.endpoint.organisation,
    },
    deliveries: log.deliveries.map((delivery) => ({
      id: delivery.id,
      event: delivery.event,
      eventLabel: eventLabel(delivery.event),
      status: delivery.status,
      statusWords: statusWords(delivery),
      attempts: `${formatNumber(delivery.attempts)} of ${formatNumber(Math.max(log.maxAttempts, delivery.attempts))}`,
      lastAnswer:
        delivery.lastError ??
        (delivery.lastStatusCode === null ? null : `HTTP ${delivery.lastStatusCode}`),
      nextAttempt:
        delivery.status === "PENDING" && delivery.nextAttemptAt
          ? formatDateTime(delivery.nextAttemptAt, zone)
          : null,
      delivered: delivery.deliveredAt ? formatDateTime(delivery.deliveredAt, zone) : null,
      created: formatDateTime(delivery.createdAt, zone),
      createdAt: delivery.createdAt.toISOString(),
      payload: JSON.stringify(delivery.payload, null, 2),
    })),
    total: log.total,
    page: log.page,
    pageCount: log.pageCount,
    notice: DONE_WORDS[done as EndpointIntent] ?? null,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const endpointId = params.endpointId ?? "";
  const formData = await request.formData();
  const intentValue = String(formData.get("intent") ?? "");
  const intent = INTENTS.find((known) => known === intentValue) ?? null;
  const submission = parseForm(formData, { schema: EndpointActionSchema });
  if (submission.status !== "success") {
    return data({ intent, result: submission.reply(), secret: null }, { status: 400 });
  }
  const result = await orNotFound(
    actOnEndpoint({
      actorId: user.id,
      endpointId,
      action: submission.value,
      ip: clientIp(request),
    }),
  );
  if (!result.ok) {
    return data(
      {
        intent,
        result: submission.reply({
          formErrors: result.formErrors,
          fieldErrors: result.fieldErrors,
        }),
        secret: null,
      },
      { status: 400 },
    );
  }
  if (result.deleted) {
    return redirect(
      `/org/settings/webhooks?org=${encodeURIComponent(result.organisationId)}&done=deleted`,
    );
  }
  // The new secret is shown on this answer only, never put in an address.
  if (result.secret) return { intent, result: submission.reply(), secret: result.secret };
  return redirect(
    `/org/settings/webhooks/${encodeURIComponent(endpointId)}?done=${submission.value.intent}`,
  );
}

export default function WebhookPage() {
  const { endpoint, deliveries, total, page, pageCount, notice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [editForm, editFields] = useForm<{ url: string; events: string[] }>({
    id: "edit",
    lastResult:
      actionData?.intent === "update"
        ? (actionData.result as SubmissionResult<string[]>)
        : undefined,
    defaultValue: { url: endpoint.url, events: endpoint.events },
  });
  // Every error of whichever form was sent, in one summary (the edit form's fields also show theirs).
  const errors =
    actionData && actionData.result.status === "error"
      ? Object.entries(actionData.result.error ?? {}).flatMap(([name, messages]) =>
          (messages ?? []).map((message) => ({
            id: actionData.intent === "update" && name ? `${editForm.id}-${name}` : "",
            message,
          })),
        )
      : [];
  const chosenEvents = Array.isArray(editFields.events.initialValue)
    ? editFields.events.initialValue
    : [editFields.events.initialValue];
  const eventsError = editFields.events.errors?.[0];
  const self = `/org/settings/webhooks/${endpoint.id}`;
  const pageLink = (to: number) => (to > 1 ? `${self}?page=${to}` : self);
  return (
    <>
      <p>
        <Link to={`/org/settings/webhooks?org=${encodeURIComponent(endpoint.organisation.id)}`}>
          Back to webhooks
        </Link>
      </p>
      <h1 className="break-anywhere">Webhook: {endpoint.url}</h1>
      <ErrorSummary errors={errors} />
      {notice && !actionData ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {actionData?.secret ? (
        <div className="notice" role="status">
          <p>
            New secret made. Copy it into your receiver. For the next 24 hours we sign with both the
            old and the new one, so you have time to switch.
          </p>
          <pre className="message-body">{actionData.secret}</pre>
        </div>
      ) : null}

      <dl className="details-list">
        <dt>Status</dt>
        <dd>{endpoint.on ? "On" : "Off: we send it nothing"}</dd>
        <dt>Sends</dt>
        <dd>{endpoint.eventLabels.join("; ")}</dd>
        <dt>Added</dt>
        <dd>{endpoint.added}</dd>
        <dt>For</dt>
        <dd>{endpoint.organisation.name}</dd>
      </dl>
      <div className="actions">
        {endpoint.on ? (
          <Form method="post" className="inline-form">
            <input type="hidden" name="intent" value="ping" />
            <button type="submit" className="button">
              Send a test event
            </button>
          </Form>
        ) : null}
        <Form method="post" className="inline-form">
          <input type="hidden" name="intent" value={endpoint.on ? "disable" : "enable"} />
          <button type="submit" className="button button--secondary">
            {endpoint.on ? "Turn off" : "Turn on"}
          </button>
        </Form>
      </div>

      <section aria-labelledby="secret-heading">
        <h2 id="secret-heading">Signing secret</h2>
        <p>
          <code>{endpoint.maskedSecret}</code>
        </p>
        <details>
          <summary>Show the secret</summary>
          <pre className="message-body">{endpoint.secret}</pre>
        </details>
        {endpoint.oldSecretUntil ? (
          <p>Until {endpoint.oldSecretUntil} we also sign with the secret before this one.</p>
        ) : null}
        <Form method="post">
          <input type="hidden" name="intent" value="roll-secret" />
          <p className="hint">
            If the secret may have got out, make a new one. The old one keeps working for 24 hours.
          </p>
          <button type="submit" className="button button--secondary">
            Make a new secret
          </button>
        </Form>
      </section>

      <section aria-labelledby="log-heading">
        <h2 id="log-heading">Deliveries</h2>
        <p role="status">
          {total === 0
            ? "Nothing sent yet."
            : `${formatNumber(total)} ${total === 1 ? "delivery" : "deliveries"}, newest first. Page ${formatNumber(page)} of ${formatNumber(pageCount)}.`}
        </p>
        {deliveries.length > 0 ? (
          <ul className="card-list">
            {deliveries.map((delivery) => (
              <li key={delivery.id} className="card">
                <h3>{`${delivery.eventLabel}: ${delivery.statusWords}`}</h3>
                <dl className="details-list">
                  <dt>Happened</dt>
                  <dd>
                    <time dateTime={delivery.createdAt}>{delivery.created}</time>
                  </dd>
                  <dt>Attempts</dt>
                  <dd>{delivery.attempts}</dd>
                  {delivery.lastAnswer ? (
                    <>
                      <dt>{delivery.status === "SUCCEEDED" ? "Answer" : "Last problem"}</dt>
                      <dd className="break-anywhere">{delivery.lastAnswer}</dd>
                    </>
                  ) : null}
                  {delivery.nextAttempt ? (
                    <>
                      <dt>Next attempt</dt>
                      <dd>{delivery.nextAttempt}</dd>
                    </>
                  ) : null}
                  {delivery.delivered ? (
                    <>
                      <dt>Delivered</dt>
                      <dd>{delivery.delivered}</dd>
                    </>
                  ) : null}
                  <dt>Delivery id</dt>
                  <dd className="break-anywhere">
                    <code>{delivery.id}</code>
                  </dd>
                </dl>
                <details>
                  <summary>What we sent</summary>
                  <pre className="message-body">{delivery.payload}</pre>
                </details>
                {delivery.status === "FAILED" && endpoint.on ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="retry" />
                    <input type="hidden" name="deliveryId" value={delivery.id} />
                    <button type="submit" className="button button--secondary button--small">
                      Try again now
                      <span className="visually-hidden">
                        : {delivery.eventLabel}, {delivery.created}
                      </span>
                    </button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
        {pageCount > 1 || page > 1 ? (
          <nav aria-label="Pages" className="actions">
            {page > 1 ? (
              <Link to={pageLink(Math.min(page - 1, pageCount))}>Newer deliveries</Link>
            ) : null}
            {page < pageCount ? <Link to={pageLink(page + 1)}>Older deliveries</Link> : null}
          </nav>
        ) : null}
      </section>

      <section aria-labelledby="edit-heading">
        <h2 id="edit-heading">Change address or events</h2>
        <Form method="post" {...getFormProps(editForm)}>
          <input type="hidden" name="intent" value="update" />
          <TextField meta={editFields.url} label="Address" type="url" autoComplete="off" />
          <div className="field">
            <fieldset aria-describedby={eventsError ? editFields.events.errorId : undefined}>
              <legend>Send</legend>
              {eventsError ? (
                <span className="field-error" id={editFields.events.errorId}>
                  {eventsError}
                </span>
              ) : null}
              {WEBHOOK_EVENTS.map((event, index) => {
                const id = index === 0 ? editFields.events.id : `${editFields.events.id}-${index}`;
                return (
                  <div className="choice" key={event}>
                    <input
                      type="checkbox"
                      id={id}
                      name={editFields.events.name}
                      value={event}
                      defaultChecked={chosenEvents.includes(event)}
                    />
                    <label htmlFor={id}>{EVENT_WORDS[event].label}</label>
                  </div>
                );
              })}
            </fieldset>
          </div>
          <button type="submit" className="button button--secondary">
            Save changes
          </button>
        </Form>
      </section>

      <section aria-labelledby="delete-heading" className="danger-zone">
        <h2 id="delete-heading">Delete this webhook</h2>
        <p>We stop sending to it at once, and its delivery log goes too.</p>
        <Form method="post">
          <input type="hidden" name="intent" value="delete" />
          <button type="submit" className="button button--secondary">
            Delete webhook
          </button>
        </Form>
      </section>
    </>
  );
}
