import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CumulativeLineChart, dayTicks } from "./charts";

function chart(points: Array<{ day: string; value: number }>) {
  return renderToStaticMarkup(
    <CumulativeLineChart
      id="outcome"
      title="Doors knocked, running total by day"
      summary="The total so far."
      points={points}
      target={5000}
      unit="doors"
    />,
  );
}

/** The bottom axis's labels, in order (the left axis's are figures). */
function dayLabels(svg: string) {
  return [...svg.matchAll(/<tspan[^>]*>(\d{1,2} [A-Z][a-z]{2})<\/tspan>/g)].map((m) => m[1]);
}

describe("dayTicks", () => {
  it("labels whole days, each once, evenly spaced, ending on the last", () => {
    expect(dayTicks(0, 1)).toEqual([0, 1]);
    expect(dayTicks(0, 3)).toEqual([0, 1, 2, 3]);
    expect(dayTicks(0, 8)).toEqual([0, 2, 4, 6, 8]);
    expect(dayTicks(0, 30)).toEqual([0, 8, 16, 24, 30]);
    // A last day close to the tick before it takes that tick's place.
    expect(dayTicks(0, 9)).toEqual([0, 3, 6, 9]);
    expect(dayTicks(0, 13)).toEqual([0, 4, 8, 13]);
  });
});

describe("CumulativeLineChart", () => {
  it("labels each day once on a chart of one day, and draws that day's total as a dot", () => {
    const svg = chart([{ day: "2026-12-07", value: 98 }]);
    expect(dayLabels(svg)).toEqual(["7 Dec", "8 Dec"]);
    expect(svg).toContain("<circle");
  });

  it("labels days across a month without repeats, and puts the figures left of their axis", () => {
    const svg = chart([
      { day: "2026-11-01", value: 10 },
      { day: "2026-11-15", value: 400 },
      { day: "2026-12-01", value: 900 },
    ]);
    const labels = dayLabels(svg);
    expect(labels[0]).toBe("1 Nov");
    expect(labels.at(-1)).toBe("1 Dec");
    expect(new Set(labels).size).toBe(labels.length);
    expect(svg).not.toContain("<circle");
    // The figures end just before the axis line instead of running over it.
    expect(svg).toMatch(/text-anchor="end"[^>]*>(?:<tspan[^>]*>)?5,000/);
  });
});
