/**
 * The contact policy: for one outgoing message, send it now, hold it until a time, or suppress it
 * with a reason an organiser can read. Pure: no I/O, the clock is passed in. The loader that
 * gathers the inputs for a stored Message lives in contact-policy.server.ts.
 *
 * Rules, in order:
 * 1. An active suppression of the address on the channel (unsubscribed, STOP, bounce, complaint,
 *    account deleted) suppresses, with its reason.
 * 2. No consent for the channel (the newest Consent row withdraws it, or there is no grant at all)
 *    suppresses: "opted out".
 * 3. Over the weekly cap (default 3 nudges per person in any rolling 7 days, across every campaign,
 *    organisation and channel; one nudge sent by email and text counts once) holds until enough
 *    earlier nudges have left the window.
 * 4. Inside the person's local quiet hours (default 21:00–09:00 in their own timezone; a window
 *    may cross midnight; start = end means no quiet hours) holds until the window ends, on the
 *    wall clock of that day, so a DST change moves the instant, not the local time.
 * 5. A hold that would end after the message goes stale suppresses instead: see KIND_RULES.
 *
 * Transactional messages (sign-in link and code) skip 2–4; only a suppression that means the
 * address can't take messages at all stops them (a STOP, a bounce, a deleted account): someone
 * who unsubscribed from nudges can still ask for a sign-in link. Service messages (the organiser
 * digest) skip the cap and quiet hours and need only "not withdrawn" rather than a grant: they
 * are work email an organiser gets for their role, at the time they are scheduled.
 */

export type ContactChannel = "EMAIL" | "SMS";

export type ContactDecision =
  | { action: "send" }
  | { action: "hold"; until: Date; reason: string }
  | { action: "suppress"; reason: string };

export type ContactInput = {
  now: Date;
  channel: ContactChannel;
  /** What the message is (see MessageClass and KIND_RULES): it decides which rules apply. */
  messageClass: MessageClass;
  /** IANA timezone; an unknown or missing one falls back to Europe/London. */
  person: { timezone: string | null };
  optedOut: boolean;
  /** An active suppression of this address on this channel; `reason` is its SuppressionReason. */
  suppressed: { reason: string } | null;
  /** Local wall-clock times, "HH:MM". */
  quietHours: { start: string; end: string };
  /**
   * When each nudge counted against the cap was sent: the person's SENT/DELIVERED non-transactional
   * messages, one time per nudge. (A list rather than a count, because "hold until the oldest
   * leaves the window" needs the times.) Times outside the 7 days before `now` are ignored.
   */
  sentInWindow: readonly Date[];
  weeklyCap: number;
  /** After this the message is pointless (a reminder after the task was due): suppress, don't hold. */
  staleAt?: Date | null;
};

export const DEFAULT_TIMEZONE = "Europe/London";
export const CAP_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export const REASONS = {
  optedOut: "opted out",
  weeklyLimit: "weekly limit reached",
  quietHours: "quiet hours",
  staleAfterQuietHours: "quiet hours, and it would be out of date by the morning",
  stale: "out of date",
} as const;

/** How each SuppressionReason reads on the organiser's page. */
const SUPPRESSION_WORDS: Record<string, string> = {
  UNSUBSCRIBED: "unsubscribed",
  SMS_STOP: "replied STOP",
  BOUNCE: "address bounced",
  COMPLAINT: "marked as spam",
  ACCOUNT_DELETED: "account deleted",
};

/** Suppressions that stop even a sign-in message the person asked for. */
const HARD_SUPPRESSIONS = new Set(["SMS_STOP", "BOUNCE", "ACCOUNT_DELETED"]);

export function suppressionWords(reason: string): string {
  return SUPPRESSION_WORDS[reason] ?? reason.toLowerCase().replaceAll("_", " ");
}

/**
 * - nudge: every rule applies, and it counts against the weekly cap.
 * - reply: a personal answer to something the person sent (an organiser's reply): outside the
 *   weekly cap, which is for nudges, but still held in quiet hours and stopped by an opt-out.
 * - service: work email for someone's role (the organiser digest): no cap, no quiet hours.
 * - transactional: a sign-in link or code the person asked for: only a hard suppression stops it.
 */
export type MessageClass = "nudge" | "reply" | "service" | "transactional";

