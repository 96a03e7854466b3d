import { describe, expect, it } from "vitest";
import type { ReportValues } from "../schemas/report.ts";
import type { Condition, FollowUpRules, ReportField } from "../schemas/task.ts";
import {
  DEFAULT_END_MESSAGE,
  conditionHolds,
  decideFirst,
  decideNext,
  ladderFromRows,
  type AssignedVersion,
  type Ladder,
  type LadderTask,
  type Outcome,
} from "./engine.ts";
import { validateLadder } from "./validate.ts";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2025-01-15T10:30:00.000Z");

// A copy of the demo ladder (prisma/seed-demo.ts), with readable ids.
const DOORS_FIELDS: ReportField[] = [
  {
    type: "number",
    key: "doors",
    label: "How many doors did you knock on?",
    required: true,
    min: 0,
    max: 500,
    unit: "doors",
    metricKey: "doors",
  },
  {
    type: "number",
    key: "conversations",
    label: "How many people did you talk to?",
    required: false,
    min: 0,
    max: 500,
    unit: "people",
  },
  {
    type: "choice",
    key: "outcome",
    label: "How did it go?",
    required: true,
    options: ["It went well", "It was hard", "I couldn't do it"],
  },
  {
    type: "yesno",
    key: "would_lead",
    label: "Would you lead a small team next time?",
    required: false,
  },
];
const DOORS_RULES: FollowUpRules = {
  rules: [
    { when: [{ field: "outcome", op: "eq", value: "I couldn't do it" }], next: "leaflets" },
    {
      when: [
        { field: "doors", op: "gte", value: 20 },
        { field: "would_lead", op: "eq", value: true },
      ],
      next: "team",
    },
    { when: [{ field: "doors", op: "gte", value: 20 }], next: "stall" },
  ],
  defaultNext: "doors",
  onSkip: "leaflets",
};
const TEAM_END =
  "You've done every step of this campaign. Thank you! We'll be in touch about what comes next.";

function demoTasks(): LadderTask[] {
  return [
    {
      id: "doors",
      versionId: "doors-v1",
      title: "Knock on 20 doors",
      dueAfterDays: 7,
      fields: DOORS_FIELDS,
      rules: DOORS_RULES,
      archived: false,
    },
    {
      id: "stall",
      versionId: "stall-v1",
      title: "Run a street stall",
      dueAfterDays: 14,
      fields: [
        {
          type: "number",
          key: "signups",
          label: "How many people signed up for a check?",
          required: true,
          min: 0,
          max: 1000,
        },
        {
          type: "number",
          key: "doors",
          label: "How many homes did you reach?",
          required: false,
          min: 0,
          max: 1000,
          metricKey: "doors",
        },
      ],
      rules: { rules: [], defaultNext: "team", onSkip: "doors" },
      archived: false,
    },
    {
      id: "team",
      versionId: "team-v1",
      title: "Lead a team of three",
      dueAfterDays: 21,
      fields: [
        {
          type: "number",
          key: "doors",
          label: "How many doors did your team knock on?",
          required: true,
          min: 0,
          max: 2000,
          metricKey: "doors",
        },
        {
          type: "number",
          key: "team_size",
          label: "How many people were in your team?",
          required: true,
          min: 1,
          max: 20,
        },
      ],
      rules: { rules: [], defaultNext: null, onSkip: null, endMessage: TEAM_END },
      archived: false,
    },
    {
      id: "leaflets",
      versionId: "leaflets-v1",
      title: "Deliver 30 leaflets",
      dueAfterDays: 7,
      fields: [
        {
          type: "number",
          key: "leaflets",
          label: "How many leaflets did you deliver?",
          required: true,
          min: 0,
          max: 500,
        },
        {
          type: "number",
          key: "doors",
          label: "How many homes was that?",
          required: false,
          min: 0,
          max: 500,
          metricKey: "doors",
        },
      ],
      rules: { rules: [], defaultNext: "doors", onSkip: null },
      archived: false,
    },
  ];
}

function ladderOf(tasks: LadderTask[], firstTaskId: string | null = "doors"): Ladder {
  return {
    campaignId: "warmer-homes",
    firstTaskId,
    tasks: new Map(tasks.map((task) => [task.id, task])),
  };
}

function demoLadder(edit?: (tasks: Map<string, LadderTask>) => void): Ladder {
  const ladder = ladderOf(demoTasks());
  edit?.(ladder.tasks);
  return ladder;
}

function assignedOf(ladder: Ladder, taskId: string): AssignedVersion {
  const task = ladder.tasks.get(taskId);
  if (!task) throw new Error(`no task ${taskId}`);
  return { taskId: task.id, versionId: task.versionId, fields: task.fields, rules: task.rules };
}

function report(values: ReportValues): Outcome {
  return { kind: "report", values };
}

function next(ladder: Ladder, taskId: string, outcome: Outcome) {
  return decideNext({
    ladder,
    assigned: assignedOf(ladder, taskId),
    outcome,
    history: [],
    now: NOW,
  });
}

