import { describe, expect, it } from "vitest";
import { dueWords, formatNumber } from "./format";

describe("dueWords", () => {
  const now = new Date("2026-11-25T10:00:00Z");
  it("speaks of days in the person's timezone", () => {
    expect(dueWords(new Date("2026-11-25T20:00:00Z"), now)).toBe("Due today");
    expect(dueWords(new Date("2026-11-26T09:00:00Z"), now)).toBe(
      "Due tomorrow (Thursday 26 November)",
    );
    expect(dueWords(new Date("2026-11-28T09:00:00Z"), now)).toBe(
      "Due in 3 days (Saturday 28 November)",
    );
    expect(dueWords(new Date("2026-12-09T09:00:00Z"), now)).toBe("Due by Wednesday 9 December");
    expect(dueWords(new Date("2026-11-23T09:00:00Z"), now)).toBe(
      "Overdue since Monday 23 November",
    );
  });
  it("crosses midnight by the local clock, not UTC", () => {
    // 23:30 in London on the 25th is still "today"; in Tokyo it is already the 26th.
    const lateEvening = new Date("2026-11-25T23:30:00Z");
    expect(dueWords(lateEvening, now, "Europe/London")).toBe("Due today");
    expect(dueWords(lateEvening, now, "Asia/Tokyo")).toBe("Due tomorrow (Thursday 26 November)");
  });
});

describe("formatNumber", () => {
  it("groups thousands", () => {
    expect(formatNumber(1204)).toBe("1,204");
  });
});
