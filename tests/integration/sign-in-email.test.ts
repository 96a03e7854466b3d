import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { createUser } from "../fixtures/people.ts";
import { db } from "~/utils/db.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { requestSignIn, verifyLinkToken } from "~/utils/auth.server.ts";

let smtp: SmtpCapture;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  process.env.SMTP_URL = smtp.url;
  reloadEnv();
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  reloadEnv();
  await smtp.close();
});

describe("the sign-in email over real SMTP", () => {
  it("arrives with a working link in HTML and text, and the stored copy holds no secret", async () => {
    const user = await createUser({ name: "Amira" });
    expect(
      await requestSignIn({
        identifier: { channel: "EMAIL", email: user.email! },
        ip: null,
        redirectTo: null,
      }),
    ).toEqual({ ok: true });

    const mail = await smtp.waitForMail(user.email!, { timeoutMs: 5_000 });
    expect(mail.subject).toBe("Your link to sign in to Onward");
    expect(mail.from?.text).toContain("Onward");
    expect(mail.text).toContain("Hello Amira,");
    expect(mail.text).toContain("15 minutes");
    const token = /\/auth\/verify\?token=([\w-]+)/.exec(mail.text ?? "")?.[1];
    expect(token).toBeTruthy();
    expect(String(mail.html)).toContain(`/auth/verify?token=${token}`);

    const stored = await db.message.findFirstOrThrow({ where: { toAddress: user.email! } });
    expect(stored).toMatchObject({ status: "SENT", transport: "smtp", kind: "SIGN_IN_LINK" });
    expect(stored.bodyText).not.toContain(token!);
    expect(stored.bodyHtml).toBeNull();

    expect(await verifyLinkToken({ token: token! })).toMatchObject({ ok: true, userId: user.id });
  });

  it("tells the person when the email could not be sent, and records the failure", async () => {
    process.env.SMTP_URL = "smtp://127.0.0.1:9"; // nothing listens on the discard port
    reloadEnv();
    try {
      const user = await createUser();
      const result = await requestSignIn({
        identifier: { channel: "EMAIL", email: user.email! },
        ip: null,
        redirectTo: null,
      });
      expect(result).toEqual({
        ok: false,
        error: expect.stringContaining("could not send the email"),
      });
      const stored = await db.message.findFirstOrThrow({ where: { toAddress: user.email! } });
      expect(stored.status).toBe("FAILED");
      expect(stored.statusReason).toBeTruthy();
    } finally {
      process.env.SMTP_URL = smtp.url;
      reloadEnv();
    }
  });
});