/** A one-task ladder with one rule, to test a single condition against values. */
function ruleFires(
  condition: Condition,
  values: ReportValues,
  fields: ReportField[] = [],
): boolean {
  const tasks: LadderTask[] = [
    {
      id: "a",
      versionId: "a1",
      title: "A",
      dueAfterDays: 1,
      fields,
      rules: { rules: [{ when: [condition], next: "b" }], defaultNext: null, onSkip: null },
      archived: false,
    },
    {
      id: "b",
      versionId: "b1",
      title: "B",
      dueAfterDays: 1,
      fields: [],
      rules: { rules: [], defaultNext: null, onSkip: null },
      archived: false,
    },
  ];
  const decision = next(ladderOf(tasks, "a"), "a", report(values));
  return decision.next?.taskId === "b" && decision.matchedRule === 0;
}

describe("decideFirst", () => {
  it("gives the first task, due after its number of days", () => {
    const decision = decideFirst({ ladder: demoLadder(), now: NOW });
    expect(decision).toEqual({
      next: { taskId: "doors", versionId: "doors-v1", dueAt: new Date(NOW.getTime() + 7 * DAY) },
      endMessage: null,
      matchedRule: null,
      metrics: [],
      messages: [{ kind: "TASK_ASSIGNED", taskId: "doors" }],
    });
  });

  it("falls back to the first usable task in order when the first task is archived or gone", () => {
    const archived = demoLadder((tasks) => {
      tasks.get("doors")!.archived = true;
    });
    expect(decideFirst({ ladder: archived, now: NOW })).toMatchObject({
      next: { taskId: "stall" },
      matchedRule: "fallback-first",
    });
    const gone = { ...demoLadder(), firstTaskId: "deleted" };
    expect(decideFirst({ ladder: gone, now: NOW })).toMatchObject({
      next: { taskId: "doors" },
      matchedRule: "fallback-first",
    });
    const unset = { ...demoLadder(), firstTaskId: null };
    expect(decideFirst({ ladder: unset, now: NOW })).toMatchObject({
      next: { taskId: "doors" },
      matchedRule: "fallback-first",
    });
  });

  it("gives nothing when every task is archived, without a thank-you", () => {
    const ladder = demoLadder((tasks) => {
      for (const task of tasks.values()) task.archived = true;
    });
    expect(decideFirst({ ladder, now: NOW })).toEqual({
      next: null,
      endMessage: null,
      matchedRule: null,
      metrics: [],
      messages: [],
    });
    expect(decideFirst({ ladder: ladderOf([], null), now: NOW }).next).toBeNull();
  });
});

describe("decideNext: the demo ladder", () => {
  it("'I couldn't do it' goes to leaflets (rule 1)", () => {
    const decision = next(demoLadder(), "doors", report({ doors: 3, outcome: "I couldn't do it" }));
    expect(decision).toEqual({
      next: {
        taskId: "leaflets",
        versionId: "leaflets-v1",
        dueAt: new Date(NOW.getTime() + 7 * DAY),
      },
      endMessage: null,
      matchedRule: 0,
      metrics: [{ metricKey: "doors", value: 3 }],
      messages: [{ kind: "TASK_ASSIGNED", taskId: "leaflets" }],
    });
  });

  it("the first matching rule wins, even when later rules match too", () => {
    const decision = next(
      demoLadder(),
      "doors",
      report({ doors: 50, outcome: "I couldn't do it", would_lead: true }),
    );
    expect(decision.matchedRule).toBe(0);
    expect(decision.next?.taskId).toBe("leaflets");
  });

  it("conditions in a rule are ANDed: 20+ doors and would lead → team", () => {
    expect(
      next(demoLadder(), "doors", report({ doors: 20, outcome: "It went well", would_lead: true })),
    ).toMatchObject({
      next: { taskId: "team", versionId: "team-v1", dueAt: new Date(NOW.getTime() + 21 * DAY) },
      matchedRule: 1,
    });
    expect(
      next(
        demoLadder(),
        "doors",
        report({ doors: 20, outcome: "It went well", would_lead: false }),
      ),
    ).toMatchObject({
      next: { taskId: "stall" },
      matchedRule: 2,
    });
  });

  it("a missing optional answer makes its condition false, not an error", () => {
    expect(
      next(demoLadder(), "doors", report({ doors: 25, outcome: "It went well" })),
    ).toMatchObject({
      next: { taskId: "stall", dueAt: new Date(NOW.getTime() + 14 * DAY) },
      matchedRule: 2,
    });
  });

  it("no rule matches → the default, which can repeat the same task", () => {
    const decision = next(
      demoLadder(),
      "doors",
      report({ doors: 19, outcome: "It was hard", would_lead: true }),
    );
    expect(decision).toMatchObject({
      next: { taskId: "doors", versionId: "doors-v1" },
      matchedRule: "default",
    });
    expect(decision.messages).toEqual([{ kind: "TASK_ASSIGNED", taskId: "doors" }]);
  });

  it("an empty report uses the default", () => {
    expect(next(demoLadder(), "doors", report({}))).toMatchObject({
      next: { taskId: "doors" },
      matchedRule: "default",
      metrics: [],
    });
  });

  it("the last task ends the ladder with its own end message", () => {
    expect(next(demoLadder(), "team", report({ doors: 60, team_size: 3 }))).toEqual({
      next: null,
      endMessage: TEAM_END,
      matchedRule: "default",
      metrics: [{ metricKey: "doors", value: 60 }],
      messages: [{ kind: "LADDER_COMPLETE", taskId: null }],
    });
  });

  it("without an end message, the ladder ends with the default thank-you", () => {
    const ladder = demoLadder((tasks) => {
      const leaflets = tasks.get("leaflets")!;
      leaflets.rules = { ...leaflets.rules, defaultNext: null };
    });
    expect(next(ladder, "leaflets", report({ leaflets: 30 }))).toMatchObject({
      next: null,
      endMessage: DEFAULT_END_MESSAGE,
    });
    const blank = demoLadder((tasks) => {
      const team = tasks.get("team")!;
      team.rules = { ...team.rules, endMessage: "   " };
    });
    expect(next(blank, "team", report({})).endMessage).toBe(DEFAULT_END_MESSAGE);
  });

  it("a rule can end the ladder explicitly (next: null)", () => {
    const ladder = demoLadder((tasks) => {
      const doors = tasks.get("doors")!;
      doors.rules = {
        ...doors.rules,
        rules: [
          { when: [{ field: "doors", op: "gte", value: 400 }], next: null },
          ...doors.rules.rules,
        ],
      };
    });
    expect(next(ladder, "doors", report({ doors: 400, outcome: "It went well" }))).toMatchObject({
      next: null,
      matchedRule: 0,
      endMessage: DEFAULT_END_MESSAGE,
      messages: [{ kind: "LADDER_COMPLETE", taskId: null }],
    });
  });
});

