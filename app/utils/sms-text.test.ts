import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitSms, isGsmCharacter, smsSegments, toGsm } from "~/utils/sms-text.ts";

describe("smsSegments", () => {
  it("counts an empty text as no parts", () => {
    expect(smsSegments("")).toEqual({ encoding: "GSM-7", segments: 0, length: 0 });
  });

  it("fits 160 GSM-7 characters in one part and splits at 153 after that", () => {
    expect(smsSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", segments: 1, length: 160 });
    expect(smsSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", segments: 2, length: 161 });
    expect(smsSegments("a".repeat(306)).segments).toBe(2);
    expect(smsSegments("a".repeat(307)).segments).toBe(3);
  });

  it("counts extension-table characters as two", () => {
    expect(smsSegments("€")).toEqual({ encoding: "GSM-7", segments: 1, length: 2 });
    expect(smsSegments("{}[]~^|\\")).toMatchObject({ encoding: "GSM-7", length: 16 });
    expect(smsSegments("€".repeat(80)).segments).toBe(1);
    expect(smsSegments(`${"€".repeat(80)}a`).segments).toBe(2);
  });

  it("never splits an extension character across two parts", () => {
    // 152 plain characters then "€": the escape and the euro sign go to part 2 together.
    const text = `${"a".repeat(152)}€${"a".repeat(152)}`;
    expect(smsSegments(text)).toMatchObject({ length: 306, segments: 3 });
  });

  it("uses UCS-2 as soon as one character is outside GSM-7, at 70 and then 67", () => {
    expect(smsSegments("Thanks ’")).toMatchObject({ encoding: "UCS-2", segments: 1, length: 8 });
    expect(smsSegments("ж".repeat(70)).segments).toBe(1);
    expect(smsSegments("ж".repeat(71)).segments).toBe(2);
    expect(smsSegments("ж".repeat(134)).segments).toBe(2);
    expect(smsSegments("ж".repeat(135)).segments).toBe(3);
  });

  it("counts an emoji as two UTF-16 units and keeps its halves together", () => {
    expect(smsSegments("👍")).toEqual({ encoding: "UCS-2", segments: 1, length: 2 });
    expect(smsSegments(`${"a".repeat(66)}👍${"a".repeat(66)}`).segments).toBe(3);
  });

  it("knows the GSM alphabet's less obvious members and non-members", () => {
    for (const character of ["@", "£", "é", "Ñ", "ß", "Δ", "¿", "\n", "€"]) {
      expect(isGsmCharacter(character)).toBe(true);
    }
    for (const character of ["`", "’", "–", "…", "\u00a0", "á", "ç", "👍"]) {
      expect(isGsmCharacter(character)).toBe(false);
    }
  });
});

describe("toGsm", () => {
  it("replaces curly quotes, dashes, the ellipsis and odd spaces", () => {
    expect(toGsm("“You’re in” – thanks… see you\u00a0soon — Sam")).toBe(
      '"You\'re in" - thanks... see you soon - Sam',
    );
  });

  it("takes accents GSM lacks off letters but keeps those it has", () => {
    expect(toGsm("Zoë, Chloé, José, François, Ñandú")).toBe("Zoe, Chloé, José, FranÇois, Ñandu");
  });

  it("keeps what has no GSM equivalent, so the text goes as UCS-2", () => {
    expect(toGsm("Great work 👍")).toBe("Great work 👍");
    expect(smsSegments(toGsm("Great work 👍")).encoding).toBe("UCS-2");
  });
});

describe("fitSms", () => {
  it("leaves a short text alone apart from making it GSM-7", () => {
    expect(fitSms("It’s done – thanks!", { maxSegments: 1 })).toBe("It's done - thanks!");
  });

  it("keeps a text GSM-7 that would otherwise have gone as UCS-2 in more parts", () => {
    const text = `Your next task: “Knock on 20 doors” – ${"due soon ".repeat(6)}`;
    expect(smsSegments(text)).toMatchObject({ encoding: "UCS-2", segments: 2 });
    const fitted = fitSms(text, { maxSegments: 1 });
    expect(smsSegments(fitted)).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(fitted.endsWith("...")).toBe(false);
  });

  it("cuts a long text on a word boundary with ...", () => {
    const text = "Please knock on twenty doors in your street this week. ".repeat(6);
    const fitted = fitSms(text, { maxSegments: 1 });
    expect(smsSegments(fitted)).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(fitted.endsWith("...")).toBe(true);
    expect(fitted.length).toBeGreaterThan(140);
    expect(text.startsWith(fitted.slice(0, -3))).toBe(true);
    expect(fitted.slice(0, -3)).toMatch(/[a-z]$/);
  });

  it("fits UCS-2 text too without breaking an emoji in half", () => {
    const fitted = fitSms("👍".repeat(100), { maxSegments: 1 });
    expect(smsSegments(fitted).segments).toBe(1);
    expect(fitted).toBe(`${"👍".repeat(33)}...`);
  });

  it("always fits the parts it is given, whatever the text", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 800 }),
        fc.integer({ min: 1, max: 4 }),
        (text, max) => {
          const fitted = fitSms(text, { maxSegments: max });
          expect(smsSegments(fitted).segments).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 200 },
    );
  });
});
