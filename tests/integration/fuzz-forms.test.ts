import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_AUTH_TOKEN } from "../fixtures/fake-twilio.ts";
import { createUser, ukMobile } from "../fixtures/people.ts";
import { OUR_NUMBER, messageSid } from "../fixtures/twilio-webhooks.ts";
import {
  createWorld,
  databaseFingerprint,
  formBody,
  listRoutes,
  routeModule,
  startTestServer,
  type Form,
  type Sent,
  type SendOptions,
  type TestServer,
  type Who,
  type World,
} from "./authz-matrix-app.ts";
import { MATRIX } from "./authz-matrix.ts";
import { FORM_BODY_LIMIT } from "../../app/server/app.ts";
import { db } from "~/utils/db.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { pendingPhoneCookie } from "~/utils/sign-in-cookie.server.ts";
import { twilioSignature } from "~/utils/sms/twilio-webhook.server.ts";

/**
 * Random and hostile input at every form action and webhook, through the real Express app: never
 * a 500; a request we refuse is answered 400 (or the route's own refusal, such as 403 for a bad
 * signature) with a message, and writes nothing. The actions are read from the route list, so a
 * new one is fuzzed as soon as it exists (and fails until it has an entry in authz-matrix.ts,
 * which says who may post there and what a good form looks like).
 */

// Bounded so the file takes about a minute on an idle two-core machine. A failure prints the
// seed and the shrunk input, which fc.assert can replay.
const NUM_RUNS = { oversized: 6, hostile: 14, webhook: 25, addresses: 120 };

const routes = await listRoutes();
const actions: typeof routes = [];
for (const route of routes) {
  if (typeof (await routeModule(route.id)).action === "function") actions.push(route);
}
const isWebhook = (id: string) => id.startsWith("routes/webhooks.");
const formActions = actions.filter((route) => !isWebhook(route.id));
const webhooks = actions.filter((route) => isWebhook(route.id));

const INBOUND_SECRET = "inbound-secret-0123456789";
let server: TestServer;

beforeAll(async () => {
  process.env.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN;
  process.env.INBOUND_EMAIL_SECRET = INBOUND_SECRET;
  reloadEnv();
  // Behind a "proxy", so each request comes from an address of its own and no rate limit
  // (rightly) starts answering 429 halfway through.
  server = await startTestServer({ trustProxy: true });
});

afterAll(async () => {
  await server.close();
  delete process.env.TWILIO_AUTH_TOKEN;
  delete process.env.INBOUND_EMAIL_SECRET;
  reloadEnv();
});

let addressCount = 0;
function freshAddress() {
  addressCount += 1;
  return `10.${(addressCount >> 16) & 255}.${(addressCount >> 8) & 255}.${addressCount & 255}`;
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const NASTY = [
  "",
  " ",
  "\u0000",
  "Sam\u0000",
  "\u0000\u0000\u0000",
  "\uD800",
  "\uDFFF",
  "ab\uD83D",
  "\uDE00cd",
  "\u202Egnp.exe\u202C",
  "\u200B\u200C\u200D\u2060\uFEFF",
  "\u0645\u0631\u062D\u0628\u0627 \u05E9\u05DC\u05D5\u05DD",
  "e\u0301\u0301\u0301\u0301\u0301\u0301",
  "\uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08",
  "\uFFFD\uFFFE\uFFFF",
  "\r\n\r\n",
  "\t\v\f\b",
  "' OR '1'='1",
  '\'; DROP TABLE "User"; --',
  "1; SELECT pg_sleep(10)--",
  "\\",
  "%00",
  "%",
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "javascript:alert(1)",
  '"><svg onload=alert(1)>',
  "NaN",
  "Infinity",
  "-1",
  "-0",
  "1e309",
  "0x10",
  "9007199254740993",
  "99999999999999999999999999",
  "true",
  "on",
  "null",
  "undefined",
  "[]",
  "{}",
  '{"__proto__":{"polluted":1}}',
  "[object Object]",
  "__proto__",
  "constructor",
  "../../etc/passwd",
  "LS6 1AA",
  "07911 123456",
  "someone@example.org",
  "end",
  "EMAIL",
  "LIVE",
  "reminders",
  "archive",
];

/**
 * A value far longer than any field takes (the longest, task instructions, takes 10,000
 * characters). Lengths count characters as a person and the forms do (code points), so 10,001
 * emoji is too long and 10,001 UTF-16 units of emoji (5,001 emoji) is not.
 */
const oversized = fc
  .tuple(
    fc.constantFrom("A", "é", "\u0000", "<b>", "😀", "\u200B"),
    fc.integer({ min: 10_001, max: 30_000 }),
  )
  .map(([unit, length]) => unit.repeat(Math.ceil(length / [...unit].length)));

/** Hostile values short enough that a webhook's whole body stays under Twilio's 64 KB. */
const hostileShortValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  // Longer than an SMS body may be (1,600 characters).
  { weight: 1, arbitrary: fc.integer({ min: 1_601, max: 6_000 }).map((n) => "x".repeat(n)) },
);

const hostileValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: oversized },
);

/** Field names a form does not expect, including the ones conform and JavaScript treat specially. */
const JUNK_NAMES = [
  "__proto__",
  "constructor",
  "prototype",
  "__proto__.polluted",
  "constructor.prototype.polluted",
  "__intent__",
  "intent",
  "organisationId",
  "status",
  "questions[0].label",
  "questions[0].type",
  "questions[99999].label",
  "questions[9999999].label",
  "__state__",
  "rules[0].conditions[0].value",
  "rules[-1].next",
  "a[",
  "a]b[",
  "x.y.z",
  "",
];

type Mutation =
  | { kind: "set"; field: number; value: string }
  | { kind: "delete"; field: number }
  | { kind: "repeat"; field: number; values: string[] }
  | { kind: "junk"; name: string; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("set" as const),
      field: fc.nat(),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), field: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("repeat" as const),
      field: fc.nat(),
      values: fc.array(hostileValue, { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("junk" as const),
      name: fc.oneof(fc.constantFrom(...JUNK_NAMES), fc.string({ maxLength: 12 })),
      value: hostileValue,
    }),
  },
);

/** Fields some route acts on (intent=archive deletes a task): not noise. */
const MEANINGFUL_NAMES = new Set(["intent", "__intent__", "__state__", "status", "organisationId"]);

/** An extra field that no route reads, so it cannot turn a refused form into an accepted one. */
function isInertJunk(change: Mutation) {
  return change.kind === "junk" && !MEANINGFUL_NAMES.has(change.name);
}

function applyMutations(form: Form, mutations: Mutation[]): Array<[string, string]> {
  const entries: Array<[string, string[]]> = Object.entries(form).map(([name, value]) => [
    name,
    Array.isArray(value) ? [...value] : [value],
  ]);
  const pick = (index: number) => entries[index % Math.max(1, entries.length)];
  for (const change of mutations) {
    if (change.kind === "junk") {
      entries.push([change.name, [change.value]]);
      continue;
    }
    const entry = pick(change.field);
    if (!entry) continue;
    if (change.kind === "set") entry[1] = [change.value];
    else if (change.kind === "delete") entry[1] = [];
    else entry[1] = [...entry[1], ...change.values];
  }
  return entries.flatMap(([name, values]) =>
    values.map((value) => [name, value] as [string, string]),
  );
}

/** How the body travels: as a browser sends a form, or as nobody should. */
type Encoding = "urlencoded" | "multipart" | "json" | "text" | "garbage" | "none";
const encoding = fc.constantFrom<Encoding>(
  "urlencoded",
  "urlencoded",
  "urlencoded",
  "multipart",
  "multipart",
  "json",
  "text",
  "garbage",
  "none",
);

function encode(
  pairs: Array<[string, string]>,
  how: Encoding,
): Pick<SendOptions, "body" | "headers"> {
  switch (how) {
    case "urlencoded": {
      const body = new URLSearchParams();
      for (const [name, value] of pairs) body.append(name, value);
      return {
        body: body.toString(),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      };
    }
    case "multipart": {
      const body = new FormData();
      for (const [name, value] of pairs) body.append(name, value);
      return { body };
    }
    case "json":
      return {
        body: JSON.stringify(Object.fromEntries(pairs)),
        headers: { "Content-Type": "application/json" },
      };
    case "text":
      return {
        body: pairs.map(([name, value]) => `${name}=${value}`).join("\r\n"),
        headers: { "Content-Type": "text/plain" },
      };
    case "garbage":
      return {
        body: new Uint8Array([0xff, 0xfe, 0x00, 0x2d, 0x2d, 0x0d, 0x0a, 0xc3, 0x28]),
        headers: { "Content-Type": "multipart/form-data; boundary=nothing-like-the-body" },
      };
    case "none":
      return { headers: { "Content-Type": "application/x-www-form-urlencoded" } };
  }
}

