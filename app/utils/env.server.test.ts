import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "~/utils/env.server.ts";

const SECRET = "a-session-secret-that-is-long-enough-0123";

function errorOf(raw: Record<string, string | undefined>): EnvError {
  try {
    parseEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return error as EnvError;
  }
  throw new Error("parseEnv did not throw");
}

function expectOneLine(error: Error, variable: string) {
  expect(error.message).not.toContain("\n");
  expect(error.message.startsWith(`Configuration error: ${variable}`)).toBe(true);
}

describe("parseEnv", () => {
  it("fills in good defaults", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      NODE_ENV: "production",
      PORT: 3000,
      HOST: "0.0.0.0",
      APP_URL: "http://localhost:3000",
      DATA_DIR: ".data",
      EMBEDDED_PG_PORT: 54329,
      SMS_PROVIDER: "preview",
      TRUST_PROXY: false,
      DEFAULT_TIMEZONE: "Europe/London",
      QUIET_HOURS_START: "21:00",
      QUIET_HOURS_END: "09:00",
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.SMTP_URL).toBeUndefined();
    expect(env.SESSION_SECRET).toBeUndefined();
  });

  it("treats empty strings as unset", () => {
    const env = parseEnv({ DATABASE_URL: "", SMTP_URL: "", PORT: "" });
    expect(env.isLocal).toBe(true);
    expect(env.PORT).toBe(3000);
  });

  it("derives APP_URL from PORT and drops a trailing slash", () => {
    expect(parseEnv({ PORT: "8080" }).APP_URL).toBe("http://localhost:8080");
    expect(parseEnv({ APP_URL: "https://onward.example.org/" }).APP_URL).toBe(
      "https://onward.example.org",
    );
  });

  it.each(["mysql://x", "not a url"])("rejects DATABASE_URL=%j in one line naming it", (value) => {
    expectOneLine(errorOf({ DATABASE_URL: value, SESSION_SECRET: SECRET }), "DATABASE_URL");
  });

  it.each(["http://mail.example.org", "nonsense"])("rejects SMTP_URL=%j naming it", (value) => {
    expectOneLine(errorOf({ SMTP_URL: value }), "SMTP_URL");
  });

  it.each(["abc", "0", "70000", "3000.5"])("rejects PORT=%j naming it", (value) => {
    expectOneLine(errorOf({ PORT: value }), "PORT");
  });

  it("requires SESSION_SECRET in production when DATABASE_URL is set", () => {
    expectOneLine(
      errorOf({
        DATABASE_URL: "postgresql://u:p@db.example.org:5432/onward",
        NODE_ENV: "production",
      }),
      "SESSION_SECRET",
    );
  });

  it("rejects a SESSION_SECRET shorter than 32 characters", () => {
    expectOneLine(errorOf({ SESSION_SECRET: "short" }), "SESSION_SECRET");
  });

  it("runs a deployment when DATABASE_URL and SESSION_SECRET are set", () => {
    const env = parseEnv({
      DATABASE_URL: "postgresql://u:p@db.example.org:5432/onward",
      NODE_ENV: "production",
      SESSION_SECRET: SECRET,
      SMTP_URL: "smtp://user:pass@mail.example.org:587",
    });
    expect(env.isLocal).toBe(false);
    expect(env.OUTBOX_PREVIEW).toBe(false);
    expect(env.SEED_DEMO).toBe(false);
    expect(env.SMTP_URL).toBe("smtp://user:pass@mail.example.org:587");
  });

  it("stays a local try-out once the embedded database's address is in DATABASE_URL", () => {
    const env = parseEnv({
      NODE_ENV: "production",
      DATABASE_URL: "postgresql://postgres@127.0.0.1:54329/onward",
      ONWARD_EMBEDDED_DATABASE: "true",
      SESSION_SECRET: SECRET,
    });
    expect(env.isLocal).toBe(true);
  });

  it("runs locally without DATABASE_URL: outbox preview and demo seed on", () => {
    const env = parseEnv({ NODE_ENV: "production" });
    expect(env.isLocal).toBe(true);
    expect(env.OUTBOX_PREVIEW).toBe(true);
    expect(env.SEED_DEMO).toBe(true);
  });

  it("lets OUTBOX_PREVIEW and SEED_DEMO be set explicitly", () => {
    const env = parseEnv({ OUTBOX_PREVIEW: "false", SEED_DEMO: "0" });
    expect(env.OUTBOX_PREVIEW).toBe(false);
    expect(env.SEED_DEMO).toBe(false);
    expectOneLine(errorOf({ SEED_DEMO: "yes" }), "SEED_DEMO");
  });

  it("serves from one web process unless WEB_CONCURRENCY says how many (1–16)", () => {
    expect(parseEnv({}).WEB_CONCURRENCY).toBe(1);
    expect(parseEnv({ WEB_CONCURRENCY: "4" }).WEB_CONCURRENCY).toBe(4);
    for (const bad of ["0", "17", "2.5", "many"]) {
      const error = errorOf({ WEB_CONCURRENCY: bad });
      expectOneLine(error, "WEB_CONCURRENCY");
      expect(error.message).toContain("must be a whole number from 1 to 16");
    }
  });
});
