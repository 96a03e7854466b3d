import { describe, expect, it } from "vitest";
import { adviceFor, needsReasons, syncOutcome } from "./outcome.ts";

const origin = "https://onward.example";
const taskPath = "/tasks/abc";

function answer(status: number, path: string, messages: string[] = []) {
  return { status, url: `${origin}${path}`, taskPath, messages };
}

describe("syncOutcome", () => {
  it("counts a redirect to the thanks page as sent, wherever it points", () => {
    expect(syncOutcome(answer(200, "/tasks/abc/thanks"))).toEqual({
      kind: "sent",
      thanksPath: "/tasks/abc/thanks",
    });
  });

  it("keeps the report for later when the person has to sign in again", () => {
    expect(syncOutcome(answer(200, "/sign-in?redirectTo=%2Ftasks%2Fabc%2Freport"))).toEqual({
      kind: "sign-in",
    });
    expect(syncOutcome(answer(200, "/sign-in/code"))).toEqual({ kind: "sign-in" });
  });

  it("refuses for good what the server refused, with its reasons", () => {
    expect(syncOutcome(answer(400, "/tasks/abc/report", ["Enter a number"]))).toEqual({
      kind: "rejected",
      status: 400,
      messages: ["Enter a number"],
    });
    expect(syncOutcome(answer(409, "/tasks/abc/report", ["Already used"]))).toMatchObject({
      kind: "rejected",
      status: 409,
    });
    expect(syncOutcome(answer(404, "/tasks/abc/report"))).toMatchObject({
      kind: "rejected",
      status: 404,
    });
  });

  it("reads landing on the task's own page as a task closed meanwhile", () => {
    expect(syncOutcome(answer(200, taskPath, ["You reported back on this task."]))).toEqual({
      kind: "rejected",
      status: 409,
      messages: ["You reported back on this task."],
    });
  });

  it("tries again later after a server error, a rate limit or any other page", () => {
    for (const [status, path] of [
      [500, "/tasks/abc/report"],
      [503, "/tasks/abc/report"],
      [429, "/tasks/abc/report"],
      [200, "/tasks/other"],
      [200, "/me"],
    ] as const) {
      expect(syncOutcome(answer(status, path))).toEqual({ kind: "retry" });
    }
  });
});

describe("needsReasons", () => {
  it("reads the page only when it explains a refusal", () => {
    expect(needsReasons(answer(400, "/tasks/abc/report"))).toBe(true);
    expect(needsReasons(answer(409, "/tasks/abc/report"))).toBe(true);
    expect(needsReasons(answer(200, taskPath))).toBe(true);
    expect(needsReasons(answer(200, "/tasks/abc/thanks"))).toBe(false);
    expect(needsReasons(answer(500, "/tasks/abc/report"))).toBe(false);
  });
});

describe("adviceFor", () => {
  it("sends answers the server couldn't take back to the form, and closed tasks to the task", () => {
    expect(adviceFor(400, taskPath).link).toBe("/tasks/abc/report");
    expect(adviceFor(409, taskPath).link).toBe(taskPath);
    expect(adviceFor(404, taskPath).link).toBe("/me");
  });
});
