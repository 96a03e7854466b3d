import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createUser, ukMobile } from "../fixtures/people.ts";
import { db } from "~/utils/db.server.ts";
import {
  MAX_CODE_ATTEMPTS,
  requestSignIn,
  verifyCode,
  verifyLinkToken,
} from "~/utils/auth.server.ts";
import { LIMITS } from "~/utils/rate-limit.server.ts";

const IP = "203.0.113.7";

function tokenFrom(text: string) {
  const token = /token=([\w-]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no token in ${text}`);
  return token;
}

async function messagesTo(address: string) {
  return db.message.findMany({ where: { toAddress: address }, orderBy: { createdAt: "asc" } });
}

describe("sign-in by email link", () => {
  it("stores only a hash of the token, and the link works exactly once", async () => {
    const user = await createUser();
    const result = await requestSignIn({
      identifier: { channel: "EMAIL", email: user.email! },
      ip: IP,
      redirectTo: "/account",
    });
    expect(result).toEqual({ ok: true });

    const [message] = await messagesTo(user.email!);
    expect(message?.kind).toBe("SIGN_IN_LINK");
    expect(message?.status).toBe("SENT");
    const token = tokenFrom(message!.bodyText);
    const stored = await db.loginToken.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(stored.tokenHash).not.toContain(token);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeGreaterThan(14 * 60 * 1000);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeLessThanOrEqual(
      15 * 60 * 1000 + 1000,
    );

    expect(await verifyLinkToken({ token })).toEqual({
      ok: true,
      userId: user.id,
      redirectTo: "/account",
    });
    const again = await verifyLinkToken({ token });
    expect(again.ok).toBe(false);
    expect(!again.ok && again.error).toContain("already been used");
  });

  it("refuses an expired link and a made-up one", async () => {
    const user = await createUser();
    await requestSignIn({
      identifier: { channel: "EMAIL", email: user.email! },
      ip: IP,
      redirectTo: null,
    });
    const token = tokenFrom((await messagesTo(user.email!))[0]!.bodyText);
    const later = new Date(Date.now() + 16 * 60 * 1000);
    const expired = await verifyLinkToken({ token, now: later });
    expect(!expired.ok && expired.error).toContain("expired");
    const madeUp = await verifyLinkToken({ token: "x".repeat(43) });
    expect(!madeUp.ok && madeUp.error).toContain("isn't right");
  });

  it("lets only one of 20 simultaneous uses of a link through", async () => {
    const user = await createUser();
    await requestSignIn({
      identifier: { channel: "EMAIL", email: user.email! },
      ip: IP,
      redirectTo: null,
    });
    const token = tokenFrom((await messagesTo(user.email!))[0]!.bodyText);
    const results = await Promise.all(Array.from({ length: 20 }, () => verifyLinkToken({ token })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("sends nothing to an unknown address but answers the same", async () => {
    const email = "nobody-here@example.org";
    expect(
      await requestSignIn({ identifier: { channel: "EMAIL", email }, ip: IP, redirectTo: null }),
    ).toEqual({ ok: true });
    expect(await messagesTo(email)).toHaveLength(0);
    expect(await db.loginToken.count({ where: { user: { email } } })).toBe(0);
  });

  it("limits how many links one address can ask for", async () => {
    const user = await createUser();
    const limit = LIMITS.signInPerIdentifier.points;
    for (let i = 0; i < limit; i += 1) {
      expect(
        (
          await requestSignIn({
            identifier: { channel: "EMAIL", email: user.email! },
            ip: `198.51.100.${i}`,
            redirectTo: null,
          })
        ).ok,
      ).toBe(true);
    }
    const over = await requestSignIn({
      identifier: { channel: "EMAIL", email: user.email! },
      ip: "198.51.100.99",
      redirectTo: null,
    });
    expect(over.ok).toBe(false);
    expect(!over.ok && over.error).toMatch(/wait .* and try again/);
    expect(await messagesTo(user.email!)).toHaveLength(limit);
  });
});

describe("sign-in by texted code", () => {
  async function codeFor(phone: string) {
    const messages = await messagesTo(phone);
    const code = /\b(\d{6})\b/.exec(messages.at(-1)?.bodyText ?? "")?.[1];
    if (!code) throw new Error("no code");
    return code;
  }

  it("accepts the right code once, and refuses a wrong one", async () => {
    const user = await createUser({ email: null, phone: ukMobile() });
    await requestSignIn({
      identifier: { channel: "SMS", phone: user.phone! },
      ip: IP,
      redirectTo: null,
    });
    const code = await codeFor(user.phone!);
    const stored = await db.loginToken.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.tokenHash).not.toContain(code);

    const wrong = await verifyCode({
      phone: user.phone!,
      code: code === "123456" ? "654321" : "123456",
      ip: IP,
    });
    expect(!wrong.ok && wrong.error).toContain("isn't right");
    expect((await db.loginToken.findUniqueOrThrow({ where: { id: stored.id } })).attempts).toBe(1);

    expect(await verifyCode({ phone: user.phone!, code, ip: IP })).toMatchObject({
      ok: true,
      userId: user.id,
    });
    const reused = await verifyCode({ phone: user.phone!, code, ip: IP });
    expect(!reused.ok && reused.error).toContain("expired or been used");
  });

  it("locks a code after too many wrong tries, even if the right one follows", async () => {
    const user = await createUser({ email: null, phone: ukMobile() });
    await requestSignIn({
      identifier: { channel: "SMS", phone: user.phone! },
      ip: IP,
      redirectTo: null,
    });
    const code = await codeFor(user.phone!);
    const wrongCode = code === "000000" ? "999999" : "000000";
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i += 1) {
      expect((await verifyCode({ phone: user.phone!, code: wrongCode, ip: IP })).ok).toBe(false);
    }
    const result = await verifyCode({ phone: user.phone!, code, ip: IP });
    expect(!result.ok && result.error).toContain("too many times");
  });

  it("a new code replaces the one before it", async () => {
    const user = await createUser({ email: null, phone: ukMobile() });
    await requestSignIn({
      identifier: { channel: "SMS", phone: user.phone! },
      ip: IP,
      redirectTo: null,
    });
    const first = await codeFor(user.phone!);
    await requestSignIn({
      identifier: { channel: "SMS", phone: user.phone! },
      ip: IP,
      redirectTo: null,
    });
    const second = await codeFor(user.phone!);
    if (first !== second) {
      expect((await verifyCode({ phone: user.phone!, code: first, ip: IP })).ok).toBe(false);
    }
    expect((await verifyCode({ phone: user.phone!, code: second, ip: IP })).ok).toBe(true);
  });

  it("refuses a code after ten minutes", async () => {
    const user = await createUser({ email: null, phone: ukMobile() });
    await requestSignIn({
      identifier: { channel: "SMS", phone: user.phone! },
      ip: IP,
      redirectTo: null,
    });
    const code = await codeFor(user.phone!);
    const result = await verifyCode({
      phone: user.phone!,
      code,
      ip: IP,
      now: new Date(Date.now() + 11 * 60 * 1000),
    });
    expect(result.ok).toBe(false);
  });
});
