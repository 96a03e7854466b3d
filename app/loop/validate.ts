/**
 * Ladder checks for the campaign builder: pure, never throws. Errors should block publishing a
 * change; warnings are worth a look. Messages are plain English and use task titles.
 */
import { RESERVED_FIELD_KEYS } from "../schemas/report.ts";
import type { Condition, ReportField } from "../schemas/task.ts";
import { effectiveFirstTask, usableTask, type Ladder, type LadderTask } from "./engine.ts";

export type LadderProblem = { taskId: string | null; message: string };
export type LadderValidation = { errors: LadderProblem[]; warnings: LadderProblem[] };

/** Stands for "end of the ladder" in the graph below. */
const END = Symbol("end");
type Node = string | typeof END;

const ORDER_OPS = new Set<Condition["op"]>(["gte", "gt", "lte", "lt"]);
const OP_WORDS: Record<Condition["op"], string> = {
  gte: "at least",
  gt: "more than",
  lte: "at most",
  lt: "less than",
  eq: "equal to",
  neq: "not equal to",
};

function quote(text: string) {
  return `'${text}'`;
}

function listTitles(tasks: readonly LadderTask[]) {
  const titles = tasks.map((task) => quote(task.title));
  if (titles.length <= 1) return titles.join("");
  return `${titles.slice(0, -1).join(", ")} and ${titles[titles.length - 1]}`;
}

type Pointer = { target: string | null; describe: (task: LadderTask, what: string) => string };

/** Every place a task sends people: each rule, the default and the skip option. */
function pointersOf(task: LadderTask): Pointer[] {
  const pointers: Pointer[] = task.rules.rules.map((rule, index) => ({
    target: rule.next,
    describe: (t, what) =>
      `${quote(t.title)}, follow-up rule ${index + 1}, sends people to ${what}.`,
  }));
  pointers.push({
    target: task.rules.defaultNext,
    describe: (t, what) =>
      `${quote(t.title)} sends people to ${what} when no follow-up rule matches.`,
  });
  pointers.push({
    target: task.rules.onSkip,
    describe: (t, what) => `${quote(t.title)} sends people who skip it to ${what}.`,
  });
  return pointers;
}

/**
 * Where people can actually go from a task, as the engine decides it: a target that is gone falls
 * back to the task's default (if usable), else the end.
 */
function successors(ladder: Ladder, task: LadderTask): Set<Node> {
  const out = new Set<Node>();
  const fallback: Node = usableTask(ladder, task.rules.defaultNext)?.id ?? END;
  for (const { target } of pointersOf(task)) {
    if (target === null) out.add(END);
    else out.add(usableTask(ladder, target)?.id ?? fallback);
  }
  return out;
}

function fieldTypeWord(field: ReportField) {
  switch (field.type) {
    case "number":
      return "a number";
    case "choice":
      return "a choice";
    case "yesno":
      return "a yes/no question";
    case "text":
      return "free text";
  }
}

function valueWord(value: Condition["value"]) {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return String(value);
  return quote(value);
}

/** What is wrong with one condition, or null. */
function conditionProblem(
  task: LadderTask,
  ruleIndex: number,
  condition: Condition,
): string | null {
  const where = `${quote(task.title)}, follow-up rule ${ruleIndex + 1}`;
  const field = task.fields.find((candidate) => candidate.key === condition.field);
  if (!field)
    return `${where}, checks an answer (${quote(condition.field)}) that isn't on this task's form.`;
  const label = quote(field.label);
  const op = condition.op;
  const value = condition.value;
  if (!(op in OP_WORDS))
    return `${where}, compares the answer to ${label} in a way we don't recognise.`;
  switch (field.type) {
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return `${where}, compares the answer to ${label} with ${valueWord(value)}, but the answer is a number.`;
      }
      return null;
    case "choice":
      if (ORDER_OPS.has(op)) {
        return `${where}, checks whether the answer to ${label} is ${OP_WORDS[op]} something, but it is a choice. Use "is" or "is not".`;
      }
      if (typeof value !== "string" || !field.options.includes(value)) {
        return `${where}, checks the answer to ${label} against ${valueWord(value)}, which isn't one of its options.`;
      }
      return null;
    case "yesno":
    case "text":
      if (ORDER_OPS.has(op)) {
        return `${where}, checks whether the answer to ${label} is ${OP_WORDS[op]} something, but it is ${fieldTypeWord(field)}. Use "is" or "is not".`;
      }
      if (field.type === "yesno" && typeof value !== "boolean") {
        return `${where}, compares the answer to ${label} with ${valueWord(value)}, but the answer is yes or no.`;
      }
      if (field.type === "text" && typeof value !== "string") {
        return `${where}, compares the answer to ${label} with ${valueWord(value)}, but the answer is text.`;
      }
      return null;
  }
}

function checkForm(task: LadderTask, errors: LadderProblem[]) {
  const seen = new Set<string>();
  for (const field of task.fields) {
    if (seen.has(field.key)) {
      errors.push({
        taskId: task.id,
        message: `${quote(task.title)} has two questions with the key ${quote(field.key)}.`,
      });
    }
    seen.add(field.key);
    if (RESERVED_FIELD_KEYS.includes(field.key)) {
      errors.push({
        taskId: task.id,
        message: `${quote(task.title)} has a question with the key ${quote(field.key)}, which the report form uses itself. Choose another key.`,
      });
    }
    if (
      field.type === "number" &&
      field.min !== undefined &&
      field.max !== undefined &&
      field.min > field.max
    ) {
      errors.push({
        taskId: task.id,
        message: `${quote(task.title)}: the question ${quote(field.label)} has a smallest answer (${field.min}) bigger than its largest (${field.max}).`,
      });
    }
  }
}

