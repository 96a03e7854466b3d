import { parseWithZod } from "@conform-to/zod/v4";
import { describe, expect, it } from "vitest";
import {
  buildReportSchema,
  buildSkipSchema,
  formIdempotencyKey,
  reportFromForm,
} from "./report.ts";
import type { ReportField } from "./task.ts";

const KEY = "key_0123456789";

const DOORS: ReportField = {
  type: "number",
  key: "doors",
  label: "How many doors did you knock on?",
  required: true,
  min: 0,
  max: 500,
  unit: "doors",
  metricKey: "doors",
};
const CONVERSATIONS: ReportField = {
  type: "number",
  key: "conversations",
  label: "How many people did you talk to?",
  required: false,
  min: 0,
  max: 500,
};
const HOURS: ReportField = {
  type: "number",
  key: "hours",
  label: "How many hours?",
  required: false,
};
const AT_LEAST_ONE: ReportField = {
  type: "number",
  key: "team",
  label: "Team size",
  required: false,
  min: 1,
};
const AT_MOST_TEN: ReportField = {
  type: "number",
  key: "cups",
  label: "Cups of tea",
  required: false,
  max: 10,
};
const OUTCOME: ReportField = {
  type: "choice",
  key: "outcome",
  label: "How did it go?",
  required: true,
  options: ["It went well", "It was hard", "I couldn't do it"],
};
const MOOD: ReportField = {
  type: "choice",
  key: "mood",
  label: "Mood",
  required: false,
  options: ["Good", "Bad"],
};
const WOULD_LEAD: ReportField = {
  type: "yesno",
  key: "would_lead",
  label: "Would you lead a small team next time?",
  required: false,
};
const SAFE: ReportField = {
  type: "yesno",
  key: "safe",
  label: "Did you feel safe?",
  required: true,
};
const NOTES: ReportField = { type: "text", key: "notes", label: "Anything else?", required: false };
const STREET: ReportField = { type: "text", key: "street", label: "Which street?", required: true };

const ALL = [DOORS, CONVERSATIONS, OUTCOME, WOULD_LEAD, NOTES];

function parse(fields: ReportField[], input: Record<string, unknown>) {
  return buildReportSchema(fields).safeParse({ idempotencyKey: KEY, ...input });
}

function messages(result: {
  success: boolean;
  error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
}) {
  return Object.fromEntries(
    (result.error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]),
  );
}

function values(fields: ReportField[], input: Record<string, unknown>) {
  const result = parse(fields, input);
  if (!result.success) throw new Error(`expected success: ${JSON.stringify(messages(result))}`);
  return reportFromForm(fields, result.data).values;
}

