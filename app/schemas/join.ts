import { z } from "zod";
import { emailSchema, phoneSchema } from "./contact.ts";

const POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$/;

/** "ls61aa" → { postcode: "LS6 1AA", district: "LS6" }, or null if it isn't a UK postcode. */
export function normalisePostcode(input: string): { postcode: string; district: string } | null {
  const match = POSTCODE.exec(input.trim().toUpperCase());
  if (!match?.[1] || !match[2]) return null;
  return { postcode: `${match[1]} ${match[2]}`, district: match[1] };
}

function validTimezone(value: string) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const CHANNEL_WORDING = {
  EMAIL:
    "You may email me my tasks, reminders and news about this campaign. I can stop this at any time.",
  SMS: "You may text me my tasks, reminders and news about this campaign. I can reply STOP at any time.",
} as const;

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    schema.optional(),
  );

export const JoinSchema = z
  .object({
    name: z
      .string({ message: "Enter your first name" })
      .trim()
      .min(1, { message: "Enter your first name" })
      .max(80, { message: "Keep your name under 80 characters" }),
    email: optional(emailSchema),
    phone: optional(phoneSchema),
    postcode: z
      .string({ message: "Enter your postcode" })
      .trim()
      .max(10, { message: "Enter a postcode like LS6 1AA" })
      .transform((value, ctx) => {
        const normalised = normalisePostcode(value);
        if (!normalised) {
          ctx.addIssue({ code: "custom", message: "Enter a postcode like LS6 1AA" });
          return z.NEVER;
        }
        return normalised;
      }),
    channel: z.enum(["EMAIL", "SMS", "BOTH"], { message: "Choose how you want to hear from us" }),
    timezone: optional(z.string().max(64).refine(validTimezone)).catch(undefined),
  })
  .superRefine((value, ctx) => {
    if (!value.email && !value.phone) {
      ctx.addIssue({
        code: "custom",
        path: ["email"],
        message: "Enter an email address or a mobile number",
      });
      return;
    }
    if ((value.channel === "EMAIL" || value.channel === "BOTH") && !value.email) {
      ctx.addIssue({
        code: "custom",
        path: ["email"],
        message: "Enter your email address to hear from us by email",
      });
    }
    if ((value.channel === "SMS" || value.channel === "BOTH") && !value.phone) {
      ctx.addIssue({
        code: "custom",
        path: ["phone"],
        message: "Enter your mobile number to hear from us by text",
      });
    }
  });

export type JoinInput = z.output<typeof JoinSchema>;
