import { describe, expect, it } from "vitest";
import { EMAIL_TEMPLATES, TEMPLATE_NAMES } from "../../emails/templates.ts";
import { loader as outboxLoader } from "~/routes/dev.outbox._index.tsx";
import { loader as htmlLoader } from "~/routes/dev.outbox.templates.$name.html.ts";
import { loader as templateLoader } from "~/routes/dev.outbox.templates.$name.tsx";
import { renderEmail } from "~/utils/email.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";

const args = (name: string) => ({
  request: new Request(`http://localhost:3000/dev/outbox/templates/${name}`),
  params: { name },
  context: { cspNonce: "test" },
});

describe("the outbox previews every email template", () => {
  it("lists every template on /dev/outbox", async () => {
    const data = await outboxLoader(args(""));
    expect(data.templates).toEqual(TEMPLATE_NAMES);
    expect(TEMPLATE_NAMES).toEqual(
      expect.arrayContaining([
        "task-assigned",
        "reminder",
        "overdue",
        "thanks-next",
        "reengage",
        "organiser-digest",
        "sign-in-link",
      ]),
    );
  });

  it.each(TEMPLATE_NAMES)("%s renders with its preview props, as text and HTML", async (name) => {
    const page = await templateLoader(args(name));
    expect(page.subject.length).toBeGreaterThan(5);
    expect(page.text).toMatch(/Hello|Thank you|We miss you/);
    const html = await htmlLoader(args(name));
    expect(html.status).toBe(200);
    expect(html.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(await html.text()).toContain("<html");
  });

  it("answers 404 for a name that is not a template, and when the preview is off", async () => {
    await expect(templateLoader(args("nope"))).rejects.toMatchObject({ status: 404 });
    process.env.OUTBOX_PREVIEW = "false";
    reloadEnv();
    try {
      await expect(templateLoader(args("reminder"))).rejects.toMatchObject({ status: 404 });
      await expect(htmlLoader(args("reminder"))).rejects.toMatchObject({ status: 404 });
    } finally {
      delete process.env.OUTBOX_PREVIEW;
      reloadEnv();
    }
  });
});

describe("nudge templates", () => {
  it("carry the task title and a direct link in HTML and text, and the way out when given", async () => {
    const entry = EMAIL_TEMPLATES["task-assigned"];
    const props = { ...entry.previewProps, link: "https://onward.example.org/tasks/abc" };
    const { html, text } = await renderEmail(entry.element(props));
    for (const body of [html, text]) {
      expect(body).toContain("Knock on 20 doors");
      expect(body).toContain("https://onward.example.org/tasks/abc");
      expect(body).toContain("/unsubscribe/preview");
    }
    const without = await renderEmail(entry.element({ ...props, unsubscribeLink: null }));
    expect(without.text).not.toContain("Stop emails");
    expect(entry.subject(props)).toBe("Your next task: Knock on 20 doors");
  });

  it("the digest formats its numbers for people", async () => {
    const entry = EMAIL_TEMPLATES["organiser-digest"];
    const props = {
      ...entry.previewProps,
      reports: 1204,
      lastWeek: { newVolunteers: 12, reports: 2404, suppressed: 0 },
      campaigns: [
        {
          title: "Doors",
          metricLabel: "doors",
          target: 5000,
          total: 1204,
          thisWeek: 1,
          lastWeek: 1,
        },
      ],
    };
    const { text } = await renderEmail(entry.element(props));
    expect(text).toContain("1,204 reports");
    expect(text).toContain(
      "What changed: new volunteers the same as last week; reports down 1,200 on last week; messages not sent up 3 on last week.",
    );
    expect(text).toContain(
      "Doors: 1,204 of 5,000 doors (24%), 1 this week (the same as last week).",
    );
    expect(entry.subject(props)).toBe(
      "Your week at Greenfield Community Action: 1,204 reports, 12 new volunteers",
    );
  });
});
