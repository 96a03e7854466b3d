import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "Your account is deleted – Onward" }];

/** Where deleting an account ends. It shows nothing about anyone, so it needs no sign-in. */
export default function AccountDeleted() {
  return (
    <>
      <h1>Your account is deleted</h1>
      <p className="lead" role="status">
        Thank you for everything you did. We've removed your details and you're signed out.
      </p>
      <p>
        What you reported still counts towards your campaigns' totals, without your name. We won't
        contact you again.
      </p>
      <p>
        If you'd like to help again one day, you're always welcome: join any campaign as if for the
        first time. <Link to="/privacy">How we use your data</Link>.
      </p>
    </>
  );
}