describe("decideNext: skips", () => {
  it("a skip follows onSkip", () => {
    expect(next(demoLadder(), "doors", { kind: "skip", reason: "I was ill" })).toEqual({
      next: {
        taskId: "leaflets",
        versionId: "leaflets-v1",
        dueAt: new Date(NOW.getTime() + 7 * DAY),
      },
      endMessage: null,
      matchedRule: "skip",
      metrics: [],
      messages: [{ kind: "TASK_ASSIGNED", taskId: "leaflets" }],
    });
    expect(next(demoLadder(), "stall", { kind: "skip", reason: "Rain" })).toMatchObject({
      next: { taskId: "doors" },
      matchedRule: "skip",
    });
  });

  it("a skip with no onSkip ends the ladder, with the end message", () => {
    expect(next(demoLadder(), "leaflets", { kind: "skip", reason: "Busy" })).toEqual({
      next: null,
      endMessage: DEFAULT_END_MESSAGE,
      matchedRule: "skip",
      metrics: [],
      messages: [{ kind: "LADDER_COMPLETE", taskId: null }],
    });
    expect(next(demoLadder(), "team", { kind: "skip", reason: "Busy" }).endMessage).toBe(TEAM_END);
  });

  it("a skip ignores the rules", () => {
    const ladder = demoLadder((tasks) => {
      const doors = tasks.get("doors")!;
      doors.rules = { ...doors.rules, onSkip: "doors" };
    });
    expect(next(ladder, "doors", { kind: "skip", reason: "Later" })).toMatchObject({
      next: { taskId: "doors" },
      matchedRule: "skip",
    });
  });
});

