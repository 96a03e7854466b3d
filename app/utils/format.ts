const dateTime = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "Europe/London",
});

/** "25 November, 09:30" in UK time, for people reading a date. */
export function formatDateTime(value: Date | string) {
  return dateTime.format(typeof value === "string" ? new Date(value) : value);
}

const date = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "Europe/London",
});

/** "25 November 2026" in UK time. */
export function formatDate(value: Date | string) {
  return date.format(typeof value === "string" ? new Date(value) : value);
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

function dayNumber(date: Date, timeZone: string) {
  const parts = formatter(
    `day:${timeZone}`,
    () =>
      new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
      }),
  ).format(date);
  return Math.round(Date.parse(`${parts}T00:00:00Z`) / 86_400_000);
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
