import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getEnv } from "~/utils/env.server.ts";
import { changeSubscription, getUnsubscribeState } from "~/utils/unsubscribe.server.ts";

/**
 * An unsubscribe link, opened by a person (no sign-in: the signed token is the authority) or
 * posted to by a mail client's one-click unsubscribe (RFC 8058: a POST with the body
 * "List-Unsubscribe=One-Click", no cookies, no Origin). Opening the link changes nothing, because
 * mail scanners open links; only a POST does.
 */

export const meta: MetaFunction = () => [
  { title: "Unsubscribe – Onward" },
  { name: "robots", content: "noindex" },
];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export async function loader({ params }: LoaderFunctionArgs) {
  const state = await getUnsubscribeState(params.token);
  if (!state.ok) return data({ ok: false as const }, { status: 400 });
  return {
    ok: true as const,
    channel: state.channel,
    optedOut: state.optedOut,
    address: state.address ? maskAddress(state.address) : null,
  };
}

/** Enough of the address to recognise it, not enough to learn it from a forwarded link. */
function maskAddress(address: string) {
  const at = address.lastIndexOf("@");
  if (at > 0) return `${address.slice(0, 1)}•••${address.slice(at)}`;
  return `the number ending ${address.slice(-3)}`;
}

/**
 * Turning messages back on is a change a hostile page must not make: same-site forms only. The
 * server moves this path's Origin to X-Onward-Origin (see app/server/app.ts).
 */
function isForeignOrigin(request: Request) {
  const origin = request.headers.get("X-Onward-Origin") || request.headers.get("Origin");
  if (!origin) return false;
  return origin !== new URL(request.url).origin && origin !== new URL(getEnv().APP_URL).origin;
}

async function readForm(request: Request) {
  try {
    return await request.formData();
  } catch {
    return null;
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const intent = form?.get("intent");
  const oneClick = form?.get("List-Unsubscribe") === "One-Click";
  const subscribe = intent === "resubscribe";
  if (!subscribe && intent !== "unsubscribe" && !oneClick) {
    return data({ ok: false as const, done: null }, { status: 400 });
  }
  if (subscribe && isForeignOrigin(request)) {
    throw new Response("This form was sent from another website, so we did not accept it.", {
      status: 403,
    });
  }
  const result = await changeSubscription({
    token: params.token,
    subscribe,
    source: intent ? "unsubscribe-page" : "one-click",
  });
  if (!result.ok) return data({ ok: false as const, done: null }, { status: 400 });
  return {
    ok: true as const,
    done: subscribe ? ("resubscribed" as const) : ("unsubscribed" as const),
  };
}

export default function Unsubscribe() {
  const state = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";

  if (!state.ok) {
    return (
      <>
        <h1>This unsubscribe link isn't right</h1>
        <p className="error-summary" role="alert">
          We couldn't tell whose link this is, so nothing has changed. It may have been cut short:
          open it again from the email, copying the whole link.
        </p>
        <p>
          You can also <Link to="/account">sign in to your account</Link> to choose what we send
          you.
        </p>
      </>
    );
  }

  const things = state.channel === "EMAIL" ? "emails" : "texts";
  // Only a tampered-with form gets here: the buttons below always send a choice we know.
  const failed =
    actionData?.ok === false ? (
      <p className="error-summary" role="alert">
        That didn't work, so nothing has changed. Please press the button again.
      </p>
    ) : null;
  if (state.optedOut) {
    return (
      <>
        {failed}
        <h1>You're unsubscribed</h1>
        <p className="lead" role="status">
          You won't get any more {things} from Onward.
        </p>
        {state.channel === "EMAIL" ? (
          <p>If you ask to sign in by email, we'll still send you the sign-in link.</p>
        ) : null}
        <section className="panel" aria-labelledby="changed-mind">
          <h2 id="changed-mind">Changed your mind?</h2>
          <Form method="post">
            <input type="hidden" name="intent" value="resubscribe" />
            <button type="submit" className="button button--secondary" disabled={busy}>
              Turn {things} back on
            </button>
          </Form>
        </section>
      </>
    );
  }

  return (
    <>
      {failed}
      {actionData?.done === "resubscribed" ? (
        <p className="notice" role="status">
          {things === "emails" ? "Emails" : "Texts"} from Onward are back on.
        </p>
      ) : null}
      <h1>Stop {things} from Onward?</h1>
      <p>
        We'll stop sending {things} about your tasks and campaigns
        {state.address ? ` to ${state.address}` : ""}. You can turn them back on here at any time.
      </p>
      <Form method="post">
        <input type="hidden" name="intent" value="unsubscribe" />
        <button type="submit" className="button" disabled={busy}>
          Stop {things}
        </button>
      </Form>
    </>
  );
}
