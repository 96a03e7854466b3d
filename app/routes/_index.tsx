import type { MetaFunction } from "@remix-run/node";
import { Link, useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "~/root";

export const meta: MetaFunction = () => [
  { title: "Onward – act together, see what it achieves" },
  {
    name: "description",
    content:
      "Onward sends volunteers one clear task at a time and turns their reports into the next step.",
  },
];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export default function Index() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  return (
    <>
      <h1>Act together, and see what it achieves</h1>
      <p className="lead">
        Onward sends you one clear task at a time for a cause you care about. You do it when it
        suits you, tell us how it went from your phone, and your report shapes the next step.
      </p>
      <p>To join a campaign, use the link or poster its organisers shared with you.</p>
      <div className="actions">
        {root?.user ? (
          <Link className="button" to={root.user.isOrganiser ? "/org" : "/me"}>
            Continue
          </Link>
        ) : (
          <Link className="button" to="/sign-in">
            Sign in
          </Link>
        )}
      </div>
    </>
  );
}