// ---------------------------------------------------------------------------------------------
// Who posts, and what counts as the route's refusal.

type FuzzTarget = {
  who: Who;
  /** The good form to start from, when the matrix's is not the one to fuzz. */
  form?: (world: World) => Form;
  /** Extra cookies a real visitor would have (the pending phone number on /sign-in/code). */
  cookie?: (world: World) => Promise<string>;
  /** Statuses the route answers a request it refuses with; 400 unless said. */
  refusals?: number[];
  /** The route takes any form (signing out): there is nothing to refuse. */
  acceptsAnything?: boolean;
};

const TARGETS: Record<string, FuzzTarget> = {
  // Signed out, so the sign-up form itself is read (a signed-in person joins as themselves).
  "routes/join.$slug": {
    who: "signedOut",
    form: () => ({
      name: "Nia",
      email: `nia-${Math.random().toString(36).slice(2)}@example.org`,
      postcode: "LS6 1AA",
      channel: "EMAIL",
    }),
  },
  "routes/sign-in._index": { who: "signedOut", refusals: [400, 429] },
  "routes/sign-in.code": {
    who: "signedOut",
    // A number with no code waiting: every code is wrong, and nothing is there to change.
    cookie: async () => (await pendingPhoneCookie().serialize(ukMobile())).split(";")[0] ?? "",
  },
  "routes/auth.verify": { who: "signedOut" },
  "routes/sign-out": { who: "volunteer", acceptsAnything: true },
  "routes/unsubscribe.$token": { who: "signedOut" },
  "routes/tasks.$id.report": { who: "volunteer", refusals: [400, 409] },
  "routes/tasks.$id.skip": { who: "volunteer", refusals: [400, 409] },
  // organisationId comes from the form: one that isn't the owner's is "not found".
  "routes/org.campaigns.new": { who: "owner", refusals: [400, 404] },
  "routes/org.settings": { who: "owner", refusals: [400, 404] },
  // Only the team's lead may post there (everyone else gets 404); a second nudge in a day is 429.
  "routes/team.$teamId": { who: "teamLead", refusals: [400, 429] },
};

function targetFor(routeId: string): FuzzTarget {
  return TARGETS[routeId] ?? { who: "owner" };
}

/**
 * A refusal a person can act on: a form comes back with its error summary or a field's message;
 * "not found" and the like are pages that say so; anything else is plain words.
 */
function hasMessage(sent: Sent) {
  const type = sent.headers.get("Content-Type") ?? "";
  if (!type.startsWith("text/html")) return sent.text.trim().length > 0;
  if (/role="alert"|class="field-error"|class="notice"/.test(sent.text)) return true;
  return sent.status !== 400 && /<h1>[^<]+<\/h1>/.test(sent.text);
}

async function cookieFor(world: World, target: FuzzTarget) {
  const cookies = [world.cookies[target.who], target.cookie ? await target.cookie(world) : null];
  return cookies.filter(Boolean).join("; ") || null;
}

/** Fails with what was sent when the status is not one of those allowed. */
function expectStatus(status: number, allowed: number[], seen: unknown) {
  expect(allowed.includes(status), `${status} for ${JSON.stringify(seen)}`).toBe(true);
}

function describeSent(pairs: Array<[string, string]>) {
  return pairs.map(([name, value]) => [
    name.slice(0, 40),
    value.length > 60 ? `${value.slice(0, 30)}…(${value.length} chars)` : value,
  ]);
}

describe("the check that nothing was written", () => {
  it("sees an insert, an update and a delete", async () => {
    const world = await createWorld();
    const before = await databaseFingerprint();
    await db.campaign.update({ where: { id: world.campaign.id }, data: { target: 101 } });
    const updated = await databaseFingerprint();
    expect(updated.Campaign).not.toBe(before.Campaign);
    const user = await createUser();
    const inserted = await databaseFingerprint();
    expect(inserted.User).not.toBe(updated.User);
    await db.user.delete({ where: { id: user.id } });
    expect((await databaseFingerprint()).User).toBe(updated.User);
  });
});

