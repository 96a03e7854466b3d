import { z } from "zod";
import { RESERVED_FIELD_KEYS } from "./report.ts";

/** A field on a task's report form. Numbers may feed the campaign's objective metric. */
export const ReportFieldSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("number"),
    key: z.string().regex(/^[a-z][a-z0-9_]*$/),
    label: z.string().min(1).max(200),
    hint: z.string().max(300).optional(),
    required: z.boolean(),
    min: z.number().optional(),
    max: z.number().optional(),
    unit: z.string().max(40).optional(),
    metricKey: z.string().max(60).optional(),
  }),
  z.object({
    type: z.literal("choice"),
    key: z.string().regex(/^[a-z][a-z0-9_]*$/),
    label: z.string().min(1).max(200),
    hint: z.string().max(300).optional(),
    required: z.boolean(),
    options: z.array(z.string().min(1).max(100)).min(2).max(12),
  }),
  z.object({
    type: z.literal("yesno"),
    key: z.string().regex(/^[a-z][a-z0-9_]*$/),
    label: z.string().min(1).max(200),
    hint: z.string().max(300).optional(),
    required: z.boolean(),
  }),
  z.object({
    type: z.literal("text"),
    key: z.string().regex(/^[a-z][a-z0-9_]*$/),
    label: z.string().min(1).max(200),
    hint: z.string().max(300).optional(),
    required: z.boolean(),
  }),
]);
export type ReportField = z.infer<typeof ReportFieldSchema>;

export const ConditionSchema = z.object({
  field: z.string(),
  op: z.enum(["gte", "gt", "lte", "lt", "eq", "neq"]),
  value: z.union([z.number(), z.string(), z.boolean()]),
});
export type Condition = z.infer<typeof ConditionSchema>;

/** A next task id, or null for "end of the ladder". */
const NextTask = z.string().nullable();

/** Follow-up rules: the first rule whose conditions all hold picks the next task. */
export const FollowUpRulesSchema = z.object({
  rules: z.array(z.object({ when: z.array(ConditionSchema).min(1), next: NextTask })).default([]),
  defaultNext: NextTask.default(null),
  onSkip: NextTask.default(null),
  endMessage: z.string().max(500).optional(),
});
export type FollowUpRules = z.infer<typeof FollowUpRulesSchema>;

export const ReportFieldsSchema = z.array(ReportFieldSchema).max(20);

// ---------------------------------------------------------------------------------------------
// The task editor's form. It is flatter than the stored shapes above: a question's choice options
// are typed one per line, a condition's value is typed as text, and "end" stands for the end of
// the ladder. `taskVersionFromForm` turns a parsed form into the stored fields and rules.

export const QUESTION_TYPES = ["number", "choice", "yesno", "text"] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export const CONDITION_OPS = ["gte", "gt", "lte", "lt", "eq", "neq"] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
const ORDER_OPS: readonly ConditionOp[] = ["gte", "gt", "lte", "lt"];

/** The value of a "next task" select that means "end of the ladder". */
export const END_OF_LADDER = "end";

export const MAX_QUESTIONS = 20;
export const MAX_RULES = 20;
export const MAX_CONDITIONS = 3;
export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 12;
export const MAX_DUE_AFTER_DAYS = 90;

function requiredText(missing: string, max: number) {
  return z
    .string({ message: missing })
    .trim()
    .min(1, { message: missing })
    .max(max, { message: `Keep this to ${max.toLocaleString("en-GB")} characters or fewer` });
}

function optionalText(max: number) {
  return z
    .string()
    .trim()
    .max(max, { message: `Keep this to ${max.toLocaleString("en-GB")} characters or fewer` })
    .optional();
}

function optionalNumber(message: string) {
  return z.number({ message }).optional();
}

export const QuestionFormSchema = z
  .object({
    /** Set once the question is saved; kept so reports and rules stay readable. */
    key: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/)
      .max(60)
      .optional(),
    type: z.enum(QUESTION_TYPES, { message: "Choose the kind of answer" }),
    label: requiredText("Enter the question", 200),
    hint: optionalText(300),
    required: z.boolean().default(false),
    min: optionalNumber("Enter the smallest answer as a number, like 0"),
    max: optionalNumber("Enter the largest answer as a number, like 500"),
    unit: optionalText(40),
    countsToObjective: z.boolean().default(false),
    options: z.string().max(2000).optional(),
  })
  .superRefine((question, ctx) => {
    if (
      question.type === "number" &&
      question.min !== undefined &&
      question.max !== undefined &&
      question.min > question.max
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["max"],
        message: "The largest answer must be at least the smallest answer",
      });
    }
    if (question.type === "choice") {
      const options = splitOptions(question.options);
      let problem: string | null = null;
      if (options.length < MIN_OPTIONS)
        problem = `Give at least ${MIN_OPTIONS} options, one per line`;
      else if (options.length > MAX_OPTIONS) problem = `Give at most ${MAX_OPTIONS} options`;
      else if (options.some((option) => option.length > 100))
        problem = "Keep each option to 100 characters or fewer";
      else if (new Set(options.map((option) => option.toLowerCase())).size !== options.length)
        problem = "Each option must be different";
      if (problem) ctx.addIssue({ code: "custom", path: ["options"], message: problem });
    }
  });

