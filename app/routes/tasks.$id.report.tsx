import { randomUUID } from "node:crypto";
import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  Optional,
  ReportFields,
  reportFieldId,
  summaryMessage,
} from "~/components/task/report-fields";
import { ErrorSummary } from "~/components/ui/form";
import { OFFLINE_SYNC_HEADER } from "~/enhance/protocol.ts";
import { parseFields } from "~/loop/engine.ts";
import { startReport, submitReport } from "~/loop/service.server.ts";
import {
  buildReportSchema,
  FEEDBACK_LABEL,
  formIdempotencyKey,
  reportFromForm,
} from "~/schemas/report.ts";
import { parseForm } from "~/utils/form.server.ts";
import {
  consumeReportLimit,
  reportLimitMessage,
  retryAfter,
  retryAfterHeaders,
} from "~/utils/rate-limit.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";
import { requireOwnAssignment } from "~/utils/volunteer.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Report back: ${data.title} – Onward` : "Report back – Onward" },
];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export const headers = retryAfterHeaders;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { assignment } = await requireOwnAssignment(request, params.id);
  // An expired task still takes a late report.
  if (assignment.status !== "ASSIGNED" && assignment.status !== "EXPIRED") {
    throw redirect(`/tasks/${assignment.id}`);
  }
  return {
    id: assignment.id,
    title: assignment.taskVersion.title,
    fields: parseFields(assignment.taskVersion.fields),
    // One key per form shown: a double submit or a retried POST of this form counts once.
    idempotencyKey: randomUUID(),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await request.formData();
  // One read gives the task's fields to check the form with and all the report decides on.
  const start = await startReport({
    assignmentId: params.id ?? "",
    userId: user.id,
    idempotencyKey: formIdempotencyKey(form.get("idempotencyKey")),
  });
  if (!start) throw new Response("Not found", { status: 404 });
  const limited = await consumeReportLimit({ userId: user.id, ip: clientIp(request) });
  const { fields } = start;
  const submission = parseForm(form, { schema: buildReportSchema(fields) });
  if (!limited.ok) {
    return data(submission.reply({ formErrors: [reportLimitMessage(limited)] }), {
      status: 429,
      headers: retryAfter(limited),
    });
  }
  if (submission.status !== "success") {
    return data(submission.reply(), { status: 400 });
  }
  const { values, feedback, idempotencyKey } = reportFromForm(fields, submission.value);
  const result = await submitReport({
    assignmentId: start.assignmentId,
    userId: user.id,
    values,
    feedback,
    idempotencyKey,
    // The phone's offline queue (app/enhance/) marks the reports it sends once back online.
    source: request.headers.get(OFFLINE_SYNC_HEADER) === "1" ? "OFFLINE_SYNC" : "WEB",
    start,
  });
  if (!result.ok) {
    if (result.status === 404) throw new Response("Not found", { status: 404 });
    return data(submission.reply({ formErrors: [result.error] }), { status: 409 });
  }
  return redirect(`/tasks/${start.assignmentId}/thanks`);
}

export default function ReportBack() {
  const { id, title, fields, idempotencyKey } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, formFields] = useForm({ id: "report", lastResult });
  const fieldErrors = form.allErrors;
  const errors = [
    ...(form.errors ?? []).map((message) => ({ id: "", message })),
    ...fields.flatMap((field) =>
      (fieldErrors[field.key] ?? []).map((message) => ({
        id: reportFieldId(field.key),
        message: summaryMessage(field.label, message),
      })),
    ),
    ...(fieldErrors.feedback ?? []).map((message) => ({
      id: "feedback",
      message: summaryMessage(FEEDBACK_LABEL, message),
    })),
    // The hidden key is only wrong if the page was tampered with or is very old.
    ...(fieldErrors.idempotencyKey ?? []).map((message) => ({ id: "", message })),
  ];
  const submitted = (lastResult?.initialValue ?? {}) as Record<string, string>;
  return (
    <>
      <p>
        <Link className="standalone-link" to={`/tasks/${id}`}>
          Back to the task
        </Link>
      </p>
      <h1>Report back</h1>
      <p className="lead">{title}</p>
      <ErrorSummary errors={errors} />
      <Form
        method="post"
        {...getFormProps(form)}
        noValidate
        // The page script saves this form on the phone when it is sent without a connection.
        data-offline-report=""
        data-task-title={title}
      >
        <input
          type="hidden"
          name="idempotencyKey"
          value={String(submitted.idempotencyKey ?? idempotencyKey)}
        />
        <ReportFields fields={fields} values={submitted} errors={fieldErrors} />
        <div className="field">
          <label htmlFor="feedback">
            {FEEDBACK_LABEL}
            <Optional required={false} />
          </label>
          <span className="hint" id="feedback-hint">
            The organisers read every message.
          </span>
          {fieldErrors.feedback?.[0] ? (
            <span className="field-error" id="feedback-error">
              {fieldErrors.feedback[0]}
            </span>
          ) : null}
          <textarea
            id="feedback"
            name={formFields.feedback?.name ?? "feedback"}
            rows={4}
            defaultValue={submitted.feedback ?? ""}
            aria-describedby={
              fieldErrors.feedback?.[0] ? "feedback-hint feedback-error" : "feedback-hint"
            }
            aria-invalid={fieldErrors.feedback?.[0] ? true : undefined}
          />
        </div>
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Send my report
        </button>
      </Form>
    </>
  );
}