describe("buildReportSchema: numbers", () => {
  it("parses integers and decimals from strings", () => {
    expect(values([DOORS], { doors: "20" })).toEqual({ doors: 20 });
    expect(values([DOORS], { doors: " 12.5 " })).toEqual({ doors: 12.5 });
    expect(values([DOORS], { doors: ".5" })).toEqual({ doors: 0.5 });
    expect(values([HOURS], { hours: "-3" })).toEqual({ hours: -3 });
    expect(values([HOURS], { hours: "1,000" })).toEqual({ hours: 1000 });
    expect(values([HOURS], { hours: "1,000,000.25" })).toEqual({ hours: 1000000.25 });
  });

  it("accepts numbers that were already coerced", () => {
    expect(values([DOORS], { doors: 7 })).toEqual({ doors: 7 });
  });

  it("accepts the boundaries and rejects just outside them", () => {
    expect(values([DOORS], { doors: "0" })).toEqual({ doors: 0 });
    expect(values([DOORS], { doors: "500" })).toEqual({ doors: 500 });
    expect(messages(parse([DOORS], { doors: "-1" }))).toEqual({
      doors: "Enter a number from 0 to 500",
    });
    expect(messages(parse([DOORS], { doors: "500.01" }))).toEqual({
      doors: "Enter a number from 0 to 500",
    });
    expect(messages(parse([DOORS], { doors: "-0.01" }))).toEqual({
      doors: "Enter a number from 0 to 500",
    });
  });

  it("words the message for a one-sided range", () => {
    expect(values([AT_LEAST_ONE], { team: "1" })).toEqual({ team: 1 });
    expect(messages(parse([AT_LEAST_ONE], { team: "0" }))).toEqual({
      team: "Enter a number of 1 or more",
    });
    expect(values([AT_MOST_TEN], { cups: "10" })).toEqual({ cups: 10 });
    expect(messages(parse([AT_MOST_TEN], { cups: "11" }))).toEqual({
      cups: "Enter a number of 10 or less",
    });
    expect(messages(parse([HOURS], { hours: "lots" }))).toEqual({
      hours: "Enter a number, like 12",
    });
  });

  it("rejects junk", () => {
    for (const junk of [
      "abc",
      "12abc",
      "1e3",
      "0x10",
      "Infinity",
      "NaN",
      "1.2.3",
      "--1",
      "1,5",
      "1,0000",
      "１２",
    ]) {
      expect(messages(parse([DOORS], { doors: junk })), junk).toEqual({
        doors: "Enter a number from 0 to 500",
      });
    }
    for (const junk of [
      ["1", "2"],
      { n: 1 },
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "9".repeat(10_000),
    ]) {
      expect(parse([DOORS], { doors: junk }).success).toBe(false);
    }
  });

  it("needs an answer when required, using the label", () => {
    expect(messages(parse([DOORS], {}))).toEqual({
      doors: "Answer: How many doors did you knock on?",
    });
    expect(messages(parse([DOORS], { doors: "" }))).toEqual({
      doors: "Answer: How many doors did you knock on?",
    });
    expect(messages(parse([DOORS], { doors: "   " }))).toEqual({
      doors: "Answer: How many doors did you knock on?",
    });
  });

  it("leaves an optional number out when missing or blank", () => {
    expect(values([CONVERSATIONS], {})).toEqual({});
    expect(values([CONVERSATIONS], { conversations: "" })).toEqual({});
    expect(values([CONVERSATIONS], { conversations: " " })).toEqual({});
    expect(messages(parse([CONVERSATIONS], { conversations: "abc" }))).toEqual({
      conversations: "Enter a number from 0 to 500",
    });
  });

  it("never gives -0", () => {
    expect(Object.is(values([HOURS], { hours: "-0" }).hours, 0)).toBe(true);
  });
});

describe("buildReportSchema: choices", () => {
  it("accepts one of the options", () => {
    expect(values([OUTCOME], { outcome: "It was hard" })).toEqual({ outcome: "It was hard" });
    expect(values([OUTCOME], { outcome: "I couldn't do it" })).toEqual({
      outcome: "I couldn't do it",
    });
    expect(values([OUTCOME], { outcome: "  It went well " })).toEqual({ outcome: "It went well" });
  });

  it("rejects an option that isn't in the list", () => {
    for (const junk of [
      "it went well",
      "Something else",
      "x".repeat(10_000),
      ["It went well", "It was hard"],
      3,
      true,
    ]) {
      expect(messages(parse([OUTCOME], { outcome: junk }))).toEqual({
        outcome: "Choose one of the options",
      });
    }
  });

  it("required vs optional", () => {
    expect(messages(parse([OUTCOME], {}))).toEqual({ outcome: "Choose one of the options" });
    expect(messages(parse([OUTCOME], { outcome: "" }))).toEqual({
      outcome: "Choose one of the options",
    });
    expect(values([MOOD], {})).toEqual({});
    expect(values([MOOD], { mood: "" })).toEqual({});
    expect(messages(parse([MOOD], { mood: "Meh" }))).toEqual({ mood: "Choose one of the options" });
  });
});

describe("buildReportSchema: yes/no", () => {
  it("reads yes and no", () => {
    expect(values([WOULD_LEAD], { would_lead: "yes" })).toEqual({ would_lead: true });
    expect(values([WOULD_LEAD], { would_lead: "no" })).toEqual({ would_lead: false });
    expect(values([WOULD_LEAD], { would_lead: "Yes" })).toEqual({ would_lead: true });
    expect(values([SAFE], { safe: false })).toEqual({ safe: false });
  });

  it("rejects anything else", () => {
    for (const junk of ["on", "true", "1", "maybe", ["yes", "no"], 1]) {
      expect(messages(parse([WOULD_LEAD], { would_lead: junk }))).toEqual({
        would_lead: "Choose yes or no",
      });
    }
  });

  it("required vs optional", () => {
    expect(messages(parse([SAFE], {}))).toEqual({ safe: "Choose yes or no" });
    expect(values([WOULD_LEAD], {})).toEqual({});
    expect(values([WOULD_LEAD], { would_lead: "" })).toEqual({});
  });
});