describe("conditions: every op, with boundaries", () => {
  const n = (op: Condition["op"], value: number, actual: number) =>
    ruleFires({ field: "x", op, value }, { x: actual });

  it("gte vs gt at the threshold", () => {
    expect(n("gte", 20, 20)).toBe(true);
    expect(n("gte", 20, 19.99)).toBe(false);
    expect(n("gte", 20, 21)).toBe(true);
    expect(n("gt", 20, 20)).toBe(false);
    expect(n("gt", 20, 20.01)).toBe(true);
    expect(n("gt", 20, 19)).toBe(false);
  });

  it("lte vs lt at the threshold", () => {
    expect(n("lte", 5, 5)).toBe(true);
    expect(n("lte", 5, 5.01)).toBe(false);
    expect(n("lte", 5, 4)).toBe(true);
    expect(n("lt", 5, 5)).toBe(false);
    expect(n("lt", 5, 4.99)).toBe(true);
    expect(n("lt", 5, 6)).toBe(false);
  });

  it("eq and neq on numbers", () => {
    expect(n("eq", 0, 0)).toBe(true);
    expect(n("eq", 0, 1)).toBe(false);
    expect(n("eq", 0.5, 0.5)).toBe(true);
    expect(n("neq", 0, 1)).toBe(true);
    expect(n("neq", 0, 0)).toBe(false);
    expect(n("gte", 0, -0)).toBe(true);
  });

  it("negative numbers and decimals compare numerically", () => {
    expect(n("lt", 0, -1)).toBe(true);
    expect(n("gt", 2, 10)).toBe(true); // not "10" < "2" as strings
  });

  it("booleans: eq and neq compare exactly", () => {
    expect(ruleFires({ field: "y", op: "eq", value: true }, { y: true })).toBe(true);
    expect(ruleFires({ field: "y", op: "eq", value: true }, { y: false })).toBe(false);
    expect(ruleFires({ field: "y", op: "neq", value: true }, { y: false })).toBe(true);
    expect(ruleFires({ field: "y", op: "neq", value: false }, { y: false })).toBe(false);
    expect(ruleFires({ field: "y", op: "eq", value: false }, { y: false })).toBe(true);
  });

  it("strings: eq and neq compare exactly (case and spaces matter)", () => {
    expect(ruleFires({ field: "c", op: "eq", value: "It was hard" }, { c: "It was hard" })).toBe(
      true,
    );
    expect(ruleFires({ field: "c", op: "eq", value: "It was hard" }, { c: "it was hard" })).toBe(
      false,
    );
    expect(ruleFires({ field: "c", op: "eq", value: "It was hard" }, { c: "It was hard " })).toBe(
      false,
    );
    expect(ruleFires({ field: "c", op: "neq", value: "It was hard" }, { c: "It went well" })).toBe(
      true,
    );
    expect(ruleFires({ field: "c", op: "neq", value: "It was hard" }, { c: "It was hard" })).toBe(
      false,
    );
  });

  it("order ops never apply to strings or booleans", () => {
    for (const op of ["gte", "gt", "lte", "lt"] as const) {
      expect(ruleFires({ field: "c", op, value: "a" }, { c: "b" })).toBe(false);
      expect(ruleFires({ field: "c", op, value: "a" }, { c: "a" })).toBe(false);
      expect(ruleFires({ field: "y", op, value: true }, { y: true })).toBe(false);
    }
  });

  it("a type mismatch is false, for every op", () => {
    for (const op of ["gte", "gt", "lte", "lt", "eq", "neq"] as const) {
      expect(ruleFires({ field: "x", op, value: 20 }, { x: "20" }), `${op} number vs string`).toBe(
        false,
      );
      expect(ruleFires({ field: "x", op, value: "20" }, { x: 20 }), `${op} string vs number`).toBe(
        false,
      );
      expect(ruleFires({ field: "x", op, value: true }, { x: 1 }), `${op} boolean vs number`).toBe(
        false,
      );
      expect(ruleFires({ field: "x", op, value: 1 }, { x: true }), `${op} number vs boolean`).toBe(
        false,
      );
      expect(
        ruleFires({ field: "x", op, value: "yes" }, { x: true }),
        `${op} string vs boolean`,
      ).toBe(false);
    }
  });

  it("a missing field is false, for every op (neq included)", () => {
    for (const op of ["gte", "gt", "lte", "lt", "eq", "neq"] as const) {
      expect(ruleFires({ field: "x", op, value: 1 }, {})).toBe(false);
      expect(ruleFires({ field: "x", op, value: 1 }, { other: 1 })).toBe(false);
    }
    // Inherited properties are not answers.
    expect(conditionHolds({ field: "constructor", op: "neq", value: "x" }, {})).toBe(false);
    expect(conditionHolds({ field: "toString", op: "eq", value: "x" }, {})).toBe(false);
  });

  it("NaN counts as no answer", () => {
    expect(conditionHolds({ field: "x", op: "neq", value: 1 }, { x: Number.NaN })).toBe(false);
    expect(conditionHolds({ field: "x", op: "gte", value: 1 }, { x: Number.NaN })).toBe(false);
  });

  it("an unknown op is false, not an error", () => {
    expect(
      conditionHolds({ field: "x", op: "between" as Condition["op"], value: 1 }, { x: 1 }),
    ).toBe(false);
  });
});

describe("due dates", () => {
  it("is now + the next task's days, to the millisecond", () => {
    for (const [taskId, values, days] of [
      ["doors", { doors: 1, outcome: "It was hard" }, 7],
      ["doors", { doors: 30, outcome: "It went well" }, 14],
      ["stall", { signups: 3 }, 21],
    ] as const) {
      expect(next(demoLadder(), taskId, report(values)).next?.dueAt.getTime()).toBe(
        NOW.getTime() + days * DAY,
      );
    }
  });

  it("does not change `now`", () => {
    const now = new Date(NOW);
    decideNext({
      ladder: demoLadder(),
      assigned: assignedOf(demoLadder(), "doors"),
      outcome: report({}),
      history: [],
      now,
    });
    expect(now.getTime()).toBe(NOW.getTime());
  });

  it("a task due after 0 or fewer days is due after one day", () => {
    const ladder = demoLadder((tasks) => {
      tasks.get("leaflets")!.dueAfterDays = 0;
      tasks.get("stall")!.dueAfterDays = -5;
    });
    expect(next(ladder, "doors", { kind: "skip", reason: "x" }).next?.dueAt.getTime()).toBe(
      NOW.getTime() + DAY,
    );
    expect(
      next(ladder, "doors", report({ doors: 20, outcome: "It went well" })).next?.dueAt.getTime(),
    ).toBe(NOW.getTime() + DAY);
  });
});

