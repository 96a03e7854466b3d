import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { randomUUID } from "node:crypto";
import { TeamTotals } from "~/components/team-totals";
import { ErrorSummary } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { getLedTeam, requireLedTeam, sendTeamNudge } from "~/models/teams.server.ts";
import { MAX_NUDGE_LENGTH, NUDGE_EVERY_HOURS, TeamNudgeSchema } from "~/schemas/teams.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatDate, formatDateTime, formatNumber } from "~/utils/format";
import { retryAfter, retryAfterHeaders } from "~/utils/rate-limit.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.team.name} – Onward` : "Your team – Onward" },
];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export const headers = retryAfterHeaders;

/**
 * /team/<id>: one team, for its lead only (404 for everyone else): first names, open tasks, last
 * reports, totals, and the nudge form. No contact details are ever loaded for this page.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const team = await orNotFound(getLedTeam({ actorId: user.id, teamId: params.teamId ?? "" }));
  const sent = new URL(request.url).searchParams.get("sent");
  const sentCount = sent !== null && /^\d{1,6}$/.test(sent) ? Number(sent) : null;
  return {
    team: {
      id: team.id,
      name: team.name,
      campaign: team.campaign,
      metricLabel: team.metricLabel,
      totals: team.totals,
    },
    members: team.members.map((member) => ({
      firstName: member.firstName,
      openTask: member.openTask
        ? { title: member.openTask.title, due: formatDate(member.openTask.dueAt, user.timezone) }
        : null,
      lastReport: member.lastReportAt ? formatDate(member.lastReportAt, user.timezone) : null,
    })),
    lastNudge: team.lastNudge
      ? {
          at: formatDateTime(team.lastNudge.at, user.timezone),
          body: team.lastNudge.body,
          recipients: team.lastNudge.recipients,
          messages: team.lastNudge.messages,
          outcomes: team.lastNudge.outcomes,
        }
      : null,
    nextNudgeAt: team.nextNudgeAt ? formatDateTime(team.nextNudgeAt, user.timezone) : null,
    sentCount,
    idempotencyKey: randomUUID(),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const teamId = params.teamId ?? "";
  // Someone who doesn't lead the team learns nothing from the form: "not found" first.
  await orNotFound(requireLedTeam({ actorId: user.id, teamId }));
  const submission = parseForm(await request.formData(), { schema: TeamNudgeSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    sendTeamNudge({
      actorId: user.id,
      teamId,
      body: submission.value.body,
      idempotencyKey: submission.value.idempotencyKey,
      ip: clientIp(request),
    }),
  );
  if (!result.ok) {
    return data(submission.reply({ formErrors: [result.message] }), {
      status: result.status,
      headers: result.retryAfterSeconds
        ? retryAfter({ retryAfterSeconds: result.retryAfterSeconds })
        : undefined,
    });
  }
  return redirect(`/team/${teamId}?sent=${result.recipients}`);
}

function people(count: number) {
  return `${formatNumber(count)} ${count === 1 ? "person" : "people"}`;
}

function messages(count: number) {
  return `${formatNumber(count)} ${count === 1 ? "message" : "messages"}`;
}

/** What became of a nudge's messages, in one sentence (counts only: never who). */
function outcomeWords(
  total: number,
  outcomes: { sent: number; waiting: number; held: number; notSent: number },
) {
  const parts = [`${formatNumber(outcomes.sent)} sent`];
  if (outcomes.waiting > 0) parts.push(`${formatNumber(outcomes.waiting)} about to go`);
  if (outcomes.held > 0) {
    parts.push(
      `${formatNumber(outcomes.held)} waiting for the morning or for the person's weekly limit`,
    );
  }
  if (outcomes.notSent > 0) {
    parts.push(
      `${formatNumber(outcomes.notSent)} not sent because the person turned these messages off or can't get them`,
    );
  }
  return `${messages(total)}: ${parts.join(", ")}.`;
}

