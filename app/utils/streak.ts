/**
 * A volunteer's streak: how many weeks in a row, Monday to Sunday by their own clock, they have
 * reported back at least once. A week without a report yet doesn't end it until the week is over,
 * so on a Monday last week's streak still stands, waiting for this week's report.
 */

const DAY_MS = 86_400_000;

/** The Monday that starts the week of a "YYYY-MM-DD" day, in the same form. */
export function mondayOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

function weekBefore(monday: string): string {
  return new Date(Date.parse(`${monday}T00:00:00Z`) - 7 * DAY_MS).toISOString().slice(0, 10);
}

export type Streak = {
  /** Weeks in a row with a report, up to this week or, if none yet this week, last week. */
  weeks: number;
  /** Whether this week already has a report. */
  thisWeek: boolean;
};

/**
 * The streak, given the Mondays (by the person's clock) of the weeks in which they reported, in
 * any order, and today's day by the same clock.
 */
export function weeksInARow(reportedWeeks: Iterable<string>, today: string): Streak {
  const weeks = new Set(reportedWeeks);
  const current = mondayOf(today);
  const thisWeek = weeks.has(current);
  let week = thisWeek ? current : weekBefore(current);
  let count = 0;
  while (weeks.has(week)) {
    count += 1;
    week = weekBefore(week);
  }
  return { weeks: count, thisWeek };
}