describe.each(formActions)("$id", (route) => {
  const target = targetFor(route.id);
  // For the cases below that are refused, or change nothing that matters to the next one.
  let shared: Promise<World> | undefined;

  it("refuses a good form with one field far too long: a message, and nothing written", async () => {
    const entry = MATRIX[route.id];
    if (!entry?.post)
      throw new Error(`app/${route.file} has no POST entry in tests/integration/authz-matrix.ts`);
    const world = await createWorld();
    const base = (target.form ?? entry.post.form)(world);
    const names = Object.keys(base);
    if (target.acceptsAnything || names.length === 0) {
      // Nothing in the form to get wrong: any body signs out, none of them fails.
      const sent = await server.send({
        method: "POST",
        path: entry.path(world),
        cookie: await cookieFor(world, target),
        form: { everywhere: "x".repeat(20_000) },
        headers: { "X-Forwarded-For": freshAddress() },
      });
      expect(sent.status).toBe(302);
      return;
    }
    const cookie = await cookieFor(world, target);
    let state = await databaseFingerprint();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        oversized,
        fc.array(mutation, { maxLength: 2 }),
        async (index, long, noise) => {
          const field = names[index % names.length] ?? "";
          const pairs = applyMutations({ ...base, [field]: long }, noise.filter(isInertJunk));
          const sent = await server.send({
            method: "POST",
            path: entry.path(world),
            cookie,
            ...encode(pairs, "urlencoded"),
            headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              "X-Forwarded-For": freshAddress(),
            },
          });
          const seen = { field, length: long.length, status: sent.status };
          // A body over the server's form limit (FORM_BODY_LIMIT) is refused with 413 first.
          expectStatus(sent.status, [...(target.refusals ?? [400]), 413], seen);
          expect(hasMessage(sent), JSON.stringify(seen)).toBe(true);
          const after = await databaseFingerprint();
          expect(after).toEqual(state);
          state = after;
        },
      ),
      { numRuns: NUM_RUNS.oversized },
    );
  });

  it.each([
    ["__intent__", "not json"],
    ["__intent__", '{"type":"insert","payload":{"name":"title"}}'],
    ["__intent__", "null"],
    ["__state__", "{"],
    ["questions[9999999].label", "x"],
    ["name\u0000", "x"],
  ])("a form with %s=%s, which no page sends, never 500s", async (name, value) => {
    const entry = MATRIX[route.id];
    if (!entry?.post) {
      throw new Error(`app/${route.file} has no POST entry in tests/integration/authz-matrix.ts`);
    }
    const world = await (shared ??= createWorld());
    const state = await databaseFingerprint();
    const sent = await server.send({
      method: "POST",
      path: entry.path(world),
      cookie: await cookieFor(world, target),
      form: { ...(target.form ?? entry.post.form)(world), [name]: value },
      headers: { "X-Forwarded-For": freshAddress() },
    });
    const seen = { name, value, status: sent.status };
    expect(sent.status, JSON.stringify(seen)).toBeLessThan(500);
    // Forms read with conform refuse it (app/utils/form.server.ts); the few read field by field
    // ignore a field they don't know, and do what the rest of the form asks.
    if (sent.status >= 400) {
      expectStatus(sent.status, target.refusals ?? [400], seen);
      expect(hasMessage(sent), JSON.stringify(seen)).toBe(true);
      expect(await databaseFingerprint()).toEqual(state);
    }
  });

  it("never answers 500 to hostile input, and a refusal says why and writes nothing", async () => {
    const entry = MATRIX[route.id];
    if (!entry?.post)
      throw new Error(`app/${route.file} has no POST entry in tests/integration/authz-matrix.ts`);
    const post = entry.post;
    let world = await createWorld();
    let state = await databaseFingerprint();
    // A mutation may make the body bigger than the server takes (FORM_BODY_LIMIT): 413.
    const refusals = [...(target.refusals ?? [400]), 413];
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        encoding,
        async (mutations, how) => {
          const pairs = applyMutations((target.form ?? post.form)(world), mutations);
          const encoded = encode(pairs, how);
          const sent = await server.send({
            method: "POST",
            path: entry.path(world),
            cookie: await cookieFor(world, target),
            body: encoded.body,
            headers: { ...encoded.headers, "X-Forwarded-For": freshAddress() },
          });
          const seen = { how, sent: describeSent(pairs), status: sent.status };
          expect(sent.status, JSON.stringify(seen)).toBeLessThan(500);
          if (sent.status >= 400) {
            expectStatus(sent.status, refusals, seen);
            expect(hasMessage(sent), JSON.stringify(seen)).toBe(true);
            expect(await databaseFingerprint()).toEqual(state);
          } else {
            // Taken (hostile text is still text): carry on in a new world, so the next run is
            // not answered "already done".
            world = await createWorld();
            state = await databaseFingerprint();
          }
        },
      ),
      { numRuns: NUM_RUNS.hostile },
    );
  });
});

