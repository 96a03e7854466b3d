import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReportValues } from "../schemas/report.ts";
import type { Condition, FollowUpRules, ReportField } from "../schemas/task.ts";
import {
  decideFirst,
  decideNext,
  type AssignedVersion,
  type Decision,
  type Ladder,
  type LadderTask,
  type Outcome,
} from "./engine.ts";
import { validateLadder } from "./validate.ts";

const NUM_RUNS = 500;
const MAX_STEPS = 50;
const NOW = new Date("2025-03-01T12:00:00.000Z");

// ---------------------------------------------------------------------------------------------
// Arbitraries. Field keys and answer keys come from one small pool so conditions and answers
// actually meet; pointers aim at existing, archived, missing tasks or the end.

const KEYS = ["a", "b", "c", "doors", "outcome"] as const;
const OPTIONS = ["Yes please", "No thanks", "Maybe"] as const;
const OPS = ["gte", "gt", "lte", "lt", "eq", "neq"] as const;

const scalarArb = fc.oneof(
  fc.integer({ min: -5, max: 30 }),
  fc.double({ min: -5, max: 30, noNaN: true }),
  fc.boolean(),
  fc.constantFrom<string>(...OPTIONS, "", "20", "x"),
);

const fieldArb: fc.Arbitrary<ReportField> = fc.oneof(
  fc.record({
    type: fc.constant("number" as const),
    key: fc.constantFrom(...KEYS),
    label: fc.constant("How many?"),
    required: fc.boolean(),
    min: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    max: fc.option(fc.integer({ min: 10, max: 30 }), { nil: undefined }),
    metricKey: fc.option(fc.constantFrom("doors", "leaflets"), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant("choice" as const),
    key: fc.constantFrom(...KEYS),
    label: fc.constant("Which?"),
    required: fc.boolean(),
    options: fc.constant<string[]>([...OPTIONS]),
  }),
  fc.record({
    type: fc.constant("yesno" as const),
    key: fc.constantFrom(...KEYS),
    label: fc.constant("Yes or no?"),
    required: fc.boolean(),
  }),
  fc.record({
    type: fc.constant("text" as const),
    key: fc.constantFrom(...KEYS),
    label: fc.constant("Tell us"),
    required: fc.boolean(),
  }),
);

/** Where a rule points: a task by index (wrapped to the ladder size), a missing task, or the end. */
type RawPointer = { kind: "task"; index: number } | { kind: "missing" } | { kind: "end" };
const pointerArb: fc.Arbitrary<RawPointer> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("task" as const), index: fc.nat({ max: 7 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "missing" as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: "end" as const }) },
);

/**
 * A condition: "fit" ones are built from the task's own fields (so some ladders validate), "raw"
 * ones are anything at all (missing fields, wrong ops, wrong types).
 */
type RawCondition =
  | {
      kind: "fit";
      fieldPick: number;
      op: Condition["op"];
      number: number;
      pick: number;
      flag: boolean;
    }
  | { kind: "raw"; condition: Condition };
const conditionArb: fc.Arbitrary<RawCondition> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("fit" as const),
      fieldPick: fc.nat({ max: 20 }),
      op: fc.constantFrom(...OPS),
      number: fc.integer({ min: -2, max: 30 }),
      pick: fc.nat({ max: 10 }),
      flag: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("raw" as const),
      condition: fc.record({
        field: fc.constantFrom<string>(...KEYS, "nope"),
        op: fc.constantFrom(...OPS),
        value: scalarArb,
      }),
    }),
  },
);

type RawTask = {
  archived: boolean;
  dueAfterDays: number;
  fields: ReportField[];
  rules: Array<{ when: RawCondition[]; next: RawPointer }>;
  defaultNext: RawPointer;
  onSkip: RawPointer;
  endMessage: string | undefined;
};
/** `tidy` tasks are never archived, point only at tasks or the end, and use fitting conditions. */
function taskArb(tidy: boolean): fc.Arbitrary<RawTask> {
  const pointer = tidy ? pointerArb.filter((p) => p.kind !== "missing") : pointerArb;
  const condition = tidy ? conditionArb.filter((c) => c.kind === "fit") : conditionArb;
  return fc.record({
    archived: tidy ? fc.constant(false) : fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    dueAfterDays: fc.integer({ min: 1, max: 60 }),
    fields: fc.uniqueArray(fieldArb, {
      minLength: tidy ? 1 : 0,
      maxLength: 4,
      selector: (field) => field.key,
    }),
    rules: fc.array(
      fc.record({ when: fc.array(condition, { minLength: 1, maxLength: 3 }), next: pointer }),
      { maxLength: 4 },
    ),
    defaultNext: pointer,
    onSkip: pointer,
    endMessage: fc.option(fc.constantFrom("Thanks!", "", "All done"), { nil: undefined }),
  });
}

