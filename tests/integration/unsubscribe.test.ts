import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createUser, ukMobile } from "../fixtures/people.ts";
import { action, loader } from "~/routes/unsubscribe.$token.tsx";
import { action as inboundAction } from "~/routes/webhooks.email.inbound.ts";
import { db } from "~/utils/db.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import {
  listUnsubscribeHeaders,
  makeUnsubscribeToken,
  readUnsubscribeToken,
  unsubscribeUrl,
} from "~/utils/unsubscribe.server.ts";

const APP_URL = "http://localhost:3000";
const context = { cspNonce: "" };

afterEach(() => {
  delete process.env.MAIL_FROM;
  delete process.env.UNSUBSCRIBE_MAILTO;
  reloadEnv();
});

/** What a mail client sends for RFC 8058 one-click unsubscribe: no cookies, no Origin. */
function oneClick(token: string, body = "List-Unsubscribe=One-Click") {
  return new Request(`${APP_URL}/unsubscribe/${token}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Mail/1.0" },
    body,
  });
}

function pageForm(token: string, intent: string, origin: string | null = APP_URL) {
  return new Request(`${APP_URL}/unsubscribe/${token}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(origin ? { Origin: origin } : {}),
    },
    body: new URLSearchParams({ intent }),
  });
}

async function open(token: string) {
  const response = (await loader({
    request: new Request(`${APP_URL}/unsubscribe/${token}`),
    params: { token },
    context,
  })) as unknown;
  return readResult(response);
}

async function post(token: string, request: Request) {
  return readResult(await action({ request, params: { token }, context }));
}

/** Remix's `data()` and plain objects alike, as { status, body }. */
function readResult(result: unknown): { status: number; body: Record<string, unknown> } {
  if (
    result &&
    typeof result === "object" &&
    "type" in result &&
    result.type === "DataWithResponseInit"
  ) {
    const { data, init } = result as unknown as {
      data: Record<string, unknown>;
      init: { status?: number } | null;
    };
    return { status: init?.status ?? 200, body: data };
  }
  return { status: 200, body: result as Record<string, unknown> };
}

function emailState(userId: string) {
  return Promise.all([
    db.suppression.findMany({
      where: { userId, channel: "EMAIL" },
      select: { reason: true, address: true, liftedAt: true },
      orderBy: { createdAt: "asc" },
    }),
    db.consent.findMany({
      where: { userId, channel: "EMAIL" },
      select: { granted: true, source: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    }),
  ]).then(([suppressions, consents]) => ({ suppressions, consents }));
}

describe("unsubscribe tokens", () => {
  it("round-trips the person and channel, and can be made by anyone who knows the secret", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    expect(readUnsubscribeToken(token)).toEqual({ userId: user.id, channel: "EMAIL" });
    expect(readUnsubscribeToken(makeUnsubscribeToken({ userId: user.id, channel: "SMS" }))).toEqual(
      { userId: user.id, channel: "SMS" },
    );
    // The recipe the end-to-end tests use from outside the app.
    const mac = createHmac("sha256", process.env.SESSION_SECRET!)
      .update(`onward-unsubscribe:v1:${user.id}:EMAIL`)
      .digest()
      .subarray(0, 16)
      .toString("base64url");
    expect(token).toBe(`${user.id}.E.${mac}`);
    expect(unsubscribeUrl({ userId: user.id, channel: "EMAIL" })).toBe(
      `${APP_URL}/unsubscribe/${token}`,
    );
  });

  it("refuses a token that was changed, cut short, moved to another person or channel, or made with another secret", async () => {
    const user = await createUser();
    const other = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    const mac = token.split(".")[2]!;
    const flipped = `${mac.slice(0, -2)}${mac.at(-2) === "A" ? "B" : "A"}${mac.at(-1)}`;
    for (const bad of [
      `${user.id}.E.${flipped}`,
      token.slice(0, -1),
      `${other.id}.E.${mac}`,
      `${user.id}.S.${mac}`,
      `${token}.extra`,
      "",
      "not-a-token",
      `${"a".repeat(200)}.E.${mac}`,
    ]) {
      expect(readUnsubscribeToken(bad), bad).toBeNull();
    }
    process.env.SESSION_SECRET = "another-secret-that-is-long-enough-0123456";
    reloadEnv();
    try {
      expect(readUnsubscribeToken(token)).toBeNull();
    } finally {
      process.env.SESSION_SECRET = "onward-test-session-secret-0123456789abcdef";
      reloadEnv();
    }
  });
});

