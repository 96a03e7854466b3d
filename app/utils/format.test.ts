import { describe, expect, it } from "vitest";
import {
  dueWords,
  formatDate,
  formatDateTime,
  formatFullDateTime,
  formatNumber,
  localDay,
} from "./format";

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

describe("formatDateTime and formatDate", () => {
  const at = new Date("2026-11-25T21:30:00Z");
  it("read the time by the given clock", () => {
    expect(formatDateTime(at)).toBe("25 November at 21:30");
    expect(formatDateTime(at, "America/New_York")).toBe("25 November at 16:30");
    expect(formatDateTime(at, "Pacific/Auckland")).toBe("26 November at 10:30");
    expect(formatDate(at, "Pacific/Auckland")).toBe("26 November 2026");
    expect(formatFullDateTime(at, "America/New_York")).toBe("25 November 2026 at 16:30");
  });
  it("fall back to UK time for a missing or unknown timezone", () => {
    for (const zone of [null, undefined, "", "Mars/Olympus_Mons"]) {
      expect(formatDateTime(at, zone)).toBe("25 November at 21:30");
      expect(formatDate(at, zone)).toBe("25 November 2026");
    }
  });
});

describe("localDay", () => {
  it("is the day by the person's clock, not UTC's", () => {
    // 23:30 UTC on Sunday 6 December: still Sunday in London, already Monday in Auckland.
    const at = new Date("2026-12-06T23:30:00Z");
    expect(localDay(at, "Europe/London")).toBe("2026-12-06");
    expect(localDay(at, "Pacific/Auckland")).toBe("2026-12-07");
  });
});
