import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_AUTH_TOKEN } from "../fixtures/fake-twilio.ts";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { messageSid, statusParams } from "../fixtures/twilio-webhooks.ts";
import {
  createWorld,
  databaseFingerprint,
  formBody,
  sessionCookie,
  startTestServer,
  type TestServer,
} from "./authz-matrix-app.ts";
import { joinAsMember } from "~/loop/service.server.ts";
import { db } from "~/utils/db.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { check, consume, LIMITS, type LimitName } from "~/utils/rate-limit.server.ts";
import { twilioSignature } from "~/utils/sms/twilio-webhook.server.ts";

/**
 * The limits on signing up, reporting back and webhooks, through the real Express app behind a
 * trusted proxy, so each test comes from an address of its own (X-Forwarded-For).
 */

let server: TestServer;
let nextAddress = 10;

/** A fresh client address for one test. */
function address() {
  nextAddress += 1;
  return `198.51.100.${nextAddress}`;
}

beforeAll(async () => {
  process.env.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN;
  process.env.INBOUND_EMAIL_SECRET = "inbound-secret-0123456789";
  reloadEnv();
  server = await startTestServer({ trustProxy: true });
});

afterAll(async () => {
  await server.close();
  delete process.env.TWILIO_AUTH_TOKEN;
  delete process.env.INBOUND_EMAIL_SECRET;
  reloadEnv();
});

/** Uses up `count` points of a limit for a key, as that many earlier requests would have. */
async function spend(limit: LimitName, key: string, count: number) {
  for (let done = 0; done < count; done += 10) {
    const batch = Math.min(10, count - done);
    await Promise.all(Array.from({ length: batch }, () => consume([{ limit, key }])));
  }
}

function joinForm(name: string) {
  return {
    name,
    email: `${name.toLowerCase()}-${Math.random().toString(36).slice(2)}@example.org`,
    postcode: "LS6 1AA",
    channel: "EMAIL",
  };
}

describe("the counters", () => {
  it("live in an unlogged table, so counting a request waits for no disk write", async () => {
    const [table] = await db.$queryRaw<Array<{ persistence: string }>>`
      SELECT relpersistence::text AS persistence FROM pg_class
      WHERE oid = 'public.rate_limits'::regclass`;
    expect(table?.persistence).toBe("u");
    const key = `unlogged-${Math.random().toString(36).slice(2)}`;
    await spend("reportPerUser", key, LIMITS.reportPerUser.points);
    expect(await consume([{ limit: "reportPerUser", key }])).toMatchObject({ ok: false });
  });

  it("count several keys at once, refuse when any is spent, and start again when the window ends", async () => {
    const user = `user-${Math.random().toString(36).slice(2)}`;
    const ip = address();
    const checks = [
      { limit: "reportPerUser" as const, key: user },
      { limit: "reportPerIp" as const, key: ip },
      { limit: "reportPerIp" as const, key: null },
    ];
    await spend("reportPerUser", user, LIMITS.reportPerUser.points - 1);
    expect(await consume(checks)).toEqual({ ok: true });
    expect(await check("reportPerUser", user)).toMatchObject({ ok: false });
    const refused = await consume(checks);
    const window = LIMITS.reportPerUser.durationSeconds;
    expect(refused).toMatchObject({ ok: false });
    expect(refused.ok ? 0 : refused.retryAfterSeconds).toBeGreaterThan(window - 60);
    expect(refused.ok ? 0 : refused.retryAfterSeconds).toBeLessThanOrEqual(window);
    // Each call counted the address once, refused or not.
    const counts = await db.$queryRaw<Array<{ key: string; points: number }>>`
      SELECT key, points FROM rate_limits WHERE key IN (${`report_user:${user}`}, ${`report_ip:${ip}`})
      ORDER BY key`;
    expect(counts).toEqual([
      { key: `report_ip:${ip}`, points: 2 },
      { key: `report_user:${user}`, points: LIMITS.reportPerUser.points + 1 },
    ]);
    // The window ends: the next request starts a new one.
    await db.$executeRaw`UPDATE rate_limits SET expire = 0 WHERE key = ${`report_user:${user}`}`;
    expect(await check("reportPerUser", user)).toEqual({ ok: true });
    expect(await consume(checks)).toEqual({ ok: true });
    const [again] = await db.$queryRaw<Array<{ points: number; expire: bigint }>>`
      SELECT points, expire FROM rate_limits WHERE key = ${`report_user:${user}`}`;
    expect(again?.points).toBe(1);
    expect(Number(again?.expire)).toBeGreaterThan(Date.now() + (window - 60) * 1000);
  });
});

