import { z } from "zod";

/**
 * Nudge timing, kept in Campaign.settings (JSON). Anything missing or out of range falls back to
 * the default, so a bad value in one field never stops the others (or the loop) from working.
 */
export const NUDGE_DEFAULTS = {
  reminderHours: 24,
  overdueHours: 24,
  idleDays: 14,
  expireDays: 14,
} as const;

const hours = (fallback: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .catch(fallback)
    .default(fallback);

export const NudgeSettingsSchema = z
  .object({
    /** Hours before a task is due that the reminder goes; 0 turns reminders off. */
    reminderHours: hours(NUDGE_DEFAULTS.reminderHours),
    /** Hours after a task was due that the "how did it go?" nudge goes; 0 turns it off. */
    overdueHours: hours(NUDGE_DEFAULTS.overdueHours),
    /** Days without an open task or a report before a volunteer gets one "we miss you". */
    idleDays: z.number().int().min(1).max(365).catch(NUDGE_DEFAULTS.idleDays).default(14),
    /** Days after the due date that an unreported task closes as expired, freeing the person. */
    expireDays: z.number().int().min(1).max(365).catch(NUDGE_DEFAULTS.expireDays).default(14),
  })
  .catch({ ...NUDGE_DEFAULTS });

export type NudgeSettings = z.output<typeof NudgeSettingsSchema>;

export function parseNudgeSettings(settings: unknown): NudgeSettings {
  return NudgeSettingsSchema.parse(settings ?? {});
}

const NUDGE_HOURS_MAX = 24 * 60;

function wholeNumber({ label, min, max }: { label: string; min: number; max: number }) {
  const range = `Enter ${label} as a whole number from ${min} to ${max.toLocaleString("en-GB")}`;
  return z
    .number({ error: (issue) => (issue.input === undefined ? `Enter ${label}` : range) })
    .int({ message: range })
    .min(min, { message: range })
    .max(max, { message: range });
}

/**
 * The campaign's "Reminders" form. Strict where NudgeSettingsSchema is forgiving: a person typing
 * a bad number is told, rather than silently given the default.
 */
export const NudgeSettingsFormSchema = z.object({
  reminderHours: wholeNumber({ label: "the reminder hours", min: 0, max: NUDGE_HOURS_MAX }),
  overdueHours: wholeNumber({ label: "the follow-up hours", min: 0, max: NUDGE_HOURS_MAX }),
  idleDays: wholeNumber({ label: "the days", min: 1, max: 365 }),
  expireDays: wholeNumber({ label: "the days after the due date", min: 1, max: 365 }),
});

export type NudgeSettingsInput = z.output<typeof NudgeSettingsFormSchema>;
