import { Form, Link } from "@remix-run/react";
import { FilterSelect, taskOptions } from "~/components/filter-select";
import { CHANNELS, filtersToSearch, type ReportFilters } from "~/reports/filters.ts";

export const CHANNEL_WORDS = { EMAIL: "Email", SMS: "Text", BOTH: "Email and text" } as const;

const longDay = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});

/** "3 November 2026" for a YYYY-MM-DD day. */
export function formatLongDay(day: string) {
  return longDay.format(new Date(`${day}T00:00:00Z`));
}

/** What the filters select, in words: "From 1 November 2026, in LS6, by text." */
export function describeFilters(filters: ReportFilters, taskTitle: string | null) {
  const parts: string[] = [];
  if (filters.from && filters.to) {
    parts.push(`${formatLongDay(filters.from)} to ${formatLongDay(filters.to)}`);
  } else if (filters.from) parts.push(`From ${formatLongDay(filters.from)}`);
  else if (filters.to) parts.push(`Up to ${formatLongDay(filters.to)}`);
  if (filters.area) parts.push(`in ${filters.area}`);
  if (filters.channel)
    parts.push(`people who chose ${CHANNEL_WORDS[filters.channel].toLowerCase()}`);
  if (taskTitle) parts.push(`task “${taskTitle}”`);
  return parts.length ? `Showing: ${parts.join(", ")}.` : "Showing everything.";
}

/**
 * The report filters as a GET form, so every view is a link that can be shared and works
 * without JavaScript. `hidden` carries fields to keep (like ?org=).
 */
export function ReportFilterForm({
  filters,
  tasks,
  hidden = {},
  clearTo,
  timeZone,
}: {
  filters: ReportFilters;
  tasks: ReadonlyArray<{ id: string; title: string }> | null;
  hidden?: Record<string, string>;
  clearTo: string;
  timeZone: string;
}) {
  return (
    // Keyed by the filters so the fields show the values as read ("ls7" comes back as "LS7").
    <Form key={filtersToSearch(filters)} method="get" aria-label="Filters" className="filters">
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <p className="hint">Dates are days in {timeZone} time, both included.</p>
      <div className="report-filters">
        <div className="field">
          <label htmlFor="filter-from">From</label>
          <input id="filter-from" type="date" name="from" defaultValue={filters.from ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="filter-to">To</label>
          <input id="filter-to" type="date" name="to" defaultValue={filters.to ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="filter-area">Area</label>
          <span className="hint" id="filter-area-hint">
            A postcode district, like LS6
          </span>
          <input
            id="filter-area"
            type="text"
            name="area"
            defaultValue={filters.area ?? ""}
            aria-describedby="filter-area-hint"
            autoComplete="off"
            className="input--number"
          />
        </div>
        <div className="field">
          <label htmlFor="filter-channel">Contact by</label>
          <select id="filter-channel" name="channel" defaultValue={filters.channel ?? ""}>
            <option value="">Anyone</option>
            {CHANNELS.map((channel) => (
              <option key={channel} value={channel}>
                {CHANNEL_WORDS[channel]}
              </option>
            ))}
          </select>
        </div>
        {tasks ? (
          <FilterSelect
            id="filter-task"
            name="task"
            label="Task"
            anyLabel="Every task"
            defaultValue={filters.taskId}
            options={taskOptions(tasks)}
          />
        ) : null}
      </div>
      <div className="actions">
        <button type="submit" className="button">
          Show figures
        </button>
        <Link to={clearTo}>Clear filters</Link>
      </div>
    </Form>
  );
}
