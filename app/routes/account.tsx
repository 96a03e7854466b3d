import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { listActiveSessions } from "~/models/session.server.ts";
import { getUserProfile } from "~/models/user.server.ts";
import { describeDevice, formatDateTime } from "~/utils/format";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Your account – Onward" }];

const ROLE_WORDS = {
  OWNER: "Owner",
  ORGANISER: "Organiser",
  TEAM_LEAD: "Team lead",
  VOLUNTEER: "Volunteer",
} as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const [profile, sessions] = await Promise.all([
    getUserProfile({ userId: user.id }),
    listActiveSessions({ userId: user.id }),
  ]);
  return {
    profile,
    sessions: sessions.map((session) => ({
      id: session.id,
      device: describeDevice(session.userAgent),
      lastSeen: formatDateTime(session.lastSeenAt),
      current: session.id === user.sessionId,
    })),
  };
}

export default function Account() {
  const { profile, sessions } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{profile.name ? `Hello, ${profile.name}` : "Your account"}</h1>
      <dl>
        {profile.email ? (
          <>
            <dt>Email</dt>
            <dd>{profile.email}</dd>
          </>
        ) : null}
        {profile.phone ? (
          <>
            <dt>Mobile</dt>
            <dd>{profile.phone}</dd>
          </>
        ) : null}
      </dl>
      {profile.memberships.length > 0 ? (
        <>
          <h2>Your organisations</h2>
          <ul>
            {profile.memberships.map((membership) => (
              <li key={membership.organisation.id}>
                {membership.organisation.name}: {ROLE_WORDS[membership.role]}
                {membership.role === "OWNER" || membership.role === "ORGANISER" ? (
                  <>
                    {" "}
                    (<Link to="/org">campaigns</Link>)
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>Where you're signed in</h2>
      <ul className="card-list">
        {sessions.map((session) => (
          <li className="card" key={session.id}>
            <strong>{session.device}</strong>
            {session.current ? " (this device)" : ""}
            <br />
            <span className="muted">Last used {session.lastSeen}</span>
          </li>
        ))}
      </ul>
      <div className="actions">
        <Form method="post" action="/sign-out">
          <button type="submit" className="button button--secondary">
            Sign out
          </button>
        </Form>
        <Form method="post" action="/sign-out">
          <input type="hidden" name="everywhere" value="yes" />
          <button type="submit" className="button button--secondary">
            Sign out everywhere
          </button>
        </Form>
      </div>
      <p className="muted">
        Signing out everywhere ends every session, including on lost or shared phones.
      </p>
    </>
  );
}
