/**
 * The arithmetic behind the organiser reports, kept apart from the database so it can be tested
 * on its own: rates, the funnel, the forecast, skip reasons, outlier limits and the cohort table.
 */

/** A share from 0 to 1, or null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** "42%" (whole per cent), or "–" when there is no rate. */
export function formatRate(value: number | null): string {
  return value === null ? "–" : `${Math.round(value * 100)}%`;
}

export type FunnelCounts = {
  joined: number;
  assigned: number;
  firstReport: number;
  secondReport: number;
  active: number;
};

export const FUNNEL_STEPS: ReadonlyArray<{ key: keyof FunnelCounts; label: string }> = [
  { key: "joined", label: "Joined" },
  { key: "assigned", label: "Given a first task" },
  { key: "firstReport", label: "Reported back once" },
  { key: "secondReport", label: "Reported back twice" },
  { key: "active", label: "Still active (a report in the last 14 days)" },
];

/** Each step with its share of the step before and of everyone who joined. */
export function funnelSteps(counts: FunnelCounts) {
  return FUNNEL_STEPS.map((step, index) => {
    const count = counts[step.key];
    const previous = index === 0 ? null : counts[FUNNEL_STEPS[index - 1]!.key];
    return {
      ...step,
      count,
      fromPrevious: previous === null ? null : rate(count, previous),
      fromJoined: rate(count, counts.joined),
    };
  });
}

/** Upper edges, in hours, of the time-to-report buckets the database keeps (see the migration). */
export const REPORT_HOURS_EDGES = [1, 6, 24, 48, 72, 168, 336] as const;
const BUCKET_WORDS = [
  "under an hour",
  "1 to 6 hours",
  "6 to 24 hours",
  "1 to 2 days",
  "2 to 3 days",
  "3 to 7 days",
  "1 to 2 weeks",
  "over 2 weeks",
];

/** The bucket the middle report falls in, in words ("1 to 2 days"), or null with no reports. */
export function medianBucket(histogram: readonly number[]): string | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  // The lower median, so that with two reports the faster one decides, as percentile_disc would.
  const middle = Math.ceil(total / 2);
  let seen = 0;
  for (const [index, count] of histogram.entries()) {
    seen += count;
    if (seen >= middle) return BUCKET_WORDS[index] ?? null;
  }
  return null;
}

export type DayPoint = { day: string; value: number };

/** Running totals of daily values, in day order. */
export function cumulative(points: readonly DayPoint[]): DayPoint[] {
  let total = 0;
  return [...points]
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
    .map((point) => ({ day: point.day, value: (total += point.value) }));
}

function dayNumber(day: string) {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}

export function addDays(day: string, days: number): string {
  return new Date((dayNumber(day) + days) * 86_400_000).toISOString().slice(0, 10);
}

export type Forecast =
  | { kind: "reached"; day: string }
  | { kind: "forecast"; day: string; perDay: number }
  | { kind: "none"; why: string };

/** Days of recent progress the forecast's rate is taken over. */
export const FORECAST_WINDOW_DAYS = 28;

/**
 * When the target is reached at the current rate: the average daily gain over the last 28 days
 * (or since the first report, if that is more recent), carried on from today's total.
 */
export function forecastTarget({
  daily,
  target,
  today,
}: {
  daily: readonly DayPoint[];
  target: number;
  today: string;
}): Forecast {
  const running = cumulative(daily.filter((point) => point.day <= today));
  const total = running.at(-1)?.value ?? 0;
  if (target <= 0) return { kind: "none", why: "The campaign has no target to forecast." };
  const reached = running.find((point) => point.value >= target);
  if (reached) return { kind: "reached", day: reached.day };
  const first = running.find((point) => point.value > 0);
  if (!first) return { kind: "none", why: "There are no results yet, so we can't forecast." };
  const windowStart = addDays(today, -(FORECAST_WINDOW_DAYS - 1));
  const start = first.day > windowStart ? first.day : windowStart;
  const before = running.filter((point) => point.day < start).at(-1)?.value ?? 0;
  const days = dayNumber(today) - dayNumber(start) + 1;
  const perDay = (total - before) / days;
  if (days < 3) {
    return { kind: "none", why: "Results began less than 3 days ago: too soon to forecast." };
  }
  if (perDay <= 0) {
    return {
      kind: "none",
      why: `Nothing was added in the last ${FORECAST_WINDOW_DAYS} days, so we can't forecast.`,
    };
  }
  return { kind: "forecast", day: addDays(today, Math.ceil((target - total) / perDay)), perDay };
}

