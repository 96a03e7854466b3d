import { z } from "zod";
import { BoundedMap } from "~/utils/bounded-map";
import { formatDecimal } from "~/utils/format";
import type { ReportField } from "./task.ts";

/**
 * The report form, built from a task version's field definitions.
 *
 * Form values arrive as strings (FormData, via conform's parseWithZod); radios and checkboxes may be
 * missing altogether. Every field schema starts from `unknown`, so it also copes with values that
 * were already coerced (a number, a boolean) or with junk (an array from a repeated name), and
 * parsing never throws: callers use safeParse / parseWithZod and show the messages.
 */

/** What a report says, keyed by field key. Optional questions left blank are absent. */
export type ReportValues = Record<string, number | string | boolean>;

export const TEXT_MAX = 2000;
export const FEEDBACK_MAX = 2000;
export const SKIP_REASON_MAX = 500;

/** Names the report form uses itself, so a task field can't use them (see app/loop/validate.ts). */
export const RESERVED_FIELD_KEYS: readonly string[] = ["feedback", "idempotencyKey"];

export const FEEDBACK_LABEL = "Anything you want the organisers to know?";

type FieldOutput = number | string | boolean | undefined;
type FieldSchema = z.ZodType<FieldOutput, unknown>;

export type ReportFormShape = Record<string, FieldSchema>;
/** What the report schema parses to: field values (undefined when left blank), feedback and the key. */
export type ReportFormData = Record<string, FieldOutput>;

/**
 * Reads a raw form value as trimmed text. Returns undefined for "nothing there" (missing or blank)
 * and null for something that isn't text at all (an array, an object).
 */
function readText(raw: unknown): string | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  if (typeof raw !== "string") return null;
  const text = raw.trim();
  return text === "" ? undefined : text;
}

const DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function rangeMessage(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined)
    return `Enter a number from ${formatDecimal(min)} to ${formatDecimal(max)}`;
  if (min !== undefined) return `Enter a number of ${formatDecimal(min)} or more`;
  if (max !== undefined) return `Enter a number of ${formatDecimal(max)} or less`;
  return "Enter a number, like 12";
}

function requiredMessage(label: string) {
  return `Answer: ${label}`;
}

/**
 * Builds a schema from unknown input. `read` returns the value, undefined for "left blank",
 * or an error message. Blank required fields get `missing`.
 */
function formField<T extends number | string | boolean>(
  required: boolean,
  missing: string,
  read: (raw: unknown) => T | undefined | { error: string },
): FieldSchema {
  const schema = z.unknown().transform((raw, ctx): T | undefined => {
    let result: T | undefined | { error: string };
    try {
      result = read(raw);
    } catch {
      result = { error: missing };
    }
    if (result === undefined) {
      if (!required) return undefined;
      ctx.addIssue({ code: "custom", message: missing });
      return z.NEVER;
    }
    if (typeof result === "object") {
      ctx.addIssue({ code: "custom", message: result.error });
      return z.NEVER;
    }
    return result;
  });
  return required ? schema : schema.optional();
}

function numberField(field: Extract<ReportField, { type: "number" }>): FieldSchema {
  const invalid = rangeMessage(field.min, field.max);
  return formField<number>(field.required, requiredMessage(field.label), (raw) => {
    let value: number;
    if (typeof raw === "number") {
      value = raw;
    } else {
      const text = readText(raw);
      if (text === undefined) return undefined;
      if (text === null || text.length > 40) return { error: invalid };
      // Allow "1,000" and "1 000"; nothing cleverer (no "1e3", "0x10", "Infinity").
      const compact = text.replace(/(?<=\d)[,\s](?=\d{3}(?:\D|$))/g, "");
      if (!DECIMAL.test(compact)) return { error: invalid };
      value = Number(compact);
    }
    if (!Number.isFinite(value)) return { error: invalid };
    if (field.min !== undefined && value < field.min) return { error: invalid };
    if (field.max !== undefined && value > field.max) return { error: invalid };
    return value === 0 ? 0 : value; // no -0
  });
}

function choiceField(field: Extract<ReportField, { type: "choice" }>): FieldSchema {
  const message = "Choose one of the options";
  return formField<string>(field.required, message, (raw) => {
    if (typeof raw === "string" && field.options.includes(raw)) return raw;
    const text = readText(raw);
    if (text === undefined) return undefined;
    if (text === null) return { error: message };
    return field.options.find((option) => option.trim() === text) ?? { error: message };
  });
}

function yesNoField(field: Extract<ReportField, { type: "yesno" }>): FieldSchema {
  const message = "Choose yes or no";
  return formField<boolean>(field.required, message, (raw) => {
    if (typeof raw === "boolean") return raw;
    const text = readText(raw);
    if (text === undefined) return undefined;
    if (text === null) return { error: message };
    const answer = text.toLowerCase();
    if (answer === "yes") return true;
    if (answer === "no") return false;
    return { error: message };
  });
}

