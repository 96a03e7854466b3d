import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { TaskEditor } from "~/components/task/task-editor";
import { ErrorSummary } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { archiveTask, getTaskEditor, saveTask } from "~/models/task.server.ts";
import { TaskFormSchema } from "~/schemas/task.ts";
import { parseForm } from "~/utils/form.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Edit ${data.task.defaults.title ?? "task"} – Onward` : "Edit task – Onward" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const editor = await orNotFound(
    getTaskEditor({
      actorId: user.id,
      campaignId: params.campaignId ?? "",
      taskId: params.taskId ?? "",
    }),
  );
  if (!editor.task) throw new Response("Not found", { status: 404 });
  return { campaign: editor.campaign, tasks: editor.tasks, task: editor.task };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const taskId = params.taskId ?? "";
  const formData = await request.formData();

  if (formData.get("intent") === "archive") {
    const archived = await orNotFound(archiveTask({ actorId: user.id, campaignId, taskId }));
    if (!archived.ok) return data({ archiveErrors: archived.errors }, { status: 400 });
    return redirect(`/org/campaigns/${campaignId}?done=task-deleted`);
  }

  const submission = parseForm(formData, { schema: TaskFormSchema, intents: true });
  // Adding, moving or removing a question, rule or condition without JavaScript.
  if (submission.status === undefined) return submission.reply();
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    saveTask({ actorId: user.id, campaignId, taskId, input: submission.value }),
  );
  if (!result.ok) {
    return data(
      submission.reply({ formErrors: result.formErrors, fieldErrors: result.fieldErrors }),
      { status: 400 },
    );
  }
  return redirect(`/org/campaigns/${campaignId}?done=task-saved`);
}

export default function EditTask() {
  const { campaign, tasks, task } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const archiveErrors = actionData && "archiveErrors" in actionData ? actionData.archiveErrors : [];
  const lastResult = actionData && !("archiveErrors" in actionData) ? actionData : undefined;
  const base = `/org/campaigns/${campaign.id}`;
  return (
    <>
      <p>
        <Link to={base}>Back to {campaign.title}</Link>
      </p>
      <h1>Edit task</h1>
      {task.archived ? (
        <>
          <p className="notice">
            This task was deleted. People who already had it can still finish it, but nobody new is
            given it.
          </p>
          <p>
            <Link to={base}>Back to the ladder</Link>
          </p>
        </>
      ) : (
        <>
          <p>
            Version {task.version}.{" "}
            {campaign.status === "DRAFT"
              ? "Saving makes a new version."
              : "Saving makes a new version: people who already have this task keep the one they were given."}{" "}
            <Link to={`${base}/tasks/${task.id}/preview`}>Preview it as volunteers see it</Link>
          </p>
          <ErrorSummary errors={archiveErrors.map((message) => ({ id: "delete-task", message }))} />
          <TaskEditor
            lastResult={lastResult}
            defaultValue={task.defaults}
            tasks={tasks}
            taskId={task.id}
            isFirst={task.isFirst}
            metricLabel={campaign.metricLabel}
            submitLabel="Save task"
          />
          <section aria-labelledby="delete-heading" className="danger-zone">
            <h2 id="delete-heading">Delete this task</h2>
            <p>
              People who already have it can still finish it. Nobody new is given it. Change any
              rule that leads here first.
            </p>
            <Form method="post">
              <button
                id="delete-task"
                type="submit"
                name="intent"
                value="archive"
                className="button button--secondary"
                disabled={navigation.state === "submitting"}
              >
                Delete this task
              </button>
            </Form>
          </section>
        </>
      )}
    </>
  );
}
