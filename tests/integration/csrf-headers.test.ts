import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createUser } from "../fixtures/people.ts";
import {
  createWorld,
  databaseFingerprint,
  listRoutes,
  PEOPLE,
  routeModule,
  startTestServer,
  type SendOptions,
  type TestServer,
  type World,
} from "./authz-matrix-app.ts";
import { MATRIX } from "./authz-matrix.ts";
import { db } from "~/utils/db.server.ts";

/**
 * Cross-site request forgery and the security headers, through the real Express app
 * (app/server/app.ts) serving the app's routes.
 */

const routes = await listRoutes();
const EVIL = "https://evil.example";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

/**
 * Every route with an action, except those with their own authority: webhooks (a signature or a
 * secret) and unsubscribe links (RFC 8058 one-click posts come from mail providers, with no Origin).
 */
const formRoutes: typeof routes = [];
for (const route of routes) {
  const own = route.id.startsWith("routes/webhooks.") || route.id.startsWith("routes/unsubscribe.");
  if (!own && typeof (await routeModule(route.id)).action === "function") formRoutes.push(route);
}

/** The person the matrix says may post there (the first allowed), or a signed-out person. */
function allowedPerson(routeId: string) {
  const expected = MATRIX[routeId]?.post?.expect;
  const order = ["owner", "volunteer", "signedOut"] as const;
  return order.find((who) => (expected?.[who] ?? 500) < 400) ?? "signedOut";
}

describe("a form posted from another website", () => {
  it("covers the state-changing routes", () => {
    expect(formRoutes.map((route) => route.id)).toEqual(
      expect.arrayContaining([
        "routes/join.$slug",
        "routes/tasks.$id.report",
        "routes/tasks.$id.skip",
        "routes/org.settings",
        "routes/sign-out",
      ]),
    );
  });

  const CASES = [
    ["with a foreign Origin", { origin: EVIL, headers: {} }],
    ["with only a foreign Referer", { origin: null, headers: { Referer: `${EVIL}/win-a-prize` } }],
    ["with neither Origin nor Referer", { origin: null, headers: {} }],
    // A sandboxed frame or a no-referrer page on another site sends the literal "null".
    ["with Origin: null", { origin: "null", headers: { Referer: "" } }],
    [
      "with a foreign Origin and a Referer on this site",
      { origin: EVIL, headers: { Referer: "http://localhost:3000/org" } },
    ],
  ] as const;

  describe.each(formRoutes)("$id", (route) => {
    // Refused requests change nothing (that is what is checked), so they can share a world.
    let shared: Promise<World> | undefined;

    it.each(CASES)("is refused %s (403), and nothing is written", async (_case, sent) => {
      const entry = MATRIX[route.id];
      const world = await (shared ??= createWorld());
      const who = allowedPerson(route.id);
      const before = await databaseFingerprint();
      const response = await server.send({
        method: "POST",
        // A route not in the matrix yet is still covered, at its pattern with made-up params.
        path: entry ? entry.path(world) : `/${route.path.replace(/:(\w+)/g, "made-up-$1")}`,
        cookie: world.cookies[who],
        form: entry?.post ? entry.post.form(world) : { intent: "anything" },
        origin: sent.origin,
        headers: { ...sent.headers },
      });
      expect(response.status).toBe(403);
      expect(response.text).toMatch(/did not accept it/);
      expect(await databaseFingerprint()).toEqual(before);
    });

    it("is accepted from this site, as the matrix says", async () => {
      const entry = MATRIX[route.id];
      if (!entry?.post) {
        throw new Error(`app/${route.file} has no POST entry in tests/integration/authz-matrix.ts`);
      }
      const who = allowedPerson(route.id);
      for (const referer of [false, true]) {
        const world = await createWorld();
        const sent: Pick<SendOptions, "origin" | "headers"> = referer
          ? // Older browsers send only a Referer.
            { origin: null, headers: { Referer: `${server.origin}${entry.path(world)}` } }
          : { origin: server.origin, headers: {} };
        const response = await server.send({
          method: "POST",
          path: entry.path(world),
          cookie: world.cookies[who],
          form: entry.post.form(world),
          ...sent,
        });
        expect(response.status).toBe(entry.post.expect[who]);
      }
    });
  });

  it("does not report a volunteer's task when the form comes from elsewhere, and does from here", async () => {
    const world = await createWorld();
    const form = { signups: "7", idempotencyKey: "csrf-report-key-1" };
    const path = `/tasks/${world.openAssignmentId}/report`;
    const refused = await server.send({
      method: "POST",
      path,
      cookie: world.cookies.volunteer,
      form,
      origin: EVIL,
    });
    expect(refused.status).toBe(403);
    expect(await db.report.count({ where: { assignmentId: world.openAssignmentId } })).toBe(0);

    const accepted = await server.send({
      method: "POST",
      path,
      cookie: world.cookies.volunteer,
      form,
    });
    expect(accepted.status).toBe(302);
    expect(accepted.location).toBe(`/tasks/${world.openAssignmentId}/thanks`);
    expect(await db.report.count({ where: { assignmentId: world.openAssignmentId } })).toBe(1);
  });

  it("is accepted from the public address (APP_URL) when a proxy passes another Host", async () => {
    const world = await createWorld();
    const response = await server.send({
      method: "POST",
      path: `/org/campaigns/${world.campaign.id}`,
      cookie: world.cookies.owner,
      form: { status: "PAUSED" },
      origin: "http://localhost:3000",
    });
    expect(response.status).toBe(302);
    const { status } = await db.campaign.findUniqueOrThrow({
      select: { status: true },
      where: { id: world.campaign.id },
    });
    expect(status).toBe("PAUSED");
  });

  it("leaves webhooks and one-click unsubscribe to their own checks", async () => {
    const world = await createWorld();
    // No Origin and no cookie, as a mail provider posts it: the signed token is the authority.
    const oneClick = await server.send({
      method: "POST",
      path: `/unsubscribe/${world.unsubscribeToken}`,
      form: { "List-Unsubscribe": "One-Click" },
      origin: null,
    });
    expect(oneClick.status).toBe(200);
    expect(
      await db.suppression.count({ where: { userId: world.volunteer.id, liftedAt: null } }),
    ).toBe(1);
    // Turning messages back on is for this site only, whether the other site shows in Origin or Referer.
    const fromElsewhere: Array<Pick<SendOptions, "origin" | "headers">> = [
      { origin: EVIL, headers: {} },
      { origin: null, headers: { Referer: `${EVIL}/page` } },
    ];
    for (const sent of fromElsewhere) {
      const resubscribe = await server.send({
        method: "POST",
        path: `/unsubscribe/${world.unsubscribeToken}`,
        form: { intent: "resubscribe" },
        ...sent,
      });
      expect(resubscribe.status).toBe(403);
    }
    expect(
      await db.suppression.count({ where: { userId: world.volunteer.id, liftedAt: null } }),
    ).toBe(1);
    // A webhook without its signature is refused by the route, not by the Origin check.
    const webhook = await server.send({
      method: "POST",
      path: "/webhooks/sms/twilio",
      form: { Body: "STOP" },
      origin: null,
    });
    expect(webhook.status).toBe(403);
    expect(webhook.text).not.toMatch(/did not accept it/);
  });
});

