import { z } from "zod";

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