/** A skip reason reduced to its words: lower case, no punctuation, single spaces. */
export function normaliseSkipReason(reason: string): string {
  const words = reason
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
  return words === "" ? "(no reason given)" : words;
}

/**
 * Reasons that say the same thing once normalised, counted together, most common first. The
 * label shown is the most common original spelling.
 */
export function groupSkipReasons(rows: ReadonlyArray<{ reason: string | null; count: number }>) {
  const groups = new Map<string, { total: number; spellings: Map<string, number> }>();
  for (const row of rows) {
    const text = (row.reason ?? "").trim();
    const key = normaliseSkipReason(text);
    const group = groups.get(key) ?? { total: 0, spellings: new Map<string, number>() };
    group.total += row.count;
    group.spellings.set(text, (group.spellings.get(text) ?? 0) + row.count);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      const [label] = [...group.spellings.entries()].sort(
        (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
      )[0] ?? [key];
      return { reason: label === "" ? "(no reason given)" : label, count: group.total };
    })
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** Tukey's far-out fence: values above Q3 + 3 × IQR are worth a second look. */
export function outlierLimit({ q1, q3 }: { q1: number; q3: number }): number {
  return q3 + 3 * (q3 - q1);
}

/** Quartiles as PostgreSQL's percentile_cont computes them (linear between ranks). */
export function quartiles(values: readonly number[]): { q1: number; q3: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => {
    const rank = p * (sorted.length - 1);
    const low = Math.floor(rank);
    const high = Math.ceil(rank);
    return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
  };
  return { q1: at(0.25), q3: at(0.75) };
}

/**
 * A volunteer sending this many reports within this many minutes is flagged for a check. The
 * trigger Report_burst (migration 20261125160000_report_performance) marks such reports as they are
 * stored, with these numbers written into it: change both together.
 */
export const BURST_REPORTS = 3;
export const BURST_MINUTES = 10;

/** Fewer values than this and a task's usual range isn't known well enough to flag anything. */
export const OUTLIER_MIN_VALUES = 8;

export type CohortRow = {
  /** Monday of the week people joined, YYYY-MM-DD. */
  week: string;
  joined: number;
  /** reported[k]: how many of them reported in week k after the week they joined (k = 0 first). */
  reported: number[];
};

/**
 * The retention table: one row per sign-up week, the share who reported in each week since,
 * and null for weeks that haven't happened yet (on `today`).
 */
export function cohortTable({
  rows,
  weeks,
  today,
}: {
  rows: readonly CohortRow[];
  weeks: number;
  today: string;
}) {
  const thisWeek = dayNumber(mondayOf(today));
  return [...rows]
    .sort((a, b) => (a.week < b.week ? -1 : 1))
    .map((row) => {
      const elapsed = Math.floor((thisWeek - dayNumber(row.week)) / 7);
      return {
        week: row.week,
        joined: row.joined,
        shares: Array.from({ length: weeks }, (_, k) =>
          k > elapsed ? null : rate(row.reported[k] ?? 0, row.joined),
        ),
      };
    });
}

/** Monday of the week of a YYYY-MM-DD day. */
export function mondayOf(day: string): string {
  const weekday = (dayNumber(day) + 3) % 7; // 1970-01-01 was a Thursday; 0 = Monday.
  return addDays(day, -weekday);
}