export const ConditionFormSchema = z.object({
  field: z.string({ message: "Choose a question" }).min(1, { message: "Choose a question" }),
  op: z.enum(CONDITION_OPS, { message: "Choose how to compare the answer" }),
  value: requiredText("Enter what to compare the answer with", 100),
});

export const RuleFormSchema = z.object({
  conditions: z
    .array(ConditionFormSchema)
    .min(1, { message: "Add a condition to this rule" })
    .max(MAX_CONDITIONS, { message: `A rule can have at most ${MAX_CONDITIONS} conditions` }),
  next: z
    .string({ message: "Choose where this rule sends people" })
    .min(1, { message: "Choose where this rule sends people" }),
});

const nextTask = (message: string) => z.string({ message }).min(1, { message });

export const TaskFormSchema = z
  .object({
    title: requiredText("Enter a title", 200),
    instructions: requiredText("Enter the instructions", 10_000),
    location: optionalText(200),
    durationMinutes: z
      .number({ message: "Enter how long it takes in minutes, like 60" })
      .int({ message: "Enter how long it takes in whole minutes, like 60" })
      .min(1, { message: "It must take at least 1 minute" })
      .max(10_080, { message: "Keep it to a week (10,080 minutes) or less" })
      .optional(),
    dueAfterDays: z
      .number({ message: `Enter a number of days from 1 to ${MAX_DUE_AFTER_DAYS}` })
      .int({ message: `Enter a whole number of days from 1 to ${MAX_DUE_AFTER_DAYS}` })
      .min(1, { message: `Enter a number of days from 1 to ${MAX_DUE_AFTER_DAYS}` })
      .max(MAX_DUE_AFTER_DAYS, {
        message: `Enter a number of days from 1 to ${MAX_DUE_AFTER_DAYS}`,
      }),
    questions: z
      .array(QuestionFormSchema)
      .max(MAX_QUESTIONS, { message: `A report form can have at most ${MAX_QUESTIONS} questions` })
      .default([]),
    rules: z
      .array(RuleFormSchema)
      .max(MAX_RULES, { message: `A task can have at most ${MAX_RULES} follow-up rules` })
      .default([]),
    defaultNext: nextTask("Choose what happens when no rule matches").default(END_OF_LADDER),
    onSkip: nextTask("Choose what happens when someone skips this task").default(END_OF_LADDER),
    endMessage: optionalText(500),
    makeFirst: z.boolean().default(false),
  })
  .superRefine((task, ctx) => {
    const keys = questionKeys(task.questions);
    task.rules.forEach((rule, ruleIndex) => {
      rule.conditions.forEach((condition, conditionIndex) => {
        const path = ["rules", ruleIndex, "conditions", conditionIndex];
        const at = keys.indexOf(condition.field);
        const question = at === -1 ? undefined : task.questions[at];
        if (!question) {
          ctx.addIssue({
            code: "custom",
            path: [...path, "field"],
            message: "Choose a question from this task's report form",
          });
          return;
        }
        if (question.type !== "number" && ORDER_OPS.includes(condition.op)) {
          ctx.addIssue({
            code: "custom",
            path: [...path, "op"],
            message: `Use "is" or "is not" for ${TYPE_WORDS[question.type]} question`,
          });
        }
        const value = conditionValue(question, condition.value);
        if (!value.ok) {
          ctx.addIssue({ code: "custom", path: [...path, "value"], message: value.error });
        }
      });
    });
  });

export type TaskFormInput = z.input<typeof TaskFormSchema>;
export type TaskFormValue = z.output<typeof TaskFormSchema>;
export type QuestionFormValue = z.output<typeof QuestionFormSchema>;

const TYPE_WORDS: Record<QuestionType, string> = {
  number: "a number",
  choice: "a choice",
  yesno: "a yes/no",
  text: "a text",
};