describe("a ladder edited mid-flight", () => {
  it("the assigned version's rules are used, not the current version's", () => {
    const ladder = demoLadder();
    const old: AssignedVersion = {
      taskId: "doors",
      versionId: "doors-v0",
      fields: DOORS_FIELDS,
      rules: {
        rules: [{ when: [{ field: "doors", op: "gte", value: 5 }], next: "team" }],
        defaultNext: "leaflets",
        onSkip: null,
      },
    };
    // The current version (v1) would send 10 doors back to "doors"; v0 sends it to the team.
    const decision = decideNext({
      ladder,
      assigned: old,
      outcome: report({ doors: 10, outcome: "It went well" }),
      history: [],
      now: NOW,
    });
    expect(decision).toMatchObject({
      next: { taskId: "team", versionId: "team-v1" },
      matchedRule: 0,
    });
    expect(
      decideNext({
        ladder,
        assigned: old,
        outcome: { kind: "skip", reason: "x" },
        history: [],
        now: NOW,
      }),
    ).toMatchObject({
      next: null,
      matchedRule: "skip",
    });
  });

  it("the next task gets its current version", () => {
    const ladder = demoLadder((tasks) => {
      tasks.set("stall", { ...tasks.get("stall")!, versionId: "stall-v2", dueAfterDays: 10 });
    });
    expect(next(ladder, "doors", report({ doors: 20, outcome: "It went well" })).next).toEqual({
      taskId: "stall",
      versionId: "stall-v2",
      dueAt: new Date(NOW.getTime() + 10 * DAY),
    });
  });

  it("the assigned version's fields decide the metrics", () => {
    const old: AssignedVersion = {
      taskId: "doors",
      versionId: "doors-v0",
      fields: [
        { type: "number", key: "knocked", label: "Doors", required: true, metricKey: "doors" },
      ],
      rules: { rules: [], defaultNext: null, onSkip: null },
    };
    expect(
      decideNext({
        ladder: demoLadder(),
        assigned: old,
        outcome: report({ knocked: 12, doors: 99 }),
        history: [],
        now: NOW,
      }).metrics,
    ).toEqual([{ metricKey: "doors", value: 12 }]);
  });

  it("a rule pointing at an archived task falls back to the task's current default", () => {
    const ladder = demoLadder((tasks) => {
      tasks.get("stall")!.archived = true;
    });
    const decision = next(ladder, "doors", report({ doors: 30, outcome: "It went well" }));
    expect(decision).toMatchObject({
      next: { taskId: "doors", versionId: "doors-v1" },
      matchedRule: "default",
      fallback: { wanted: "stall", reason: "archived" },
      messages: [{ kind: "TASK_ASSIGNED", taskId: "doors" }],
    });
  });

  it("uses the current default, not the assigned version's", () => {
    const ladder = demoLadder((tasks) => {
      tasks.get("stall")!.archived = true;
      const doors = tasks.get("doors")!;
      tasks.set("doors", {
        ...doors,
        versionId: "doors-v2",
        rules: { ...doors.rules, defaultNext: "leaflets" },
      });
    });
    const assigned: AssignedVersion = {
      taskId: "doors",
      versionId: "doors-v1",
      fields: DOORS_FIELDS,
      rules: DOORS_RULES,
    };
    const decision = decideNext({
      ladder,
      assigned,
      outcome: report({ doors: 30, outcome: "It went well" }),
      history: [],
      now: NOW,
    });
    expect(decision).toMatchObject({
      next: { taskId: "leaflets" },
      matchedRule: "default",
      fallback: { wanted: "stall" },
    });
  });

  it("a deleted target with no usable default ends the ladder rather than stranding anyone", () => {
    const ladder = demoLadder((tasks) => {
      tasks.delete("stall");
      tasks.get("doors")!.archived = true; // the assigned task itself is archived too; its default is itself
    });
    const decision = next(ladder, "doors", report({ doors: 30, outcome: "It went well" }));
    expect(decision).toEqual({
      next: null,
      endMessage: DEFAULT_END_MESSAGE,
      matchedRule: null,
      metrics: [{ metricKey: "doors", value: 30 }],
      messages: [{ kind: "LADDER_COMPLETE", taskId: null }],
      fallback: { wanted: "stall", reason: "missing" },
    });
  });

  it("an archived onSkip target falls back too", () => {
    const ladder = demoLadder((tasks) => {
      tasks.get("leaflets")!.archived = true;
    });
    expect(next(ladder, "doors", { kind: "skip", reason: "x" })).toMatchObject({
      next: { taskId: "doors" },
      matchedRule: "default",
      fallback: { wanted: "leaflets", reason: "archived" },
    });
  });

  it("when the assigned task was removed from the ladder, its own default is the fallback", () => {
    const ladder = demoLadder((tasks) => {
      tasks.get("stall")!.archived = true;
    });
    const assigned = assignedOf(ladder, "doors");
    ladder.tasks.delete("doors");
    const decision = decideNext({
      ladder,
      assigned,
      outcome: report({ doors: 30, outcome: "It went well" }),
      history: [],
      now: NOW,
    });
    // Default "doors" is gone as well → end.
    expect(decision).toMatchObject({ next: null, matchedRule: null });
  });

  it("no fallback is recorded when the target is fine", () => {
    expect(
      next(demoLadder(), "doors", report({ doors: 1, outcome: "It was hard" })),
    ).not.toHaveProperty("fallback");
  });
});

