import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_AUTH_TOKEN } from "../fixtures/fake-twilio.ts";
import {
  createWorld,
  listRoutes,
  PEOPLE,
  routeModule,
  startTestServer,
  type TestServer,
  type Who,
  type World,
} from "./authz-matrix-app.ts";
import { MATRIX, type Statuses } from "./authz-matrix.ts";
import { requestSignIn } from "~/utils/auth.server.ts";
import { db } from "~/utils/db.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";

/**
 * Every route × six kinds of person → the status they get, through the real Express app (so the
 * Origin check, the root loader and the error boundaries all take part). The expectations live in
 * authz-matrix.ts; the route list is read as `remix build` reads it, so a new route fails here
 * until it has an entry.
 */

const routes = await listRoutes();
const TABLE = "tests/integration/authz-matrix.ts";

let server: TestServer;
let world: World;

beforeAll(async () => {
  // As deployed: the development outbox off, both webhooks configured.
  process.env.OUTBOX_PREVIEW = "false";
  process.env.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN;
  process.env.INBOUND_EMAIL_SECRET = "inbound-secret-0123456789";
  reloadEnv();
  server = await startTestServer();
  world = await createWorld();
});

afterAll(async () => {
  await server.close();
  delete process.env.OUTBOX_PREVIEW;
  delete process.env.TWILIO_AUTH_TOKEN;
  delete process.env.INBOUND_EMAIL_SECRET;
  reloadEnv();
});

describe("the matrix and the route list agree", () => {
  it("has an entry for every route", () => {
    const missing = routes.filter((route) => !MATRIX[route.id]).map((route) => `app/${route.file}`);
    expect(missing, `Routes without an entry in ${TABLE} (see the top of that file)`).toEqual([]);
  });

  it("has no entry for a route that no longer exists", () => {
    const known = new Set(routes.map((route) => route.id));
    const stale = Object.keys(MATRIX).filter((id) => !known.has(id));
    expect(stale, `Entries in ${TABLE} for routes that are gone`).toEqual([]);
  });

  it("expects POST results exactly for the routes that have an action", async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const hasAction = typeof (await routeModule(route.id)).action === "function";
      const entry = MATRIX[route.id];
      if (entry && hasAction !== Boolean(entry.post)) {
        wrong.push(
          hasAction
            ? `app/${route.file} has an action: give its entry a post`
            : `app/${route.file} has no action: remove post from its entry`,
        );
      }
    }
    expect(wrong).toEqual([]);
  });
});

async function statuses(
  request: (who: Who) => Promise<{ status: number; location: string | null }>,
): Promise<{ statuses: Statuses; locations: Record<Who, string | null> }> {
  const found = {} as Statuses;
  const locations = {} as Record<Who, string | null>;
  for (const who of PEOPLE) {
    const { status, location } = await request(who);
    found[who] = status;
    locations[who] = location;
  }
  return { statuses: found, locations };
}

describe.each(routes)("$id", (route) => {
  it("answers GET as the matrix says", async () => {
    const entry = MATRIX[route.id];
    if (!entry) throw new Error(`app/${route.file} has no entry in ${TABLE}: add one.`);
    const path = entry.path(world);
    const got = await statuses((who) => server.send({ path, cookie: world.cookies[who] }));
    expect(got.statuses).toEqual(entry.get);
    // A private page sends a signed-out person to sign in, and back here afterwards.
    if (entry.get.signedOut === 302 && entry.get.owner !== 302) {
      expect(got.locations.signedOut).toMatch(/^\/sign-in/);
    }
  });

  it("answers POST as the matrix says", async () => {
    const entry = MATRIX[route.id];
    if (!entry) throw new Error(`app/${route.file} has no entry in ${TABLE}: add one.`);
    // A POST that succeeds changes things (a campaign paused, a task reported): each person
    // gets a world of their own. Where there is no action, nothing can change.
    const worlds: World[] = [];
    for (const _who of PEOPLE) worlds.push(entry.post ? await createWorld() : world);
    const got = await statuses((who) => {
      const mine = worlds[PEOPLE.indexOf(who)] ?? world;
      return server.send({
        method: "POST",
        path: entry.path(mine),
        cookie: mine.cookies[who],
        form: entry.post ? entry.post.form(mine) : {},
      });
    });
    expect(got.statuses).toEqual(entry.post?.expect ?? MATRIX_NO_ACTION);
  });
});

/** Remix's answer to a POST where the route has no action. */
const MATRIX_NO_ACTION: Statuses = {
  signedOut: 405,
  volunteer: 405,
  teamLead: 405,
  otherOrganiser: 405,
  organiser: 405,
  owner: 405,
};

describe("the development outbox", () => {
  it("is served only with OUTBOX_PREVIEW on (so its 404s above come from the switch)", async () => {
    const devRoutes = routes.filter((route) => route.id.startsWith("routes/dev."));
    expect(devRoutes.length).toBeGreaterThan(0);
    process.env.OUTBOX_PREVIEW = "true";
    reloadEnv();
    try {
      // A message with an HTML body, for the page that shows it as a mail client would.
      await requestSignIn({
        identifier: { channel: "EMAIL", email: world.volunteer.email },
        ip: null,
        redirectTo: null,
      });
      const email = await db.message.findFirstOrThrow({
        select: { id: true },
        where: { userId: world.volunteer.id, kind: "SIGN_IN_LINK" },
      });
      const withEmail = { ...world, messageId: email.id };
      for (const route of devRoutes) {
        const path = MATRIX[route.id]?.path(withEmail) ?? "";
        expect([route.id, (await server.send({ path })).status]).toEqual([route.id, 200]);
      }
    } finally {
      process.env.OUTBOX_PREVIEW = "false";
      reloadEnv();
    }
  });
});
