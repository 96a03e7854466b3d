import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { TEMPLATE_NAMES } from "../../emails/templates.ts";
import { listOutbox } from "~/models/message.server.ts";
import { requireOutboxPreview } from "~/utils/dev-only.server.ts";
import { formatDateTime } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Outbox (development) – Onward" }];

export async function loader(_: LoaderFunctionArgs) {
  requireOutboxPreview();
  const messages = await listOutbox();
  return {
    templates: TEMPLATE_NAMES,
    messages: messages.map((message) => ({
      ...message,
      createdAt: formatDateTime(message.createdAt),
      preview: message.subject ?? message.bodyText.slice(0, 80),
    })),
  };
}

export default function Outbox() {
  const { messages, templates } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Outbox</h1>
      <p>
        Every email and text message Onward has sent or kept, newest first. Messages that were not
        sent by a real provider are kept here so you can read them. This page only exists on
        development machines.
      </p>
      {messages.length === 0 ? (
        <p>No messages yet.</p>
      ) : (
        <ul className="card-list">
          {messages.map((message) => (
            <li className="card" key={message.id}>
              <Link to={`/dev/outbox/${message.id}`}>
                {message.channel === "EMAIL" ? "Email" : "Text"} to {message.toAddress}:{" "}
                {message.preview}
              </Link>
              <br />
              <span className="muted">
                {message.createdAt} · {message.status.toLowerCase()}
                {message.transport ? ` via ${message.transport}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>Templates</h2>
      <p>Every email template, filled with its preview content.</p>
      <ul>
        {templates.map((name) => (
          <li key={name}>
            <Link to={`/dev/outbox/templates/${name}`}>{name}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}