function ladderArbOf(tidy: boolean): fc.Arbitrary<Ladder> {
  const first: fc.Arbitrary<number | "missing" | null> = tidy
    ? fc.nat({ max: 7 })
    : fc.oneof(
        { weight: 8, arbitrary: fc.nat({ max: 7 }) },
        { weight: 1, arbitrary: fc.constantFrom<"missing" | null>("missing", null) },
      );
  return fc
    .record({ tasks: fc.array(taskArb(tidy), { minLength: 1, maxLength: 8 }), first })
    .map(({ tasks, first }) => buildLadder(tasks, first));
}
/** Anything goes: archived tasks, deleted targets, nonsense conditions. */
const ladderArb = ladderArbOf(false);
/** Mostly well-formed ladders, so "no errors" happens often enough to test what it promises. */
const tidyLadderArb = ladderArbOf(true);

function taskId(index: number) {
  return `task-${index}`;
}

function resolvePointer(pointer: RawPointer, size: number): string | null {
  if (pointer.kind === "end") return null;
  if (pointer.kind === "missing") return "task-deleted";
  return taskId(pointer.index % size);
}

function resolveCondition(raw: RawCondition, fields: ReportField[]): Condition {
  if (raw.kind === "raw") return raw.condition;
  const field = fields[raw.fieldPick % Math.max(1, fields.length)];
  if (!field) return { field: "nope", op: raw.op, value: raw.number };
  switch (field.type) {
    case "number":
      return { field: field.key, op: raw.op, value: raw.number };
    case "choice":
      return {
        field: field.key,
        op: raw.flag ? "eq" : "neq",
        value: field.options[raw.pick % field.options.length]!,
      };
    case "yesno":
      return { field: field.key, op: raw.pick % 2 === 0 ? "eq" : "neq", value: raw.flag };
    case "text":
      return { field: field.key, op: raw.flag ? "eq" : "neq", value: "x" };
  }
}

function buildLadder(raw: RawTask[], first: number | "missing" | null): Ladder {
  const size = raw.length;
  const tasks = new Map<string, LadderTask>();
  raw.forEach((task, index) => {
    const rules: FollowUpRules = {
      rules: task.rules.map((rule) => ({
        when: rule.when.map((c) => resolveCondition(c, task.fields)),
        next: resolvePointer(rule.next, size),
      })),
      defaultNext: resolvePointer(task.defaultNext, size),
      onSkip: resolvePointer(task.onSkip, size),
    };
    if (task.endMessage !== undefined) rules.endMessage = task.endMessage;
    tasks.set(taskId(index), {
      id: taskId(index),
      versionId: `${taskId(index)}-v1`,
      title: `Task ${index}`,
      dueAfterDays: task.dueAfterDays,
      fields: task.fields,
      rules,
      archived: task.archived,
    });
  });
  const firstTaskId =
    first === null ? null : first === "missing" ? "task-deleted" : taskId(first % size);
  return { campaignId: "campaign", firstTaskId, tasks };
}

const valuesArb: fc.Arbitrary<ReportValues> = fc.dictionary(
  fc.constantFrom<string>(...KEYS, "other"),
  scalarArb,
  { maxKeys: 6 },
);
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 4, arbitrary: valuesArb.map((values): Outcome => ({ kind: "report", values })) },
  { weight: 1, arbitrary: fc.constant<Outcome>({ kind: "skip", reason: "Busy" }) },
);

/** Any version a volunteer might hold: the task's current one, or an older one with other rules. */
function assignedFrom(task: LadderTask): AssignedVersion {
  return { taskId: task.id, versionId: task.versionId, fields: task.fields, rules: task.rules };
}

