import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { TeamTotals } from "~/components/team-totals";
import { listLedTeams } from "~/models/teams.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Your team – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

/** /team: the teams the signed-in person leads. For anyone who leads none, 403. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const teams = await listLedTeams({ actorId: user.id });
  if (teams.length === 0) {
    throw new Response("This page is for team leads.", { status: 403 });
  }
  return { teams };
}

export default function YourTeams() {
  const { teams } = useLoaderData<typeof loader>();
  return (
    <>
      <p>
        <Link className="standalone-link" to="/me" reloadDocument>
          Back to your tasks
        </Link>
      </p>
      <h1>{teams.length === 1 ? "Your team" : "Your teams"}</h1>
      <p>See how your team is doing, and send them a nudge.</p>
      <ul className="card-list">
        {teams.map((team) => (
          <li className="card" key={team.id}>
            {team.campaign ? <p className="muted">{team.campaign}</p> : null}
            <h2>
              <Link to={`/team/${team.id}`} reloadDocument>
                {team.name}
              </Link>
            </h2>
            <TeamTotals totals={team.totals} metricLabel={team.metricLabel} />
          </li>
        ))}
      </ul>
    </>
  );
}