describe("metrics", () => {
  it("only number fields with a metric key and an answer", () => {
    expect(
      next(demoLadder(), "doors", report({ doors: 42, conversations: 10, outcome: "It went well" }))
        .metrics,
    ).toEqual([{ metricKey: "doors", value: 42 }]);
    expect(next(demoLadder(), "stall", report({ signups: 5 })).metrics).toEqual([]);
    expect(next(demoLadder(), "stall", report({ signups: 5, doors: 0 })).metrics).toEqual([
      { metricKey: "doors", value: 0 },
    ]);
  });

  it("ignores answers that aren't numbers", () => {
    expect(next(demoLadder(), "stall", report({ doors: "12" })).metrics).toEqual([]);
    expect(next(demoLadder(), "stall", report({ doors: true })).metrics).toEqual([]);
    expect(next(demoLadder(), "stall", report({ doors: Number.NaN })).metrics).toEqual([]);
  });

  it("none for a skip", () => {
    expect(next(demoLadder(), "doors", { kind: "skip", reason: "x" }).metrics).toEqual([]);
  });

  it("adds up fields that feed the same metric", () => {
    const assigned: AssignedVersion = {
      taskId: "doors",
      versionId: "x",
      fields: [
        { type: "number", key: "morning", label: "Morning", required: false, metricKey: "doors" },
        {
          type: "number",
          key: "afternoon",
          label: "Afternoon",
          required: false,
          metricKey: "doors",
        },
        {
          type: "number",
          key: "leaflets",
          label: "Leaflets",
          required: false,
          metricKey: "leaflets",
        },
        { type: "text", key: "notes", label: "Notes", required: false },
      ],
      rules: { rules: [], defaultNext: null, onSkip: null },
    };
    const decision = decideNext({
      ladder: demoLadder(),
      assigned,
      outcome: report({ morning: 10, afternoon: 5, leaflets: 3, notes: "hi" }),
      history: [],
      now: NOW,
    });
    expect(decision.metrics).toEqual([
      { metricKey: "doors", value: 15 },
      { metricKey: "leaflets", value: 3 },
    ]);
  });
});

describe("ladderFromRows", () => {
  it("parses stored fields and rules", () => {
    const ladder = ladderFromRows({
      campaignId: "c",
      firstTaskId: "doors",
      rows: [
        {
          id: "doors",
          archivedAt: null,
          currentVersion: {
            id: "v1",
            title: "Knock",
            dueAfterDays: 7,
            fields: DOORS_FIELDS,
            rules: DOORS_RULES,
          },
        },
        {
          id: "old",
          archivedAt: new Date(),
          currentVersion: { id: "v9", title: "Old", dueAfterDays: 3, fields: [], rules: {} },
        },
      ],
    });
    expect(ladder.firstTaskId).toBe("doors");
    expect(ladder.campaignId).toBe("c");
    expect(ladder.tasks.get("doors")).toEqual({
      id: "doors",
      versionId: "v1",
      title: "Knock",
      dueAfterDays: 7,
      fields: DOORS_FIELDS,
      rules: DOORS_RULES,
      archived: false,
    });
    expect(ladder.tasks.get("old")).toMatchObject({
      archived: true,
      rules: { rules: [], defaultNext: null, onSkip: null },
    });
  });

  it("treats unreadable JSON as no fields and rules that end the ladder", () => {
    const ladder = ladderFromRows({
      campaignId: "c",
      firstTaskId: "a",
      rows: [
        {
          id: "a",
          archivedAt: null,
          currentVersion: {
            id: "a1",
            title: "A",
            dueAfterDays: 7,
            fields: "nonsense",
            rules: { rules: "x" },
          },
        },
        {
          id: "b",
          archivedAt: null,
          currentVersion: {
            id: "b1",
            title: "B",
            dueAfterDays: 7,
            fields: [{ type: "number" }],
            rules: null,
          },
        },
        {
          id: "c",
          archivedAt: null,
          currentVersion: {
            id: "c1",
            title: "C",
            dueAfterDays: 7,
            fields: DOORS_FIELDS,
            rules: 42,
          },
        },
      ],
    });
    expect(ladder.tasks.get("a")).toMatchObject({
      fields: [],
      rules: { rules: [], defaultNext: null, onSkip: null },
    });
    expect(ladder.tasks.get("b")).toMatchObject({
      fields: [],
      rules: { rules: [], defaultNext: null, onSkip: null },
    });
    // Fields and rules are read separately.
    expect(ladder.tasks.get("c")).toMatchObject({
      fields: DOORS_FIELDS,
      rules: { rules: [], defaultNext: null, onSkip: null },
    });
    expect(
      decideNext({
        ladder,
        assigned: assignedOf(ladder, "a"),
        outcome: report({ x: 1 }),
        history: [],
        now: NOW,
      }),
    ).toMatchObject({
      next: null,
      matchedRule: "default",
    });
  });

  it("leaves out a task with no current version", () => {
    const ladder = ladderFromRows({
      campaignId: "c",
      firstTaskId: "a",
      rows: [{ id: "a", archivedAt: null, currentVersion: null }],
    });
    expect(ladder.tasks.size).toBe(0);
    expect(decideFirst({ ladder, now: NOW }).next).toBeNull();
  });
});

