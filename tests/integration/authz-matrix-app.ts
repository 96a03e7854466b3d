import type { AddressInfo } from "node:net";
import path from "node:path";
import { readConfig } from "@remix-run/dev/dist/config.js";
import { ServerMode } from "@remix-run/dev/dist/config/serverModes.js";
import type { ServerBuild } from "@remix-run/node";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { REPO_ROOT } from "../setup/postgres.ts";
import { submitReport } from "~/loop/service.server.ts";
import { createApp } from "~/server/app.ts";
import { db } from "~/utils/db.server.ts";
import { makeUnsubscribeToken } from "~/utils/unsubscribe.server.ts";

/**
 * The security tests' view of Onward: the route list as the Remix compiler reads it, the real
 * Express app (app/server/app.ts: headers, Origin check, static files, Remix) serving the route
 * modules from source in this process, and a small world of people to send requests as.
 *
 * Going through Express rather than calling loaders and actions means the tests see what a browser
 * sees: the security headers, the cross-site refusal, the root loader and error boundaries, and
 * the status a thrown Response or a redirect really becomes.
 */

export type RouteInfo = {
  /** Remix's route id, e.g. "routes/tasks.$id.report". */
  id: string;
  /** The file under app/, e.g. "routes/tasks.$id.report.tsx". */
  file: string;
  /** The URL pattern, e.g. "tasks/:id/report". */
  path: string;
};

let manifest: Promise<Awaited<ReturnType<typeof readConfig>>> | undefined;

function remixConfig() {
  manifest ??= readConfig(REPO_ROOT, ServerMode.Production);
  return manifest;
}

/** Every route under app/routes, as `remix build` finds them (remix.config.js included). */
export async function listRoutes(): Promise<RouteInfo[]> {
  const config = await remixConfig();
  return Object.values(config.routes)
    .filter((route) => route.id !== "root")
    .map((route) => ({ id: route.id, file: route.file, path: route.path ?? "" }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

type RouteModule = ServerBuild["routes"][string]["module"];

const modules = new Map<string, Promise<RouteModule>>();

/** A route's module, loaded from source (the same module object the app serves). */
export function routeModule(id: string): Promise<RouteModule> {
  let found = modules.get(id);
  if (!found) {
    found = remixConfig().then((config) => {
      const route = config.routes[id];
      if (!route) throw new Error(`No route ${id}`);
      return import(
        /* @vite-ignore */ path.join(config.appDirectory, route.file)
      ) as Promise<RouteModule>;
    });
    modules.set(id, found);
  }
  return found;
}

/** A server build made from the app's source instead of build/, so tests see today's code. */
async function sourceBuild(): Promise<ServerBuild> {
  const config = await remixConfig();
  const routes: ServerBuild["routes"] = {};
  const assetRoutes: ServerBuild["assets"]["routes"] = {};
  for (const route of Object.values(config.routes)) {
    const module = await routeModule(route.id);
    routes[route.id] = {
      id: route.id,
      parentId: route.parentId,
      path: route.path,
      index: route.index,
      caseSensitive: route.caseSensitive,
      module,
    };
    assetRoutes[route.id] = {
      id: route.id,
      parentId: route.parentId,
      path: route.path,
      index: route.index,
      caseSensitive: route.caseSensitive,
      module: `/build/${route.id}.js`,
      hasAction: typeof module.action === "function",
      hasLoader: typeof module.loader === "function",
      hasClientAction: false,
      hasClientLoader: false,
      hasErrorBoundary: typeof module.ErrorBoundary === "function",
      imports: [],
    };
  }
  const entry = (await import(
    /* @vite-ignore */ path.join(config.appDirectory, config.entryServerFile)
  )) as ServerBuild["entry"]["module"];
  return {
    mode: "production",
    entry: { module: entry },
    routes,
    assets: {
      version: "test",
      url: "/build/manifest-test.js",
      entry: { module: "/build/entry.client.js", imports: [] },
      routes: assetRoutes,
    },
    publicPath: config.publicPath,
    assetsBuildDirectory: config.assetsBuildDirectory,
    future: {
      v3_fetcherPersist: config.future.v3_fetcherPersist,
      v3_relativeSplatPath: config.future.v3_relativeSplatPath,
      v3_throwAbortReason: config.future.v3_throwAbortReason,
      v3_lazyRouteDiscovery: config.future.v3_lazyRouteDiscovery,
      v3_singleFetch: config.future.v3_singleFetch,
    },
    isSpaMode: false,
  };
}

export type TestServer = {
  /** http://127.0.0.1:<port>, the origin a browser on this server would send. */
  origin: string;
  send(options: SendOptions): Promise<Sent>;
  close(): Promise<void>;
};

export type Form = Record<string, string | string[]>;

export type SendOptions = {
  path: string;
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  cookie?: string | null;
  /** A form, sent as a browser without JavaScript sends it (application/x-www-form-urlencoded). */
  form?: Form | URLSearchParams;
  /** Any other body, sent as is. */
  body?: string | Uint8Array | FormData;
  headers?: Record<string, string>;
  /** The Origin header; the server's own origin unless given (null sends none). */
  origin?: string | null;
};

export type Sent = {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
};

/** Starts the app on a free loopback port. */
export async function startTestServer({
  trustProxy = false,
}: { trustProxy?: boolean } = {}): Promise<TestServer> {
  const app = createApp({
    build: await sourceBuild(),
    publicDir: path.join(REPO_ROOT, "public"),
    trustProxy,
    appUrl: process.env.APP_URL ?? "http://localhost:3000",
  });
  const server = app.listen(0, "127.0.0.1");
  // Longer than the client keeps idle connections, so a reused one is never closed under it.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function send({
    path: target,
    method = "GET",
    cookie,
    form,
    body,
    headers = {},
    origin: sentOrigin,
  }: SendOptions): Promise<Sent> {
    const outgoing = new Headers(headers);
    if (cookie) outgoing.set("Cookie", cookie);
    const writes = method !== "GET";
    const from = sentOrigin === undefined ? (writes ? origin : null) : sentOrigin;
    if (from !== null) outgoing.set("Origin", from);
    let payload: BodyInit | undefined = body as BodyInit | undefined;
    if (form) {
      payload = form instanceof URLSearchParams ? form : formBody(form);
      if (!outgoing.has("Content-Type"))
        outgoing.set("Content-Type", "application/x-www-form-urlencoded");
    }
    const response = await fetch(`${origin}${target}`, {
      method,
      headers: outgoing,
      body: payload,
      redirect: "manual",
    });
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: response.headers.get("Location"),
    };
  }

  return {
    origin,
    send,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function formBody(form: Form): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) {
    for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
  }
  return body;
}

