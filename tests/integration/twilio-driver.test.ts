import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  FAKE_ACCOUNT_SID,
  FAKE_AUTH_TOKEN,
  startFakeTwilio,
  type FakeTwilio,
} from "../fixtures/fake-twilio.ts";
import { createUser, ukMobile } from "../fixtures/people.ts";
import { requestSignIn } from "~/utils/auth.server.ts";
import { db } from "~/utils/db.server.ts";
import { parseEnv, reloadEnv } from "~/utils/env.server.ts";
import { sendSms } from "~/utils/sms.server.ts";
import { twilioProvider } from "~/utils/sms/twilio.server.ts";

const FROM = "+447700900001";
const SERVICE_SID = `MG${"abcdef0123456789".repeat(2)}`;

let twilio: FakeTwilio;

function useTwilioEnv(extra: Record<string, string | undefined> = {}) {
  Object.assign(process.env, {
    SMS_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: FAKE_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_AUTH_TOKEN,
    TWILIO_FROM: FROM,
    TWILIO_API_BASE: twilio.url,
    ...extra,
  });
  for (const [name, value] of Object.entries(extra))
    if (value === undefined) delete process.env[name];
  reloadEnv();
}

beforeAll(async () => {
  twilio = await startFakeTwilio();
});

beforeEach(() => {
  twilio.requests.length = 0;
  useTwilioEnv({ TWILIO_MESSAGING_SERVICE_SID: undefined });
});

afterAll(async () => {
  for (const name of [
    "SMS_PROVIDER",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM",
    "TWILIO_API_BASE",
    "TWILIO_MESSAGING_SERVICE_SID",
  ]) {
    delete process.env[name];
  }
  reloadEnv();
  await twilio.close();
});

describe("the Twilio driver", () => {
  it("posts the message form-encoded with Basic auth and a status callback, and returns Twilio's sid", async () => {
    const to = ukMobile();
    const result = await sendSms({ to, body: "Your next task: knock on 20 doors & smile" });

    expect(result).toEqual({ ok: true, transport: "twilio", providerId: twilio.sids[0] });
    expect(twilio.requests).toHaveLength(1);
    const [request] = twilio.requests;
    expect(request).toMatchObject({
      method: "POST",
      path: `/2010-04-01/Accounts/${FAKE_ACCOUNT_SID}/Messages.json`,
      contentType: "application/x-www-form-urlencoded",
      auth: { username: FAKE_ACCOUNT_SID, password: FAKE_AUTH_TOKEN },
      form: {
        To: to,
        From: FROM,
        Body: "Your next task: knock on 20 doors & smile",
        StatusCallback: "http://localhost:3000/webhooks/sms/twilio/status",
      },
    });
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${FAKE_ACCOUNT_SID}:${FAKE_AUTH_TOKEN}`).toString("base64")}`,
    );
  });

  it("sends through a Messaging Service instead of a number when one is set", async () => {
    useTwilioEnv({ TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID });
    const result = await sendSms({ to: ukMobile(), body: "Hello" });
    expect(result.ok).toBe(true);
    expect(twilio.requests[0]?.form.MessagingServiceSid).toBe(SERVICE_SID);
    expect(twilio.requests[0]?.form.From).toBeUndefined();
  });

  it("reports a refused number as a permanent failure and suppresses it (21610: the person replied STOP)", async () => {
    const phone = ukMobile();
    const user = await createUser({ phone });
    twilio.failNext(400, 21610, "Attempt to send to unsubscribed recipient");

    const result = await sendSms({ to: phone, body: "Hello" });

    expect(result).toEqual({
      ok: false,
      error: "Twilio error 21610: Attempt to send to unsubscribed recipient",
      permanent: true,
      code: "21610",
    });
    const suppressions = await db.suppression.findMany({
      where: { address: phone },
      select: { channel: true, reason: true, userId: true, liftedAt: true },
    });
    expect(suppressions).toEqual([
      { channel: "SMS", reason: "SMS_STOP", userId: user.id, liftedAt: null },
    ]);

    // Refused again: still one suppression.
    twilio.failNext(400, 21610, "Attempt to send to unsubscribed recipient");
    await sendSms({ to: phone, body: "Hello again" });
    expect(await db.suppression.count({ where: { address: phone } })).toBe(1);
  });

  it("tells permanent errors from ones worth retrying, and suppresses only for the codes that mean it", async () => {
    const phone = ukMobile();
    twilio.failNext(400, 21211, "Invalid 'To' Phone Number");
    expect(await sendSms({ to: phone, body: "x" })).toMatchObject({
      ok: false,
      permanent: true,
      code: "21211",
    });
    expect(
      await db.suppression.findFirst({ where: { address: phone }, select: { reason: true } }),
    ).toEqual({ reason: "BOUNCE" });

    const other = ukMobile();
    twilio.failNext(400, 21408, "Permission to send an SMS has not been enabled for the region");
    expect(await sendSms({ to: other, body: "x" })).toMatchObject({
      ok: false,
      permanent: true,
      code: "21408",
    });
    twilio.failNext(429, 20429, "Too Many Requests");
    expect(await sendSms({ to: other, body: "x" })).toMatchObject({
      ok: false,
      permanent: false,
      code: "20429",
    });
    twilio.failNext(503, 20503, "Service Unavailable");
    expect(await sendSms({ to: other, body: "x" })).toMatchObject({ ok: false, permanent: false });
    twilio.answerNextRaw(502, "<html>Bad gateway</html>");
    expect(await sendSms({ to: other, body: "x" })).toEqual({
      ok: false,
      error: "Twilio answered HTTP 502",
      permanent: false,
    });
    expect(await db.suppression.count({ where: { address: other } })).toBe(0);
  });

  it("treats a wrong auth token as a configuration problem to retry, not the number's fault", async () => {
    useTwilioEnv({ TWILIO_AUTH_TOKEN: "not-the-right-token-at-all-0000" });
    const phone = ukMobile();
    expect(await sendSms({ to: phone, body: "x" })).toEqual({
      ok: false,
      error: "Twilio error 20003: Authenticate",
      permanent: false,
      code: "20003",
    });
    expect(await db.suppression.count({ where: { address: phone } })).toBe(0);
  });

  it("returns a transient failure when Twilio can't be reached or doesn't answer in time", async () => {
    const unreachable = twilioProvider({
      accountSid: FAKE_ACCOUNT_SID,
      authToken: FAKE_AUTH_TOKEN,
      from: FROM,
      apiBase: "http://127.0.0.1:9",
    });
    const down = await unreachable.send({ to: ukMobile(), body: "x" });
    expect(down).toMatchObject({ ok: false, permanent: false });
    expect(down.ok === false && down.error).toMatch(/^Could not reach Twilio/);

    const slow = twilioProvider({
      accountSid: FAKE_ACCOUNT_SID,
      authToken: FAKE_AUTH_TOKEN,
      from: FROM,
      apiBase: twilio.url,
      timeoutMs: 100,
    });
    twilio.delayNext(1_000);
    expect(await slow.send({ to: ukMobile(), body: "x" })).toEqual({
      ok: false,
      error: "Could not reach Twilio: no answer in time",
      permanent: false,
    });
  });

  it("sends a sign-in code through Twilio and keeps only a redacted copy with the provider id", async () => {
    const phone = ukMobile();
    await createUser({ phone });
    expect(
      await requestSignIn({ identifier: { channel: "SMS", phone }, ip: null, redirectTo: null }),
    ).toEqual({ ok: true });

    const sent = twilio.requests.at(-1);
    const code = /^(\d{6}) is your Onward sign-in code/.exec(sent?.form.Body ?? "")?.[1];
    expect(code).toBeTruthy();
    const stored = await db.message.findFirstOrThrow({
      where: { toAddress: phone },
      select: { status: true, transport: true, providerId: true, bodyText: true },
    });
    expect(stored).toMatchObject({
      status: "SENT",
      transport: "twilio",
      providerId: twilio.sids.at(-1),
    });
    expect(stored.bodyText).not.toContain(code!);
  });
});

