import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import {
  ErrorSummary,
  SelectField,
  TextArea,
  TextField,
  summariseErrors,
} from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { actOnInboxItem, getInboxItem } from "~/models/inbox.server.ts";
import {
  InboxActionSchema,
  STATUS_WORDS,
  durationWords,
  inboxSearch,
  itemWords,
  parseInboxFilters,
  type InboxIntent,
} from "~/schemas/inbox.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatDateTime } from "~/utils/format";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data ? `From ${data.item.volunteer}: ${data.campaign.title} – Onward` : "Inbox – Onward",
  },
];

const DONE_WORDS: Record<string, string> = {
  reply: "Reply sent. They'll get it by email or text, as they chose, and see it on their page.",
  mark: "Saved what you did about it.",
  "add-tag": "Tag added.",
  "remove-tag": "Tag removed.",
  assign: "Saved who is looking after it.",
};

const INTENTS: readonly InboxIntent[] = ["reply", "mark", "add-tag", "remove-tag", "assign"];

/** One inbox item: what the volunteer said, and the forms to reply, mark, tag and assign it. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const now = new Date();
  const { campaign, item, colleagues } = await orNotFound(
    getInboxItem({
      actorId: user.id,
      campaignId: params.campaignId ?? "",
      itemId: params.itemId ?? "",
      now,
    }),
  );
  const url = new URL(request.url);
  const done = url.searchParams.get("done") ?? "";
  return {
    // The inbox view they came from (its filters ride along in the address).
    back: inboxSearch(parseInboxFilters(url.searchParams).filters),
    campaign: { id: campaign.id, title: campaign.title },
    item: {
      id: item.id,
      kind: item.kind,
      when: formatDateTime(item.at, campaign.organisation.timezone),
      age: item.ageMs === null ? null : durationWords(item.ageMs),
      taskTitle: item.taskTitle,
      district: item.district,
      volunteer: item.volunteer?.name ?? "Deleted account",
      volunteerId: item.volunteer?.id ?? null,
      words: itemWords(item),
      status: item.status,
      statusWords: STATUS_WORDS[item.status],
      reply: item.reply,
      repliedAt: item.repliedAt
        ? formatDateTime(item.repliedAt, campaign.organisation.timezone)
        : null,
      reason: item.reason,
      tags: item.tags,
      assigneeId: item.assignee?.id ?? "",
    },
    colleagues,
    notice: DONE_WORDS[done] ?? null,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const formData = await request.formData();
  const intentValue = String(formData.get("intent") ?? "");
  const intent = INTENTS.find((known) => known === intentValue) ?? null;
  const submission = parseForm(formData, { schema: InboxActionSchema });
  if (submission.status !== "success") {
    return data({ intent, result: submission.reply() }, { status: 400 });
  }
  const campaignId = params.campaignId ?? "";
  const itemId = params.itemId ?? "";
  const result = await orNotFound(
    actOnInboxItem({
      actorId: user.id,
      campaignId,
      itemId,
      action: submission.value,
      ip: clientIp(request),
    }),
  );
  if (!result.ok) {
    return data(
      { intent, result: submission.reply({ fieldErrors: result.fieldErrors }) },
      { status: 400 },
    );
  }
  const search = new URLSearchParams(
    inboxSearch(parseInboxFilters(new URL(request.url).searchParams).filters),
  );
  search.set("done", submission.value.intent);
  return redirect(
    `/org/campaigns/${encodeURIComponent(campaignId)}/inbox/${encodeURIComponent(itemId)}?${search}`,
  );
}

export default function InboxItemPage() {
  const { campaign, item, colleagues, notice, back } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const resultFor = (intent: InboxIntent) =>
    actionData?.intent === intent ? (actionData.result as SubmissionResult<string[]>) : undefined;
  const [replyForm, replyFields] = useForm<{ reply: string }>({
    id: "reply",
    lastResult: resultFor("reply"),
  });
  const [markForm, markFields] = useForm<{ status: string; reason: string }>({
    id: "mark",
    lastResult: resultFor("mark"),
  });
  const [tagForm, tagFields] = useForm<{ tag: string }>({
    id: "add-tag",
    lastResult: resultFor("add-tag"),
  });
  const [assignForm, assignFields] = useForm<{ assigneeId: string }>({
    id: "assign",
    lastResult: resultFor("assign"),
    defaultValue: { assigneeId: item.assigneeId },
  });
  const errors = [
    ...summariseErrors(replyForm.id, replyForm.allErrors),
    ...summariseErrors(markForm.id, markForm.allErrors),
    ...summariseErrors(tagForm.id, tagForm.allErrors),
    ...summariseErrors(assignForm.id, assignForm.allErrors),
    ...(actionData && !actionData.intent ? [{ id: "", message: "Choose what to do" }] : []),
    ...(actionData?.intent === "remove-tag"
      ? Object.values(actionData.result.error ?? {})
          .flat()
          .filter((message): message is string => typeof message === "string")
          .map((message) => ({ id: "", message }))
      : []),
  ];
  const markError = markFields.status.errors?.[0];
  const inbox = `/org/campaigns/${campaign.id}/inbox`;
  return (
    <>
      <p>
        <Link to={`${inbox}${back}`}>Back to the inbox</Link>
      </p>
      <h1>
        {item.kind === "skip" ? "Skipped" : "Report"}: {item.taskTitle}
      </h1>
      <ErrorSummary errors={errors} />
      {notice && !actionData ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <dl className="details-list">
        <dt>From</dt>
        <dd>
          {item.volunteerId ? (
            <Link to={`/org/people/${item.volunteerId}`}>{item.volunteer}</Link>
          ) : (
            item.volunteer
          )}
          {item.district ? `, ${item.district}` : ""}
        </dd>
        <dt>When</dt>
        <dd>{item.when}</dd>
        <dt>{item.kind === "skip" ? "Why they skipped" : "What they said"}</dt>
        <dd className="pre-line">{item.words}</dd>
        <dt>Status</dt>
        <dd>
          {item.statusWords}
          {item.age ? ` for ${item.age}` : ""}
          {item.reason ? `. ${item.reason}` : ""}
        </dd>
      </dl>

      <section aria-labelledby="reply-heading">
        <h2 id="reply-heading">Reply to {item.volunteer}</h2>
        {item.reply ? (
          <>
            <p>You replied{item.repliedAt ? ` on ${item.repliedAt}` : ""}:</p>
            <p className="pre-line">{item.reply}</p>
          </>
        ) : item.volunteerId ? (
          <Form method="post" {...getFormProps(replyForm)}>
            <input type="hidden" name="intent" value="reply" />
            <TextArea
              meta={replyFields.reply}
              label="Your reply"
              hint="They get it by email or text, as they chose, and see it on their page. You can reply once."
              rows={5}
            />
            <button type="submit" className="button">
              Send reply
            </button>
          </Form>
        ) : (
          <p>They deleted their account, so they can&apos;t get a reply.</p>
        )}
      </section>

      <section aria-labelledby="mark-heading">
        <h2 id="mark-heading">What you did about it</h2>
        <Form method="post" {...getFormProps(markForm)}>
          <input type="hidden" name="intent" value="mark" />
          <div className="field">
            <fieldset aria-describedby={markError ? markFields.status.errorId : undefined}>
              <legend>Outcome</legend>
              {markError ? (
                <span className="field-error" id={markFields.status.errorId}>
                  {markError}
                </span>
              ) : null}
              <div className="radios">
                <div className="choice">
                  <input
                    type="radio"
                    id={`${markForm.id}-status`}
                    name="status"
                    value="ACTIONED"
                    defaultChecked={item.status === "ACTIONED"}
                  />
                  <label htmlFor={`${markForm.id}-status`}>We acted on it</label>
                </div>
                <div className="choice">
                  <input
                    type="radio"
                    id={`${markForm.id}-status-2`}
                    name="status"
                    value="NO_ACTION"
                    defaultChecked={item.status === "NO_ACTION"}
                  />
                  <label htmlFor={`${markForm.id}-status-2`}>No action needed</label>
                </div>
              </div>
            </fieldset>
          </div>
          <TextArea
            meta={markFields.reason}
            label="Why"
            hint="A few words for your colleagues. The volunteer doesn't see this."
            rows={2}
            defaultValue={item.reason ?? undefined}
          />
          <button type="submit" className="button button--secondary">
            Save
          </button>
        </Form>
      </section>

      <section aria-labelledby="tags-heading">
        <h2 id="tags-heading">Tags</h2>
        {item.tags.length === 0 ? (
          <p>No tags yet.</p>
        ) : (
          <ul>
            {item.tags.map((tag) => (
              <li key={tag}>
                <span className="tag">{tag}</span>{" "}
                <Form method="post" className="inline-form">
                  <input type="hidden" name="intent" value="remove-tag" />
                  <input type="hidden" name="tag" value={tag} />
                  <button type="submit" className="button--link">
                    Remove<span className="visually-hidden"> tag {tag}</span>
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        <Form method="post" {...getFormProps(tagForm)}>
          <input type="hidden" name="intent" value="add-tag" />
          <TextField meta={tagFields.tag} label="New tag" hint="Like leaflets or safety" />
          <button type="submit" className="button button--secondary">
            Add tag
          </button>
        </Form>
      </section>

      <section aria-labelledby="assign-heading">
        <h2 id="assign-heading">Who is looking after it</h2>
        <Form method="post" {...getFormProps(assignForm)}>
          <input type="hidden" name="intent" value="assign" />
          <SelectField
            meta={assignFields.assigneeId}
            label="Give it to"
            options={colleagues.map((colleague) => ({
              value: colleague.id,
              label: colleague.name,
            }))}
            placeholder="Nobody"
          />
          <button type="submit" className="button button--secondary">
            Save
          </button>
        </Form>
      </section>
    </>
  );
}