describe("the session cookie", () => {
  it("is HttpOnly and SameSite=Lax, for the whole site", async () => {
    const world = await createWorld();
    // Signing up starts a session.
    const response = await server.send({
      method: "POST",
      path: `/join/${world.campaign.slug}`,
      form: { name: "Nia", email: "nia-cookie@example.org", postcode: "LS6 1AA", channel: "EMAIL" },
    });
    expect(response.status).toBe(302);
    const cookie = response.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/^onward_session=/);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    // APP_URL is plain http here (a developer's machine): a Secure cookie would never come back.
    expect(cookie).not.toMatch(/; Secure/i);
  });

  it("is Secure when the public address is https (behind TLS)", async () => {
    const appUrl = process.env.APP_URL;
    process.env.APP_URL = "https://onward.example.org";
    vi.resetModules();
    try {
      // A fresh copy of the modules, so the cookie is made from this environment.
      const { reloadEnv } = await import("~/utils/env.server.ts");
      reloadEnv();
      const session = await import("~/utils/session.server.ts");
      const person = await createUser();
      const response = await session.startUserSession({
        request: new Request("https://onward.example.org/auth/verify"),
        userId: person.id,
        redirectTo: "/me",
      });
      const cookie = response.headers.get("Set-Cookie") ?? "";
      expect(cookie).toMatch(/; Secure/i);
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
    } finally {
      process.env.APP_URL = appUrl;
      const { reloadEnv } = await import("~/utils/env.server.ts");
      reloadEnv();
      vi.resetModules();
    }
  });
});