describe("configuration", () => {
  const complete = {
    SMS_PROVIDER: "twilio",
    APP_URL: "https://onward.example.org",
    TWILIO_ACCOUNT_SID: FAKE_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_AUTH_TOKEN,
    TWILIO_FROM: FROM,
  };

  function refusal(raw: Record<string, string | undefined>) {
    try {
      parseEnv(raw);
    } catch (error) {
      return (error as Error).message;
    }
    return null;
  }

  it("starts with everything Twilio needs, a number or a Messaging Service", () => {
    expect(parseEnv(complete)).toMatchObject({
      SMS_PROVIDER: "twilio",
      TWILIO_API_BASE: "https://api.twilio.com",
    });
    expect(
      parseEnv({ ...complete, TWILIO_FROM: undefined, TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID }),
    ).toMatchObject({ TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID });
  });

  it.each([
    ["TWILIO_ACCOUNT_SID", { TWILIO_ACCOUNT_SID: undefined }],
    ["TWILIO_AUTH_TOKEN", { TWILIO_AUTH_TOKEN: "" }],
    ["TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID", { TWILIO_FROM: undefined }],
    ["APP_URL", { APP_URL: undefined }],
  ])("refuses to start without %s, in one line", (name, change) => {
    expect(refusal({ ...complete, ...change })).toBe(
      `Configuration error: ${name} is required when SMS_PROVIDER=twilio.`,
    );
  });

  it("names a malformed Twilio setting", () => {
    expect(refusal({ ...complete, TWILIO_ACCOUNT_SID: "AC123" })).toMatch(
      /^Configuration error: TWILIO_ACCOUNT_SID must be an Account SID/,
    );
    expect(refusal({ ...complete, TWILIO_FROM: "07700 900001" })).toMatch(
      /^Configuration error: TWILIO_FROM must be a number in international format/,
    );
    expect(refusal({ ...complete, SMS_PROVIDER: "nexmo" })).toBe(
      'Configuration error: SMS_PROVIDER must be "preview" or "twilio".',
    );
  });
});
