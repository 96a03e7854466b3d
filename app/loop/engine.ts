/**
 * The loop engine: given what a volunteer reported (or why they skipped), pick their next task.
 *
 * Pure decision code: no database, no clock (`now` is passed in), no I/O, and it never throws on
 * odd data — a ladder edited mid-flight, a rule pointing at an archived task or a report missing an
 * optional answer all end in a sensible next step or the end of the ladder.
 */
import type { ReportValues } from "../schemas/report.ts";
import {
  FollowUpRulesSchema,
  ReportFieldsSchema,
  type Condition,
  type FollowUpRules,
  type ReportField,
} from "../schemas/task.ts";

export type LadderTask = {
  id: string;
  versionId: string;
  title: string;
  dueAfterDays: number;
  fields: ReportField[];
  rules: FollowUpRules;
  archived: boolean;
};

/** The current version of every task in a campaign, archived ones included (archived: true). */
export type Ladder = {
  campaignId: string;
  firstTaskId: string | null;
  tasks: Map<string, LadderTask>;
};

/** The version the volunteer was given (may be older than the ladder's current one). */
export type AssignedVersion = {
  taskId: string;
  versionId: string;
  fields: ReportField[];
  rules: FollowUpRules;
};

export type HistoryItem = {
  taskId: string;
  status: "REPORTED" | "SKIPPED" | "EXPIRED" | "CANCELLED";
  closedAt: Date;
};

export type Outcome = { kind: "report"; values: ReportValues } | { kind: "skip"; reason: string };

export type NextStep = { taskId: string; versionId: string; dueAt: Date };

export type MatchedRule = number | "default" | "skip" | "fallback-first" | null;

export type Decision = {
  /** null = end of the ladder. */
  next: NextStep | null;
  /** The ladder's thank-you when next is null. */
  endMessage: string | null;
  /**
   * Which rule picked the next task: a rule index, "default" (no rule matched, or the target was
   * gone and the task's current default was used), "skip" (onSkip), "fallback-first" (decideFirst:
   * the first task was missing or archived, so the first usable task was given) or null (nothing
   * picked it: decideFirst's ordinary first task, or every target was gone).
   */
  matchedRule: MatchedRule;
  /** Numbers this report feeds, one per metric key (several fields feeding one key are summed). */
  metrics: Array<{ metricKey: string; value: number }>;
  /** Outbox rows to write. */
  messages: Array<{ kind: "TASK_ASSIGNED" | "LADDER_COMPLETE"; taskId: string | null }>;
  /**
   * Set when the chosen target could not be used (the ladder was edited mid-flight): what was
   * asked for and why it was passed over. For audit only; `next` already accounts for it.
   */
  fallback?: { wanted: string; reason: "missing" | "archived" };
};

export const DEFAULT_END_MESSAGE = "You've finished every task in this campaign. Thank you!";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A task is due at least one day and at most ten years after it is given. */
const MIN_DUE_DAYS = 1;
const MAX_DUE_DAYS = 3650;

export function dueDate(now: Date, dueAfterDays: number): Date {
  const days = Number.isFinite(dueAfterDays)
    ? Math.min(MAX_DUE_DAYS, Math.max(MIN_DUE_DAYS, Math.floor(dueAfterDays)))
    : MIN_DUE_DAYS;
  return new Date(now.getTime() + days * DAY_MS);
}

function step(task: LadderTask, now: Date): NextStep {
  return { taskId: task.id, versionId: task.versionId, dueAt: dueDate(now, task.dueAfterDays) };
}

/** A task people can be given now: in the ladder and not archived. */
export function usableTask(ladder: Ladder, taskId: string | null | undefined): LadderTask | null {
  if (taskId === null || taskId === undefined) return null;
  const task = ladder.tasks.get(taskId);
  return task && !task.archived ? task : null;
}

