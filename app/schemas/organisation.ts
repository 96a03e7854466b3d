import { z } from "zod";
import { parseClockTime } from "~/utils/contact-policy.ts";

/** The canonical IANA name of a timezone ("europe/london" → "Europe/London"), or null. */
export function canonicalTimeZone(value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function clockTime(label: string) {
  const message = `Enter the ${label} as a 24-hour time, like 21:00`;
  return z
    .string({ message: `Enter the ${label}` })
    .trim()
    .min(1, { message: `Enter the ${label}` })
    .refine((value) => parseClockTime(value) !== null, { message });
}

const CAP_MESSAGE = "Enter the weekly limit as a whole number from 1 to 14";

/** The organisation's contact settings form (/org/settings), and what the model accepts. */
export const OrganisationSettingsSchema = z
  .object({
    timezone: z
      .string({ message: "Enter a time zone, like Europe/London" })
      .trim()
      .min(1, { message: "Enter a time zone, like Europe/London" })
      .max(64, { message: "Enter a time zone, like Europe/London" })
      .transform((value, ctx) => {
        const timeZone = canonicalTimeZone(value);
        if (!timeZone) {
          ctx.addIssue({
            code: "custom",
            message: "We don't know that time zone. Enter one like Europe/London",
          });
          return z.NEVER;
        }
        return timeZone;
      }),
    quietStart: clockTime("start of quiet hours"),
    quietEnd: clockTime("end of quiet hours"),
    weeklyCap: z
      .number({
        error: (issue) =>
          issue.input === undefined ? "Enter the most nudges a person gets in a week" : CAP_MESSAGE,
      })
      .int({ message: CAP_MESSAGE })
      .min(1, { message: CAP_MESSAGE })
      .max(14, { message: CAP_MESSAGE }),
  })
  .superRefine((value, ctx) => {
    if (value.quietStart === value.quietEnd) {
      ctx.addIssue({
        code: "custom",
        path: ["quietEnd"],
        message: "Quiet hours must end at a different time from when they start",
      });
    }
  });

export type OrganisationSettingsInput = z.output<typeof OrganisationSettingsSchema>;
