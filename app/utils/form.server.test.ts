import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MAX_LIST_INDEX, parseForm } from "./form.server.ts";

const schema = z.object({
  title: z.string().min(1),
  items: z.array(z.string()).max(3).default([]),
});

function form(entries: Array<[string, string | Blob]>) {
  const body = new FormData();
  for (const [name, value] of entries) body.append(name, value);
  return body;
}

async function refusal(run: () => unknown) {
  try {
    run();
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, text: await thrown.text() };
    throw thrown;
  }
  return null;
}

describe("parseForm", () => {
  it("reads a good form as parseWithZod does", () => {
    const submission = parseForm(
      form([
        ["title", "Hello"],
        ["items[0]", "a"],
      ]),
      { schema },
    );
    expect(submission.status).toBe("success");
    expect(submission.status === "success" && submission.value).toEqual({
      title: "Hello",
      items: ["a"],
    });
  });

  it("answers a form with mistakes with the messages, not by throwing", () => {
    const submission = parseForm(form([["title", ""]]), { schema });
    expect(submission.status).toBe("error");
  });

  it.each<[string, Array<[string, string | Blob]>]>([
    ["a NUL character in a value", [["title", "Sam\u0000"]]],
    ["a NUL character in a name", [["ti\u0000tle", "Sam"]]],
    ["a file", [["title", new Blob(["x"])]]],
    [
      "a list index no form uses",
      [
        ["title", "x"],
        [`items[${MAX_LIST_INDEX + 1}]`, "a"],
      ],
    ],
    [
      "a conform intent on a form without list buttons",
      [
        ["title", "x"],
        ["__intent__", '{"type":"validate","payload":{}}'],
      ],
    ],
    [
      "conform state on a form without list buttons",
      [
        ["title", "x"],
        ["__state__", "{}"],
      ],
    ],
  ])("refuses %s with a 400 and a message", async (_case, entries) => {
    expect(await refusal(() => parseForm(form(entries), { schema }))).toEqual({
      status: 400,
      text: "We couldn't read that form. Go back, reload the page and try again.",
    });
  });

  it.each(["not json", "null", "{}", '{"type":"insert","payload":{"name":"title"}}'])(
    "refuses an intent conform can't read (%s) on a form with list buttons",
    async (intent) => {
      const entries: Array<[string, string]> = [
        ["title", "x"],
        ["__intent__", intent],
      ];
      expect(
        await refusal(() => parseForm(form(entries), { schema, intents: true })),
      ).toMatchObject({ status: 400 });
    },
  );

  it("lets a form with list buttons use them", () => {
    const intent = JSON.stringify({ type: "insert", payload: { name: "items" } });
    const submission = parseForm(
      form([
        ["title", "x"],
        ["__intent__", intent],
      ]),
      {
        schema,
        intents: true,
      },
    );
    expect(submission.status).toBeUndefined();
    expect(submission.payload).toMatchObject({ title: "x", items: [undefined] });
  });
});
