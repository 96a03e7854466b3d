import { z } from "zod";

/** The source recorded on consent rows written from /account. */
export const ACCOUNT_PAGE_SOURCE = "account page";

/** The words next to each button on /account, recorded with the change they make. */
export const CONSENT_WORDING = {
  grant: {
    EMAIL:
      "You may email me my tasks, reminders and news about the campaigns I join. I can stop this at any time.",
    SMS: "You may text me my tasks, reminders and news about the campaigns I join. I can reply STOP at any time.",
  },
  withdraw: {
    EMAIL: "Stop emails about my tasks and campaigns.",
    SMS: "Stop texts about my tasks and campaigns.",
  },
} as const;

/** One tap on /account: turn emails or texts off, or back on. */
export const ConsentChangeSchema = z.object({
  intent: z.literal("consent", { message: "Choose what to change" }),
  channel: z.enum(["EMAIL", "SMS"], { message: "Choose emails or texts" }),
  granted: z
    .enum(["yes", "no"], { message: "Choose whether to turn it on or off" })
    .transform((value) => value === "yes"),
});

/** The button on /account/delete. Its only job is to say that the person meant it. */
export const DeleteAccountSchema = z.object({
  intent: z.literal("delete-account", { message: "Use the Delete my account button" }),
});

export const AUDIT_PAGE_SIZE = 50;

/** /org/audit's query string. A value that isn't one of ours is refused with a message. */
export const AuditFilterSchema = z.object({
  action: z
    .string()
    .trim()
    .max(60, { message: "That isn't an action we record" })
    .regex(/^([a-z][a-z_]*(\.[a-z_]+)*)?$/, { message: "That isn't an action we record" })
    .optional()
    .transform((value) => value || null),
  page: z.coerce
    .number({ message: "Pages are numbered 1, 2, 3…" })
    .int({ message: "Pages are numbered 1, 2, 3…" })
    .min(1, { message: "Pages are numbered 1, 2, 3…" })
    .max(100_000, { message: "Pages are numbered 1, 2, 3…" })
    .optional()
    .transform((value) => value ?? 1),
});