describe("hostile addresses", () => {
  const segment = fc.oneof(
    hostileShortValue,
    fc.constantFrom("%00", "%ED%A0%80", "%E0%A4%A", "%", "%25", "..%2F..%2Fetc%2Fpasswd", "%C0%AE"),
  );

  it("every route, with hostile params and query, never answers 500", async () => {
    const world = await createWorld();
    const patterns = routes.map((route) => route.path).filter((path) => path !== "*");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...patterns),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        segment,
        fc.constantFrom<Who>("signedOut", "volunteer", "owner"),
        fc.constantFrom("GET", "POST"),
        async (pattern, params, query, who, method) => {
          let index = 0;
          const encodeSegment = (value: string) =>
            /%/.test(value)
              ? value
              : encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, "\uFFFD"));
          const path = `/${pattern.replace(/:\w+/g, () => encodeSegment(params[index++ % params.length] ?? ""))}`;
          const sent = await server.send({
            method: method as "GET" | "POST",
            path: `${path}?org=${encodeSegment(query)}&token=${encodeSegment(query)}`,
            cookie: world.cookies[who],
            form: method === "POST" ? { intent: query, reason: query } : undefined,
            headers: { "X-Forwarded-For": freshAddress() },
          });
          expect(sent.status, `${method} ${path} as ${who}`).toBeLessThan(500);
        },
      ),
      { numRuns: NUM_RUNS.addresses },
    );
  });
});

describe("the route list has webhooks to fuzz", () => {
  it("finds them", () => {
    expect(webhooks.map((route) => route.id).sort()).toEqual([
      "routes/webhooks.email.inbound",
      "routes/webhooks.sms.twilio",
      "routes/webhooks.sms.twilio_.status",
    ]);
  });
});