describe("List-Unsubscribe headers", () => {
  it("offer one-click HTTPS and a mailto on the sender's domain", async () => {
    process.env.MAIL_FROM = "Warmer Homes <hello@mail.onward.example.org>";
    reloadEnv();
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    expect(listUnsubscribeHeaders({ userId: user.id, channel: "EMAIL" })).toEqual({
      "List-Unsubscribe": `<${APP_URL}/unsubscribe/${token}>, <mailto:unsubscribe+${token}@mail.onward.example.org>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
  });

  it("use UNSUBSCRIBE_MAILTO when set, and leave the mailto out when it is none", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    process.env.UNSUBSCRIBE_MAILTO = "optout@lists.example.org";
    reloadEnv();
    expect(listUnsubscribeHeaders({ userId: user.id })["List-Unsubscribe"]).toBe(
      `<${APP_URL}/unsubscribe/${token}>, <mailto:optout+${token}@lists.example.org>`,
    );
    process.env.UNSUBSCRIBE_MAILTO = "none";
    reloadEnv();
    expect(listUnsubscribeHeaders({ userId: user.id })["List-Unsubscribe"]).toBe(
      `<${APP_URL}/unsubscribe/${token}>`,
    );
  });
});

describe("the unsubscribe page and one-click POST", () => {
  it("unsubscribes at once on a mail client's one-click POST, once however often it is sent", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });

    expect(await post(token, oneClick(token))).toEqual({
      status: 200,
      body: { ok: true, done: "unsubscribed" },
    });
    expect(await post(token, oneClick(token))).toMatchObject({ status: 200 });

    expect(await emailState(user.id)).toEqual({
      suppressions: [{ reason: "UNSUBSCRIBED", address: user.email, liftedAt: null }],
      consents: [{ granted: false, source: "one-click" }],
    });
    expect(await open(token)).toMatchObject({ status: 200, body: { ok: true, optedOut: true } });
  });

  it("changes nothing when the link is only opened, then unsubscribes from the page's button", async () => {
    const user = await createUser({ email: "amira.k@example.org" });
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });

    expect(await open(token)).toEqual({
      status: 200,
      body: { ok: true, channel: "EMAIL", optedOut: false, address: "a•••@example.org" },
    });
    expect(await emailState(user.id)).toEqual({ suppressions: [], consents: [] });

    expect(await post(token, pageForm(token, "unsubscribe"))).toMatchObject({
      status: 200,
      body: { done: "unsubscribed" },
    });
    expect(await emailState(user.id)).toEqual({
      suppressions: [{ reason: "UNSUBSCRIBED", address: "amira.k@example.org", liftedAt: null }],
      consents: [{ granted: false, source: "unsubscribe-page" }],
    });
  });

  it("turns emails back on: lifts the suppression and records consent again", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    await post(token, oneClick(token));

    expect(await post(token, pageForm(token, "resubscribe"))).toMatchObject({
      status: 200,
      body: { done: "resubscribed" },
    });
    await post(token, pageForm(token, "resubscribe"));

    const state = await emailState(user.id);
    expect(state.suppressions).toHaveLength(1);
    expect(state.suppressions[0]?.liftedAt).toBeInstanceOf(Date);
    expect(state.consents).toEqual([
      { granted: false, source: "one-click" },
      { granted: true, source: "unsubscribe-page" },
    ]);
    expect(await open(token)).toMatchObject({ body: { optedOut: false } });

    // And off again: a new suppression, a new withdrawal.
    await post(token, oneClick(token));
    const again = await emailState(user.id);
    expect(again.suppressions.map((s) => s.liftedAt === null)).toEqual([false, true]);
    expect(again.consents.map((c) => c.granted)).toEqual([false, true, false]);
  });

  it("won't turn emails back on from another website's form", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    await post(token, oneClick(token));
    await expect(
      action({
        request: pageForm(token, "resubscribe", "https://evil.example.org"),
        params: { token },
        context,
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect((await emailState(user.id)).suppressions[0]?.liftedAt).toBeNull();
  });

  it("shows a clear 400 for a bad token and writes nothing", async () => {
    const user = await createUser();
    const good = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    const bad = `${good.slice(0, -4)}AAAA`;
    expect(await open(bad)).toEqual({ status: 400, body: { ok: false } });
    expect(await post(bad, oneClick(bad))).toEqual({
      status: 400,
      body: { ok: false, done: null },
    });
    expect(await post(bad, pageForm(bad, "unsubscribe"))).toMatchObject({ status: 400 });
    expect(await emailState(user.id)).toEqual({ suppressions: [], consents: [] });
  });

  it("refuses a POST that is neither the one-click body nor the page's form", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    expect(await post(token, oneClick(token, "List-Unsubscribe=Maybe"))).toMatchObject({
      status: 400,
    });
    expect(await emailState(user.id)).toEqual({ suppressions: [], consents: [] });
  });

  it("treats a deleted account's link as not valid", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    await db.user.update({ where: { id: user.id }, data: { deletedAt: new Date() } });
    expect(await open(token)).toEqual({ status: 400, body: { ok: false } });
    expect(await post(token, oneClick(token))).toMatchObject({ status: 400 });
  });

  it("works for texts too, suppressing the phone number", async () => {
    const phone = ukMobile();
    const user = await createUser({ phone });
    const token = makeUnsubscribeToken({ userId: user.id, channel: "SMS" });
    expect(await open(token)).toMatchObject({
      body: { channel: "SMS", address: `the number ending ${phone.slice(-3)}` },
    });
    await post(token, pageForm(token, "unsubscribe"));
    expect(
      await db.suppression.findMany({
        where: { userId: user.id },
        select: { channel: true, address: true, reason: true },
      }),
    ).toEqual([{ channel: "SMS", address: phone, reason: "UNSUBSCRIBED" }]);
  });
});

describe("mail to the unsubscribe address (POST /webhooks/email/inbound)", () => {
  const SECRET = "inbound-secret-0123456789";

  function inbound(body: BodyInit, { key = SECRET as string | null, type = "" } = {}) {
    const url = `${APP_URL}/webhooks/email/inbound${key ? `?key=${key}` : ""}`;
    return inboundAction({
      request: new Request(url, {
        method: "POST",
        headers: type ? { "Content-Type": type } : {},
        body,
      }),
      params: {},
      context,
    });
  }

  function optOuts(userId: string) {
    return db.suppression.findMany({
      where: { userId, liftedAt: null },
      select: { channel: true, reason: true, detail: true },
    });
  }

  afterEach(() => {
    delete process.env.INBOUND_EMAIL_SECRET;
    reloadEnv();
  });

  it("opts out the person whose token is in the recipient, from a form post (Mailgun, SendGrid)", async () => {
    process.env.INBOUND_EMAIL_SECRET = SECRET;
    reloadEnv();
    const user = await createUser();
    const bystander = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    const other = makeUnsubscribeToken({ userId: bystander.id, channel: "EMAIL" });
    const form = new URLSearchParams({
      recipient: `unsubscribe+${token}@mail.example.org`,
      subject: "unsubscribe",
      // A token quoted in the body is not a recipient: it changes nothing.
      "body-plain": `> unsubscribe+${other}@mail.example.org`,
    });
    const response = await inbound(form);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ unsubscribed: 1 });
    expect(await optOuts(user.id)).toEqual([
      { channel: "EMAIL", reason: "UNSUBSCRIBED", detail: "mailto" },
    ]);
    expect(await optOuts(bystander.id)).toEqual([]);

    // The same mail again (providers retry) writes nothing more.
    await inbound(form);
    expect(await optOuts(user.id)).toHaveLength(1);
  });

  it("reads Postmark's JSON (ToFull) and SendGrid's envelope", async () => {
    process.env.INBOUND_EMAIL_SECRET = SECRET;
    reloadEnv();
    const a = await createUser();
    const b = await createUser();
    const tokenA = makeUnsubscribeToken({ userId: a.id, channel: "EMAIL" });
    const tokenB = makeUnsubscribeToken({ userId: b.id, channel: "EMAIL" });
    const postmark = await inbound(
      JSON.stringify({ ToFull: [{ Email: `unsubscribe+${tokenA}@m.example.org`, Name: "" }] }),
      { type: "application/json" },
    );
    expect(await postmark.json()).toEqual({ unsubscribed: 1 });
    const sendgrid = await inbound(
      new URLSearchParams({
        envelope: JSON.stringify({ to: [`unsubscribe+${tokenB}@m.example.org`], from: "x@y.z" }),
      }),
    );
    expect(await sendgrid.json()).toEqual({ unsubscribed: 1 });
    expect(await optOuts(a.id)).toHaveLength(1);
    expect(await optOuts(b.id)).toHaveLength(1);
  });

  it("refuses a wrong or missing secret, ignores forged tokens, and is off without a secret", async () => {
    const user = await createUser();
    const token = makeUnsubscribeToken({ userId: user.id, channel: "EMAIL" });
    const form = () => new URLSearchParams({ to: `unsubscribe+${token}@m.example.org` });
    expect((await inbound(form())).status).toBe(404);

    process.env.INBOUND_EMAIL_SECRET = SECRET;
    reloadEnv();
    expect((await inbound(form(), { key: "wrong-secret-0123456789" })).status).toBe(403);
    expect((await inbound(form(), { key: null })).status).toBe(403);
    const forged = `${user.id}.E.${"A".repeat(22)}`;
    const response = await inbound(
      new URLSearchParams({ to: `unsubscribe+${forged}@m.example.org` }),
    );
    expect(await response.json()).toEqual({ unsubscribed: 0 });
    expect(await optOuts(user.id)).toEqual([]);
  });
});
