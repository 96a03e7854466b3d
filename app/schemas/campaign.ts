import { z } from "zod";

/** Lower-case words joined by `separator`, accents removed: "Warmer Homes!" → "warmer-homes". */
export function slugify(text: string, { separator = "-", max = 60 } = {}): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/[^a-z0-9]+/g, separator)
    .slice(0, max)
    .replace(new RegExp(`^\\${separator}+|\\${separator}+$`, "g"), "");
}

/** The campaign's web address part: "Warmer Homes for Greenfield" → "warmer-homes-for-greenfield". */
export function campaignSlugBase(title: string) {
  return slugify(title, { max: 50 }) || "campaign";
}

/** The key a campaign's objective is counted under: "Doors knocked" → "doors-knocked". */
export function metricKeyFromLabel(label: string) {
  return slugify(label, { max: 60 }) || "objective";
}

export const CAMPAIGN_STATUSES = ["DRAFT", "LIVE", "PAUSED", "CLOSED"] as const;
export type CampaignStatusValue = (typeof CAMPAIGN_STATUSES)[number];

/** Where a campaign may go from each status. Going live also needs a ladder without errors. */
export const STATUS_TRANSITIONS: Record<CampaignStatusValue, readonly CampaignStatusValue[]> = {
  DRAFT: ["LIVE"],
  LIVE: ["PAUSED", "CLOSED"],
  PAUSED: ["LIVE", "CLOSED"],
  CLOSED: [],
};

function requiredText(missing: string, max: number) {
  return z
    .string({ message: missing })
    .trim()
    .min(1, { message: missing })
    .max(max, { message: `Keep this to ${max.toLocaleString("en-GB")} characters or fewer` });
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string) {
  if (!ISO_DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function optionalDate(label: string) {
  return z
    .string()
    .trim()
    .refine(isRealDate, { message: `Enter the ${label} as a date, like 2026-03-01` })
    .optional();
}

const TARGET_MESSAGE = "Enter the target as a whole number, like 5000";

/** The campaign form (new and edit), and what createCampaign and updateCampaign accept. */
export const CampaignFormSchema = z
  .object({
    title: requiredText("Enter a title", 120),
    description: requiredText("Enter a short description", 280),
    metricLabel: requiredText("Say what you will count, like doors knocked", 60),
    metricUnit: requiredText("Enter the unit, like doors", 30),
    target: z
      .number({
        error: (issue) => (issue.input === undefined ? "Enter a target" : TARGET_MESSAGE),
      })
      .int({ message: TARGET_MESSAGE })
      .min(1, { message: "The target must be more than 0" })
      .max(1_000_000_000, { message: "The target must be 1,000,000,000 or less" }),
    whyTakePart: requiredText("Say why people should take part", 2000),
    whatWeDo: requiredText("Say what you will do with people's reports", 2000),
    whatIsOpen: requiredText("Say what is and isn't open for debate", 2000),
    startsOn: optionalDate("start date"),
    endsOn: optionalDate("end date"),
  })
  .superRefine((value, ctx) => {
    if (value.startsOn && value.endsOn && value.endsOn < value.startsOn) {
      ctx.addIssue({
        code: "custom",
        path: ["endsOn"],
        message: "The end date must be on or after the start date",
      });
    }
  });

export type CampaignInput = z.output<typeof CampaignFormSchema>;

export const CampaignStatusSchema = z.object({
  status: z.enum(CAMPAIGN_STATUSES, { message: "Choose what to do with the campaign" }),
});