// validate.ts has no test file of its own; its unit tests live here, next to the fixture.
describe("validateLadder", () => {
  const task = (
    id: string,
    rules: Partial<FollowUpRules>,
    extra: Partial<LadderTask> = {},
  ): LadderTask => ({
    id,
    versionId: `${id}-v1`,
    title: id.toUpperCase(),
    dueAfterDays: 7,
    fields: [],
    rules: { rules: [], defaultNext: null, onSkip: null, ...rules },
    archived: false,
    ...extra,
  });

  it("the demo ladder is fine", () => {
    expect(validateLadder(demoLadder())).toEqual({ errors: [], warnings: [] });
  });

  it("a rule, default or onSkip pointing at a deleted task", () => {
    const ladder = demoLadder((tasks) => {
      tasks.delete("stall");
    });
    const { errors } = validateLadder(ladder);
    expect(errors).toEqual([
      {
        taskId: "doors",
        message: "'Knock on 20 doors', follow-up rule 3, sends people to a task that was deleted.",
      },
    ]);
    const more = ladderOf([task("a", { defaultNext: "gone", onSkip: "gone" })], "a");
    expect(validateLadder(more).errors.map((e) => e.message)).toEqual([
      "'A' sends people to a task that was deleted when no follow-up rule matches.",
      "'A' sends people who skip it to a task that was deleted.",
    ]);
  });

  it("a target that is archived", () => {
    const ladder = demoLadder((tasks) => {
      tasks.get("leaflets")!.archived = true;
    });
    expect(validateLadder(ladder).errors).toEqual([
      {
        taskId: "doors",
        message:
          "'Knock on 20 doors', follow-up rule 1, sends people to 'Deliver 30 leaflets', which is archived.",
      },
      {
        taskId: "doors",
        message:
          "'Knock on 20 doors' sends people who skip it to 'Deliver 30 leaflets', which is archived.",
      },
    ]);
  });

  it("archived tasks themselves are not checked", () => {
    const ladder = ladderOf(
      [
        task("a", {}),
        task(
          "b",
          {
            defaultNext: "gone",
            rules: [{ when: [{ field: "nope", op: "gt", value: 1 }], next: "b" }],
          },
          { archived: true },
        ),
      ],
      "a",
    );
    expect(validateLadder(ladder)).toEqual({ errors: [], warnings: [] });
  });

  it("conditions on fields the form doesn't have, wrong ops and values", () => {
    const ladder = demoLadder((tasks) => {
      const doors = tasks.get("doors")!;
      doors.rules = {
        ...doors.rules,
        rules: [
          { when: [{ field: "streets", op: "gte", value: 2 }], next: null },
          { when: [{ field: "outcome", op: "gt", value: "It went well" }], next: null },
          { when: [{ field: "outcome", op: "eq", value: "Brilliant" }], next: null },
          { when: [{ field: "doors", op: "gte", value: "20" }], next: null },
          { when: [{ field: "would_lead", op: "eq", value: "yes" }], next: null },
          { when: [{ field: "would_lead", op: "lt", value: true }], next: null },
          {
            when: [
              { field: "outcome", op: "neq", value: "It was hard" },
              { field: "would_lead", op: "neq", value: false },
            ],
            next: null,
          },
        ],
      };
    });
    expect(validateLadder(ladder).errors.map((e) => e.message)).toEqual([
      "'Knock on 20 doors', follow-up rule 1, checks an answer ('streets') that isn't on this task's form.",
      `'Knock on 20 doors', follow-up rule 2, checks whether the answer to 'How did it go?' is more than something, but it is a choice. Use "is" or "is not".`,
      "'Knock on 20 doors', follow-up rule 3, checks the answer to 'How did it go?' against 'Brilliant', which isn't one of its options.",
      "'Knock on 20 doors', follow-up rule 4, compares the answer to 'How many doors did you knock on?' with '20', but the answer is a number.",
      "'Knock on 20 doors', follow-up rule 5, compares the answer to 'Would you lead a small team next time?' with 'yes', but the answer is yes or no.",
      `'Knock on 20 doors', follow-up rule 6, checks whether the answer to 'Would you lead a small team next time?' is less than something, but it is a yes/no question. Use "is" or "is not".`,
    ]);
  });

  it("text conditions: eq/neq with text only", () => {
    const notes: ReportField = { type: "text", key: "notes", label: "Notes", required: false };
    const ok = ladderOf(
      [
        task(
          "a",
          { rules: [{ when: [{ field: "notes", op: "eq", value: "help" }], next: null }] },
          { fields: [notes] },
        ),
      ],
      "a",
    );
    expect(validateLadder(ok).errors).toEqual([]);
    const bad = ladderOf(
      [
        task(
          "a",
          {
            rules: [
              { when: [{ field: "notes", op: "gte", value: "a" }], next: null },
              { when: [{ field: "notes", op: "eq", value: 3 }], next: null },
            ],
          },
          { fields: [notes] },
        ),
      ],
      "a",
    );
    expect(validateLadder(bad).errors).toHaveLength(2);
  });

  it("form problems: duplicate keys, reserved keys, min above max", () => {
    const fields: ReportField[] = [
      { type: "number", key: "doors", label: "Doors", required: true, min: 10, max: 5 },
      { type: "yesno", key: "doors", label: "Doors again", required: false },
      { type: "text", key: "feedback", label: "Feedback", required: false },
    ];
    expect(
      validateLadder(ladderOf([task("a", {}, { fields })], "a")).errors.map((e) => e.message),
    ).toEqual([
      "'A': the question 'Doors' has a smallest answer (10) bigger than its largest (5).",
      "'A' has two questions with the key 'doors'.",
      "'A' has a question with the key 'feedback', which the report form uses itself. Choose another key.",
    ]);
  });

  it("a loop with no way out", () => {
    const ladder = ladderOf(
      [
        task("a", { defaultNext: "b", onSkip: null }),
        task("b", { defaultNext: "c", onSkip: "b" }),
        task("c", { defaultNext: "b", onSkip: "c" }),
      ],
      "a",
    );
    expect(validateLadder(ladder).errors).toEqual([
      {
        taskId: "b",
        message:
          "'B' and 'C' send people round in a loop with no way to finish. Make a follow-up rule, the default or the skip option end the campaign or lead somewhere that does.",
      },
    ]);
  });

  it("a task that only repeats itself, and a task that only leads into a trap", () => {
    const ladder = ladderOf(
      [task("a", { defaultNext: "b", onSkip: "b" }), task("b", { defaultNext: "b", onSkip: "b" })],
      "a",
    );
    expect(validateLadder(ladder).errors.map((e) => e.message)).toEqual([
      "'A' only leads to tasks that loop with no way to finish.",
      "'B' sends people back to itself with no way to finish. Make a follow-up rule, the default or the skip option end the campaign or lead somewhere that does.",
    ]);
  });

  it("a loop with one exit is fine (the demo's 'do it again' loop)", () => {
    const ladder = ladderOf(
      [
        task(
          "a",
          {
            rules: [{ when: [{ field: "x", op: "gte", value: 1 }], next: null }],
            defaultNext: "a",
            onSkip: "a",
          },
          { fields: [{ type: "number", key: "x", label: "X", required: true }] },
        ),
      ],
      "a",
    );
    expect(validateLadder(ladder)).toEqual({ errors: [], warnings: [] });
    // Skipping out of a loop counts as an exit too.
    const viaSkip = ladderOf(
      [
        task("a", { defaultNext: "b", onSkip: null }),
        task("b", { defaultNext: "a", onSkip: null }),
      ],
      "a",
    );
    expect(validateLadder(viaSkip).errors).toEqual([]);
  });

  it("no first task, or an archived or deleted one", () => {
    expect(validateLadder({ ...demoLadder(), firstTaskId: null }).errors).toEqual([
      { taskId: null, message: "Choose the first task people are given." },
    ]);
    expect(validateLadder({ ...demoLadder(), firstTaskId: "gone" }).errors).toEqual([
      { taskId: "gone", message: "The first task was deleted. Choose a new first task." },
    ]);
    const archived = ladderOf([task("a", {}, { archived: true }), task("b", {})], "a");
    expect(validateLadder(archived).errors).toEqual([
      { taskId: "a", message: "The first task, 'A', is archived. Choose a new first task." },
    ]);
  });

  it("an empty ladder only gets a warning", () => {
    expect(validateLadder(ladderOf([], null))).toEqual({
      errors: [],
      warnings: [{ taskId: null, message: "This campaign has no tasks yet." }],
    });
    expect(validateLadder(ladderOf([task("a", {}, { archived: true })], "a")).errors).toEqual([]);
  });

  it("warns about tasks nobody can reach", () => {
    const ladder = demoLadder((tasks) => {
      tasks.set("extra", task("extra", {}, { title: "Write to your MP" }));
    });
    expect(validateLadder(ladder)).toEqual({
      errors: [],
      warnings: [
        {
          taskId: "extra",
          message:
            "Nobody will be given 'Write to your MP': no path from the first task leads to it.",
        },
      ],
    });
  });

  it("reachability follows the engine's fallback for targets that are gone", () => {
    // a → (archived) x; the engine sends people to a's default, b, instead.
    const ladder = ladderOf(
      [
        task(
          "a",
          { rules: [{ when: [{ field: "n", op: "gt", value: 0 }], next: "x" }], defaultNext: "b" },
          { fields: [{ type: "number", key: "n", label: "N", required: true }] },
        ),
        task("x", {}, { archived: true }),
        task("b", {}),
      ],
      "a",
    );
    const result = validateLadder(ladder);
    expect(result.errors).toHaveLength(1);
    expect(result.warnings).toEqual([]);
  });
});
