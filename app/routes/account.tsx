import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorSummary } from "~/components/ui/form";
import { changeConsent, getConsentOverview } from "~/models/privacy.server.ts";
import { listActiveSessions } from "~/models/session.server.ts";
import { getUserProfile } from "~/models/user.server.ts";
import { CONSENT_WORDING, ConsentChangeSchema } from "~/schemas/privacy.ts";
import { parseForm } from "~/utils/form.server.ts";
import { describeDevice, formatDate, formatDateTime, formatFullDateTime } from "~/utils/format";

import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Your account – Onward" }];

const ROLE_WORDS = {
  OWNER: "Owner",
  ORGANISER: "Organiser",
  TEAM_LEAD: "Team lead",
  VOLUNTEER: "Volunteer",
} as const;

const CHANNEL_WORDS = {
  EMAIL: { title: "Emails", things: "emails", Things: "Emails" },
  SMS: { title: "Texts", things: "texts", Things: "Texts" },
} as const;

const BLOCK_WORDS: Record<string, string> = {
  SMS_STOP: "You replied STOP to one of our texts. To get texts again, reply START to that text.",
  BOUNCE: "Our last email to this address bounced, so we've stopped sending to it.",
  COMPLAINT: "An email from us was marked as spam, so we've stopped sending to this address.",
};

/** ?consent=EMAIL-off after a change: what to tell the person. */
function changeNotice(value: string | null) {
  const match = /^(EMAIL|SMS)-(on|off)$/.exec(value ?? "");
  if (!match) return null;
  const words = CHANNEL_WORDS[match[1] as "EMAIL" | "SMS"];
  return match[2] === "off"
    ? `Done. We won't send you any more ${words.things}. Sign-in messages you ask for still come.`
    : `Done. ${words.Things} about your tasks and campaigns are back on.`;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const [profile, sessions, consents] = await Promise.all([
    getUserProfile({ userId: user.id }),
    listActiveSessions({ userId: user.id }),
    getConsentOverview({ userId: user.id }),
  ]);
  return {
    profile,
    notice: changeNotice(new URL(request.url).searchParams.get("consent")),
    consents: consents.map((consent) => ({
      channel: consent.channel,
      address: consent.address,
      on: consent.on,
      block: consent.block ? (BLOCK_WORDS[consent.block] ?? null) : null,
      latest: consent.latest
        ? {
            granted: consent.latest.granted,
            wording: consent.latest.wording,
            source: consent.latest.source,
            when: formatDate(consent.latest.at, user.timezone),
          }
        : null,
      history: consent.history.map((row) => ({
        id: row.id,
        granted: row.granted,
        wording: row.wording,
        source: row.source,
        when: formatFullDateTime(row.at, user.timezone),
      })),
    })),
    sessions: sessions.map((session) => ({
      id: session.id,
      device: describeDevice(session.userAgent),
      lastSeen: formatDateTime(session.lastSeenAt, user.timezone),
      current: session.id === user.sessionId,
    })),
  };
}

/** Turning emails or texts off (or back on): one button, no JavaScript needed. */
export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const submission = parseForm(await request.formData(), { schema: ConsentChangeSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: 400 });
  }
  const { channel, granted } = submission.value;
  const result = await changeConsent({ userId: user.id, channel, granted });
  if (!result.ok) {
    return data(submission.reply({ formErrors: [result.error] }), { status: 400 });
  }
  return redirect(`/account?consent=${channel}-${granted ? "on" : "off"}#consent`);
}

export default function Account() {
  const { profile, notice, consents, sessions } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const errors = [
    ...(lastResult?.error?.[""] ?? []),
    ...Object.entries(lastResult?.error ?? {})
      .filter(([name]) => name !== "")
      .flatMap(([, messages]) => messages ?? []),
  ].map((message) => ({ id: "", message }));
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

      <section aria-labelledby="consent" className="panel">
        <h2 id="consent" tabIndex={-1}>
          What we send you
        </h2>
        <ErrorSummary errors={errors} />
        {notice && !lastResult ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        {consents.length === 0 ? (
          <p>We don't have an email address or mobile number for you, so we send you nothing.</p>
        ) : null}
        {consents.map((consent) => {
          const words = CHANNEL_WORDS[consent.channel];
          const headingId = `consent-${consent.channel}`;
          return (
            <article key={consent.channel} aria-labelledby={headingId} className="card">
              <h3 id={headingId}>
                {words.title}: {consent.on ? "on" : "off"}
              </h3>
              <p>
                {consent.on
                  ? `We send ${words.things} about your tasks and campaigns${consent.address ? ` to ${consent.address}` : ""}.`
                  : `We don't send you ${words.things} about your tasks and campaigns.`}
              </p>
              {consent.latest ? (
                <p className="muted">
                  {consent.latest.granted ? "You said yes" : "You said no"} on {consent.latest.when}
                  . {consent.latest.source}: “{consent.latest.wording}”
                </p>
              ) : null}
              {consent.block ? <p>{consent.block}</p> : null}
              {consent.on ? (
                <Form method="post" action="/account">
                  <input type="hidden" name="intent" value="consent" />
                  <input type="hidden" name="channel" value={consent.channel} />
                  <input type="hidden" name="granted" value="no" />
                  <button type="submit" className="button button--secondary" disabled={busy}>
                    Stop {words.things}
                  </button>
                </Form>
              ) : consent.address && !(consent.channel === "SMS" && consent.block) ? (
                <Form method="post" action="/account">
                  <input type="hidden" name="intent" value="consent" />
                  <input type="hidden" name="channel" value={consent.channel} />
                  <input type="hidden" name="granted" value="yes" />
                  <p className="hint">
                    By turning them on you agree: “{CONSENT_WORDING.grant[consent.channel]}”
                  </p>
                  <button type="submit" className="button button--secondary" disabled={busy}>
                    Turn {words.things} on
                  </button>
                </Form>
              ) : null}
              {consent.history.length > 0 ? (
                <details>
                  <summary>
                    Each time you said yes or no{" "}
                    <span className="visually-hidden">to {words.things}</span> (
                    {consent.history.length})
                  </summary>
                  <ul>
                    {consent.history.map((row) => (
                      <li key={row.id}>
                        {row.when}: {row.granted ? "yes" : "no"}. {row.source}: “{row.wording}”
                      </li>
                    ))}
                  </ul>
                </details>
              ) : null}
            </article>
          );
        })}
        <p className="hint">
          Sign-in links and codes you ask for always come, whatever you choose here.
        </p>
      </section>

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

      <section aria-labelledby="your-data">
        <h2 id="your-data">Your data</h2>
        <p>
          <Link to="/privacy">How we use your data</Link>: what we keep, why, for how long, and your
          rights.
        </p>
        <ul>
          <li>
            <a href="/account/data.json" download>
              Download your data
            </a>{" "}
            (a file with everything we hold about you)
          </li>
          <li>
            <Link className="standalone-link" to="/account/delete">
              Delete your account
            </Link>
          </li>
        </ul>
      </section>
    </>
  );
}
