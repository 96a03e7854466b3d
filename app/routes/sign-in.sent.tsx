import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { LINK_MINUTES } from "~/utils/auth.server.ts";

export const meta: MetaFunction = () => [{ title: "Check your email – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const to = url.searchParams.get("to")?.slice(0, 254) ?? null;
  return { to, minutes: LINK_MINUTES, joinedBefore: url.searchParams.get("joined") === "1" };
}

export default function SignInSent() {
  const { to, minutes, joinedBefore } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Check your email</h1>
      {joinedBefore ? (
        <p>
          It looks like you've used Onward before, so you don't need to sign up again. Sign in with
          the link and you'll come straight back to the campaign.
        </p>
      ) : null}
      <p className="lead" role="status">
        If {to ? <strong>{to}</strong> : "that address"} has an Onward account, we've sent it a link
        to sign in.
      </p>
      <p>
        The link works once, for {minutes} minutes. It may take a minute to arrive, and it may be in
        your spam folder.
      </p>
      <p>
        No email? Check the address and <Link to="/sign-in">try again</Link>, or join a campaign
        first from its join link.
      </p>
    </>
  );
}
