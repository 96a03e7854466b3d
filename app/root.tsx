import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import "~/load-context";
import stylesHref from "~/styles/app.css";
import { useNonce } from "~/utils/nonce";
import { getCurrentUser } from "~/utils/session.server.ts";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesHref },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = ({ error }) => {
  if (!error) return [{ title: "Onward" }];
  if (isRouteErrorResponse(error) && error.status === 404)
    return [{ title: "Page not found – Onward" }];
  if (isRouteErrorResponse(error) && error.status === 403) return [{ title: "No access – Onward" }];
  return [{ title: "Something went wrong – Onward" }];
};

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getCurrentUser(request);
  return {
    user: user
      ? {
          name: user.name,
          isOrganiser: user.memberships.some((m) => m.role === "OWNER" || m.role === "ORGANISER"),
        }
      : null,
  };
}

function Shell({
  children,
  user,
}: {
  children: ReactNode;
  user: { name: string | null; isOrganiser: boolean } | null;
}) {
  const nonce = useNonce();
  return (
    <html lang="en-GB">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="theme-color" content="#0b5c3b" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap site-header__inner">
            <Link to="/" className="brand">
              Onward
            </Link>
            <nav aria-label="Main">
              <ul className="nav-list">
                {user ? (
                  <>
                    {user.isOrganiser ? (
                      <li>
                        <Link to="/org">Campaigns</Link>
                      </li>
                    ) : null}
                    <li>
                      <Link to="/me">Your tasks</Link>
                    </li>
                    <li>
                      <Link to="/account">Account</Link>
                    </li>
                  </>
                ) : (
                  <li>
                    <Link to="/sign-in">Sign in</Link>
                  </li>
                )}
              </ul>
            </nav>
          </div>
        </header>
        <main id="main" className="wrap" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="wrap">
            <p>Onward helps people act together, and shows what their actions achieve.</p>
          </div>
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { user } = useLoaderData<typeof loader>();
  return (
    <Shell user={user}>
      <Outlet />
    </Shell>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("root");
  const user = data?.user ?? null;
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Shell user={user}>
        <h1>We can't find that page</h1>
        <p>The link may be old, or the address may have a typo.</p>
        <p>
          <Link to="/">Go to the home page</Link>
          {user ? (
            <>
              {" "}
              or <Link to="/account">your account</Link>
            </>
          ) : null}
          .
        </p>
      </Shell>
    );
  }
  if (isRouteErrorResponse(error) && error.status === 403) {
    return (
      <Shell user={user}>
        <h1>You don't have access to this page</h1>
        <p>If you think you should, ask the organiser who invited you.</p>
        <p>
          <Link to="/">Go to the home page</Link>.
        </p>
      </Shell>
    );
  }
  return (
    <Shell user={user}>
      <h1>Sorry, something went wrong</h1>
      <p>It's our fault, not yours. Nothing you entered has been lost if you saw a confirmation.</p>
      <p>
        Please try again in a minute. If it keeps happening, tell the organiser of your campaign.
      </p>
      <p>
        <Link to="/">Go to the home page</Link>.
      </p>
    </Shell>
  );
}