/** The task decideFirst gives: the first task, or the first usable one in map order. */
export function effectiveFirstTask(ladder: Ladder): { task: LadderTask | null; fellBack: boolean } {
  const first = usableTask(ladder, ladder.firstTaskId);
  if (first) return { task: first, fellBack: false };
  for (const task of ladder.tasks.values()) {
    if (!task.archived) return { task, fellBack: true };
  }
  return { task: null, fellBack: false };
}

/** Where a volunteer joining the campaign starts. */
export function decideFirst({ ladder, now }: { ladder: Ladder; now: Date }): Decision {
  const { task, fellBack } = effectiveFirstTask(ladder);
  if (!task) {
    // Nothing to give (no tasks yet): no step, and no "you've finished" message either.
    return { next: null, endMessage: null, matchedRule: null, metrics: [], messages: [] };
  }
  return {
    next: step(task, now),
    endMessage: null,
    matchedRule: fellBack ? "fallback-first" : null,
    metrics: [],
    messages: [{ kind: "TASK_ASSIGNED", taskId: task.id }],
  };
}

/**
 * Does one condition hold for these values? A missing answer, or an answer of a different type from
 * the condition's value, never matches. Order comparisons only apply to numbers.
 */
export function conditionHolds(condition: Condition, values: ReportValues): boolean {
  if (!Object.hasOwn(values, condition.field)) return false;
  const actual = values[condition.field];
  const expected = condition.value;
  // NaN isn't an answer (the report form never produces it).
  if (actual === undefined || actual === null || Number.isNaN(actual)) return false;
  if (typeof actual !== typeof expected) return false;
  switch (condition.op) {
    case "eq":
      return actual === expected;
    case "neq":
      return actual !== expected;
    case "gte":
    case "gt":
    case "lte":
    case "lt": {
      if (typeof actual !== "number" || typeof expected !== "number") return false;
      if (condition.op === "gte") return actual >= expected;
      if (condition.op === "gt") return actual > expected;
      if (condition.op === "lte") return actual <= expected;
      return actual < expected;
    }
    default:
      return false;
  }
}

/** The first rule whose conditions all hold, as [index, next], or the default. */
export function pickTarget(
  rules: FollowUpRules,
  values: ReportValues,
): { target: string | null; matched: number | "default" } {
  const list = Array.isArray(rules.rules) ? rules.rules : [];
  for (const [index, rule] of list.entries()) {
    const when = Array.isArray(rule.when) ? rule.when : [];
    // A rule with no conditions can't be saved (the schema needs one); never treat it as "always".
    if (when.length > 0 && when.every((condition) => conditionHolds(condition, values))) {
      return { target: rule.next ?? null, matched: index };
    }
  }
  return { target: rules.defaultNext ?? null, matched: "default" };
}

/** The numbers a report feeds: number fields with a metric key and an answer. */
export function reportMetrics(
  fields: readonly ReportField[],
  values: ReportValues,
): Decision["metrics"] {
  const totals = new Map<string, number>();
  const seenKeys = new Set<string>();
  for (const field of fields) {
    if (field.type !== "number" || !field.metricKey) continue;
    if (seenKeys.has(field.key)) continue; // a key answered once counts once
    seenKeys.add(field.key);
    if (!Object.hasOwn(values, field.key)) continue;
    const value = values[field.key];
    if (typeof value !== "number" || !Number.isFinite(value)) continue;
    totals.set(field.metricKey, (totals.get(field.metricKey) ?? 0) + value);
  }
  return [...totals].map(([metricKey, value]) => ({ metricKey, value }));
}

function endMessageOf(rules: FollowUpRules): string {
  const message = typeof rules.endMessage === "string" ? rules.endMessage.trim() : "";
  return message === "" ? DEFAULT_END_MESSAGE : message;
}

