import { describe, expect, it } from "vitest";
import { NO_FILTERS, filtersToSearch, parseReportFilters } from "./filters.ts";

describe("report filters", () => {
  it("reads every filter and writes them back in a fixed order", () => {
    const { filters, problems } = parseReportFilters(
      new URLSearchParams("task=abc_1&channel=SMS&area=ls6&to=2026-10-31&from=2026-10-01"),
    );
    expect(problems).toEqual([]);
    expect(filters).toEqual({
      from: "2026-10-01",
      to: "2026-10-31",
      area: "LS6",
      channel: "SMS",
      taskId: "abc_1",
    });
    expect(filtersToSearch(filters)).toBe(
      "?from=2026-10-01&to=2026-10-31&area=LS6&channel=SMS&task=abc_1",
    );
  });

  it("drops bad values with a plain message, and swaps dates the wrong way round", () => {
    const { filters, problems } = parseReportFilters(
      new URLSearchParams("from=2026-10-31&to=2026-10-01&area=nowhere&channel=FAX&task=a%20b"),
    );
    expect(filters).toEqual({ ...NO_FILTERS, from: "2026-10-01", to: "2026-10-31" });
    expect(problems).toEqual([
      "The dates were the wrong way round, so we swapped them.",
      "The area wasn't a postcode district (like LS6), so it was left out.",
      "The channel wasn't one we know, so it was left out.",
      "The task wasn't one we know, so it was left out.",
    ]);
    expect(parseReportFilters(new URLSearchParams("from=31/10/2026")).problems).toEqual([
      "The start date wasn't a date, so it was left out.",
    ]);
  });

  it("treats empty fields (an unfilled GET form) as no filter", () => {
    const { filters, problems } = parseReportFilters(
      new URLSearchParams("from=&to=&area=&channel=&task="),
    );
    expect(filters).toEqual(NO_FILTERS);
    expect(problems).toEqual([]);
    expect(filtersToSearch(filters)).toBe("");
  });
});
