import { describe, expect, it } from "vitest";
import {
  cohortTable,
  cumulative,
  forecastTarget,
  funnelSteps,
  groupSkipReasons,
  medianBucket,
  mondayOf,
  normaliseSkipReason,
  outlierLimit,
  quartiles,
  rate,
} from "./compute.ts";

describe("rates and the funnel", () => {
  it("divides, or says there is nothing to divide by", () => {
    expect(rate(1, 4)).toBe(0.25);
    expect(rate(0, 0)).toBeNull();
  });

  it("gives each step its share of the step before and of everyone who joined", () => {
    const steps = funnelSteps({
      joined: 10,
      assigned: 8,
      firstReport: 4,
      secondReport: 1,
      active: 0,
    });
    expect(steps.map((s) => [s.key, s.count, s.fromPrevious, s.fromJoined])).toEqual([
      ["joined", 10, null, 1],
      ["assigned", 8, 0.8, 0.8],
      ["firstReport", 4, 0.5, 0.4],
      ["secondReport", 1, 0.25, 0.1],
      ["active", 0, 0, 0],
    ]);
  });
});

describe("time to report", () => {
  it("names the bucket of the middle report (the lower one of two)", () => {
    expect(medianBucket([])).toBeNull();
    expect(medianBucket([0, 0, 0, 0, 0, 0, 0, 0])).toBeNull();
    expect(medianBucket([2, 0, 1, 1, 0, 0, 0, 0])).toBe("under an hour");
    expect(medianBucket([1, 0, 1, 1, 0, 0, 0, 0])).toBe("6 to 24 hours");
    expect(medianBucket([0, 0, 0, 0, 0, 0, 0, 3])).toBe("over 2 weeks");
  });
});

describe("the forecast", () => {
  const daily = [
    { day: "2026-07-09", value: 30 },
    { day: "2026-07-02", value: 30 },
  ];
  it("runs totals in day order", () => {
    expect(cumulative(daily)).toEqual([
      { day: "2026-07-02", value: 30 },
      { day: "2026-07-09", value: 60 },
    ]);
  });

  it("carries on the rate since the first result", () => {
    expect(forecastTarget({ daily, target: 100, today: "2026-07-20" })).toEqual({
      kind: "forecast",
      day: "2026-08-02",
      perDay: 60 / 19,
    });
  });

  it("uses only the last 28 days when results began earlier", () => {
    const old = [
      { day: "2026-01-01", value: 50 },
      { day: "2026-07-10", value: 28 },
    ];
    // 28 in the 28 days to 20 July: 1 a day, 22 to go.
    expect(forecastTarget({ daily: old, target: 100, today: "2026-07-20" })).toEqual({
      kind: "forecast",
      day: "2026-08-11",
      perDay: 1,
    });
  });

  it("says when the target was reached", () => {
    expect(forecastTarget({ daily, target: 50, today: "2026-07-20" })).toEqual({
      kind: "reached",
      day: "2026-07-09",
    });
  });

  it("says plainly when it can't forecast", () => {
    expect(forecastTarget({ daily: [], target: 100, today: "2026-07-20" }).kind).toBe("none");
    expect(forecastTarget({ daily, target: 0, today: "2026-07-20" })).toEqual({
      kind: "none",
      why: "The campaign has no target to forecast.",
    });
    expect(
      forecastTarget({
        daily: [{ day: "2026-07-19", value: 5 }],
        target: 100,
        today: "2026-07-20",
      }),
    ).toEqual({ kind: "none", why: "Results began less than 3 days ago: too soon to forecast." });
    expect(
      forecastTarget({
        daily: [{ day: "2026-01-01", value: 5 }],
        target: 100,
        today: "2026-07-20",
      }),
    ).toEqual({
      kind: "none",
      why: "Nothing was added in the last 28 days, so we can't forecast.",
    });
  });
});

describe("skip reasons", () => {
  it("treats case, accents, spaces and punctuation as the same reason", () => {
    expect(normaliseSkipReason("  Too   far AWAY!! ")).toBe("too far away");
    expect(normaliseSkipReason("Café closed")).toBe("cafe closed");
    expect(normaliseSkipReason("?!")).toBe("(no reason given)");
  });

  it("counts them together under the most common spelling", () => {
    expect(
      groupSkipReasons([
        { reason: "too far away!", count: 1 },
        { reason: "Too far away", count: 3 },
        { reason: "Raining", count: 2 },
        { reason: null, count: 1 },
        { reason: "", count: 1 },
      ]),
    ).toEqual([
      { reason: "Too far away", count: 4 },
      { reason: "(no reason given)", count: 2 },
      { reason: "Raining", count: 2 },
    ]);
  });
});

describe("outliers", () => {
  it("puts the fence at Q3 + 3 × IQR, with PostgreSQL's quartiles", () => {
    const q = quartiles([10, 11, 12, 13, 14, 15, 16, 17, 400]);
    expect(q).toEqual({ q1: 12, q3: 16 });
    expect(outlierLimit(q!)).toBe(28);
    expect(quartiles([1, 2])).toEqual({ q1: 1.25, q3: 1.75 });
    expect(quartiles([])).toBeNull();
  });
});

describe("the cohort table", () => {
  it("finds the Monday of a week", () => {
    expect(mondayOf("2026-07-20")).toBe("2026-07-20");
    expect(mondayOf("2026-07-19")).toBe("2026-07-13");
    expect(mondayOf("2026-07-01")).toBe("2026-06-29");
  });

  it("gives shares per week since joining, blank for weeks still to come", () => {
    expect(
      cohortTable({
        rows: [
          { week: "2026-07-13", joined: 0, reported: [0, 0, 0] },
          { week: "2026-06-29", joined: 4, reported: [2, 1, 0, 1] },
        ],
        weeks: 4,
        today: "2026-07-15",
      }),
    ).toEqual([
      { week: "2026-06-29", joined: 4, shares: [0.5, 0.25, 0, null] },
      { week: "2026-07-13", joined: 0, shares: [null, null, null, null] },
    ]);
  });
});
