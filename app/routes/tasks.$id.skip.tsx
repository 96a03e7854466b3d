import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { randomUUID } from "node:crypto";
import { ErrorSummary } from "~/components/ui/form";
import { skipAssignment } from "~/loop/service.server.ts";
import { buildSkipSchema } from "~/schemas/report.ts";
import { parseForm } from "~/utils/form.server.ts";
import {
  consumeReportLimit,
  reportLimitMessage,
  retryAfter,
  retryAfterHeaders,
} from "~/utils/rate-limit.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { requireOwnAssignment } from "~/utils/volunteer.server.ts";

export const meta: MetaFunction = () => [{ title: "I can't do this task – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export const headers = retryAfterHeaders;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { assignment } = await requireOwnAssignment(request, params.id);
  if (assignment.status !== "ASSIGNED") throw redirect(`/tasks/${assignment.id}`);
  return { id: assignment.id, title: assignment.taskVersion.title, idempotencyKey: randomUUID() };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, assignment } = await requireOwnAssignment(request, params.id);
  const limited = await consumeReportLimit({ userId: user.id, ip: clientIp(request) });
  const submission = parseForm(await request.formData(), { schema: buildSkipSchema() });
  if (!limited.ok) {
    return data(submission.reply({ formErrors: [reportLimitMessage(limited)] }), {
      status: 429,
      headers: retryAfter(limited),
    });
  }
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await skipAssignment({
    assignmentId: assignment.id,
    userId: user.id,
    reason: submission.value.reason,
  });
  if (!result.ok) {
    if (result.status === 404) throw new Response("Not found", { status: 404 });
    return data(submission.reply({ formErrors: [result.error] }), { status: 409 });
  }
  return redirect(`/tasks/${assignment.id}/thanks`);
}

export default function Skip() {
  const { id, title, idempotencyKey } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({ id: "skip", lastResult });
  const reasonError = fields.reason?.errors?.[0];
  // What they wrote comes back with any error, so a refused skip never loses their words.
  const submitted = (lastResult?.initialValue ?? {}) as Record<string, unknown>;
  const reasonValue = typeof submitted.reason === "string" ? submitted.reason : undefined;
  const errors = [
    ...(form.errors ?? []).map((message) => ({ id: "", message })),
    ...(reasonError ? [{ id: "reason", message: reasonError }] : []),
    // The hidden key is only wrong if the page was tampered with or is very old.
    ...(fields.idempotencyKey?.errors ?? []).map((message) => ({ id: "", message })),
  ];
  return (
    <>
      <p>
        <Link className="standalone-link" to={`/tasks/${id}`}>
          Back to the task
        </Link>
      </p>
      <h1>I can't do this task</h1>
      <p className="lead">{title}</p>
      <ErrorSummary errors={errors} />
      <p>That's fine. Tell us why, and we'll find you something that suits you better.</p>
      <Form method="post" {...getFormProps(form)} noValidate>
        <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
        <div className="field">
          <label htmlFor="reason">Why can't you do it?</label>
          <span className="hint" id="reason-hint">
            For example: not enough time, too far away, I don't feel safe doing it.
          </span>
          {reasonError ? (
            <span className="field-error" id="reason-error">
              {reasonError}
            </span>
          ) : null}
          <textarea
            id="reason"
            name="reason"
            rows={3}
            defaultValue={reasonValue}
            aria-describedby={reasonError ? "reason-hint reason-error" : "reason-hint"}
            aria-invalid={reasonError ? true : undefined}
          />
        </div>
        <button type="submit" className="button">
          Skip this task
        </button>
      </Form>
    </>
  );
}
