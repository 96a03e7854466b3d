import { describe, expect, it } from "vitest";
import { summaryMessage } from "./report-fields";

describe("summaryMessage", () => {
  it("puts the question before a message that doesn't name it", () => {
    expect(summaryMessage("How did it go?", "Choose one of the options")).toBe(
      "How did it go? Choose one of the options",
    );
    expect(summaryMessage("Doors knocked", "Enter a number from 0 to 500")).toBe(
      "Doors knocked: Enter a number from 0 to 500",
    );
    expect(summaryMessage("  Street.  ", "Keep this under 500 characters")).toBe(
      "Street. Keep this under 500 characters",
    );
  });

  it("keeps a message that already names its question", () => {
    expect(
      summaryMessage(
        "How many doors did you knock on?",
        "Answer: How many doors did you knock on?",
      ),
    ).toBe("Answer: How many doors did you knock on?");
  });

  it("keeps the message alone when the question has no words", () => {
    expect(summaryMessage("  ", "Choose yes or no")).toBe("Choose yes or no");
  });
});
