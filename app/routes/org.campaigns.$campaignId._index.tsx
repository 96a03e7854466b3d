import { getFormProps, useForm } from "@conform-to/react";
import { DataDownloads } from "~/components/data-downloads.tsx";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ObjectiveProgress } from "~/components/progress";
import { ErrorSummary } from "~/components/ui/form";
import { changeCampaignStatus, getCampaignOverview, orNotFound } from "~/models/campaign.server.ts";
import { filtersToSearch, parseReportFilters } from "~/reports/filters.ts";
import { CampaignStatusSchema, type CampaignStatusValue } from "~/schemas/campaign.ts";
import { getEnv } from "~/utils/env.server.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatNumber } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.campaign.title} – Onward` : "Campaign – Onward" },
];

const STATUS_WORDS: Record<CampaignStatusValue, string> = {
  DRAFT: "Draft",
  LIVE: "Live",
  PAUSED: "Paused",
  CLOSED: "Closed",
};

const STATUS_EXPLAINED: Record<CampaignStatusValue, string> = {
  DRAFT: "Nobody can join yet. Build the ladder of tasks, then make it live.",
  LIVE: "People can join, and are given tasks as they report back.",
  PAUSED:
    "Nobody new can join and no new tasks are given. People can still report on tasks they have.",
  CLOSED: "The campaign is over. Its reports and figures are kept.",
};

const TRANSITION_BUTTONS: Record<CampaignStatusValue, string> = {
  DRAFT: "Back to draft",
  LIVE: "Go live",
  PAUSED: "Pause",
  CLOSED: "Close the campaign",
};

const DONE_NOTICES: Record<string, string> = {
  created: "Campaign created. Add its first task next.",
  updated: "Campaign details saved.",
  "task-saved": "Task saved.",
  "task-deleted": "Task deleted. People who already had it can still finish it.",
  LIVE: "The campaign is live. People can join with the link or the poster.",
  PAUSED: "The campaign is paused.",
  CLOSED: "The campaign is closed.",
};

const dateFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

