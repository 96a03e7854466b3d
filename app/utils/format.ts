// Building an Intl formatter costs far more than using one; delivery renders many due dates.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(key: string, make: () => Intl.DateTimeFormat) {
  let found = formatters.get(key);
  if (!found) {
    found = make();
    formatters.set(key, found);
  }
  return found;
}

const DATE_TIME: Intl.DateTimeFormatOptions = {
  day: "numeric",
  month: "long",
  hour: "2-digit",
  minute: "2-digit",
};
const FULL_DATE_TIME: Intl.DateTimeFormatOptions = { ...DATE_TIME, year: "numeric" };
const DATE: Intl.DateTimeFormatOptions = { day: "numeric", month: "long", year: "numeric" };

/**
 * "25 November, 09:30" by the clock of the person reading it: a volunteer's own timezone, or for
 * organisers their organisation's (the one its reports' dates use). UK time when none is known.
 */
export function formatDateTime(value: Date | string, timeZone?: string | null) {
  return zoned("date-time", DATE_TIME, timeZone).format(asDate(value));
}

/** "25 November 2026", the day by the reader's clock, as `formatDateTime`. */
export function formatDate(value: Date | string, timeZone?: string | null) {
  return zoned("date", DATE, timeZone).format(asDate(value));
}

/** "25 November 2026 at 09:30", for a record kept for years, as `formatDateTime`. */
export function formatFullDateTime(value: Date | string, timeZone?: string | null) {
  return zoned("full-date-time", FULL_DATE_TIME, timeZone).format(asDate(value));
}

function asDate(value: Date | string) {
  return typeof value === "string" ? new Date(value) : value;
}

/** An en-GB formatter in `timeZone`; an unknown or missing one is UK time. */
function zoned(kind: string, options: Intl.DateTimeFormatOptions, timeZone?: string | null) {
  const zone = timeZone || "Europe/London";
  const make = (name: string) => () =>
    new Intl.DateTimeFormat("en-GB", { ...options, timeZone: name });
  try {
    return formatter(`${kind}:${zone}`, make(zone));
  } catch {
    return formatter(`${kind}:Europe/London`, make("Europe/London"));
  }
}

const number = new Intl.NumberFormat("en-GB");

/** 1,204 */
export function formatNumber(value: number) {
  return number.format(value);
}

const decimal = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 6 });

/** 1,204.5: a figure someone enters or a field's limit, with up to 6 decimal places. */
export function formatDecimal(value: number) {
  return decimal.format(value);
}

/** "Chrome on Android" from a user-agent string, for a list of signed-in devices. */
export function describeDevice(userAgent: string | null) {
  if (!userAgent) return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "A browser";
  const system = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iPhone or iPad"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X/.test(userAgent)
          ? "Mac"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  return system ? `${browser} on ${system}` : browser;
}

/** The calendar day of an instant by the clock of `timeZone`, as "YYYY-MM-DD". */
export function localDay(at: Date, timeZone: string): string {
  return formatter(
    `day:${timeZone}`,
    () =>
      new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
      }),
  ).format(at);
}

function dayNumber(date: Date, timeZone: string) {
  return Math.round(Date.parse(`${localDay(date, timeZone)}T00:00:00Z`) / 86_400_000);
}

/** "Due tomorrow (Thursday 26 November)" — in the person's own timezone. */
export function dueWords(dueAt: Date | string, now: Date = new Date(), timeZone = "Europe/London") {
  const due = typeof dueAt === "string" ? new Date(dueAt) : dueAt;
  const day = formatter(
    `weekday:${timeZone}`,
    () =>
      new Intl.DateTimeFormat("en-GB", {
        weekday: "long",
        day: "numeric",
        month: "long",
        timeZone,
      }),
  ).format(due);
  const days = dayNumber(due, timeZone) - dayNumber(now, timeZone);
  if (due.getTime() < now.getTime()) {
    return days === 0 ? "Due earlier today" : `Overdue since ${day}`;
  }
  if (days === 0) return "Due today";
  if (days === 1) return `Due tomorrow (${day})`;
  if (days < 7) return `Due in ${days} days (${day})`;
  return `Due by ${day}`;
}

/** Text made safe to put inside HTML (element content or a quoted attribute). */
export function escapeHtml(text: string) {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#x27;");
}

/**
 * The part of a person's name shown to others (a team lead, an organiser's lists, a greeting):
 * the first word. A "name" typed as an email address or a phone number would be a contact
 * detail, so it is not shown: "Someone" instead.
 */
export function firstNameOnly(name: string | null | undefined): string {
  const first = (name ?? "").trim().split(/\s+/)[0] ?? "";
  const digits = first.replace(/\D/g, "").length;
  if (first === "" || first.includes("@") || digits >= 6) return "Someone";
  return first.slice(0, 40);
}
