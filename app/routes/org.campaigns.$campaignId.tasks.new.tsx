import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { TaskEditor } from "~/components/task/task-editor";
import { orNotFound } from "~/models/campaign.server.ts";
import { getTaskEditor, saveTask } from "~/models/task.server.ts";
import { END_OF_LADDER, TaskFormSchema, type TaskFormInput } from "~/schemas/task.ts";
import { parseForm } from "~/utils/form.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "New task – Onward" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const editor = await orNotFound(
    getTaskEditor({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const defaults: Partial<TaskFormInput> = {
    dueAfterDays: 7,
    questions: [],
    rules: [],
    defaultNext: END_OF_LADDER,
    onSkip: END_OF_LADDER,
    makeFirst: editor.campaign.firstTaskId === null,
  };
  return { campaign: editor.campaign, tasks: editor.tasks, defaults };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const submission = parseForm(await request.formData(), { schema: TaskFormSchema, intents: true });
  // Adding, moving or removing a question, rule or condition without JavaScript.
  if (submission.status === undefined) return submission.reply();
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    saveTask({ actorId: user.id, campaignId, input: submission.value }),
  );
  if (!result.ok) {
    return data(
      submission.reply({ formErrors: result.formErrors, fieldErrors: result.fieldErrors }),
      { status: 400 },
    );
  }
  return redirect(`/org/campaigns/${campaignId}?done=task-saved`);
}

export default function NewTask() {
  const { campaign, tasks, defaults } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <>
      <p>
        <Link to={`/org/campaigns/${campaign.id}`}>Back to {campaign.title}</Link>
      </p>
      <h1>New task</h1>
      <TaskEditor
        lastResult={lastResult}
        defaultValue={defaults}
        tasks={tasks}
        isFirst={false}
        metricLabel={campaign.metricLabel}
        submitLabel="Save task"
      />
    </>
  );
}
