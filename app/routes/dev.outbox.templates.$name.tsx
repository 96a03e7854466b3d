import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { isTemplateName, previewTemplate } from "../../emails/templates.ts";
import { requireOutboxPreview } from "~/utils/dev-only.server.ts";
import { renderEmail } from "~/utils/email.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Template ${data.name} (development) – Onward` : "Template – Onward" },
];

/** One email template filled with its PreviewProps: subject and plain text here, HTML at /html. */
export async function loader({ params }: LoaderFunctionArgs) {
  requireOutboxPreview();
  const name = params.name ?? "";
  if (!isTemplateName(name)) throw new Response("Not found", { status: 404 });
  const { element, subject } = previewTemplate(name);
  const { text } = await renderEmail(element);
  return { name, subject, text };
}

export default function TemplatePreview() {
  const { name, subject, text } = useLoaderData<typeof loader>();
  return (
    <>
      <p>
        <Link to="/dev/outbox">Back to the outbox</Link>
      </p>
      <h1>Template: {name}</h1>
      <p className="muted">Filled with the template's preview props (emails/{name}.tsx).</p>
      <dl>
        <dt>Subject</dt>
        <dd>{subject}</dd>
      </dl>
      <p>
        <a href={`/dev/outbox/templates/${name}/html`}>View the email as HTML</a>
      </p>
      <h2>Text</h2>
      <pre className="message-body">{text}</pre>
    </>
  );
}
