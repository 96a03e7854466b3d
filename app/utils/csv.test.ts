import { describe, expect, it } from "vitest";
import { CSV_BOM, csvCell, csvRow, parseCsv } from "./csv.ts";

describe("csvCell", () => {
  it("leaves plain text, numbers and empties alone", () => {
    expect(csvCell("Leeds")).toBe("Leeds");
    expect(csvCell("Café ✊🏽")).toBe("Café ✊🏽");
    expect(csvCell(12)).toBe("12");
    expect(csvCell(12.5)).toBe("12.5");
    expect(csvCell(0)).toBe("0");
    expect(csvCell(10n)).toBe("10");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell("")).toBe("");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe("");
  });

  it("writes yes/no questions as yes and no", () => {
    expect(csvCell(true)).toBe("yes");
    expect(csvCell(false)).toBe("no");
  });

  it("quotes cells with commas, quotes and line breaks, doubling the quotes (RFC 4180)", () => {
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line 1\nline 2")).toBe('"line 1\nline 2"');
    expect(csvCell("line 1\r\nline 2")).toBe('"line 1\r\nline 2"');
    expect(csvCell('"')).toBe('""""');
  });

  it("defuses text that a spreadsheet would run as a formula", () => {
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell("+44 7700")).toBe("'+44 7700");
    expect(csvCell("-5 doors")).toBe("'-5 doors");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tcmd")).toBe("'\tcmd");
    expect(csvCell("\r=cmd")).toBe('"\'\r=cmd"');
    expect(csvCell('=HYPERLINK("http://x","click")')).toBe(
      '"\'=HYPERLINK(""http://x"",""click"")"',
    );
    // Only the start counts; and numbers stay numbers, negative ones included.
    expect(csvCell("1=1")).toBe("1=1");
    expect(csvCell("a-b")).toBe("a-b");
    expect(csvCell(-5)).toBe("-5");
  });
});

describe("csvRow", () => {
  it("joins cells with commas and ends with CRLF", () => {
    expect(csvRow(["a", 1, null, "b,c", true])).toBe('a,1,,"b,c",yes\r\n');
    expect(csvRow([])).toBe("\r\n");
  });
});

describe("parseCsv", () => {
  it("reads back what csvRow writes, BOM and all", () => {
    const hostile = ['=HYPERLINK("http://x")', "a,b", 'say "hi"', "two\nlines", "emoji 🎉", ""];
    const text = CSV_BOM + csvRow(["h1", "h2", "h3", "h4", "h5", "h6"]) + csvRow(hostile);
    expect(parseCsv(text)).toEqual([
      ["h1", "h2", "h3", "h4", "h5", "h6"],
      ["'" + hostile[0], "a,b", 'say "hi"', "two\nlines", "emoji 🎉", ""],
    ]);
  });

  it("reads a last record without a line end", () => {
    expect(parseCsv("a,b\r\nc,d")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });
});
