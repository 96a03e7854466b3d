import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import {
  ErrorSummary,
  SelectField,
  TextArea,
  TextField,
  type FieldMeta,
} from "~/components/ui/form";
import { areaOptions, FilterSelect, taskOptions } from "~/components/filter-select";
import { orNotFound } from "~/models/campaign.server.ts";
import { getComposeOptions, previewAudience, publishUpdate } from "~/models/updates.server.ts";
import {
  CHANNEL_WORDS,
  MAX_LINKED_CONTRIBUTIONS,
  audienceFromForm,
  pickerFilters,
  updateFormSchema,
} from "~/schemas/updates.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatDateTime, formatNumber } from "~/utils/format";
import { renderMarkdown } from "~/utils/markdown.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `New update: ${data.campaign.title} – Onward` : "New update – Onward" },
];

const FORM_ID = "update";

/** The form's buttons: send, preview, back to change it, and the picker's search and pages. */
const INTENTS = new Set(["send", "preview", "edit", "filter", "newer", "older"]);

type Values = {
  title: string;
  body: string;
  audience: string;
  area: string;
  task: string;
  team: string;
  channel: string;
  contribution: string[];
  q: string;
  pickTask: string;
  pickArea: string;
  pickPage: number;
};

const BLANK: Values = {
  title: "",
  body: "",
  audience: "all",
  area: "",
  task: "",
  team: "",
  channel: "",
  contribution: [],
  q: "",
  pickTask: "",
  pickArea: "",
  pickPage: 1,
};

