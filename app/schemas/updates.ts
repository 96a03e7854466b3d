import { z } from "zod";

export const MAX_UPDATE_TITLE = 120;
export const MAX_UPDATE_BODY = 5000;
/** Contributions one "you said, we did" update may link. */
export const MAX_LINKED_CONTRIBUTIONS = 500;
/** Contributions a page of the picker shows. */
export const PICKER_PAGE_SIZE = 20;
/** People shown as a sample before sending. */
export const SAMPLE_SIZE = 5;

const AREA = /^[A-Z0-9]{2,4}$/;
const ID = /^[A-Za-z0-9_-]{1,40}$/;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((value) => value ?? "");

/**
 * The "new update" form. One form for every step (so it works without JavaScript): `intent`
 * says whether to refilter the contribution picker, preview the audience, go back and change it,
 * or send.
 */
export const updateFormSchema = z
  .object({
    intent: z.enum(["filter", "preview", "edit", "send"], {
      error: "We couldn't tell what you wanted to do. Try again.",
    }),
    title: z
      .string({ error: "Give the update a title." })
      .trim()
      .min(1, "Give the update a title.")
      .max(MAX_UPDATE_TITLE, `Keep the title to ${MAX_UPDATE_TITLE} characters.`),
    body: z
      .string({ error: "Write what you want to tell people." })
      .trim()
      .min(1, "Write what you want to tell people.")
      .max(MAX_UPDATE_BODY, `Keep the update to ${MAX_UPDATE_BODY} characters.`),
    audience: z.enum(["all", "segment", "team", "contributions"], {
      error: "Choose who gets the update.",
    }),
    area: optionalText(10)
      .transform((value) => value.toUpperCase())
      .refine((value) => value === "" || AREA.test(value), "Choose an area from the list."),
    task: optionalText(40).refine(
      (value) => value === "" || ID.test(value),
      "Choose a task from the list.",
    ),
    team: optionalText(40).refine(
      (value) => value === "" || ID.test(value),
      "Choose a team from the list.",
    ),
    channel: z
      .enum(["", "EMAIL", "SMS", "BOTH"], { error: "Choose a channel from the list." })
      .default(""),
    contribution: z
      .array(z.string().regex(ID, "That contribution isn't in this campaign."))
      .max(
        MAX_LINKED_CONTRIBUTIONS,
        `Link at most ${MAX_LINKED_CONTRIBUTIONS} contributions to one update.`,
      )
      .default([]),
    // The picker's own filters, kept across steps.
    q: optionalText(100),
    pickTask: optionalText(40),
    pickArea: optionalText(10),
    pickPage: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  })
  .superRefine((value, ctx) => {
    if (value.intent === "filter") return;
    if (value.audience === "team" && value.team === "") {
      ctx.addIssue({ code: "custom", path: ["team"], message: "Choose a team from the list." });
    }
    if (value.audience === "contributions" && value.contribution.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["contribution"],
        message: "Pick at least one contribution, or choose another audience.",
      });
    }
  });

export type UpdateForm = z.infer<typeof updateFormSchema>;

export type PickerFilters = { q: string; taskId: string | null; area: string | null; page: number };

export function pickerFilters(form: {
  q?: string;
  pickTask?: string;
  pickArea?: string;
  pickPage?: number;
}): PickerFilters {
  const area = (form.pickArea ?? "").trim().toUpperCase();
  const taskId = (form.pickTask ?? "").trim();
  return {
    q: (form.q ?? "").trim().slice(0, 100),
    taskId: ID.test(taskId) ? taskId : null,
    area: AREA.test(area) ? area : null,
    page: form.pickPage && form.pickPage >= 1 ? Math.floor(form.pickPage) : 1,
  };
}

export const CHANNEL_WORDS: Record<string, string> = {
  EMAIL: "prefer email",
  SMS: "prefer texts",
  BOTH: "want both",
};

/** The audience, as stored on the update (Update.segment) and shown on the list. */
export type AudienceSegment =
  | { kind: "all" }
  | { kind: "segment"; area: string | null; taskId: string | null; channel: string | null }
  /** The members of one of the campaign's teams (ADR 019). */
  | { kind: "team"; teamId: string }
  | { kind: "contributions"; reportIds: string[] };

export function audienceFromForm(form: UpdateForm): AudienceSegment {
  if (form.audience === "contributions") {
    return { kind: "contributions", reportIds: [...new Set(form.contribution)] };
  }
  if (form.audience === "team") return { kind: "team", teamId: form.team };
  if (form.audience === "segment") {
    return {
      kind: "segment",
      area: form.area || null,
      taskId: form.task || null,
      channel: form.channel || null,
    };
  }
  return { kind: "all" };
}