/** What comes after a report or a skip on the assigned task. */
export function decideNext({
  ladder,
  assigned,
  outcome,
  now,
}: {
  ladder: Ladder;
  assigned: AssignedVersion;
  outcome: Outcome;
  /** Earlier closed assignments. Not used by the current rules; passed for future ones. */
  history?: readonly HistoryItem[];
  now: Date;
}): Decision {
  let target: string | null;
  let matchedRule: MatchedRule;
  let metrics: Decision["metrics"] = [];
  if (outcome.kind === "report") {
    const values: ReportValues = outcome.values ?? {};
    ({ target, matched: matchedRule } = pickTarget(assigned.rules, values));
    metrics = reportMetrics(assigned.fields, values);
  } else {
    target = assigned.rules.onSkip ?? null;
    matchedRule = "skip";
  }

  let nextTask: LadderTask | null = null;
  let fallback: Decision["fallback"];
  if (target !== null) {
    nextTask = usableTask(ladder, target);
    if (!nextTask) {
      // The ladder changed since this version was given: use where the task leads now.
      fallback = { wanted: target, reason: ladder.tasks.has(target) ? "archived" : "missing" };
      const current = ladder.tasks.get(assigned.taskId);
      const defaultNext = current ? current.rules.defaultNext : assigned.rules.defaultNext;
      nextTask = usableTask(ladder, defaultNext);
      matchedRule = nextTask ? "default" : null;
    }
  }

  const decision: Decision = nextTask
    ? {
        next: step(nextTask, now),
        endMessage: null,
        matchedRule,
        metrics,
        messages: [{ kind: "TASK_ASSIGNED", taskId: nextTask.id }],
      }
    : {
        next: null,
        endMessage: endMessageOf(assigned.rules),
        matchedRule,
        metrics,
        messages: [{ kind: "LADDER_COMPLETE", taskId: null }],
      };
  if (fallback) decision.fallback = fallback;
  return decision;
}

/** The rules a task has when its stored rules can't be read: no rules, end of the ladder. */
export const EMPTY_RULES: FollowUpRules = { rules: [], defaultNext: null, onSkip: null };

export type TaskRow = {
  id: string;
  archivedAt: Date | null;
  currentVersion: {
    id: string;
    title: string;
    dueAfterDays: number;
    fields: unknown;
    rules: unknown;
  } | null;
};

/** Reads a task version's stored fields; unreadable JSON means no fields. */
export function parseFields(json: unknown): ReportField[] {
  const parsed = ReportFieldsSchema.safeParse(json);
  return parsed.success ? parsed.data : [];
}

/** Reads a task version's stored rules; unreadable JSON means "no rules, end of the ladder". */
export function parseRules(json: unknown): FollowUpRules {
  const parsed = FollowUpRulesSchema.safeParse(json ?? {});
  return parsed.success ? parsed.data : { ...EMPTY_RULES, rules: [] };
}

/**
 * Builds a Ladder from task rows (with their current versions). Fields and rules are parsed
 * separately: a task whose stored rules are unreadable keeps its fields, and the other way round.
 * A task with no current version can't be given to anyone and is left out (rules pointing at it
 * count as pointing at a deleted task).
 */
export function ladderFromRows({
  campaignId,
  firstTaskId,
  rows,
}: {
  campaignId: string;
  firstTaskId: string | null;
  rows: readonly TaskRow[];
}): Ladder {
  const tasks = new Map<string, LadderTask>();
  for (const row of rows) {
    const version = row.currentVersion;
    if (!version) continue;
    tasks.set(row.id, {
      id: row.id,
      versionId: version.id,
      title: version.title,
      dueAfterDays: version.dueAfterDays,
      fields: parseFields(version.fields),
      rules: parseRules(version.rules),
      archived: row.archivedAt !== null,
    });
  }
  return { campaignId, firstTaskId, tasks };
}

/** The assigned version as the engine needs it, from a stored TaskVersion row. */
export function assignedFromVersion(version: {
  id: string;
  taskId: string;
  fields: unknown;
  rules: unknown;
}): AssignedVersion {
  return {
    taskId: version.taskId,
    versionId: version.id,
    fields: parseFields(version.fields),
    rules: parseRules(version.rules),
  };
}