function rawValues(formData: FormData): Values {
  const text = (name: string, max = 6000) => {
    const value = formData.get(name);
    return typeof value === "string" ? value.slice(0, max) : "";
  };
  const page = Number(text("pickPage", 10));
  return {
    title: text("title"),
    body: text("body"),
    audience: text("audience", 20) || "all",
    area: text("area", 10),
    task: text("task", 40),
    team: text("team", 40),
    channel: text("channel", 10),
    contribution: [
      ...new Set(
        formData
          .getAll("contribution")
          .filter((v): v is string => typeof v === "string" && /^[A-Za-z0-9_-]{1,40}$/.test(v)),
      ),
    ].slice(0, MAX_LINKED_CONTRIBUTIONS),
    q: text("q", 100),
    pickTask: text("pickTask", 40),
    pickArea: text("pickArea", 10),
    pickPage: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

async function compose(
  actorId: string,
  campaignId: string,
  values: Values,
  errors: Record<string, string[]> = {},
) {
  const options = await orNotFound(
    getComposeOptions({
      actorId,
      campaignId,
      picker: pickerFilters(values),
      selected: values.contribution,
    }),
  );
  return {
    step: "compose" as const,
    campaign: { id: options.campaign.id, title: options.campaign.title },
    values,
    errors,
    tasks: options.tasks,
    areas: options.areas,
    teams: options.teams,
    total: options.total,
    pages: options.pages,
    picked: options.picked.map((item) => ({
      ...item,
      at: formatDateTime(item.at, options.campaign.organisation.timezone),
    })),
    contributions: options.contributions
      .filter((item) => !values.contribution.includes(item.id))
      .map((item) => ({
        ...item,
        at: formatDateTime(item.at, options.campaign.organisation.timezone),
      })),
  };
}

/** The "new update" form: write it, choose who gets it, see who that is, then send. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return compose(user.id, params.campaignId ?? "", BLANK);
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const formData = await request.formData();
  const intent = formData.get("intent");
  if (typeof intent !== "string" || !INTENTS.has(intent)) {
    throw new Response("We couldn't read that form. Go back, reload the page and try again.", {
      status: 400,
    });
  }
  const submission = parseForm(formData, { schema: updateFormSchema });
  const values = rawValues(formData);
  if (intent !== "preview" && intent !== "send") {
    // Refilter the picker, a page of it, or back from the preview: nothing is checked or saved.
    const pickPage =
      intent === "older"
        ? values.pickPage + 1
        : intent === "newer"
          ? Math.max(1, values.pickPage - 1)
          : intent === "filter"
            ? 1
            : values.pickPage;
    return compose(user.id, campaignId, { ...values, pickPage });
  }
  if (submission.status !== "success") {
    const errors = submission.error ?? {};
    return compose(user.id, campaignId, values, errors as Record<string, string[]>);
  }
  const form = submission.value;
  const audience = audienceFromForm(form);
  if (intent === "send") {
    const result = await orNotFound(
      publishUpdate({
        actorId: user.id,
        campaignId,
        title: form.title,
        body: form.body,
        audience,
        ip: clientIp(request),
      }),
    );
    if (result.ok) {
      return redirect(`/org/campaigns/${campaignId}/updates?sent=${result.recipients}`);
    }
    return compose(user.id, campaignId, values, { [result.field]: [result.message] });
  }
  const preview = await orNotFound(previewAudience({ actorId: user.id, campaignId, audience }));
  if (!preview.ok) {
    return compose(user.id, campaignId, values, { [preview.field]: [preview.message] });
  }
  const page = await compose(user.id, campaignId, values);
  return {
    ...page,
    step: "confirm" as const,
    bodyHtml: renderMarkdown(form.body),
    count: preview.count,
    sample: preview.sample,
  };
}

const ERROR_FIELDS: Record<string, string> = {
  intent: "",
  title: "title",
  body: "body",
  audience: "audience-all",
  area: "area",
  task: "task",
  channel: "channel",
  team: "team",
  contribution: "picker-heading",
};

function field(name: string, errors: Record<string, string[]>, value: unknown): FieldMeta {
  return {
    id: `${FORM_ID}-${name}`,
    name,
    errorId: `${FORM_ID}-${name}-error`,
    errors: errors[name],
    initialValue: value,
  };
}

export default function NewUpdate() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const data = acted ?? loaded;
  const { campaign, values, errors } = data;
  const base = `/org/campaigns/${campaign.id}`;
  const summary = Object.entries(errors).flatMap(([name, messages]) =>
    (messages ?? []).map((message) => ({
      id:
        ERROR_FIELDS[name] === undefined
          ? ""
          : ERROR_FIELDS[name]
            ? `${FORM_ID}-${ERROR_FIELDS[name]}`
            : "",
      message,
    })),
  );

  if (data.step === "confirm" && "count" in data) {
    return (
      <>
        <p>
          <Link to={`${base}/updates`}>Back to updates</Link>
        </p>
        <h1>Check before you send</h1>
        <div className="notice" role="status" id="audience-count">
          This update goes to{" "}
          <strong>
            {formatNumber(data.count)} {data.count === 1 ? "person" : "people"}
          </strong>
          .
        </div>
        <h2 id="sample-heading">Some of them</h2>
        <ul aria-labelledby="sample-heading" className="card-list">
          {data.sample.map((person, index) => (
            <li className="card" key={`${person.name}-${index}`}>
              {person.name}
              {person.area ? `, ${person.area}` : ""}
              {person.theySaid ? <span className="muted"> · said “{person.theySaid}”</span> : null}
            </li>
          ))}
        </ul>
        <h2>The update</h2>
        <div className="card">
          <h3>{values.title}</h3>
          <div dangerouslySetInnerHTML={{ __html: data.bodyHtml }} />
        </div>
        <p className="hint">
          People get it by email or text, as they chose, and see it on their page. Quiet hours,
          weekly limits and opt-outs still apply.
        </p>
        <Form method="post">
          {Object.entries(values).map(([name, value]) =>
            Array.isArray(value) ? (
              value.map((v) => <input key={`${name}-${v}`} type="hidden" name={name} value={v} />)
            ) : (
              <input key={name} type="hidden" name={name} value={String(value)} />
            ),
          )}
          <div className="actions">
            <button type="submit" className="button" name="intent" value="send">
              Send to {formatNumber(data.count)} {data.count === 1 ? "person" : "people"}
            </button>
            <button type="submit" className="button secondary" name="intent" value="edit">
              Change it
            </button>
          </div>
        </Form>
      </>
    );
  }

  const pickerOn = values.audience === "contributions";
  return (
    <>
      <p>
        <Link to={`${base}/updates`}>Back to updates</Link>
      </p>
      <h1>New update: {campaign.title}</h1>
      <ErrorSummary errors={summary} />
      <Form method="post" id={FORM_ID} noValidate>
        <TextField meta={field("title", errors, values.title)} label="Title" />
        <TextArea
          meta={field("body", errors, values.body)}
          label="What you want to tell people"
          hint="You can use **bold**, lists and links."
          rows={8}
        />
        <fieldset className="field">
          <legend>Who gets it</legend>
          {errors.audience?.[0] ? (
            <span className="field-error" id={`${FORM_ID}-audience-error`}>
              {errors.audience[0]}
            </span>
          ) : null}
          {[
            { value: "all", label: "Everyone taking part" },
            { value: "segment", label: "Some of them: by area, task or channel" },
            ...(data.teams.length > 0 ? [{ value: "team", label: "One team: its members" }] : []),
            {
              value: "contributions",
              label: "You said, we did: only the people whose contributions you pick",
            },
          ].map((option) => (
            <div className="choice" key={option.value}>
              <input
                type="radio"
                id={`${FORM_ID}-audience-${option.value}`}
                name="audience"
                value={option.value}
                defaultChecked={values.audience === option.value}
              />
              <label htmlFor={`${FORM_ID}-audience-${option.value}`}>{option.label}</label>
            </div>
          ))}
        </fieldset>

        <fieldset className="field">
          <legend>If some of them: who</legend>
          <SelectField
            meta={field("area", errors, values.area)}
            label="Area"
            placeholder="Every area"
            options={areaOptions(data.areas)}
          />
          <SelectField
            meta={field("task", errors, values.task)}
            label="Reached this task"
            placeholder="Any task"
            options={taskOptions(data.tasks)}
          />
          <SelectField
            meta={field("channel", errors, values.channel)}
            label="Channel they chose"
            placeholder="Any channel"
            options={Object.entries(CHANNEL_WORDS).map(([value, label]) => ({
              value,
              label: `People who ${label}`,
            }))}
          />
        </fieldset>

        {data.teams.length > 0 ? (
          <fieldset className="field">
            <legend>If one team: which</legend>
            <SelectField
              meta={field("team", errors, values.team)}
              label="Team"
              placeholder="Choose a team"
              options={data.teams.map((team) => ({ value: team.id, label: team.name }))}
            />
          </fieldset>
        ) : null}

        <section aria-labelledby={`${FORM_ID}-picker-heading`}>
          <h2 id={`${FORM_ID}-picker-heading`} tabIndex={-1}>
            If you said, we did: contributions
          </h2>
          {errors.contribution?.[0] ? (
            <p className="field-error" id={`${FORM_ID}-contribution-error`}>
              {errors.contribution[0]}
            </p>
          ) : null}
          <p className="hint">
            {pickerOn
              ? "Tick what people said that this update answers. Only they get it."
              : "Choose “You said, we did” above to send only to the people whose contributions you tick."}
          </p>
          {data.picked.length > 0 ? (
            <fieldset className="field">
              <legend>Picked ({formatNumber(data.picked.length)})</legend>
              {data.picked.map((item) => (
                <Contribution key={item.id} item={item} checked />
              ))}
            </fieldset>
          ) : null}
          <div className="report-filters">
            <div className="field">
              <label htmlFor="picker-q">Search what they said</label>
              <input id="picker-q" name="q" type="search" defaultValue={values.q} />
            </div>
            <FilterSelect
              id="picker-task"
              name="pickTask"
              label="Task"
              anyLabel="Every task"
              defaultValue={values.pickTask}
              options={taskOptions(data.tasks)}
            />
            <FilterSelect
              id="picker-area"
              name="pickArea"
              label="Area"
              anyLabel="Every area"
              defaultValue={values.pickArea}
              options={areaOptions(data.areas)}
            />
          </div>
          <div className="actions">
            <button type="submit" className="button secondary" name="intent" value="filter">
              Find contributions
            </button>
          </div>
          <input type="hidden" name="pickPage" value={values.pickPage} />
          {data.contributions.length === 0 ? (
            <p>No {data.picked.length > 0 ? "other " : ""}contributions here.</p>
          ) : (
            <fieldset className="field">
              <legend>
                {formatNumber(data.total)} {data.total === 1 ? "contribution" : "contributions"},
                newest first (page {formatNumber(values.pickPage)} of {formatNumber(data.pages)})
              </legend>
              {data.contributions.map((item) => (
                <Contribution key={item.id} item={item} checked={false} />
              ))}
            </fieldset>
          )}
          {data.pages > 1 ? (
            <div className="actions">
              {values.pickPage > 1 ? (
                <button type="submit" className="button secondary" name="intent" value="newer">
                  Newer contributions
                </button>
              ) : null}
              {values.pickPage < data.pages ? (
                <button type="submit" className="button secondary" name="intent" value="older">
                  Older contributions
                </button>
              ) : null}
            </div>
          ) : null}
        </section>

        <div className="actions">
          <button type="submit" className="button" name="intent" value="preview">
            See who gets it
          </button>
        </div>
      </Form>
    </>
  );
}

function Contribution({
  item,
  checked,
}: {
  item: { id: string; words: string; area: string; at: string; taskTitle: string; name: string };
  checked: boolean;
}) {
  const id = `contribution-${item.id}`;
  return (
    <div className="choice">
      <input type="checkbox" id={id} name="contribution" value={item.id} defaultChecked={checked} />
      <label htmlFor={id}>
        <span className="pre-line">“{item.words}”</span>{" "}
        <span className="muted">
          {item.name}
          {item.area ? `, ${item.area}` : ""} · {item.taskTitle} · {item.at}
        </span>
      </label>
    </div>
  );
}