/** Choice options as typed, one per line, blanks dropped. */
export function splitOptions(text: string | undefined): string[] {
  return (text ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** A report-field key from a question: "Would you lead a team?" → "would_you_lead_a_team". */
export function keyFromLabel(label: string): string {
  const words = label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40)
    .replace(/_+$/, "");
  if (words === "") return "answer";
  return /^[a-z]/.test(words) ? words : `q_${words}`;
}

/**
 * The key of each question, in order: a saved question keeps its key; a new one gets a key from
 * its label, unique within the task. Used by the form (to list questions in conditions) and on
 * saving, so both agree.
 */
export function questionKeys(questions: ReadonlyArray<{ key?: string; label?: string }>): string[] {
  const taken = new Set<string>(RESERVED_FIELD_KEYS);
  for (const question of questions) if (question.key) taken.add(question.key);
  return questions.map((question) => {
    if (question.key) return question.key;
    const base = keyFromLabel(question.label ?? "");
    let key = base;
    for (let n = 2; taken.has(key); n += 1) key = `${base}_${n}`;
    taken.add(key);
    return key;
  });
}

/** A condition's typed value, read for the question it checks. */
export function conditionValue(
  question: Pick<QuestionFormValue, "type" | "options">,
  text: string,
): { ok: true; value: number | string | boolean } | { ok: false; error: string } {
  const trimmed = text.trim();
  switch (question.type) {
    case "number": {
      const compact = trimmed.replace(/(?<=\d)[,\s](?=\d{3}(?:\D|$))/g, "");
      const value = Number(compact);
      return compact !== "" && /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(compact) && Number.isFinite(value)
        ? { ok: true, value }
        : { ok: false, error: "Enter a number, like 20" };
    }
    case "yesno": {
      const answer = trimmed.toLowerCase();
      if (answer === "yes") return { ok: true, value: true };
      if (answer === "no") return { ok: true, value: false };
      return { ok: false, error: "Enter yes or no" };
    }
    case "choice": {
      const options = splitOptions(question.options);
      const match = options.find((option) => option.toLowerCase() === trimmed.toLowerCase());
      return match !== undefined
        ? { ok: true, value: match }
        : { ok: false, error: `Enter one of the options: ${options.join(", ")}` };
    }
    case "text":
      return { ok: true, value: trimmed };
  }
}

function nextOf(value: string): string | null {
  return value === END_OF_LADDER ? null : value;
}

/** A parsed task form as a task version's stored content. */
export function taskVersionFromForm(
  form: TaskFormValue,
  { metricKey }: { metricKey: string },
): {
  title: string;
  instructions: string;
  location: string | null;
  durationMinutes: number | null;
  dueAfterDays: number;
  fields: ReportField[];
  rules: FollowUpRules;
} {
  const keys = questionKeys(form.questions);
  const fields: ReportField[] = form.questions.map((question, index): ReportField => {
    const base = {
      key: keys[index] ?? keyFromLabel(question.label),
      label: question.label,
      required: question.required,
      ...(question.hint ? { hint: question.hint } : {}),
    };
    switch (question.type) {
      case "number":
        return {
          type: "number",
          ...base,
          ...(question.min !== undefined ? { min: question.min } : {}),
          ...(question.max !== undefined ? { max: question.max } : {}),
          ...(question.unit ? { unit: question.unit } : {}),
          ...(question.countsToObjective ? { metricKey } : {}),
        };
      case "choice":
        return { type: "choice", ...base, options: splitOptions(question.options) };
      case "yesno":
        return { type: "yesno", ...base };
      case "text":
        return { type: "text", ...base };
    }
  });
  const rules: FollowUpRules = {
    rules: form.rules.map((rule) => ({
      when: rule.conditions.map((condition) => {
        const at = keys.indexOf(condition.field);
        const question = form.questions[at];
        const read = question ? conditionValue(question, condition.value) : null;
        return {
          field: condition.field,
          op: condition.op,
          value: read?.ok ? read.value : condition.value,
        };
      }),
      next: nextOf(rule.next),
    })),
    defaultNext: nextOf(form.defaultNext),
    onSkip: nextOf(form.onSkip),
    ...(form.endMessage ? { endMessage: form.endMessage } : {}),
  };
  return {
    title: form.title,
    instructions: form.instructions,
    location: form.location || null,
    durationMinutes: form.durationMinutes ?? null,
    dueAfterDays: form.dueAfterDays,
    fields,
    rules,
  };
}

function conditionText(value: Condition["value"]): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/** A stored task version as the editor's starting values. */
export function taskFormFromVersion(
  version: {
    title: string;
    instructions: string;
    location: string | null;
    durationMinutes: number | null;
    dueAfterDays: number;
    fields: readonly ReportField[];
    rules: FollowUpRules;
  },
  { metricKey, isFirst }: { metricKey: string; isFirst: boolean },
): TaskFormInput {
  return {
    title: version.title,
    instructions: version.instructions,
    location: version.location ?? undefined,
    durationMinutes: version.durationMinutes ?? undefined,
    dueAfterDays: version.dueAfterDays,
    questions: version.fields.map((field) => ({
      key: field.key,
      type: field.type,
      label: field.label,
      hint: field.hint,
      required: field.required,
      ...(field.type === "number"
        ? {
            min: field.min,
            max: field.max,
            unit: field.unit,
            countsToObjective: field.metricKey !== undefined && field.metricKey === metricKey,
          }
        : {}),
      ...(field.type === "choice" ? { options: field.options.join("\n") } : {}),
    })),
    rules: version.rules.rules.map((rule) => ({
      conditions: rule.when.map((condition) => ({
        field: condition.field,
        op: condition.op,
        value: conditionText(condition.value),
      })),
      next: rule.next ?? END_OF_LADDER,
    })),
    defaultNext: version.rules.defaultNext ?? END_OF_LADDER,
    onSkip: version.rules.onSkip ?? END_OF_LADDER,
    endMessage: version.rules.endMessage,
    makeFirst: isFirst,
  };
}