describe("sign-up (joining a campaign)", () => {
  it("lets a whole meeting join from one address, then stops a flood with a kind 429", async () => {
    const { campaign } = await createLadderCampaign();
    const ip = address();
    const path = `/join/${campaign.slug}`;
    // Everyone before the last one allowed, as if they had joined already.
    await spend("signUpPerIp", ip, LIMITS.signUpPerIp.points - 1);

    const last = await server.send({
      method: "POST",
      path,
      form: joinForm("Nia"),
      headers: { "X-Forwarded-For": ip },
    });
    expect(last.status).toBe(302);
    expect(last.location).toMatch(/^\/tasks\//);

    const before = await databaseFingerprint();
    const refused = await server.send({
      method: "POST",
      path,
      form: joinForm("Flood"),
      headers: { "X-Forwarded-For": ip },
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused.text).toContain(
      "A lot of people have just joined from your internet connection",
    );
    expect(refused.text).toMatch(/Please wait (a minute|\d+ minutes) and try again/);
    // The form is shown again with what they typed.
    expect(refused.text).toContain('value="Flood"');
    expect(await databaseFingerprint()).toEqual(before);

    // Someone elsewhere still gets in.
    const elsewhere = await server.send({
      method: "POST",
      path,
      form: joinForm("Omar"),
      headers: { "X-Forwarded-For": address() },
    });
    expect(elsewhere.status).toBe(302);
  });

  it("does not count forms with mistakes, which write nothing", async () => {
    const { campaign } = await createLadderCampaign();
    const ip = address();
    for (let i = 0; i < LIMITS.signUpPerIp.points + 5; i += 1) {
      const response = await server.send({
        method: "POST",
        path: `/join/${campaign.slug}`,
        form: { name: "Nia", postcode: "not a postcode", channel: "EMAIL" },
        headers: { "X-Forwarded-For": ip },
      });
      expect(response.status).toBe(400);
    }
    const ok = await server.send({
      method: "POST",
      path: `/join/${campaign.slug}`,
      form: joinForm("Nia"),
      headers: { "X-Forwarded-For": ip },
    });
    expect(ok.status).toBe(302);
  });
});

describe("report back", () => {
  it("takes a phone's whole offline queue, sent twice over, without a 429", async () => {
    // A volunteer in ten campaigns did every task offline; the phone sends all ten reports when it
    // gets signal, then (not sure they arrived) sends them all again.
    const first = await createLadderCampaign();
    const volunteer = await joinVolunteer(first);
    const assignments = [volunteer.assignmentId];
    for (let i = 1; i < 10; i += 1) {
      const other = await createLadderCampaign();
      const { assignmentId } = await joinAsMember({
        campaignId: other.campaign.id,
        organisationId: other.organisation.id,
        userId: volunteer.userId,
      });
      assignments.push(assignmentId ?? "");
    }
    const cookie = await sessionCookie(volunteer.userId);
    const ip = address();
    for (const round of [1, 2]) {
      for (const assignmentId of assignments) {
        const response = await server.send({
          method: "POST",
          path: `/tasks/${assignmentId}/report`,
          cookie,
          form: { doors: "20", outcome: "Well", idempotencyKey: `offline-${assignmentId}` },
          headers: { "X-Forwarded-For": ip },
        });
        expect([round, response.status, response.location]).toEqual([
          round,
          302,
          `/tasks/${assignmentId}/thanks`,
        ]);
      }
    }
    expect(await db.report.count({ where: { userId: volunteer.userId } })).toBe(10);
  });

  it("stops one volunteer's scripted flood of reports and skips, kindly, and writes nothing", async () => {
    const world = await createWorld();
    const ip = address();
    await spend("reportPerUser", world.ids.volunteer, LIMITS.reportPerUser.points);
    const before = await databaseFingerprint();
    for (const [path, form] of [
      [`/tasks/${world.openAssignmentId}/report`, { signups: "3", idempotencyKey: "flood-key-1" }],
      [`/tasks/${world.openAssignmentId}/skip`, { reason: "Busy", idempotencyKey: "flood-key-2" }],
    ] as const) {
      const refused = await server.send({
        method: "POST",
        path,
        cookie: world.cookies.volunteer,
        form,
        headers: { "X-Forwarded-For": ip },
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(refused.text).toContain("You&#x27;ve sent a lot of reports in the last few minutes.");
      expect(refused.text).toMatch(/Please wait (a minute|\d+ minutes) and send this one again/);
      // The form comes back with what was typed, ready to send again.
      if (path.endsWith("/report")) expect(refused.text).toMatch(/name="signups"[^>]*value="3"/);
      else expect(refused.text).toMatch(/<textarea[^>]*name="reason"[^>]*>Busy<\/textarea>/);
    }
    expect(await databaseFingerprint()).toEqual(before);
  });

  it("lets a thousand volunteers behind one address report, and stops a flood beyond that", async () => {
    const ip = address();
    await spend("reportPerIp", ip, 1_000);
    const world = await createWorld();
    const allowed = await server.send({
      method: "POST",
      path: `/tasks/${world.openAssignmentId}/report`,
      cookie: world.cookies.volunteer,
      form: { signups: "3", idempotencyKey: `crowd-${world.ids.volunteer}` },
      headers: { "X-Forwarded-For": ip },
    });
    expect(allowed.status).toBe(302);

    await spend("reportPerIp", ip, LIMITS.reportPerIp.points - 1_001);
    const next = await createWorld();
    const refused = await server.send({
      method: "POST",
      path: `/tasks/${next.openAssignmentId}/report`,
      cookie: next.cookies.volunteer,
      form: { signups: "3", idempotencyKey: `crowd-${next.ids.volunteer}` },
      headers: { "X-Forwarded-For": ip },
    });
    expect(refused.status).toBe(429);
    expect(await db.report.count({ where: { assignmentId: next.openAssignmentId } })).toBe(0);
  });
});

describe("webhooks", () => {
  const STATUS_PATH = "/webhooks/sms/twilio/status";

  function signedStatus(sid = messageSid()) {
    const params = statusParams({ sid, status: "delivered", to: "+447400123456" });
    const body = formBody(params);
    const signature = twilioSignature({
      authToken: FAKE_AUTH_TOKEN,
      url: `${process.env.APP_URL}${STATUS_PATH}`,
      params: body,
    });
    return { body, signature };
  }

  it("never limits requests that pass the signature check", async () => {
    const ip = address();
    for (let i = 0; i < LIMITS.webhookRefusalsPerIp.points + 10; i += 1) {
      const { body, signature } = signedStatus();
      const response = await server.send({
        method: "POST",
        path: STATUS_PATH,
        form: body,
        origin: null,
        headers: { "X-Forwarded-For": ip, "X-Twilio-Signature": signature },
      });
      expect(response.status).toBe(204);
    }
  });

  it("answers 429 to an address after too many forged requests, on every webhook", async () => {
    for (const path of ["/webhooks/sms/twilio", STATUS_PATH, "/webhooks/email/inbound?key=wrong"]) {
      const ip = address();
      for (let i = 0; i < LIMITS.webhookRefusalsPerIp.points; i += 1) {
        const forged = await server.send({
          method: "POST",
          path,
          form: { Body: "STOP", From: "+447400123456", to: "unsubscribe+x@onward.local" },
          origin: null,
          headers: { "X-Forwarded-For": ip, "X-Twilio-Signature": "Zm9yZ2Vk" },
        });
        expect([path, i, forged.status]).toEqual([path, i, 403]);
      }
      const before = await databaseFingerprint();
      const blocked = await server.send({
        method: "POST",
        path,
        form: { Body: "STOP", From: "+447400123456" },
        origin: null,
        headers: { "X-Forwarded-For": ip, "X-Twilio-Signature": "Zm9yZ2Vk" },
      });
      expect([path, blocked.status]).toEqual([path, 429]);
      expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(await databaseFingerprint()).toEqual(before);
    }
    // Twilio, from its own address, is not affected.
    const { body, signature } = signedStatus();
    const real = await server.send({
      method: "POST",
      path: STATUS_PATH,
      form: body,
      origin: null,
      headers: { "X-Forwarded-For": address(), "X-Twilio-Signature": signature },
    });
    expect(real.status).toBe(204);
  });
});

describe("sign-in", () => {
  it("answers a flood from one address with a kind 429 and the form again", async () => {
    const ip = address();
    await spend("signInPerIp", ip, LIMITS.signInPerIp.points);
    const refused = await server.send({
      method: "POST",
      path: "/sign-in",
      form: { identifier: "someone@example.org" },
      headers: { "X-Forwarded-For": ip },
    });
    expect(refused.status).toBe(429);
    expect(refused.text).toMatch(/Please wait (a minute|\d+ minutes) and try again/);
  });
});
