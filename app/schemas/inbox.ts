import { z } from "zod";

/** Items a page of the organiser inbox shows. */
export const INBOX_PAGE_SIZE = 50;

export const MAX_REPLY_LENGTH = 2000;
export const MAX_REASON_LENGTH = 500;
export const MAX_TAGS = 10;

export type InboxFilters = {
  unanswered: boolean;
  /** A postcode district ("LS6"), or null for every area. */
  area: string | null;
  taskId: string | null;
  hasFeedback: boolean;
  page: number;
};

/**
 * The inbox filters from the address (?unanswered=1&area=LS6&task=<id>&feedback=1&page=2), so a
 * filtered view can be shared and works without JavaScript. A value that makes no sense is
 * dropped, with a note saying so, rather than failing the page.
 */
export function parseInboxFilters(params: URLSearchParams): {
  filters: InboxFilters;
  problems: string[];
} {
  const problems: string[] = [];
  const area = (params.get("area") ?? "").trim().toUpperCase();
  const taskId = (params.get("task") ?? "").trim();
  const pageText = (params.get("page") ?? "").trim();
  let page = 1;
  if (pageText !== "") {
    const parsed = Number(pageText);
    if (Number.isInteger(parsed) && parsed >= 1 && parsed <= 100_000) page = parsed;
    else problems.push("That page number isn't right, so you're seeing the first page.");
  }
  const validArea = /^[A-Z0-9]{2,4}$/.test(area);
  if (area !== "" && !validArea) {
    problems.push(`"${area.slice(0, 20)}" isn't an area (like LS6), so every area is shown.`);
  }
  const validTask = /^[A-Za-z0-9_-]{1,40}$/.test(taskId);
  if (taskId !== "" && !validTask) {
    problems.push("That task isn't in this campaign, so every task is shown.");
  }
  return {
    filters: {
      unanswered: params.get("unanswered") === "1",
      area: validArea ? area : null,
      taskId: validTask ? taskId : null,
      hasFeedback: params.get("feedback") === "1",
      page,
    },
    problems,
  };
}

/** The address's query string for the filters (page 1 is left out). */
export function inboxSearch(filters: InboxFilters, page = filters.page): string {
  const params = new URLSearchParams();
  if (filters.unanswered) params.set("unanswered", "1");
  if (filters.area) params.set("area", filters.area);
  if (filters.taskId) params.set("task", filters.taskId);
  if (filters.hasFeedback) params.set("feedback", "1");
  if (page > 1) params.set("page", String(page));
  const text = params.toString();
  return text ? `?${text}` : "";
}

const trimmed = (max: number, empty: string, long: string) =>
  z.preprocess(
    (value) => (typeof value === "string" ? value.trim() : value),
    z.string({ message: empty }).min(1, { message: empty }).max(max, { message: long }),
  );

export const ReplySchema = z.object({
  intent: z.literal("reply"),
  reply: trimmed(
    MAX_REPLY_LENGTH,
    "Write your reply",
    `Keep your reply under ${MAX_REPLY_LENGTH.toLocaleString("en-GB")} characters`,
  ),
});

export const MarkSchema = z.object({
  intent: z.literal("mark"),
  status: z.enum(["ACTIONED", "NO_ACTION"], {
    message: "Choose whether you acted on it or not",
  }),
  reason: trimmed(
    MAX_REASON_LENGTH,
    "Say why, in a few words",
    `Keep the reason under ${MAX_REASON_LENGTH} characters`,
  ),
});

const TAG_MESSAGE = "A tag is 1 to 30 letters, numbers, spaces or dashes";

export const AddTagSchema = z.object({
  intent: z.literal("add-tag"),
  tag: z.preprocess(
    (value) =>
      typeof value === "string" ? value.trim().toLowerCase().replace(/\s+/g, " ") : value,
    z
      .string({ message: "Type a tag" })
      .min(1, { message: "Type a tag" })
      .max(30, { message: TAG_MESSAGE })
      .regex(/^[\p{L}\p{N}][\p{L}\p{N} -]*$/u, { message: TAG_MESSAGE }),
  ),
});

export const RemoveTagSchema = z.object({
  intent: z.literal("remove-tag"),
  tag: z.string({ message: "Choose a tag to remove" }).min(1).max(30),
});

export const AssignSchema = z.object({
  intent: z.literal("assign"),
  /** Empty: nobody. */
  assigneeId: z.preprocess(
    (value) => (value === undefined ? "" : value),
    z.string().max(40, { message: "Choose someone from the list" }),
  ),
});

/** Every action on an inbox item; `intent` says which form was sent. */
export const InboxActionSchema = z.discriminatedUnion("intent", [
  ReplySchema,
  MarkSchema,
  AddTagSchema,
  RemoveTagSchema,
  AssignSchema,
]);

export type InboxAction = z.output<typeof InboxActionSchema>;
export type InboxIntent = InboxAction["intent"];

/** How an item's handling reads. */
export const STATUS_WORDS = {
  OPEN: "Waiting for an answer",
  ANSWERED: "Replied",
  ACTIONED: "Actioned",
  NO_ACTION: "No action",
} as const;

/** What the volunteer wrote: the skip reason, or the feedback and each text answer. */
export function itemWords(item: {
  kind: "report" | "skip";
  feedback: string | null;
  skipReason: string | null;
  answers: ReadonlyArray<{ label: string; answer: string }>;
}) {
  if (item.kind === "skip") return item.skipReason ?? "";
  return [item.feedback, ...item.answers.map((a) => `${a.label}: ${a.answer}`)]
    .filter(Boolean)
    .join("\n");
}

/** "under a minute", "5 minutes", "3 hours", "2 days": how long something waited, roughly. */
export function durationWords(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`;
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, "hour");
  return plural(Math.floor(hours / 24), "day");
}
