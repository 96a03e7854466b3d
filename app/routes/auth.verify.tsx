import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { verifyLinkToken } from "~/utils/auth.server.ts";
import { safeRedirect, startUserSession } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Sign in – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

// Opening the link shows a button rather than signing in at once: mail scanners that fetch links
// would otherwise use up the single-use token before the person gets to it.
export function loader({ request }: LoaderFunctionArgs) {
  return { token: new URL(request.url).searchParams.get("token") ?? "" };
}

export async function action({ request }: ActionFunctionArgs) {
  const form = await request.formData();
  const token = form.get("token");
  const result = await verifyLinkToken({
    token: typeof token === "string" ? token.slice(0, 200) : "",
  });
  if (!result.ok) return data({ error: result.error }, { status: 400 });
  return startUserSession({
    request,
    userId: result.userId,
    redirectTo: safeRedirect(result.redirectTo),
  });
}

export default function Verify() {
  const { token } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  if (actionData?.error) {
    return (
      <>
        <h1>That link didn't work</h1>
        <p className="error-summary" role="alert">
          {actionData.error}
        </p>
        <p>
          <Link className="button" to="/sign-in">
            Get a new sign-in link
          </Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Sign in to Onward</h1>
      <p>Press the button to finish signing in on this device.</p>
      <Form method="post">
        <input type="hidden" name="token" value={token} />
        <button type="submit" className="button">
          Sign in
        </button>
      </Form>
    </>
  );
}
