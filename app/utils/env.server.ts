import { z } from "zod";

/**
 * Every setting Onward reads from the environment. README.md documents each one; keep them in step.
 *
 * A deployment is recognised by DATABASE_URL being set. Without it Onward runs locally on an
 * embedded PostgreSQL, shows messages at /dev/outbox and seeds a demo organisation.
 */
const booleanString = z
  .enum(["true", "false", "1", "0"], { message: 'must be "true" or "false"' })
  .transform((value) => value === "true" || value === "1");

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== ""
      );
    } catch {
      return false;
    }
  },
  { message: "must be a postgresql:// URL such as postgresql://user:password@host:5432/onward" },
);

const smtpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname !== "";
    } catch {
      return false;
    }
  },
  {
    message: "must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.org:587",
  },
);

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "must be a time like 21:00" });

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
    PORT: z.coerce
      .number({ message: "must be a port number" })
      .int({ message: "must be a whole number" })
      .min(1, { message: "must be between 1 and 65535" })
      .max(65535, { message: "must be between 1 and 65535" })
      .default(3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    APP_URL: z
      .url({ message: "must be the public address of the app, e.g. https://onward.example.org" })
      .optional(),
    DATABASE_URL: postgresUrl.optional(),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
    DATA_DIR: z.string().min(1).default(".data"),
    /**
     * Set by app/server/prepare.ts once it has started the embedded PostgreSQL and put its address
     * in DATABASE_URL, so the process still knows it is a local try-out, not a deployment.
     */
    ONWARD_EMBEDDED_DATABASE: z.enum(["true"]).optional(),
    SESSION_SECRET: z
      .string()
      .min(32, { message: "must be at least 32 characters (try: openssl rand -hex 32)" })
      .optional(),
    SMTP_URL: smtpUrl.optional(),
    MAIL_FROM: z.string().min(3).default("Onward <no-reply@onward.local>"),
    SMS_PROVIDER: z
      .enum(["preview", "twilio"], { message: 'must be "preview" or "twilio"' })
      .default("preview"),
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, {
        message: "must be an Account SID like AC0123… (34 characters)",
      })
      .optional(),
    TWILIO_AUTH_TOKEN: z
      .string()
      .min(16, { message: "must be the Auth Token from the Twilio console" })
      .optional(),
    TWILIO_FROM: z
      .string()
      .regex(/^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$/, {
        message: "must be a number in international format like +447700900123, or a sender name",
      })
      .optional(),
    TWILIO_MESSAGING_SERVICE_SID: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, { message: "must be a Messaging Service SID like MG0123…" })
      .optional(),
    TWILIO_API_BASE: z
      .url({ message: "must be a URL such as https://api.twilio.com" })
      .default("https://api.twilio.com")
      .transform((value) => value.replace(/\/$/, "")),
    /** Shared secret of POST /webhooks/email/inbound (the mail provider's inbound route). */
    INBOUND_EMAIL_SECRET: z
      .string()
      .min(16, { message: "must be at least 16 characters (try: openssl rand -hex 16)" })
      .optional(),
    UNSUBSCRIBE_MAILTO: z
      .string()
      .refine((value) => value === "none" || z.email().safeParse(value).success, {
        message: 'must be an email address such as unsubscribe@example.org, or "none"',
      })
      .optional(),
    OUTBOX_PREVIEW: booleanString.optional(),
    SEED_DEMO: booleanString.optional(),
    TRUST_PROXY: booleanString.default(false),
    DEFAULT_TIMEZONE: z.string().min(1).default("Europe/London"),
    QUIET_HOURS_START: clockTime.default("21:00"),
    QUIET_HOURS_END: clockTime.default("09:00"),
    /** Run the job worker inside the web process; false when `npm run worker` runs separately. */
    RUN_WORKER: booleanString.default(true),
    /** Jobs one worker process runs at once (each delivery holds a database connection). */
    WORKER_CONCURRENCY: z.coerce
      .number({ message: "must be a whole number from 1 to 8" })
      .int({ message: "must be a whole number from 1 to 8" })
      .min(1, { message: "must be a whole number from 1 to 8" })
      .max(8, { message: "must be a whole number from 1 to 8" })
      .default(5),
    /** Web processes serving the port together (node:cluster); 1 serves from this process. */
    WEB_CONCURRENCY: z.coerce
      .number({ message: "must be a whole number from 1 to 16" })
      .int({ message: "must be a whole number from 1 to 16" })
      .min(1, { message: "must be a whole number from 1 to 16" })
      .max(16, { message: "must be a whole number from 1 to 16" })
      .default(1),
    /** Message and inbound text bodies older than this many days are purged (purge-old-messages). */
    RETENTION_DAYS: z.coerce
      .number({ message: "must be a whole number of days from 1 to 3650" })
      .int({ message: "must be a whole number of days from 1 to 3650" })
      .min(1, { message: "must be a whole number of days from 1 to 3650" })
      .max(3650, { message: "must be a whole number of days from 1 to 3650" })
      .default(180),
  })
  .transform((env) => {
    const local = env.DATABASE_URL === undefined || env.ONWARD_EMBEDDED_DATABASE === "true";
    return {
      ...env,
      /** True when running on the embedded PostgreSQL: a person trying Onward on their machine. */
      isLocal: local,
      OUTBOX_PREVIEW: env.OUTBOX_PREVIEW ?? (local || env.NODE_ENV !== "production"),
      SEED_DEMO: env.SEED_DEMO ?? local,
      APP_URL: (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ""),
    };
  });

export type Env = z.output<typeof EnvSchema>;

export class EnvError extends Error {
  override name = "EnvError";
}

/** Parses an environment. Throws EnvError with one line naming the variable and what is wrong. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path.join(".") || "environment";
    throw new EnvError(`Configuration error: ${name} ${issue?.message ?? "is not valid"}.`);
  }
  const env = result.data;
  if (!env.isLocal && env.NODE_ENV === "production" && !env.SESSION_SECRET) {
    throw new EnvError(
      "Configuration error: SESSION_SECRET is required when DATABASE_URL is set (try: openssl rand -hex 32).",
    );
  }
  if (env.SMS_PROVIDER === "twilio") {
    const missing = [
      ["TWILIO_ACCOUNT_SID", env.TWILIO_ACCOUNT_SID],
      ["TWILIO_AUTH_TOKEN", env.TWILIO_AUTH_TOKEN],
      [
        "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID",
        env.TWILIO_FROM ?? env.TWILIO_MESSAGING_SERVICE_SID,
      ],
      // Twilio signs its webhooks over the public address; a guessed one would refuse them all.
      ["APP_URL", raw.APP_URL || undefined],
    ].find(([, value]) => value === undefined);
    if (missing) {
      throw new EnvError(
        `Configuration error: ${missing[0]} is required when SMS_PROVIDER=twilio.`,
      );
    }
  }
  return env;
}

let cached: Env | undefined;

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Reads process.env again: after start-up fills in the local database, and in tests. */
export function reloadEnv() {
  cached = undefined;
}

const DEVELOPMENT_SECRET = "onward-development-secret-not-for-production-use";

export function getSessionSecret(): string {
  return getEnv().SESSION_SECRET ?? DEVELOPMENT_SECRET;
}