/** Strongly connected components (Tarjan), iterative so a long ladder can't overflow the stack. */
function components(
  nodes: readonly string[],
  edges: (node: string) => readonly string[],
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; children: readonly string[]; next: number }> = [];
    const visit = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, children: edges(node), next: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.children.length) {
        const child = frame.children[frame.next]!;
        frame.next += 1;
        if (!index.has(child)) visit(child);
        else if (onStack.has(child))
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        result.push(component);
      }
    }
  }
  return result;
}

export function validateLadder(ladder: Ladder): LadderValidation {
  const errors: LadderProblem[] = [];
  const warnings: LadderProblem[] = [];
  const live = [...ladder.tasks.values()].filter((task) => !task.archived);

  if (live.length === 0) {
    warnings.push({ taskId: null, message: "This campaign has no tasks yet." });
    return { errors, warnings };
  }

  // The first task.
  if (ladder.firstTaskId === null) {
    errors.push({ taskId: null, message: "Choose the first task people are given." });
  } else {
    const first = ladder.tasks.get(ladder.firstTaskId);
    if (!first) {
      errors.push({
        taskId: ladder.firstTaskId,
        message: "The first task was deleted. Choose a new first task.",
      });
    } else if (first.archived) {
      errors.push({
        taskId: first.id,
        message: `The first task, ${quote(first.title)}, is archived. Choose a new first task.`,
      });
    }
  }

  // Each live task: its form, its conditions and where it sends people.
  for (const task of live) {
    checkForm(task, errors);
    task.rules.rules.forEach((rule, ruleIndex) => {
      for (const condition of rule.when) {
        const problem = conditionProblem(task, ruleIndex, condition);
        if (problem) errors.push({ taskId: task.id, message: problem });
      }
    });
    for (const pointer of pointersOf(task)) {
      if (pointer.target === null) continue;
      const target = ladder.tasks.get(pointer.target);
      if (!target)
        errors.push({
          taskId: task.id,
          message: pointer.describe(task, "a task that was deleted"),
        });
      else if (target.archived) {
        errors.push({
          taskId: task.id,
          message: pointer.describe(task, `${quote(target.title)}, which is archived`),
        });
      }
    }
  }

  // Loops with no way out: live tasks from which no path reaches the end of the ladder.
  const next = new Map<string, Set<Node>>(live.map((task) => [task.id, successors(ladder, task)]));
  const canFinish = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of live) {
      if (canFinish.has(task.id)) continue;
      for (const node of next.get(task.id) ?? []) {
        if (node === END || canFinish.has(node)) {
          canFinish.add(task.id);
          changed = true;
          break;
        }
      }
    }
  }
  const trapped = live.filter((task) => !canFinish.has(task.id));
  if (trapped.length > 0) {
    const trappedIds = new Set(trapped.map((task) => task.id));
    const edgesOf = (id: string) =>
      [...(next.get(id) ?? [])].filter(
        (node): node is string => node !== END && trappedIds.has(node),
      );
    const groups = components(
      trapped.map((task) => task.id),
      edgesOf,
    ).reverse(); // Tarjan finishes sinks first; report in ladder order instead
    const position = new Map(live.map((task, index) => [task.id, index]));
    groups.sort(
      (a, b) =>
        Math.min(...a.map((id) => position.get(id)!)) -
        Math.min(...b.map((id) => position.get(id)!)),
    );
    for (const group of groups) {
      const tasks = group
        .map((id) => ladder.tasks.get(id)!)
        .sort((a, b) => position.get(a.id)! - position.get(b.id)!);
      const head = tasks[0]!;
      const loops = group.length > 1 || edgesOf(head.id).includes(head.id);
      if (loops) {
        const who =
          tasks.length === 1
            ? `${quote(head.title)} sends people back to itself`
            : `${listTitles(tasks)} send people round in a loop`;
        errors.push({
          taskId: head.id,
          message: `${who} with no way to finish. Make a follow-up rule, the default or the skip option end the campaign or lead somewhere that does.`,
        });
      } else {
        errors.push({
          taskId: head.id,
          message: `${quote(head.title)} only leads to tasks that loop with no way to finish.`,
        });
      }
    }
  }

  // Tasks nobody can reach from the first task.
  const start = effectiveFirstTask(ladder).task;
  const reached = new Set<string>();
  if (start) {
    const queue = [start.id];
    reached.add(start.id);
    while (queue.length > 0) {
      const id = queue.shift()!;
      for (const node of next.get(id) ?? []) {
        if (node !== END && !reached.has(node)) {
          reached.add(node);
          queue.push(node);
        }
      }
    }
  }
  for (const task of live) {
    if (!reached.has(task.id)) {
      warnings.push({
        taskId: task.id,
        message: `Nobody will be given ${quote(task.title)}: no path from the first task leads to it.`,
      });
    }
  }

  return { errors, warnings };
}