/** The six kinds of person every route is tried as. */
export const PEOPLE = [
  "signedOut",
  "volunteer",
  "teamLead",
  "otherOrganiser",
  "organiser",
  "owner",
] as const;
export type Who = (typeof PEOPLE)[number];

export { sessionCookie };

/**
 * Organisation A with a live campaign and a volunteer who has reported on one task and holds the
 * next, a team lead (of a team the volunteer is in), an organiser and an owner; organisation B with
 * an organiser of its own.
 */
export async function createWorld() {
  const [a, b, teamLead, organiser, owner, otherOrganiser] = await Promise.all([
    createLadderCampaign(),
    createLadderCampaign(),
    createUser({ name: "Tariq" }),
    createUser({ name: "Priya" }),
    createUser({ name: "Olu" }),
    createUser({ name: "Bea" }),
  ]);
  // Alone, so its transaction is quick even on a busy machine.
  const joined = await joinVolunteer(a);
  await Promise.all([
    addMember({ userId: teamLead.id, organisationId: a.organisation.id, role: "TEAM_LEAD" }),
    addMember({ userId: organiser.id, organisationId: a.organisation.id, role: "ORGANISER" }),
    addMember({ userId: owner.id, organisationId: a.organisation.id, role: "OWNER" }),
    addMember({ userId: otherOrganiser.id, organisationId: b.organisation.id, role: "ORGANISER" }),
  ]);
  // The team lead leads a team in A's campaign, with the volunteer in it (ADR 019).
  const team = await db.team.create({
    select: { id: true },
    data: {
      organisationId: a.organisation.id,
      campaignId: a.campaign.id,
      name: "Doorknockers",
      leadId: teamLead.id,
      members: { create: [{ userId: joined.userId }] },
    },
  });
  const reported = await submitReport({
    assignmentId: joined.assignmentId,
    userId: joined.userId,
    values: { doors: 25, outcome: "Well" },
    feedback: "Most people were out.",
    idempotencyKey: `world-${joined.userId}`,
    source: "WEB",
  });
  if (!reported.ok || !reported.nextAssignmentId) throw new Error("The world's report failed");
  // Organisation A's webhook, off so that nothing the requests do is queued for it.
  const webhook = await db.webhookEndpoint.create({
    select: { id: true },
    data: {
      organisationId: a.organisation.id,
      url: "https://example.org/onward-webhooks",
      secret: "whsec_world-secret",
      events: ["report.created"],
      disabledAt: new Date(),
    },
  });
  const message = await db.message.findFirstOrThrow({
    select: { id: true },
    where: { userId: joined.userId },
  });
  const ids: Record<Exclude<Who, "signedOut">, string> = {
    volunteer: joined.userId,
    teamLead: teamLead.id,
    organiser: organiser.id,
    owner: owner.id,
    otherOrganiser: otherOrganiser.id,
  };
  const [volunteerCookie, teamLeadCookie, otherCookie, organiserCookie, ownerCookie] =
    await Promise.all(
      [ids.volunteer, ids.teamLead, ids.otherOrganiser, ids.organiser, ids.owner].map((id) =>
        sessionCookie(id),
      ),
    );
  const cookies: Record<Who, string | null> = {
    signedOut: null,
    volunteer: volunteerCookie ?? null,
    teamLead: teamLeadCookie ?? null,
    otherOrganiser: otherCookie ?? null,
    organiser: organiserCookie ?? null,
    owner: ownerCookie ?? null,
  };
  return {
    orgA: a.organisation,
    orgB: b.organisation,
    campaign: a.campaign,
    otherCampaign: b.campaign,
    /** Task ids of org A's ladder by key: doors, stall, team, leaflets. */
    tasks: a.ids,
    volunteer: { id: joined.userId, email: joined.email, phone: joined.phone },
    /** The volunteer's open assignment (their second task). */
    openAssignmentId: reported.nextAssignmentId,
    /** The volunteer's first assignment, reported. */
    reportedAssignmentId: joined.assignmentId,
    /** The team lead's team in A's campaign; the volunteer is its one member. */
    teamId: team.id,
    unsubscribeToken: makeUnsubscribeToken({ userId: joined.userId, channel: "EMAIL" }),
    messageId: message.id,
    /** Organisation A's webhook (turned off). */
    webhookEndpointId: webhook.id,
    ids,
    cookies,
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/**
 * Row count and an order-free sum of row hashes, in SQL: any insert, update or delete changes it,
 * and it needs no sort, so it stays quick as a test file's database fills up.
 */
const PRINT = (row: string) =>
  `count(*)::text || ':' || coalesce(sum(hashtextextended(${row}, 0)::numeric)::text, '')`;

/** Tables a refused request may still write to: a rate limit counts refused attempts on purpose. */
const UNWATCHED_TABLES = new Set(["_prisma_migrations", "rate_limits"]);

/**
 * A fingerprint of every table's contents (row count and a hash of the rows), and of the job
 * queue, to prove that a refused request changed nothing at all (no insert, update or delete).
 */
export async function databaseFingerprint(): Promise<Record<string, string>> {
  const tables = await db.$queryRaw<Array<{ name: string }>>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`;
  const parts = tables
    .filter(({ name }) => !UNWATCHED_TABLES.has(name))
    .map(({ name }) => {
      const table = `"${name.replaceAll('"', '""')}"`;
      return `SELECT '${name.replaceAll("'", "''")}' AS name, ${PRINT("t::text")} AS print FROM ${table} t`;
    });
  parts.push(
    `SELECT 'graphile_worker.jobs' AS name, ${PRINT("concat_ws(',', j.id, j.task_identifier, j.key, j.run_at, j.revision)")} FROM graphile_worker.jobs j`,
  );
  const rows = await db.$queryRawUnsafe<Array<{ name: string; print: string }>>(
    parts.join(" UNION ALL "),
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.print]));
}