describe("security headers", () => {
  /** The first Content-Security-Policy, directive by directive. */
  function cspOf(headers: Headers) {
    return policiesOf(headers)[0] ?? new Map<string, string[]>();
  }

  /** Every policy sent (a browser enforces them all). */
  function policiesOf(headers: Headers) {
    const policies = (headers.get("Content-Security-Policy") ?? "").split(",");
    return policies
      .filter((policy) => policy.trim() !== "")
      .map((policy) => {
        const directives = new Map<string, string[]>();
        for (const part of policy.split(";")) {
          const [name, ...values] = part.trim().split(/\s+/);
          if (name) directives.set(name, values);
        }
        return directives;
      });
  }

  it("every page has a strict CSP whose nonce is on every inline script, and a new one each time", async () => {
    const world = await createWorld();
    const nonces = new Set<string>();
    let inlineScripts = 0;
    // The join page has an inline script of its own (the timezone); Remix adds its own to every page.
    for (const [path, cookie] of [
      [`/join/${world.campaign.slug}`, null],
      [`/tasks/${world.openAssignmentId}`, world.cookies.volunteer],
      [`/org/campaigns/${world.campaign.id}`, world.cookies.owner],
      [`/join/${world.campaign.slug}`, null],
    ] as const) {
      const response = await server.send({ path, cookie });
      expect(response.status).toBe(200);
      const csp = cspOf(response.headers);
      const scriptSrc = csp.get("script-src") ?? [];
      expect(scriptSrc).not.toContain("'unsafe-inline'");
      expect(scriptSrc).not.toContain("'unsafe-eval'");
      const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(
        scriptSrc.find((value) => value.startsWith("'nonce-")) ?? "",
      )?.[1];
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      nonces.add(nonce ?? "");
      const inline = [...response.text.matchAll(/<script(?![^>]*\ssrc=)([^>]*)>/g)];
      inlineScripts += inline.length;
      for (const [, attributes] of inline) expect(attributes).toContain(`nonce="${nonce}"`);
      expect(csp.get("default-src")).toEqual(["'self'"]);
      expect(csp.get("object-src")).toEqual(["'none'"]);
      expect(csp.get("base-uri")).toEqual(["'self'"]);
      expect(csp.get("form-action")).toEqual(["'self'"]);
    }
    expect(nonces.size).toBe(4);
    // Organiser pages run React, whose inline scripts must carry the nonce to run at all.
    expect(inlineScripts).toBeGreaterThan(0);
  });

  it("every route's answer forbids framing, sets the referrer policy and no HSTS over plain http", async () => {
    const world = await createWorld();
    for (const route of routes) {
      const entry = MATRIX[route.id];
      if (!entry) continue;
      const who = PEOPLE.find((person) => entry.get[person] === 200) ?? "signedOut";
      const response = await server.send({ path: entry.path(world), cookie: world.cookies[who] });
      const label = `${route.id} (${response.status})`;
      const policies = policiesOf(response.headers);
      expect([label, policies.length]).not.toEqual([label, 0]);
      for (const csp of policies) {
        expect([label, csp.get("frame-ancestors")]).toEqual([label, ["'none'"]]);
        const scripts = csp.get("script-src") ?? csp.get("default-src") ?? [];
        expect([label, scripts.includes("'unsafe-inline'")]).toEqual([label, false]);
      }
      expect([label, response.headers.get("X-Content-Type-Options")]).toEqual([
        label,
        expect.stringMatching(/^nosniff(, nosniff)*$/),
      ]);
      expect([label, response.headers.get("Strict-Transport-Security")]).toEqual([label, null]);
      // The email previews are shown in a frame of the outbox page, with a policy of their own.
      if (!/^routes\/dev\.outbox\..*\.html$/.test(route.id)) {
        expect([label, response.headers.get("Referrer-Policy")]).toEqual([
          label,
          "strict-origin-when-cross-origin",
        ]);
      }
    }
  });

  it("sends HSTS only over TLS: behind a trusted proxy that says https", async () => {
    const proxied = await startTestServer({ trustProxy: true });
    try {
      const overTls = await proxied.send({ path: "/", headers: { "X-Forwarded-Proto": "https" } });
      expect(overTls.headers.get("Strict-Transport-Security")).toBe(
        "max-age=31536000; includeSubDomains",
      );
      const plain = await proxied.send({ path: "/", headers: { "X-Forwarded-Proto": "http" } });
      expect(plain.headers.get("Strict-Transport-Security")).toBeNull();
    } finally {
      await proxied.close();
    }
    // Without TRUST_PROXY anyone could send the header: it is ignored.
    const direct = await server.send({ path: "/", headers: { "X-Forwarded-Proto": "https" } });
    expect(direct.headers.get("Strict-Transport-Security")).toBeNull();
  });
});

describe("public files", () => {
  it("serves the manifest, favicon and icons with an hour's cache", async () => {
    for (const [path, type] of [
      ["/manifest.webmanifest", "application/manifest+json"],
      ["/favicon.svg", "image/svg+xml"],
      ["/icons/icon-192.png", "image/png"],
    ] as const) {
      const response = await server.send({ path });
      expect([path, response.status]).toEqual([path, 200]);
      expect(response.headers.get("Content-Type")).toContain(type);
      expect(response.headers.get("Cache-Control")).toBe("public, max-age=3600");
    }
    expect((await server.send({ path: "/icons/none.png" })).status).toBe(404);
  });
});