/**
 * Per kind: its class, and when it goes stale (a hold past that point suppresses it instead).
 * - TASK_ASSIGNED, THANKS_NEXT, LADDER_COMPLETE: never stale while they are true (delivery checks
 *   the task is still open), so over the cap they wait for a free slot.
 * - REMINDER: stale once the task is due; a reminder that can't go before then is suppressed
 *   ("weekly limit reached"), because the overdue nudge follows anyway.
 * - OVERDUE: stale two days after it was written.
 * - REENGAGE: stale a day after it was written; it is tried again on a later run.
 * - ORGANISER_DIGEST: a service message, stale two days after it was written.
 * - FEEDBACK_REPLY: an organiser's answer to what the person wrote; not a nudge, so the cap
 *   neither holds it nor counts it, but quiet hours and opt-outs apply; never stale.
 * - CAMPAIGN_UPDATE: news to many people at once, so a nudge like any other: held by the cap and
 *   counted against it.
 * - TEAM_NUDGE: a team lead's message to their team ("shall we go out on Saturday?"): a nudge,
 *   stale two days after it was written.
 */
export const KIND_RULES: Record<
  string,
  { class: MessageClass; stale: "never" | "at-due" | { afterCreatedMs: number } }
> = {
  TASK_ASSIGNED: { class: "nudge", stale: "never" },
  THANKS_NEXT: { class: "nudge", stale: "never" },
  LADDER_COMPLETE: { class: "nudge", stale: "never" },
  REMINDER: { class: "nudge", stale: "at-due" },
  OVERDUE: { class: "nudge", stale: { afterCreatedMs: 2 * DAY_MS } },
  REENGAGE: { class: "nudge", stale: { afterCreatedMs: DAY_MS } },
  ORGANISER_DIGEST: { class: "service", stale: { afterCreatedMs: 2 * DAY_MS } },
  SIGN_IN_LINK: { class: "transactional", stale: "never" },
  SIGN_IN_CODE: { class: "transactional", stale: "never" },
  FEEDBACK_REPLY: { class: "reply", stale: "never" },
  CAMPAIGN_UPDATE: { class: "nudge", stale: "never" },
  TEAM_NUDGE: { class: "nudge", stale: { afterCreatedMs: 2 * DAY_MS } },
};

/** Kinds that count against the weekly cap. */
export const NUDGE_KINDS: readonly string[] = Object.entries(KIND_RULES)
  .filter(([, rule]) => rule.class === "nudge")
  .map(([kind]) => kind);

/** An unknown kind is treated as a nudge that never goes stale: the cautious default. */
export function classOf(kind: string): MessageClass {
  return KIND_RULES[kind]?.class ?? "nudge";
}

export function staleAtFor(
  kind: string,
  { createdAt, dueAt }: { createdAt: Date; dueAt: Date | null },
): Date | null {
  const stale = KIND_RULES[kind]?.stale ?? "never";
  if (stale === "never") return null;
  if (stale === "at-due") return dueAt;
  return new Date(createdAt.getTime() + stale.afterCreatedMs);
}

/**
 * Whether the consent log rules the channel out. Nudges need a grant (the newest row for the
 * channel granting it); service messages only need it not to have been withdrawn.
 */
export function isOptedOut({
  newestConsent,
  messageClass,
}: {
  newestConsent: { granted: boolean } | null;
  messageClass: MessageClass;
}): boolean {
  if (messageClass === "transactional") return false;
  if (messageClass === "service") return newestConsent?.granted === false;
  return newestConsent?.granted !== true;
}

export function decideContact(input: ContactInput): ContactDecision {
  const { now, messageClass } = input;
  const transactional = messageClass === "transactional";
  if (input.suppressed && (!transactional || HARD_SUPPRESSIONS.has(input.suppressed.reason))) {
    return { action: "suppress", reason: suppressionWords(input.suppressed.reason) };
  }
  if (transactional) return { action: "send" };
  if (input.optedOut) return { action: "suppress", reason: REASONS.optedOut };
  const staleAt = input.staleAt ?? null;
  if (staleAt && now.getTime() >= staleAt.getTime()) {
    return { action: "suppress", reason: REASONS.stale };
  }
  if (messageClass === "service") return { action: "send" };

  let until: Date | null = null;
  let reason: string | null = null;
  const capFree =
    messageClass === "reply"
      ? null
      : capFreeAt({
          now,
          sentInWindow: input.sentInWindow,
          weeklyCap: input.weeklyCap,
        });
  if (capFree === "never") return { action: "suppress", reason: REASONS.weeklyLimit };
  if (capFree) {
    until = capFree;
    reason = REASONS.weeklyLimit;
  }
  const quietEnd = quietHoursEnd({
    at: until ?? now,
    timeZone: usableTimeZone(input.person.timezone),
    quietHours: input.quietHours,
  });
  if (quietEnd) {
    until = quietEnd;
    reason ??= REASONS.quietHours;
  }
  if (!until || !reason) return { action: "send" };
  if (staleAt && until.getTime() >= staleAt.getTime()) {
    return {
      action: "suppress",
      reason: reason === REASONS.weeklyLimit ? REASONS.weeklyLimit : REASONS.staleAfterQuietHours,
    };
  }
  return { action: "hold", until, reason };
}

