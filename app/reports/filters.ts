import { z } from "zod";

/**
 * The filters every organiser report view shares (dashboard, charts, CSV exports), kept in the
 * URL so a view can be shared: ?from=2026-10-01&to=2026-10-31&area=LS6&channel=SMS&task=<taskId>.
 * Dates are calendar days in the organisation's time zone, both ends included. Bad values are
 * dropped (with a message for the page), never an error: a shared link with a typo still opens.
 */

export const CHANNELS = ["EMAIL", "SMS", "BOTH"] as const;
export type ChannelFilter = (typeof CHANNELS)[number];

export type ReportFilters = {
  /** First day included, YYYY-MM-DD (organisation time zone), or null for "from the start". */
  from: string | null;
  /** Last day included, YYYY-MM-DD, or null for "until now". */
  to: string | null;
  /** Postcode district, upper case (e.g. "LS6"), or null for every area. */
  area: string | null;
  /** The volunteer's contact preference, or null for everyone. */
  channel: ChannelFilter | null;
  /** One task of the campaign, or null for all of them. */
  taskId: string | null;
};

export const NO_FILTERS: ReportFilters = {
  from: null,
  to: null,
  area: null,
  channel: null,
  taskId: null,
};

const day = z.iso.date();
const area = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{1,2}[0-9][A-Z0-9]?$/);
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export function parseReportFilters(search: URLSearchParams): {
  filters: ReportFilters;
  /** One plain sentence per value that was dropped. */
  problems: string[];
} {
  const problems: string[] = [];
  const read = <T>(name: string, schema: z.ZodType<T>, words: string): T | null => {
    const raw = search.get(name);
    if (raw === null || raw.trim() === "") return null;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(words);
    return null;
  };
  let from = read("from", day, "The start date wasn't a date, so it was left out.");
  let to = read("to", day, "The end date wasn't a date, so it was left out.");
  if (from && to && from > to) {
    [from, to] = [to, from];
    problems.push("The dates were the wrong way round, so we swapped them.");
  }
  return {
    filters: {
      from,
      to,
      area: read(
        "area",
        area,
        "The area wasn't a postcode district (like LS6), so it was left out.",
      ),
      channel: read(
        "channel",
        z.enum(CHANNELS),
        "The channel wasn't one we know, so it was left out.",
      ),
      taskId: read("task", id, "The task wasn't one we know, so it was left out."),
    },
    problems,
  };
}

/** The query string for filters ("" when none), in a fixed order so equal views share a URL. */
export function filtersToSearch(filters: ReportFilters): string {
  const params = new URLSearchParams();
  if (filters.from) params.set("from", filters.from);
  if (filters.to) params.set("to", filters.to);
  if (filters.area) params.set("area", filters.area);
  if (filters.channel) params.set("channel", filters.channel);
  if (filters.taskId) params.set("task", filters.taskId);
  const text = params.toString();
  return text ? `?${text}` : "";
}