describe("buildReportSchema: text", () => {
  it("trims", () => {
    expect(values([NOTES], { notes: "  Lovely street\n" })).toEqual({ notes: "Lovely street" });
  });

  it("allows 2,000 characters and no more", () => {
    expect(values([NOTES], { notes: "a".repeat(2000) })).toEqual({ notes: "a".repeat(2000) });
    expect(values([NOTES], { notes: ` ${"a".repeat(2000)} ` })).toEqual({
      notes: "a".repeat(2000),
    });
    expect(messages(parse([NOTES], { notes: "a".repeat(2001) }))).toEqual({
      notes: "Keep this under 2,000 characters",
    });
    expect(messages(parse([NOTES], { notes: "a".repeat(10_000) }))).toEqual({
      notes: "Keep this under 2,000 characters",
    });
  });

  it("required vs optional", () => {
    expect(messages(parse([STREET], {}))).toEqual({ street: "Answer: Which street?" });
    expect(messages(parse([STREET], { street: "  " }))).toEqual({
      street: "Answer: Which street?",
    });
    expect(values([NOTES], { notes: "" })).toEqual({});
    expect(values([NOTES], {})).toEqual({});
  });

  it("rejects non-text", () => {
    expect(parse([NOTES], { notes: ["a", "b"] }).success).toBe(false);
    expect(parse([NOTES], { notes: { a: 1 } }).success).toBe(false);
  });
});

describe("buildReportSchema: feedback and idempotency key", () => {
  it("takes optional feedback, trimmed, up to 2,000 characters", () => {
    const fields = [WOULD_LEAD];
    const ok = parse(fields, { feedback: "  The leaflets ran out  " });
    expect(ok.success && reportFromForm(fields, ok.data).feedback).toBe("The leaflets ran out");
    const blank = parse(fields, { feedback: "   " });
    expect(blank.success && reportFromForm(fields, blank.data).feedback).toBeNull();
    const none = parse(fields, {});
    expect(none.success && reportFromForm(fields, none.data).feedback).toBeNull();
    expect(messages(parse(fields, { feedback: "a".repeat(2001) }))).toEqual({
      feedback: "Keep this under 2,000 characters",
    });
  });

  it("needs an idempotency key of 8 to 100 safe characters", () => {
    const schema = buildReportSchema([]);
    expect(schema.safeParse({ idempotencyKey: "abcd_EF-" }).success).toBe(true);
    expect(schema.safeParse({ idempotencyKey: "a".repeat(100) }).success).toBe(true);
    for (const bad of [
      undefined,
      "",
      "abcdefg",
      "a".repeat(101),
      "abc def gh",
      "abcdefgh!",
      "ключключключ",
      12345678,
      ["abcdefgh"],
    ]) {
      const result = schema.safeParse({ idempotencyKey: bad });
      expect(result.success, String(bad)).toBe(false);
      expect(messages(result).idempotencyKey).toMatch(/Reload the page/);
      // Read before the form is checked, the key is taken only where the schema takes it.
      expect(formIdempotencyKey(bad), String(bad)).toBeNull();
    }
    expect(formIdempotencyKey("  abcd_EF-  ")).toBe("abcd_EF-");
    expect(formIdempotencyKey("abcdefgh\u0000")).toBeNull();
  });
});