/**
 * When the person is next under the cap: null if they are now, "never" for a cap of 0. With n
 * nudges in the window and a cap of c, the (n - c + 1)th oldest must leave it.
 */
export function capFreeAt({
  now,
  sentInWindow,
  weeklyCap,
}: {
  now: Date;
  sentInWindow: readonly Date[];
  weeklyCap: number;
}): Date | null | "never" {
  const from = now.getTime() - CAP_WINDOW_MS;
  const times = sentInWindow
    .map((date) => date.getTime())
    .filter((time) => time > from && time <= now.getTime())
    .sort((a, b) => a - b);
  if (times.length < weeklyCap) return null;
  if (weeklyCap <= 0) return "never";
  const leaving = times[times.length - weeklyCap];
  return leaving === undefined ? null : new Date(leaving + CAP_WINDOW_MS);
}

// --- Time zones and quiet hours ---------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string) {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string | null | undefined): timeZone is string {
  if (!timeZone) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function usableTimeZone(timeZone: string | null | undefined): string {
  return isValidTimeZone(timeZone) ? timeZone : DEFAULT_TIMEZONE;
}

type WallClock = { year: number; month: number; day: number; minutes: number };

/** The local date and minute of the day of an instant in a timezone. */
export function wallClock(at: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    minutes: (parts.hour ?? 0) * 60 + (parts.minute ?? 0),
  };
}

/** Minutes the zone is ahead of UTC at an instant (+60 for London in summer). */
function offsetMinutes(epochMs: number, timeZone: string): number {
  const minute = Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
  const wall = wallClock(new Date(minute), timeZone);
  return (Date.UTC(wall.year, wall.month - 1, wall.day, 0, wall.minutes) - minute) / MINUTE_MS;
}

/**
 * The instant a local wall-clock time happens. A time skipped by a spring-forward change resolves
 * to the same distance after the gap (01:30 → 02:30); a repeated one to one of its two instants.
 */
export function zonedInstant(local: WallClock, timeZone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes);
  let guess = wall - offsetMinutes(wall, timeZone) * MINUTE_MS;
  guess = wall - offsetMinutes(guess, timeZone) * MINUTE_MS;
  return new Date(guess);
}

export function parseClockTime(value: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) return null;
  return Number(match[1]) * 60 + Number(match[2]);
}

function inWindow(minutes: number, start: number, end: number) {
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/**
 * If `at` falls inside the quiet hours in `timeZone`, the instant they end; otherwise null. The
 * window is [start, end) in local time, crossing midnight when start > end. Malformed times or
 * start = end mean no quiet hours.
 */
export function quietHoursEnd({
  at,
  timeZone,
  quietHours,
}: {
  at: Date;
  timeZone: string;
  quietHours: { start: string; end: string };
}): Date | null {
  const start = parseClockTime(quietHours.start);
  const end = parseClockTime(quietHours.end);
  if (start === null || end === null || start === end) return null;
  const local = wallClock(at, timeZone);
  if (!inWindow(local.minutes, start, end)) return null;
  // Started yesterday evening and ends this morning, or starts this evening and ends tomorrow.
  const endsTomorrow = start > end && local.minutes >= start;
  const day = new Date(Date.UTC(local.year, local.month - 1, local.day + (endsTomorrow ? 1 : 0)));
  const until = zonedInstant(
    {
      year: day.getUTCFullYear(),
      month: day.getUTCMonth() + 1,
      day: day.getUTCDate(),
      minutes: end,
    },
    timeZone,
  );
  if (until.getTime() > at.getTime()) return until;
  // Only in a repeated autumn hour can the wall-clock end resolve to the past: count forward.
  const minutesLeft = (end - local.minutes + 24 * 60) % (24 * 60) || 24 * 60;
  return new Date(at.getTime() + minutesLeft * MINUTE_MS);
}