describe("webhooks", () => {
  const twilioParams = fc.dictionary(
    fc.oneof(
      fc.constantFrom("MessageSid", "From", "To", "Body", "MessageStatus", "ErrorCode", "SmsSid"),
      fc.constantFrom(...JUNK_NAMES),
    ),
    fc.oneof(
      hostileShortValue,
      fc.constant(messageSid()),
      fc.constantFrom(OUR_NUMBER, "+447400123456", "STOP", "START", "HELP", "DONE 12", "delivered"),
    ),
    { maxKeys: 8 },
  );

  it.each(["/webhooks/sms/twilio", "/webhooks/sms/twilio/status"])(
    "%s: forged requests are refused with 403 and write nothing; signed hostile ones never 500",
    async (path) => {
      let state = await databaseFingerprint();
      await fc.assert(
        fc.asyncProperty(twilioParams, fc.boolean(), async (params, signed) => {
          // What the server will read back, so the signature covers exactly that.
          const body = new URLSearchParams(formBody(params).toString());
          const headers: Record<string, string> = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": freshAddress(),
            "X-Twilio-Signature": signed
              ? twilioSignature({
                  authToken: FAKE_AUTH_TOKEN,
                  url: `${process.env.APP_URL}${path}`,
                  params: body,
                })
              : "bm90IGEgc2lnbmF0dXJl",
          };
          const sent = await server.send({
            method: "POST",
            path,
            body: body.toString(),
            headers,
            origin: null,
          });
          const seen = { signed, params: describeSent([...body]), status: sent.status };
          if (!signed) {
            expectStatus(sent.status, [403], seen);
            expect(await databaseFingerprint()).toEqual(state);
          } else {
            expectStatus(sent.status, [200, 204], seen);
            // A signed text is a real text: recording it is right. Read the new state.
            state = await databaseFingerprint();
          }
        }),
        { numRuns: NUM_RUNS.webhook },
      );
    },
  );

  it.each([
    ["a NUL in the text", { Body: "DONE\u00002", From: "+447400123456" }],
    ["a NUL in the number", { Body: "STOP", From: "+4474001\u000023456" }],
    ["a lone surrogate", { Body: "hi \uD83D", From: "+447400123456" }],
    ["a text longer than Twilio sends", { Body: "x".repeat(1_700), From: "+447400123456" }],
  ])("a signed text with %s never 500s", async (_case, fields) => {
    const path = "/webhooks/sms/twilio";
    const body = new URLSearchParams(
      formBody({ ...fields, MessageSid: messageSid(), To: OUR_NUMBER }).toString(),
    );
    const sent = await server.send({
      method: "POST",
      path,
      body: body.toString(),
      origin: null,
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": freshAddress(),
        "X-Twilio-Signature": twilioSignature({
          authToken: FAKE_AUTH_TOKEN,
          url: `${process.env.APP_URL}${path}`,
          params: body,
        }),
      },
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get("Content-Type")).toBe("text/xml; charset=utf-8");
  });

  it("a page's form over 256 KB, or of no stated size, is refused with a message; nothing is written", async () => {
    const world = await createWorld();
    const state = await databaseFingerprint();
    const path = `/tasks/${world.openAssignmentId}/report`;
    const sent = await server
      .send({
        method: "POST",
        path,
        cookie: world.cookies.volunteer,
        form: { signups: "3", feedback: "x".repeat(FORM_BODY_LIMIT), idempotencyKey: "big-1" },
        headers: { "X-Forwarded-For": freshAddress() },
      })
      .catch((error: Error) => ({
        status: (error.cause as { code?: string })?.code ?? error.message,
        text: "",
      }));
    expect(["ECONNRESET", "EPIPE", 413]).toContain(sent.status);
    if (sent.status === 413) expect(sent.text).toContain("That form is too big for us to take.");

    // Streamed in chunks with no Content-Length, as no browser sends a form.
    const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(`${server.origin}${path}`, {
        method: "POST",
        headers: {
          Origin: server.origin,
          Cookie: world.cookies.volunteer ?? "",
          "Content-Type": "application/x-www-form-urlencoded",
          "Transfer-Encoding": "chunked",
          "X-Forwarded-For": freshAddress(),
        },
      });
      request.on("response", (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on("error", reject);
      request.write("signups=3&");
      request.end("idempotencyKey=chunked-1");
    });
    expect(streamed.status).toBe(411);
    expect(streamed.text).toContain("We couldn't read that form.");
    expect(await databaseFingerprint()).toEqual(state);
  });

  it("a body over 64 KB is refused before it is read, and writes nothing", async () => {
    const state = await databaseFingerprint();
    const body = new URLSearchParams({ Body: "x".repeat(70_000), MessageSid: messageSid() });
    const sent = await server
      .send({
        method: "POST",
        path: "/webhooks/sms/twilio",
        body: body.toString(),
        origin: null,
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "X-Forwarded-For": freshAddress(),
          "X-Twilio-Signature": twilioSignature({
            authToken: FAKE_AUTH_TOKEN,
            url: `${process.env.APP_URL}/webhooks/sms/twilio`,
            params: body,
          }),
        },
      })
      // The server answers without reading the rest, so the connection may close mid-upload.
      .catch((error: Error) => ({
        status: (error.cause as { code?: string })?.code ?? error.message,
      }));
    expect(["ECONNRESET", "EPIPE", 413]).toContain(sent.status);
    expect(await databaseFingerprint()).toEqual(state);
  });

  it("/webhooks/email/inbound: any mail (form, JSON or junk) is read without a 500 and unsubscribes nobody without a real token", async () => {
    const world = await createWorld();
    const state = await databaseFingerprint();
    const mail = fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          "to",
          "recipient",
          "envelope",
          "ToFull",
          "Delivered-To",
          "email",
          "subject",
        ),
        fc.constantFrom(...JUNK_NAMES),
      ),
      fc.oneof(
        hostileValue,
        hostileValue.map((value) => `unsubscribe+${value}@onward.local`),
        fc.constant(`unsubscribe+${world.unsubscribeToken.slice(0, -2)}xx@onward.local`),
        fc.constant('{"to":["unsubscribe+nope@onward.local"]}'),
      ),
      { maxKeys: 6 },
    );
    await fc.assert(
      fc.asyncProperty(mail, encoding, fc.boolean(), async (fields, how, rightKey) => {
        const encoded = encode(Object.entries(fields), how);
        const sent = await server.send({
          method: "POST",
          path: `/webhooks/email/inbound?key=${rightKey ? INBOUND_SECRET : "wrong-secret-000000"}`,
          body: encoded.body,
          headers: { ...encoded.headers, "X-Forwarded-For": freshAddress() },
          origin: null,
        });
        const seen = {
          rightKey,
          how,
          fields: describeSent(Object.entries(fields)),
          status: sent.status,
        };
        expectStatus(sent.status, rightKey ? [200, 400] : [403], seen);
        if (sent.status === 200) expect(JSON.parse(sent.text)).toEqual({ unsubscribed: 0 });
        else expect(sent.text.trim()).not.toBe("");
        expect(await databaseFingerprint()).toEqual(state);
      }),
      { numRuns: NUM_RUNS.webhook },
    );
  });
});
