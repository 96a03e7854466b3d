import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Fragment } from "react";
import { getOutboxMessage } from "~/models/message.server.ts";
import { requireOutboxPreview } from "~/utils/dev-only.server.ts";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Message (development) – Onward" }];

export async function loader({ params }: LoaderFunctionArgs) {
  requireOutboxPreview();
  const message = await getOutboxMessage({ id: params.id ?? "" });
  if (!message) throw new Response("Not found", { status: 404 });
  return {
    ...message,
    createdAt: formatDateTime(message.createdAt),
    hasHtml: Boolean(message.bodyHtml),
  };
}

/** Turns the web addresses in a plain-text message into links. */
function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <>
      {parts.map((part, index) =>
        /^https?:\/\//.test(part) ? (
          <a key={index} href={part}>
            {part}
          </a>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </>
  );
}

export default function OutboxMessage() {
  const message = useLoaderData<typeof loader>();
  return (
    <>
      <p>
        <Link to="/dev/outbox">Back to the outbox</Link>
      </p>
      <h1>{message.subject ?? (message.channel === "SMS" ? "Text message" : "Email")}</h1>
      <dl>
        <dt>To</dt>
        <dd>{message.toAddress}</dd>
        <dt>Kind</dt>
        <dd>{message.kind}</dd>
        <dt>Status</dt>
        <dd>
          {message.status.toLowerCase()}
          {message.statusReason ? `: ${message.statusReason}` : ""}
          {message.transport ? ` (via ${message.transport})` : ""}
        </dd>
        <dt>Created</dt>
        <dd>{message.createdAt}</dd>
      </dl>
      <h2>Text</h2>
      <pre className="message-body">
        <Linkified text={message.bodyText} />
      </pre>
      {message.hasHtml ? (
        <p>
          <a href={`/dev/outbox/${message.id}/html`}>View the email as HTML</a>
        </p>
      ) : null}
    </>
  );
}