describe("buildReportSchema: the whole form", () => {
  it("parses the demo 'Knock on 20 doors' form", () => {
    const result = parse(ALL, {
      doors: "24",
      conversations: "",
      outcome: "It went well",
      would_lead: "yes",
      notes: "",
    });
    expect(result.success).toBe(true);
    if (!result.success) return;
    expect(reportFromForm(ALL, result.data)).toEqual({
      values: { doors: 24, outcome: "It went well", would_lead: true },
      feedback: null,
      idempotencyKey: KEY,
    });
  });

  it("reports every problem at once", () => {
    expect(
      messages(
        buildReportSchema(ALL).safeParse({ doors: "abc", outcome: "nope", would_lead: "perhaps" }),
      ),
    ).toEqual({
      doors: "Enter a number from 0 to 500",
      outcome: "Choose one of the options",
      would_lead: "Choose yes or no",
      idempotencyKey: "Something went wrong with this form. Reload the page and try again.",
    });
  });

  it("ignores unknown form entries", () => {
    expect(values([DOORS], { doors: "3", hacker: "1" })).toEqual({ doors: 3 });
  });

  it("never throws, whatever it is given", () => {
    const schema = buildReportSchema([...ALL, SAFE, STREET, MOOD, HOURS]);
    const inputs: unknown[] = [
      undefined,
      null,
      0,
      "",
      "junk",
      [],
      [1, 2],
      { doors: Symbol("x") },
      { doors: 10n },
      Object.create(null),
      new Date(),
    ];
    for (const input of inputs) {
      expect(() => schema.safeParse(input)).not.toThrow();
      expect(schema.safeParse(input).success).toBe(false);
    }
  });

  it("with no fields, only needs the key", () => {
    expect(values([], {})).toEqual({});
  });

  it("a task field can't take over the form's own names", () => {
    const clash: ReportField = {
      type: "number",
      key: "feedback",
      label: "Feedback score",
      required: true,
    };
    const result = parse([clash], { feedback: "Great" });
    expect(result.success).toBe(true);
    if (result.success)
      expect(reportFromForm([clash], result.data)).toEqual({
        values: {},
        feedback: "Great",
        idempotencyKey: KEY,
      });
  });

  it("works through conform's parseWithZod with FormData", () => {
    const form = new FormData();
    form.set("doors", "20");
    form.set("conversations", "");
    form.set("outcome", "It was hard");
    form.set("notes", "  ok ");
    form.set("feedback", "");
    form.set("idempotencyKey", KEY);
    const submission = parseWithZod(form, { schema: buildReportSchema(ALL) });
    expect(submission.status).toBe("success");
    if (submission.status !== "success") return;
    expect(reportFromForm(ALL, submission.value)).toEqual({
      values: { doors: 20, outcome: "It was hard", notes: "ok" },
      feedback: null,
      idempotencyKey: KEY,
    });

    const bad = new FormData();
    bad.set("doors", "abc");
    bad.set("idempotencyKey", KEY);
    const failed = parseWithZod(bad, { schema: buildReportSchema(ALL) });
    expect(failed.status).toBe("error");
    if (failed.status !== "error") return;
    expect(failed.error).toMatchObject({
      doors: ["Enter a number from 0 to 500"],
      outcome: ["Choose one of the options"],
    });
  });
});

describe("buildSkipSchema", () => {
  const schema = buildSkipSchema();

  it("needs a reason, trimmed, 1 to 500 characters", () => {
    expect(schema.safeParse({ reason: "  I was ill ", idempotencyKey: KEY })).toEqual({
      success: true,
      data: { reason: "I was ill", idempotencyKey: KEY },
    });
    expect(schema.safeParse({ reason: "a".repeat(500), idempotencyKey: KEY }).success).toBe(true);
    expect(messages(schema.safeParse({ reason: "a".repeat(501), idempotencyKey: KEY }))).toEqual({
      reason: "Keep this under 500 characters",
    });
    expect(messages(schema.safeParse({ reason: "   ", idempotencyKey: KEY }))).toEqual({
      reason: "Tell us briefly why",
    });
    expect(messages(schema.safeParse({ idempotencyKey: KEY }))).toEqual({
      reason: "Tell us briefly why",
    });
  });

  it("needs the idempotency key", () => {
    expect(Object.keys(messages(schema.safeParse({ reason: "Busy" })))).toEqual(["idempotencyKey"]);
    expect(schema.safeParse({ reason: "Busy", idempotencyKey: "short" }).success).toBe(false);
  });

  it("never throws", () => {
    for (const input of [
      undefined,
      null,
      "x",
      [],
      { reason: ["a", "b"] },
      { reason: "x".repeat(10_000) },
    ]) {
      expect(() => schema.safeParse(input)).not.toThrow();
      expect(schema.safeParse(input).success).toBe(false);
    }
  });
});
