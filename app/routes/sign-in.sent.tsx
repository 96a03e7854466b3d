import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { LINK_MINUTES } from "~/utils/auth.server.ts";

export const meta: MetaFunction = () => [{ title: "Check your email – Onward" }];

export function loader({ request }: LoaderFunctionArgs) {
  const to = new URL(request.url).searchParams.get("to")?.slice(0, 254) ?? null;
  return { to, minutes: LINK_MINUTES };
}

export default function SignInSent() {
  const { to, minutes } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Check your email</h1>
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
