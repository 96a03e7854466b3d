import { createCookie, redirect } from "@remix-run/node";
import { getVolunteerAssignment, type VolunteerAssignment } from "~/models/assignment.server.ts";
import {
  createSession,
  getActiveSession,
  revokeAllSessions,
  revokeSession,
  SESSION_DAYS,
  touchSession,
} from "~/models/session.server.ts";
import { BoundedMap } from "~/utils/bounded-map";
import { getEnv, getSessionSecret } from "~/utils/env.server.ts";
import { clientIp } from "~/utils/request.server.ts";

let sessionCookie: ReturnType<typeof createCookie> | undefined;

/** A signed, HttpOnly, SameSite=Lax cookie holding only the id of a server-side session row. */
function cookie() {
  sessionCookie ??= createCookie("onward_session", {
    httpOnly: true,
    sameSite: "lax",
    secure: getEnv().APP_URL.startsWith("https:"),
    path: "/",
    maxAge: SESSION_DAYS * 24 * 60 * 60,
    secrets: [getSessionSecret()],
  });
  return sessionCookie;
}

/**
 * Cookie headers already checked, and the session id each holds (null: none, or a bad signature).
 * The check (an HMAC, then decoding) gives the same answer for the same header every time, so a
 * person's next requests skip it. At most 2,000 headers, the oldest dropped first, and only
 * headers of a sensible size (ours is about 100 characters), so junk can't fill memory.
 */
const checkedCookies = new BoundedMap<string, string | null>(2_000);
const COOKIE_HEADER_KEPT_MAX = 1_024;

async function readSessionId(request: Request): Promise<string | null> {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  const known = checkedCookies.get(header);
  if (known !== undefined) return known;
  const value: unknown = await cookie().parse(header);
  const sessionId = typeof value === "string" && value.length > 0 ? value : null;
  if (header.length > COOKIE_HEADER_KEPT_MAX) return sessionId;
  checkedCookies.set(header, sessionId);
  return sessionId;
}

export type CurrentUser = NonNullable<Awaited<ReturnType<typeof getActiveSession>>>["user"] & {
  sessionId: string;
};

const TOUCH_EVERY_MS = 60 * 60 * 1000;

type Found = {
  user: CurrentUser | null;
  /** The assignment read in the same statement, if a page asked in time (see `lookUp`). */
  assignmentId: string | null;
  assignment: VolunteerAssignment | null;
};

type Lookup = { assignmentId: string | null; found: Promise<Found> };

/**
 * The signed-in person, looked up once per request: the root loader and the page's own loader
 * both ask, and Remix hands them the same Request.
 */
const lookups = new WeakMap<Request, Lookup>();

/**
 * The request's one lookup of its session. Remix starts the root loader and the page's loader
 * together, so the statement waits for the end of this turn of the event loop (setImmediate): a
 * volunteer page that asks for its assignment by then (getCurrentUserAndAssignment) has it read in
 * the same statement as the session, one round trip instead of two.
 */
function lookUp(request: Request): Lookup {
  let lookup = lookups.get(request);
  if (!lookup) {
    const asked = { assignmentId: null as string | null };
    lookup = Object.assign(asked, { found: find(request, asked) });
    lookups.set(request, lookup);
  }
  return lookup;
}

const NOBODY: Found = { user: null, assignmentId: null, assignment: null };

async function find(request: Request, asked: { assignmentId: string | null }): Promise<Found> {
  const sessionId = await readSessionId(request);
  if (!sessionId) return NOBODY;
  await new Promise<void>((resolve) => setImmediate(resolve));
  const { assignmentId } = asked;
  const session = await getActiveSession({ sessionId, assignmentId: assignmentId ?? undefined });
  if (!session) return NOBODY;
  if (Date.now() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await touchSession({ sessionId });
  }
  return {
    user: { ...session.user, sessionId: session.id },
    assignmentId,
    assignment: session.assignment,
  };
}

export async function getCurrentUser(request: Request): Promise<CurrentUser | null> {
  return (await lookUp(request).found).user;
}

/**
 * The signed-in person and their own assignment (null if it isn't theirs), read with the session
 * in one statement when asked in time, as a page's loader does; else in a second one.
 */
export async function getCurrentUserAndAssignment(
  request: Request,
  assignmentId: string,
): Promise<{ user: CurrentUser | null; assignment: VolunteerAssignment | null }> {
  const lookup = lookUp(request);
  lookup.assignmentId ??= assignmentId;
  const { user, ...found } = await lookup.found;
  if (!user) return { user, assignment: null };
  if (found.assignmentId === assignmentId) return { user, assignment: found.assignment };
  return { user, assignment: await getVolunteerAssignment({ assignmentId, userId: user.id }) };
}

/** Only paths on this site may be returned to after signing in. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/me") {
  if (
    typeof to !== "string" ||
    !to.startsWith("/") ||
    to.startsWith("//") ||
    to.startsWith("/\\")
  ) {
    return fallback;
  }
  return to;
}

export async function requireUser(request: Request): Promise<CurrentUser> {
  const user = await getCurrentUser(request);
  if (!user) throw toSignIn(request);
  return user;
}

/** To the sign-in page, and back to this page after. */
export function toSignIn(request: Request) {
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  return redirect(`/sign-in?${new URLSearchParams({ redirectTo: back })}`);
}

export async function startUserSession({
  request,
  userId,
  redirectTo,
}: {
  request: Request;
  userId: string;
  redirectTo: string;
}) {
  const session = await createSession({
    userId,
    userAgent: request.headers.get("User-Agent"),
    ip: clientIp(request),
  });
  return redirect(redirectTo, {
    headers: { "Set-Cookie": await cookie().serialize(session.id) },
  });
}

export async function endUserSession({
  request,
  everywhere,
}: {
  request: Request;
  everywhere: boolean;
}) {
  const user = await getCurrentUser(request);
  if (user) {
    if (everywhere) await revokeAllSessions({ userId: user.id });
    else await revokeSession({ sessionId: user.sessionId });
  }
  return redirect(everywhere ? "/sign-in?signedOut=everywhere" : "/sign-in?signedOut=1", {
    headers: { "Set-Cookie": await cookie().serialize("", { maxAge: 0 }) },
  });
}