/** A plain assertion: `expect` is too slow for the hot loops below (tens of thousands of checks). */
function check(condition: boolean, message: string, detail?: unknown): asserts condition {
  if (!condition)
    throw new Error(`${message}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
}

function expectSoundDecision(ladder: Ladder, decision: Decision, now: Date) {
  check(decision.messages.length === 1, "exactly one outbox message", decision.messages);
  const [message] = decision.messages;
  if (decision.next === null) {
    check(
      message?.kind === "LADDER_COMPLETE" && message.taskId === null,
      "LADDER_COMPLETE at the end",
      message,
    );
    check(
      typeof decision.endMessage === "string" && decision.endMessage.trim() !== "",
      "an end message at the end",
      decision.endMessage,
    );
    return;
  }
  const task = ladder.tasks.get(decision.next.taskId);
  check(task !== undefined, "the next task exists", decision.next);
  check(!task.archived, "the next task is not archived", decision.next);
  check(
    decision.next.versionId === task.versionId,
    "the next step is the task's current version",
    decision.next,
  );
  check(decision.next.dueAt.getTime() > now.getTime(), "due after now", decision.next);
  check(
    decision.next.dueAt.getTime() === now.getTime() + task.dueAfterDays * 24 * 60 * 60 * 1000,
    "due after the task's days",
    decision.next,
  );
  check(decision.endMessage === null, "no end message mid-ladder", decision.endMessage);
  check(
    message?.kind === "TASK_ASSIGNED" && message.taskId === task.id,
    "TASK_ASSIGNED for the next task",
    message,
  );
}

/** Independent reference: every live task from which some path (rules, default, skip) ends. */
function tasksThatCanFinish(ladder: Ladder): Set<string> {
  const canFinish = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of ladder.tasks.values()) {
      if (task.archived || canFinish.has(task.id)) continue;
      const targets = [
        ...task.rules.rules.map((rule) => rule.next),
        task.rules.defaultNext,
        task.rules.onSkip,
      ];
      if (targets.some((target) => target === null || canFinish.has(target))) {
        canFinish.add(task.id);
        changed = true;
      }
    }
  }
  return canFinish;
}

function reachableFromFirst(ladder: Ladder): Set<string> {
  const seen = new Set<string>();
  const start = ladder.firstTaskId;
  if (start === null || !ladder.tasks.has(start)) return seen;
  const queue = [start];
  seen.add(start);
  while (queue.length > 0) {
    const task = ladder.tasks.get(queue.shift()!);
    if (!task) continue;
    for (const target of [
      ...task.rules.rules.map((rule) => rule.next),
      task.rules.defaultNext,
      task.rules.onSkip,
    ]) {
      if (target !== null && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------

describe("decideNext (property)", () => {
  it("never throws and always gives the end or a usable task's current version, due in the future", () => {
    fc.assert(
      fc.property(
        ladderArb,
        fc.nat({ max: 7 }),
        outcomeArb,
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (ladder, pick, outcome, ms) => {
          const tasks = [...ladder.tasks.values()];
          const assignedTask = tasks[pick % tasks.length]!; // archived ones too: people may hold them
          const now = new Date(ms);
          const decision = decideNext({
            ladder,
            assigned: assignedFrom(assignedTask),
            outcome,
            history: [],
            now,
          });
          expectSoundDecision(ladder, decision, now);
          if (outcome.kind === "skip") expect(decision.metrics).toEqual([]);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("holds for an assigned version the ladder no longer has (rules from another task, task deleted)", () => {
    fc.assert(
      fc.property(
        ladderArb,
        ladderArb,
        fc.nat({ max: 7 }),
        outcomeArb,
        (ladder, other, pick, outcome) => {
          const tasks = [...other.tasks.values()];
          const old = tasks[pick % tasks.length]!;
          const assigned: AssignedVersion = {
            ...assignedFrom(old),
            taskId: pick % 2 === 0 ? old.id : "task-deleted",
            versionId: "old-version",
          };
          const decision = decideNext({ ladder, assigned, outcome, history: [], now: NOW });
          expectSoundDecision(ladder, decision, NOW);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("metrics only come from number fields with a metric key and a numeric answer", () => {
    fc.assert(
      fc.property(ladderArb, fc.nat({ max: 7 }), valuesArb, (ladder, pick, values) => {
        const tasks = [...ladder.tasks.values()];
        const task = tasks[pick % tasks.length]!;
        const decision = decideNext({
          ladder,
          assigned: assignedFrom(task),
          outcome: { kind: "report", values },
          history: [],
          now: NOW,
        });
        const allowed = new Set(
          task.fields.flatMap((field) =>
            field.type === "number" && field.metricKey && typeof values[field.key] === "number"
              ? [field.metricKey]
              : [],
          ),
        );
        expect(new Set(decision.metrics.map((metric) => metric.metricKey))).toEqual(allowed);
        for (const metric of decision.metrics) expect(Number.isFinite(metric.value)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("a volunteer walking the ladder has at most one open step and the walk always ends or hits the cap", () => {
    type Edit = {
      atStep: number;
      taskPick: number;
      kind: "archive" | "unarchive" | "new-version" | "delete";
    };
    const editArb: fc.Arbitrary<Edit> = fc.record({
      atStep: fc.nat({ max: MAX_STEPS }),
      taskPick: fc.nat({ max: 7 }),
      kind: fc.constantFrom("archive", "unarchive", "new-version", "delete"),
    });
    fc.assert(
      fc.property(
        ladderArb,
        fc.array(outcomeArb, { minLength: 1, maxLength: MAX_STEPS }),
        fc.array(editArb, { maxLength: 5 }),
        (generated, outcomes, edits) => {
          // Edits replace entries, never mutate them, so a copy of the map keeps the generated value intact.
          const ladder: Ladder = { ...generated, tasks: new Map(generated.tasks) };
          let now = NOW;
          const first = decideFirst({ ladder, now });
          if (first.next === null) {
            expect([...ladder.tasks.values()].every((task) => task.archived)).toBe(true);
            expect(first.messages).toEqual([]);
            return;
          }
          expectSoundDecision(ladder, first, now);
          // The open assignments: the engine's decision is the only way one is created.
          let open: Array<{ assigned: AssignedVersion; dueAt: Date }> = [];
          const give = (decision: Decision) => {
            if (!decision.next) return;
            const task = ladder.tasks.get(decision.next.taskId)!;
            open.push({ assigned: assignedFrom(task), dueAt: decision.next.dueAt });
          };
          give(first);
          let steps = 0;
          let ended = false;
          while (steps < MAX_STEPS) {
            check(open.length === 1, "exactly one open step", open.length);
            // The organiser edits the ladder mid-flight; the volunteer keeps the version they were given.
            for (const edit of edits.filter((e) => e.atStep === steps)) {
              const ids = [...ladder.tasks.keys()];
              const id = ids[edit.taskPick % Math.max(1, ids.length)];
              const task = id === undefined ? undefined : ladder.tasks.get(id);
              if (!task || id === undefined) continue;
              if (edit.kind === "delete") ladder.tasks.delete(id);
              else if (edit.kind === "new-version")
                ladder.tasks.set(id, {
                  ...task,
                  versionId: `${task.versionId}+`,
                  rules: { ...task.rules, rules: [] },
                });
              else ladder.tasks.set(id, { ...task, archived: edit.kind === "archive" });
            }
            const current = open.shift()!;
            now = new Date(now.getTime() + 60 * 60 * 1000);
            const decision = decideNext({
              ladder,
              assigned: current.assigned,
              outcome: outcomes[steps % outcomes.length]!,
              history: [],
              now,
            });
            expectSoundDecision(ladder, decision, now);
            give(decision);
            check(open.length <= 1, "never more than one open step", open.length);
            steps += 1;
            if (decision.next === null) {
              ended = true;
              break;
            }
          }
          check(ended || steps === MAX_STEPS, "the walk ends or hits the cap");
          if (ended) check(open.length === 0, "nothing open after the end", open);
          open = [];
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("validateLadder (property)", () => {
  it("never throws, and no errors means every task can reach the end and the first task is usable", () => {
    let clean = 0;
    fc.assert(
      fc.property(fc.oneof(ladderArb, tidyLadderArb), (ladder) => {
        const result = validateLadder(ladder);
        for (const problem of [...result.errors, ...result.warnings])
          expect(problem.message.length).toBeGreaterThan(0);
        const live = [...ladder.tasks.values()].filter((task) => !task.archived);
        const canFinish = tasksThatCanFinish(ladder);
        if (live.some((task) => !canFinish.has(task.id)))
          expect(result.errors.length).toBeGreaterThan(0);
        if (result.errors.length > 0 || live.length === 0) return;
        clean += 1;
        // No errors: the first task is usable, no pointer is broken, and every reachable task can finish.
        const first = ladder.tasks.get(ladder.firstTaskId ?? "");
        expect(first?.archived).toBe(false);
        const reachable = reachableFromFirst(ladder);
        for (const id of reachable) {
          const task = ladder.tasks.get(id);
          expect(task?.archived).toBe(false);
          expect(canFinish.has(id)).toBe(true);
        }
        // Every live task nobody can reach gets a warning.
        const warned = new Set(result.warnings.map((warning) => warning.taskId));
        for (const task of live) expect(warned.has(task.id)).toBe(!reachable.has(task.id));
        // And the engine starts people on that first task.
        expect(decideFirst({ ladder, now: NOW }).next?.taskId).toBe(ladder.firstTaskId);
      }),
      { numRuns: NUM_RUNS },
    );
    // Make sure the interesting half of the implication was exercised.
    expect(clean).toBeGreaterThan(NUM_RUNS / 10);
  });
});