function longText(max: number, missing: string, tooLong: string) {
  return (raw: unknown): string | undefined | { error: string } => {
    const text = readText(raw);
    if (text === undefined) return undefined;
    if (text === null) return { error: missing };
    if (text.length > max) return { error: tooLong };
    return text;
  };
}

function textField(field: Extract<ReportField, { type: "text" }>): FieldSchema {
  const missing = requiredMessage(field.label);
  return formField<string>(
    field.required,
    missing,
    longText(TEXT_MAX, missing, `Keep this under ${TEXT_MAX.toLocaleString("en-GB")} characters`),
  );
}

function fieldSchema(field: ReportField): FieldSchema {
  switch (field.type) {
    case "number":
      return numberField(field);
    case "choice":
      return choiceField(field);
    case "yesno":
      return yesNoField(field);
    case "text":
      return textField(field);
  }
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,100}$/;

/** A form's idempotency key as its schema will take it (trimmed), or null if it won't. */
export function formIdempotencyKey(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const key = raw.trim();
  return IDEMPOTENCY_KEY.test(key) ? key : null;
}

/** The hidden key that stops a double-submitted form from being counted twice. */
export function idempotencyKeySchema() {
  const message = "Something went wrong with this form. Reload the page and try again.";
  return formField<string>(true, message, (raw) => {
    if (typeof raw !== "string")
      return raw === undefined || raw === null ? undefined : { error: message };
    const key = raw.trim();
    if (key === "") return undefined;
    return IDEMPOTENCY_KEY.test(key) ? key : { error: message };
  }) as z.ZodType<string, unknown>;
}

function feedbackSchema() {
  const tooLong = `Keep this under ${FEEDBACK_MAX.toLocaleString("en-GB")} characters`;
  return formField<string>(false, tooLong, longText(FEEDBACK_MAX, tooLong, tooLong)) as z.ZodType<
    string | undefined,
    unknown
  >;
}

/**
 * The report form for a task version: one entry per field, plus optional `feedback` and the
 * `idempotencyKey`. Use `reportFromForm` on the parsed data to get the stored shape.
 *
 * Field keys "feedback" and "idempotencyKey" are the form's own: a task field with one of those keys
 * is ignored here (validateLadder reports it as an error).
 */
export function buildReportSchema(fields: readonly ReportField[]) {
  // zod compiles a schema on its first parse, so a schema is kept per set of fields (a task
  // version's never change) rather than built and compiled again for every report.
  const key = JSON.stringify(fields);
  const known = reportSchemas.get(key);
  if (known) return known;
  const schema = newReportSchema(fields);
  reportSchemas.set(key, schema);
  return schema;
}

const reportSchemas = new BoundedMap<string, ReturnType<typeof newReportSchema>>(500);

function newReportSchema(fields: readonly ReportField[]) {
  const shape: ReportFormShape = {};
  for (const field of fields) {
    if (RESERVED_FIELD_KEYS.includes(field.key) || Object.hasOwn(shape, field.key)) continue;
    shape[field.key] = fieldSchema(field);
  }
  shape.feedback = feedbackSchema();
  shape.idempotencyKey = idempotencyKeySchema();
  return z.object(shape);
}

/** Splits parsed report form data into the values to store, the feedback and the key. */
export function reportFromForm(
  fields: readonly ReportField[],
  data: ReportFormData,
): { values: ReportValues; feedback: string | null; idempotencyKey: string } {
  const values: ReportValues = {};
  for (const field of fields) {
    if (RESERVED_FIELD_KEYS.includes(field.key) || !Object.hasOwn(data, field.key)) continue;
    const value = data[field.key];
    if (value !== undefined) values[field.key] = value;
  }
  const feedback = typeof data.feedback === "string" && data.feedback !== "" ? data.feedback : null;
  const idempotencyKey = typeof data.idempotencyKey === "string" ? data.idempotencyKey : "";
  return { values, feedback, idempotencyKey };
}

/** "I can't do this one": a short reason and the idempotency key. */
export function buildSkipSchema() {
  skipSchema ??= newSkipSchema();
  return skipSchema;
}

let skipSchema: ReturnType<typeof newSkipSchema> | undefined;

function newSkipSchema() {
  const missing = "Tell us briefly why";
  const reason = formField<string>(
    true,
    missing,
    longText(SKIP_REASON_MAX, missing, `Keep this under ${SKIP_REASON_MAX} characters`),
  ) as z.ZodType<string, unknown>;
  return z.object({ reason, idempotencyKey: idempotencyKeySchema() });
}
