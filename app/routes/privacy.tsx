import type { MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { SESSION_DAYS } from "~/models/session.server.ts";
import { CODE_MINUTES, LINK_MINUTES } from "~/utils/auth.server.ts";
import { getEnv } from "~/utils/env.server.ts";
import { formatNumber } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "How we use your data – Onward" }];

/** The privacy notice, for everyone. How long we keep messages comes from RETENTION_DAYS. */
export function loader() {
  return {
    retentionDays: getEnv().RETENTION_DAYS,
    sessionDays: SESSION_DAYS,
    linkMinutes: LINK_MINUTES,
    codeMinutes: CODE_MINUTES,
  };
}

export default function Privacy() {
  const { retentionDays, sessionDays, linkMinutes, codeMinutes } = useLoaderData<typeof loader>();
  const days = `${formatNumber(retentionDays)} ${retentionDays === 1 ? "day" : "days"}`;
  return (
    <div className="prose">
      <h1>How we use your data</h1>
      <p className="lead">
        Onward gives you tasks for the campaigns you join and tells the organisers what everyone
        achieved. This page says what we keep about you, why, for how long, and what you can do
        about it.
      </p>

      <h2>What we keep</h2>
      <ul>
        <li>
          Your first name, your email address or mobile number (or both), your postcode and your
          time zone.
        </li>
        <li>
          Whether you want emails or texts. Each time you said yes or no to them, we keep the words
          you saw, when, and where.
        </li>
        <li>Your tasks and your reports: the numbers, your answers and anything you wrote.</li>
        <li>The emails and texts we send you, and the texts you send us.</li>
        <li>
          When and on which device you signed in, and from which internet address, to keep your
          account safe.
        </li>
      </ul>

      <h2>Why we keep it</h2>
      <ul>
        <li>
          To give you tasks, remind you about them and thank you. We only email or text you because
          you said we could, and you can stop at any time.
        </li>
        <li>
          To show the organisation running a campaign what it achieved. Organisers of the
          organisations you join can see your name, your tasks, your reports and the messages we
          sent you. Their downloads never include your email address, number or postcode. Other
          organisations see nothing about you.
        </li>
        <li>
          If you are in a team, its team lead sees your first name, your task and when you last
          reported. They never see how to contact you.
        </li>
        <li>
          An organisation can have its own systems told when someone joins or reports back. They get
          your first name and your report, never your email address, number or postcode.
        </li>
        <li>To keep your account safe and stop misuse.</li>
      </ul>

      <h2>How long we keep it</h2>
      <ul>
        <li>
          The words of the emails and texts we send you, and of the texts you send us:{" "}
          <strong>{days}</strong>. After that we clear them and keep only that a message was sent,
          when, and whether it arrived.
        </li>
        <li>
          Sign-in links last {formatNumber(linkMinutes)} minutes and codes{" "}
          {formatNumber(codeMinutes)} minutes. You stay signed in for up to{" "}
          {formatNumber(sessionDays)} days on a device.
        </li>
        <li>Everything else: until you delete your account.</li>
        <li>
          When you delete your account we remove your name, contact details and postcode at once.
          Your reports stay without your name or your own words, with only their area (like LS6), so
          campaign totals stay right.
        </li>
      </ul>

      <h2>Your rights</h2>
      <ul>
        <li>
          <strong>See your data</strong>: download everything we hold about you from{" "}
          <Link to="/account">your account</Link>.
        </li>
        <li>
          <strong>Stop messages</strong>: turn emails or texts off on{" "}
          <Link to="/account#consent">your account</Link>, use the unsubscribe link in any email, or
          reply STOP to any text.
        </li>
        <li>
          <strong>Delete your account</strong>: from <Link to="/account/delete">your account</Link>,
          at any time.
        </li>
        <li>
          <strong>Correct your details</strong>: ask the organiser of your campaign.
        </li>
        <li>
          <strong>Complain</strong>: if you're unhappy with how we use your data, tell the organiser
          of your campaign. You can also complain to the Information Commissioner's Office at{" "}
          <a href="https://ico.org.uk/make-a-complaint/">ico.org.uk</a>.
        </li>
      </ul>
      <p>Downloading and deleting need you to sign in, so that nobody else can do it for you.</p>
    </div>
  );
}
