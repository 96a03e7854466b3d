import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mondayOf, weeksInARow } from "./streak";

describe("mondayOf", () => {
  it("gives the Monday that starts the week", () => {
    expect(mondayOf("2026-12-07")).toBe("2026-12-07"); // a Monday
    expect(mondayOf("2026-12-13")).toBe("2026-12-07"); // the Sunday after
    expect(mondayOf("2026-12-06")).toBe("2026-11-30"); // the Sunday before
    expect(mondayOf("2027-01-01")).toBe("2026-12-28"); // across a new year
  });
});

describe("weeksInARow", () => {
  const today = "2026-12-09"; // a Wednesday; its week starts 7 December
  it("counts back from this week when it has a report", () => {
    expect(weeksInARow(["2026-12-07", "2026-11-30", "2026-11-23"], today)).toEqual({
      weeks: 3,
      thisWeek: true,
    });
  });
  it("still counts last week's streak while this week has no report yet", () => {
    expect(weeksInARow(["2026-11-30", "2026-11-23"], today)).toEqual({
      weeks: 2,
      thisWeek: false,
    });
  });
  it("stops at the first week without a report", () => {
    expect(weeksInARow(["2026-12-07", "2026-11-30", "2026-11-16", "2026-11-09"], today)).toEqual({
      weeks: 2,
      thisWeek: true,
    });
  });
  it("is over when neither this week nor last week has a report", () => {
    expect(weeksInARow(["2026-11-23", "2026-11-16"], today)).toEqual({
      weeks: 0,
      thisWeek: false,
    });
    expect(weeksInARow([], today)).toEqual({ weeks: 0, thisWeek: false });
  });
  it("runs across a new year", () => {
    expect(weeksInARow(["2027-01-04", "2026-12-28", "2026-12-21"], "2027-01-05").weeks).toBe(3);
  });
  it("never counts more weeks than there are, nor weeks out of order", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 })), (weeksAgo) => {
        const monday = (ago: number) =>
          new Date(Date.parse("2026-12-07T00:00:00Z") - ago * 7 * 86_400_000)
            .toISOString()
            .slice(0, 10);
        const streak = weeksInARow(weeksAgo.map(monday), today);
        const has = new Set(weeksAgo);
        const start = has.has(0) ? 0 : 1;
        let expected = 0;
        while (has.has(start + expected)) expected += 1;
        expect(streak).toEqual({ weeks: expected, thisWeek: has.has(0) });
      }),
    );
  });
});
