import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary } from "~/components/ui/form";
import { orNotFound } from "~/models/campaign.server.ts";
import { changeTeam, getCampaignTeams } from "~/models/teams.server.ts";
import { TeamActionSchema } from "~/schemas/teams.ts";
import { parseForm } from "~/utils/form.server.ts";
import { formatNumber } from "~/utils/format";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Teams: ${data.campaign.title} – Onward` : "Teams – Onward" },
];

const DONE_NOTICES: Record<string, string> = {
  promoted: "Team created. Its lead can see it at /team once they sign in. Add people to it below.",
  "add-member": "Added to the team.",
  "remove-member": "Taken off the team.",
  "remove-lead":
    "The team has no lead now. They are a volunteer again unless they lead another team.",
  "delete-team": "Team deleted. Its lead is a volunteer again unless they lead another team.",
};

/** /org/campaigns/<id>/teams: the campaign's teams, their leads and members (ADR 019). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const found = await orNotFound(
    getCampaignTeams({ actorId: user.id, campaignId: params.campaignId ?? "" }),
  );
  const done = new URL(request.url).searchParams.get("done");
  return { ...found, notice: done ? (DONE_NOTICES[done] ?? null) : null };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const campaignId = params.campaignId ?? "";
  const submission = parseForm(await request.formData(), { schema: TeamActionSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await orNotFound(
    changeTeam({ actorId: user.id, campaignId, action: submission.value, ip: clientIp(request) }),
  );
  if (!result.ok) {
    return data(submission.reply({ formErrors: [result.message] }), { status: 400 });
  }
  const anchor = submission.value.intent === "delete-team" ? "" : `#team-${result.teamId}`;
  return redirect(`/org/campaigns/${campaignId}/teams?done=${submission.value.intent}${anchor}`);
}

export default function Teams() {
  const { campaign, teams, candidates, notice } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const errors = Object.values((lastResult?.error ?? {}) as Record<string, string[] | null>)
    .flatMap((messages) => messages ?? [])
    .map((message) => ({ id: "", message }));
  const base = `/org/campaigns/${campaign.id}`;
  return (
    <>
      <p>
        <Link to={base}>Back to {campaign.title}</Link>
      </p>
      <h1>Teams</h1>
      {notice && !lastResult ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorSummary errors={errors} />
      <p>
        A team lead sees their team&rsquo;s first names, tasks and reports, never contact details,
        and can send the team one nudge a day. To start a team, make someone a team lead from{" "}
        <Link to={`${base}/champions`}>the champions list</Link>.
      </p>

      {teams.length === 0 ? <p>No teams yet.</p> : null}
      {teams.map((team) => (
        <section
          key={team.id}
          id={`team-${team.id}`}
          aria-labelledby={`team-${team.id}-heading`}
          className="card"
        >
          <h2 id={`team-${team.id}-heading`}>{team.name}</h2>
          <p>
            {team.lead ? (
              <>
                Led by <Link to={`/org/people/${team.lead.id}`}>{team.lead.name}</Link>
              </>
            ) : (
              "No lead"
            )}{" "}
            · {formatNumber(team.members.length)} {team.members.length === 1 ? "person" : "people"}
          </p>
          {team.members.length > 0 ? (
            <div
              className="table-wrap"
              role="region"
              aria-labelledby={`team-${team.id}-caption`}
              tabIndex={0}
            >
              <table>
                <caption id={`team-${team.id}-caption`} className="visually-hidden">
                  People in {team.name}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Area</th>
                    <th scope="col">
                      <span className="visually-hidden">Change</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {team.members.map((member) => (
                    <tr key={member.id}>
                      <th scope="row">
                        <Link to={`/org/people/${member.id}`}>{member.name}</Link>
                      </th>
                      <td>{member.area || "–"}</td>
                      <td>
                        <Form method="post" className="inline-form">
                          <input type="hidden" name="intent" value="remove-member" />
                          <input type="hidden" name="teamId" value={team.id} />
                          <input type="hidden" name="userId" value={member.id} />
                          <button type="submit" className="button button--secondary button--small">
                            Take off the team
                            <span className="visually-hidden">: {member.name}</span>
                          </button>
                        </Form>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}

          {candidates.length > 0 ? (
            <Form method="post" className="field-row">
              <input type="hidden" name="intent" value="add-member" />
              <input type="hidden" name="teamId" value={team.id} />
              <div className="field">
                <label htmlFor={`add-${team.id}`}>Add someone taking part</label>
                <select id={`add-${team.id}`} name="userId" defaultValue="">
                  <option value="" disabled>
                    Choose a person
                  </option>
                  {candidates.map((person) => (
                    <option key={person.id} value={person.id}>
                      {person.name}
                      {person.area ? ` (${person.area})` : ""} · {formatNumber(person.reports)}{" "}
                      {person.reports === 1 ? "report" : "reports"}
                    </option>
                  ))}
                </select>
              </div>
              <div className="actions">
                <button type="submit" className="button button--secondary">
                  Add to {team.name}
                </button>
              </div>
            </Form>
          ) : (
            <p className="hint">Everyone taking part is in a team already.</p>
          )}

          <div className="actions">
            {team.lead ? (
              <Form method="post" className="inline-form">
                <input type="hidden" name="intent" value="remove-lead" />
                <input type="hidden" name="teamId" value={team.id} />
                <button type="submit" className="button button--secondary">
                  Remove {team.lead.name} as lead
                </button>
              </Form>
            ) : null}
            <Form method="post" className="inline-form">
              <input type="hidden" name="intent" value="delete-team" />
              <input type="hidden" name="teamId" value={team.id} />
              <button type="submit" className="button button--secondary">
                Delete {team.name}
              </button>
            </Form>
          </div>
        </section>
      ))}
    </>
  );
}
