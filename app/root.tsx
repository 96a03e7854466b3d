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
  useMatches,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import "~/load-context";
import { enhanceScriptSrc } from "~/enhance/assets.server.ts";
import stylesHref from "~/styles/app.css";
import { useNonce } from "~/utils/nonce";
import { isVolunteerPage } from "~/utils/page-handle";
import { getCurrentUser } from "~/utils/session.server.ts";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesHref },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
  { rel: "manifest", href: "/manifest.webmanifest" },
  { rel: "apple-touch-icon", href: "/icons/icon-192.png" },
];

function useVolunteerPage() {
  const matches = useMatches();
  // Only a page rendered on the server can leave React out. Once React runs in the browser (an
  // organiser page), it keeps its scripts on whatever page it moves to next.
  const onServer = typeof document === "undefined";
  return onServer && isVolunteerPage(matches.map((match) => match.handle));
}

export const meta: MetaFunction = ({ error }) => {
  if (!error) return [{ title: "Onward" }];
  if (isRouteErrorResponse(error) && error.status === 404)
    return [{ title: "Page not found – Onward" }];
  if (isRouteErrorResponse(error) && error.status === 403) return [{ title: "No access – Onward" }];
  if (isRouteErrorResponse(error) && error.status === 400)
    return [{ title: "That didn't work – Onward" }];
  return [{ title: "Something went wrong – Onward" }];
};

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getCurrentUser(request);
  return {
    user: user
      ? {
          id: user.id,
          name: user.name,
          isOrganiser: user.memberships.some((m) => m.role === "OWNER" || m.role === "ORGANISER"),
        }
      : null,
    enhanceScript: enhanceScriptSrc(),
  };
}

function Shell({
  children,
  user,
  enhanceScript = null,
}: {
  children: ReactNode;
  user: { id: string; name: string | null; isOrganiser: boolean } | null;
  enhanceScript?: string | null;
}) {
  const nonce = useNonce();
  const volunteerPage = useVolunteerPage();
  return (
    <html lang="en-GB">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="theme-color" content="#0b5c3b" />
        <Meta />
        <Links />
        {volunteerPage && enhanceScript ? (
          <script type="module" src={enhanceScript} nonce={nonce} />
        ) : null}
      </head>
      <body data-user={volunteerPage && user ? user.id : undefined}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap site-header__inner">
            <Link to="/" className="brand" reloadDocument>
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
                      <Link to="/me" reloadDocument>
                        Your tasks
                      </Link>
                    </li>
                    <li>
                      <Link to="/account">Account</Link>
                    </li>
                  </>
                ) : (
                  <li>
                    <Link to="/sign-in" reloadDocument>
                      Sign in
                    </Link>
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
            <p>
              <Link className="standalone-link" to="/privacy">
                How we use your data
              </Link>
            </p>
          </div>
        </footer>
        {volunteerPage ? null : (
          <>
            <ScrollRestoration nonce={nonce} />
            <Scripts nonce={nonce} />
          </>
        )}
      </body>
    </html>
  );
}

export default function App() {
  const { user, enhanceScript } = useLoaderData<typeof loader>();
  return (
    <Shell user={user} enhanceScript={enhanceScript}>
      <Outlet />
    </Shell>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("root");
  const user = data?.user ?? null;
  const enhanceScript = data?.enhanceScript ?? null;
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Shell user={user} enhanceScript={enhanceScript}>
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
  // A form that was tampered with, or that no page of ours sends (app/utils/form.server.ts).
  if (isRouteErrorResponse(error) && error.status === 400) {
    return (
      <Shell user={user} enhanceScript={enhanceScript}>
        <h1>That didn't work</h1>
        <p role="alert">
          We couldn't read what was sent, so nothing has changed. Go back, reload the page and try
          again.
        </p>
        <p>
          <Link to="/">Go to the home page</Link>.
        </p>
      </Shell>
    );
  }
  if (isRouteErrorResponse(error) && error.status === 403) {
    return (
      <Shell user={user} enhanceScript={enhanceScript}>
        <h1>You don't have access to this page</h1>
        <p>If you think you should, ask the organiser who invited you.</p>
        <p>
          <Link to="/">Go to the home page</Link>.
        </p>
      </Shell>
    );
  }
  return (
    <Shell user={user} enhanceScript={enhanceScript}>
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