function formatDay(value: string) {
  return dateFormat.format(new Date(`${value}T00:00:00Z`));
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const overview = await orNotFound(
    getCampaignOverview({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const url = new URL(request.url);
  const done = url.searchParams.get("done");
  return {
    ...overview,
    campaign: {
      ...overview.campaign,
      startsOn: overview.campaign.startsOn ? formatDay(overview.campaign.startsOn) : null,
      endsOn: overview.campaign.endsOn ? formatDay(overview.campaign.endsOn) : null,
    },
    joinUrl: `${getEnv().APP_URL}/join/${overview.campaign.slug}`,
    notice: done ? (DONE_NOTICES[done] ?? null) : null,
    // The downloads keep the report filters of the page's address (?area=LS6 and the like).
    exportSearch: filtersToSearch(parseReportFilters(url.searchParams).filters),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const submission = parseForm(await request.formData(), { schema: CampaignStatusSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    changeCampaignStatus({ actorId: user.id, campaignId, status: submission.value.status }),
  );
  if (!result.ok) {
    return data(submission.reply({ formErrors: result.errors }), { status: 400 });
  }
  return redirect(`/org/campaigns/${campaignId}?done=${result.status}`);
}

export default function CampaignOverview() {
  const {
    campaign,
    transitions,
    tasks,
    archivedTasks,
    validation,
    progress,
    joinUrl,
    notice,
    exportSearch,
  } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({ id: "status", lastResult });
  const statusErrors = [...(form.errors ?? []), ...(fields.status?.errors ?? [])].map(
    (message) => ({
      id: "",
      message,
    }),
  );
  const base = `/org/campaigns/${campaign.id}`;
  return (
    <>
      <p>
        <Link to="/org">Back to campaigns</Link>
      </p>
      <h1>{campaign.title}</h1>
      <p>
        <span className="tag">{STATUS_WORDS[campaign.status]}</span>{" "}
        <span className="muted">{campaign.organisation.name}</span>
      </p>
      {notice && !lastResult ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorSummary errors={statusErrors} />
      <p className="lead">{campaign.description}</p>

      <section aria-labelledby="status-heading">
        <h2 id="status-heading">Status: {STATUS_WORDS[campaign.status]}</h2>
        <p>{STATUS_EXPLAINED[campaign.status]}</p>
        {transitions.length > 0 ? (
          <Form method="post" {...getFormProps(form)} className="actions">
            {transitions.map((status) => (
              <button
                key={status}
                type="submit"
                name="status"
                value={status}
                className={status === "LIVE" ? "button" : "button button--secondary"}
                disabled={navigation.state === "submitting"}
              >
                {campaign.status === "PAUSED" && status === "LIVE"
                  ? "Go live again"
                  : TRANSITION_BUTTONS[status]}
              </button>
            ))}
          </Form>
        ) : null}
        {transitions.includes("CLOSED") ? (
          <p className="hint">Closing is final: a closed campaign can't be opened again.</p>
        ) : null}
      </section>

      <section aria-labelledby="objective-heading">
        <h2 id="objective-heading">Objective</h2>
        <ObjectiveProgress
          total={progress.total}
          target={campaign.target}
          label={campaign.metricLabel}
        />
        <p>
          <Link to={`${base}/reports`}>See the reports</Link>: who takes part, how each task goes
          and when the target will be reached.
        </p>
        <p>
          <Link to={`${base}/inbox`}>Open the inbox</Link>: what volunteers told you, and why they
          skipped tasks.
        </p>
        <p>
          <Link to={`${base}/updates`}>Send an update</Link>: tell people what is happening, or tell
          them what you did about what they said.
        </p>
        <p>
          <Link to={`${base}/champions`}>Find your champions</Link>: who reports on time, week after
          week, or furthest up the ladder. Make them team leads and see{" "}
          <Link to={`${base}/teams`}>the teams</Link>.
        </p>
      </section>

      <section aria-labelledby="ladder-heading">
        <h2 id="ladder-heading">The ladder of tasks</h2>
        <p>
          Everyone starts with the first task. What they report decides which task they are given
          next.
        </p>
        {validation.errors.length > 0 ? (
          <div className="ladder-problems ladder-problems--errors">
            <h3>Fix before going live</h3>
            <ul>
              {validation.errors.map((problem) => (
                <li key={problem.message}>{problem.message}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {validation.warnings.length > 0 ? (
          <div className="ladder-problems">
            <h3>Worth a look</h3>
            <ul>
              {validation.warnings.map((problem) => (
                <li key={problem.message}>{problem.message}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {tasks.length === 0 ? (
          <p>No tasks yet.</p>
        ) : (
          <ol className="card-list ladder">
            {tasks.map((task) => (
              <li className="card" key={task.id}>
                <h3>
                  <Link to={`${base}/tasks/${task.id}`}>{task.title}</Link>
                </h3>
                <p>
                  {task.isFirst ? (
                    <>
                      <span className="tag">First task</span>{" "}
                    </>
                  ) : null}
                  <span className="muted">
                    Version {task.version} ·{" "}
                    {task.questions === 1 ? "1 question" : `${task.questions} questions`}
                  </span>
                </p>
                <p className="follow-ups">{task.followUps}</p>
                <p className="links">
                  <Link to={`${base}/tasks/${task.id}`}>
                    Edit<span className="visually-hidden"> {task.title}</span>
                  </Link>{" "}
                  <Link to={`${base}/tasks/${task.id}/preview`}>
                    Preview<span className="visually-hidden"> {task.title}</span>
                  </Link>
                </p>
              </li>
            ))}
          </ol>
        )}
        <p>
          <Link className="button button--secondary" to={`${base}/tasks/new`}>
            Add a task
          </Link>
        </p>
        {archivedTasks.length > 0 ? (
          <details className="deleted-tasks">
            <summary>Deleted tasks ({archivedTasks.length})</summary>
            <ul>
              {archivedTasks.map((task) => (
                <li key={task.id}>{task.title}</li>
              ))}
            </ul>
          </details>
        ) : null}
      </section>

      <section aria-labelledby="share-heading">
        <h2 id="share-heading">Share</h2>
        <div className="field">
          <label htmlFor="join-link">Join link</label>
          <span className="hint" id="join-link-hint">
            Select the link and copy it into emails, posts and messages.
          </span>
          <input
            id="join-link"
            type="text"
            readOnly
            value={joinUrl}
            aria-describedby="join-link-hint"
            className="input--copy"
          />
        </div>
        <p>
          <Link to={`${base}/poster`}>Printable poster with a QR code</Link>
        </p>
        <p>
          <Link to={`${base}/public`}>Public outcomes page and open data</Link>
        </p>
      </section>

      <DataDownloads base={base} search={exportSearch} />

      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <dl className="details-list">
          <dt>Objective</dt>
          <dd>
            {formatNumber(campaign.target)} {campaign.metricUnit} ({campaign.metricLabel})
          </dd>
          <dt>Dates</dt>
          <dd>
            {campaign.startsOn || campaign.endsOn
              ? [
                  campaign.startsOn ? `From ${campaign.startsOn}` : null,
                  campaign.endsOn ? `until ${campaign.endsOn}` : null,
                ]
                  .filter(Boolean)
                  .join(" ")
              : "No dates set"}
          </dd>
          <dt>Why take part</dt>
          <dd className="pre-line">{campaign.whyTakePart}</dd>
          <dt>What we will do with people's reports</dt>
          <dd className="pre-line">{campaign.whatWeDo}</dd>
          <dt>What is open for debate, and what isn't</dt>
          <dd className="pre-line">{campaign.whatIsOpen}</dd>
        </dl>
        <p>
          <Link className="button button--secondary" to={`${base}/edit`}>
            Edit details
          </Link>
        </p>
      </section>
    </>
  );
}
