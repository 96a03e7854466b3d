import { z } from "zod";

/**
 * Nudge timing, kept in Campaign.settings (JSON). Anything missing or out of range falls back to
 * the default, so a bad value in one field never stops the others (or the loop) from working.
 */
export const NUDGE_DEFAULTS = { reminderHours: 24, overdueHours: 24, idleDays: 14 } as const;

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
  })
  .catch({ ...NUDGE_DEFAULTS });

export type NudgeSettings = z.output<typeof NudgeSettingsSchema>;

export function parseNudgeSettings(settings: unknown): NudgeSettings {
  return NudgeSettingsSchema.parse(settings ?? {});
}
