import { AxisBottom, AxisLeft } from "@visx/axis";
import { Group } from "@visx/group";
import { scaleBand, scaleLinear } from "@visx/scale";
import { Bar, Line, LinePath } from "@visx/shape";
import type { ReactNode } from "react";
import { formatNumber } from "~/utils/format";

/**
 * Charts drawn on the server as plain SVG (visx), readable without JavaScript: each has a title
 * for screen readers, a sentence that says what it shows, and its numbers in a table.
 */

const WIDTH = 640;
const HEIGHT = 300;
// Room on the right for the last day's label, centred on its tick.
const MARGIN = { top: 16, right: 36, bottom: 40, left: 64 };
const INK = "#1b1b1b";
const BRAND = "#0b5c3b";
const MUTED = "#4a4a4a";

const shortDay = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});

/** "3 Nov" for a YYYY-MM-DD day. */
export function formatShortDay(day: string) {
  return shortDay.format(new Date(`${day}T00:00:00Z`));
}

function dayNumber(day: string) {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}

/**
 * Whole days from `first` to `last` for the bottom axis, about `most` of them and evenly spaced:
 * each day is labelled once, and the last day always is.
 */
export function dayTicks(first: number, last: number, most = 5): number[] {
  const step = Math.max(1, Math.ceil((last - first) / Math.max(1, most - 1)));
  const ticks: number[] = [];
  for (let day = first; day <= last; day += step) ticks.push(day);
  const end = ticks.at(-1)!;
  if (end !== last) {
    // The last day replaces a tick too close to it to label both.
    if (last - end < step / 2 && ticks.length > 1) ticks.pop();
    ticks.push(last);
  }
  return ticks;
}

function Figure({
  id,
  title,
  summary,
  table,
  children,
}: {
  id: string;
  title: string;
  summary: string;
  table: ReactNode;
  children: ReactNode;
}) {
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-summary`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>{title}</title>
        {children}
      </svg>
      <figcaption id={`${id}-summary`}>{summary}</figcaption>
      <details>
        <summary>Show the numbers</summary>
        {table}
      </details>
    </figure>
  );
}

const tickLabel = { fill: INK, fontSize: 14, fontFamily: "system-ui, sans-serif" };
// visx's own label placement, which a function of ours replaces rather than adds to.
const leftTickLabel = () => ({
  ...tickLabel,
  textAnchor: "end" as const,
  dx: "-0.4em",
  dy: "0.33em",
});
const bottomTickLabel = () => ({ ...tickLabel, textAnchor: "middle" as const, dy: "0.25em" });

/** A running total by day, with the target drawn as a dashed line. */
export function CumulativeLineChart({
  id,
  title,
  summary,
  points,
  target,
  unit,
}: {
  id: string;
  title: string;
  summary: string;
  points: ReadonlyArray<{ day: string; value: number }>;
  target: number;
  unit: string;
}) {
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const first = points[0] ? dayNumber(points[0].day) : 0;
  const last = points.at(-1) ? dayNumber(points.at(-1)!.day) : 1;
  const end = Math.max(last, first + 1);
  const x = scaleLinear<number>({ domain: [first, end], range: [0, innerWidth] });
  const top = Math.max(target, ...points.map((point) => point.value), 1);
  const y = scaleLinear<number>({ domain: [0, top], range: [innerHeight, 0], nice: true });
  const table = (
    <div className="table-wrap" role="region" aria-label={`${title}, by day`} tabIndex={0}>
      <table>
        <caption className="visually-hidden">{title}, by day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col" className="number">
              Total so far ({unit})
            </th>
          </tr>
        </thead>
        <tbody>
          {points.map((point) => (
            <tr key={point.day}>
              <td>{formatShortDay(point.day)}</td>
              <td className="number">{formatNumber(point.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return (
    <Figure id={id} title={title} summary={summary} table={table}>
      <Group left={MARGIN.left} top={MARGIN.top}>
        <Line
          from={{ x: 0, y: y(target) }}
          to={{ x: innerWidth, y: y(target) }}
          stroke={MUTED}
          strokeWidth={2}
          strokeDasharray="6 4"
        />
        <LinePath
          data={[...points]}
          x={(point) => x(dayNumber(point.day))}
          y={(point) => y(point.value)}
          stroke={BRAND}
          strokeWidth={3}
        />
        {points.length === 1 ? (
          // One day has no line to draw: its total is a dot.
          <circle cx={x(first)} cy={y(points[0]!.value)} r={5} fill={BRAND} />
        ) : null}
        <AxisLeft
          scale={y}
          numTicks={5}
          tickFormat={(value) => formatNumber(Number(value))}
          stroke={INK}
          tickStroke={INK}
          tickLabelProps={leftTickLabel}
        />
        <AxisBottom
          top={innerHeight}
          scale={x}
          tickValues={dayTicks(first, end)}
          tickFormat={(value) =>
            formatShortDay(new Date(Number(value) * 86_400_000).toISOString().slice(0, 10))
          }
          stroke={INK}
          tickStroke={INK}
          tickLabelProps={bottomTickLabel}
        />
      </Group>
    </Figure>
  );
}

/** Horizontal bars, one per step, labelled with the step's name and count. */
export function HorizontalBarChart({
  id,
  title,
  summary,
  bars,
  valueHeading,
}: {
  id: string;
  title: string;
  summary: string;
  bars: ReadonlyArray<{ label: string; value: number; note?: string }>;
  valueHeading: string;
}) {
  const innerWidth = WIDTH - 16;
  const rowHeight = (HEIGHT - 16) / Math.max(bars.length, 1);
  const y = scaleBand<number>({
    domain: bars.map((_, index) => index),
    range: [8, HEIGHT - 8],
    padding: 0.25,
  });
  const x = scaleLinear<number>({
    domain: [0, Math.max(1, ...bars.map((bar) => bar.value))],
    range: [0, innerWidth],
  });
  const table = (
    <div className="table-wrap" role="region" aria-label={title} tabIndex={0}>
      <table>
        <caption className="visually-hidden">{title}</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col" className="number">
              {valueHeading}
            </th>
            {bars.some((bar) => bar.note) ? <th scope="col">Of the step before</th> : null}
          </tr>
        </thead>
        <tbody>
          {bars.map((bar) => (
            <tr key={bar.label}>
              <th scope="row">{bar.label}</th>
              <td className="number">{formatNumber(bar.value)}</td>
              {bars.some((b) => b.note) ? <td>{bar.note ?? ""}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return (
    <Figure id={id} title={title} summary={summary} table={table}>
      {bars.map((bar, index) => {
        const top = y(index) ?? index * rowHeight;
        const height = y.bandwidth();
        return (
          <g key={bar.label}>
            <Bar
              x={8}
              y={top + height * 0.45}
              width={Math.max(2, x(bar.value))}
              height={height * 0.55}
              fill={BRAND}
            />
            <text x={8} y={top + height * 0.35} fill={INK} fontSize={15}>
              {bar.label}: {formatNumber(bar.value)}
              {bar.note ? ` (${bar.note})` : ""}
            </text>
          </g>
        );
      })}
    </Figure>
  );
}
