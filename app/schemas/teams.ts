import { z } from "zod";

/** A team lead's nudge: short enough for two text messages with the link. */
export const MAX_NUDGE_LENGTH = 300;
export const MAX_TEAM_NAME = 60;
/** One nudge per team in this many hours. */
export const NUDGE_EVERY_HOURS = 24;
/** Rows per page of the reliability view. */
export const CHAMPIONS_PAGE_SIZE = 50;
export const DEFAULT_MIN_REPORTS = 3;
export const MAX_MIN_REPORTS = 20;
/** Members one team may have: a team lead can know this many people by name. */
export const MAX_TEAM_MEMBERS = 100;

const ID = /^[A-Za-z0-9_-]{1,40}$/;

const id = (message: string) => z.string({ error: message }).trim().regex(ID, message);

export const CHAMPION_SORTS = ["on-time", "consistency", "furthest", "reports"] as const;
export type ChampionSort = (typeof CHAMPION_SORTS)[number];

export const SORT_WORDS: Record<ChampionSort, string> = {
  "on-time": "Reports on time",
  consistency: "Reports week after week",
  furthest: "Furthest up the ladder",
  reports: "Most reports",
};

/** The reliability view's address: ?sort=on-time&min=3&page=2. Anything odd falls back. */
export function parseChampionsQuery(search: URLSearchParams) {
  const sort = search.get("sort");
  const min = Number(search.get("min"));
  const page = Number(search.get("page"));
  const promote = search.get("promote");
  return {
    sort: (CHAMPION_SORTS as readonly string[]).includes(sort ?? "")
      ? (sort as ChampionSort)
      : "on-time",
    minReports:
      Number.isInteger(min) && min >= 1 && min <= MAX_MIN_REPORTS ? min : DEFAULT_MIN_REPORTS,
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
    promote: promote && ID.test(promote) ? promote : null,
  };
}

export type ChampionsQuery = ReturnType<typeof parseChampionsQuery>;

const teamName = z
  .string({ error: "Give the team a name." })
  .trim()
  .min(1, "Give the team a name.")
  .max(MAX_TEAM_NAME, `Keep the team's name to ${MAX_TEAM_NAME} characters.`);

/** "Make team lead" on the reliability view. */
export const PromoteSchema = z.object({
  intent: z.literal("promote", { error: "We couldn't tell what you wanted to do. Try again." }),
  userId: id("Choose a volunteer from the list."),
  name: teamName,
});

/** The team page's buttons: add or remove a member, remove the lead, delete the team. */
export const TeamActionSchema = z.discriminatedUnion(
  "intent",
  [
    z.object({
      intent: z.literal("add-member"),
      teamId: id("Choose a team from the list."),
      userId: id("Choose someone to add."),
    }),
    z.object({
      intent: z.literal("remove-member"),
      teamId: id("Choose a team from the list."),
      userId: id("Choose someone to remove."),
    }),
    z.object({ intent: z.literal("remove-lead"), teamId: id("Choose a team from the list.") }),
    z.object({ intent: z.literal("delete-team"), teamId: id("Choose a team from the list.") }),
  ],
  { error: "We couldn't tell what you wanted to do. Try again." },
);

export type TeamAction = z.infer<typeof TeamActionSchema>;

/** A team lead's nudge to their team. */
export const TeamNudgeSchema = z.object({
  body: z
    .string({ error: "Write a message for your team." })
    .trim()
    .min(1, "Write a message for your team.")
    .max(MAX_NUDGE_LENGTH, `Keep the message to ${MAX_NUDGE_LENGTH} characters.`),
  idempotencyKey: z
    .string({ error: "Reload the page and try again." })
    .regex(/^[A-Za-z0-9-]{8,64}$/, "Reload the page and try again."),
});