export default function TeamPage() {
  const { team, members, lastNudge, nextNudgeAt, sentCount, idempotencyKey } =
    useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({ id: "nudge", lastResult });
  const bodyError = fields.body?.errors?.[0];
  const submitted = (lastResult?.initialValue ?? {}) as Record<string, unknown>;
  const bodyValue = typeof submitted.body === "string" ? submitted.body : undefined;
  const errors = [
    ...(form.errors ?? []).map((message) => ({ id: "", message })),
    ...(bodyError ? [{ id: "nudge-body", message: bodyError }] : []),
    ...(fields.idempotencyKey?.errors ?? []).map((message) => ({ id: "", message })),
  ];
  return (
    <>
      <p>
        <Link className="standalone-link" to="/team" reloadDocument>
          All your teams
        </Link>
      </p>
      {team.campaign ? <p className="muted">{team.campaign}</p> : null}
      <h1>{team.name}</h1>
      {sentCount !== null && !lastResult ? (
        <p className="notice" role="status">
          Your nudge is on its way to {people(sentCount)}. Messages wait for the morning if it is
          late where someone lives.
        </p>
      ) : null}
      <ErrorSummary errors={errors} />

      <TeamTotals totals={team.totals} metricLabel={team.metricLabel} />

      <h2 id="members-heading">Who is in your team</h2>
      {members.length === 0 ? (
        <p>Nobody yet. Your organiser adds people to your team.</p>
      ) : (
        <div className="table-wrap" role="region" aria-labelledby="members-caption" tabIndex={0}>
          <table>
            <caption id="members-caption" className="visually-hidden">
              Your team: each person&rsquo;s task and last report
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Task they have now</th>
                <th scope="col">Due</th>
                <th scope="col">Last report</th>
              </tr>
            </thead>
            <tbody>
              {members.map((member, index) => (
                <tr key={index}>
                  <th scope="row">{member.firstName}</th>
                  <td>{member.openTask ? member.openTask.title : "No task right now"}</td>
                  <td>{member.openTask ? member.openTask.due : "–"}</td>
                  <td>{member.lastReport ?? "No reports yet"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <section aria-labelledby="nudge-heading">
        <h2 id="nudge-heading">Send your team a nudge</h2>
        {lastNudge ? (
          <div className="card">
            <p>
              Your last nudge, {lastNudge.at}, went to {people(lastNudge.recipients)}:
            </p>
            <p className="pre-line">&ldquo;{lastNudge.body}&rdquo;</p>
            <p>{outcomeWords(lastNudge.messages, lastNudge.outcomes)}</p>
          </div>
        ) : null}
        {nextNudgeAt ? (
          <p>
            Teams get one nudge every {NUDGE_EVERY_HOURS} hours, so you can send the next one after{" "}
            {nextNudgeAt}.
          </p>
        ) : members.length === 0 ? null : (
          <Form method="post" {...getFormProps(form)} noValidate>
            <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
            <div className="field">
              <label htmlFor="nudge-body">Your message</label>
              <span className="hint" id="nudge-body-hint">
                Up to {MAX_NUDGE_LENGTH} characters. Everyone in your team gets it by email or text,
                as they chose. We never share their details with you, or yours with them.
              </span>
              {bodyError ? (
                <span className="field-error" id="nudge-body-error">
                  {bodyError}
                </span>
              ) : null}
              <textarea
                id="nudge-body"
                name="body"
                rows={4}
                maxLength={MAX_NUDGE_LENGTH}
                defaultValue={bodyValue}
                aria-describedby={
                  bodyError ? "nudge-body-hint nudge-body-error" : "nudge-body-hint"
                }
                aria-invalid={bodyError ? true : undefined}
              />
            </div>
            <button type="submit" className="button">
              Send to your team
            </button>
          </Form>
        )}
      </section>
    </>
  );
}
