import { createServer } from "node:net";
import fc from "fast-check";
import MailComposer from "nodemailer/lib/mail-composer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import {
  joinVolunteer,
  keepOnlyJobs,
  listJobs,
  makeDue,
  messagesOf,
  recordSentNudges,
  runJobsOnce,
} from "../fixtures/nudges.ts";
import { EMAIL_TEMPLATES } from "../../emails/templates.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { queueReminder } from "~/loop/nudges.server.ts";
import { db, pool } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import {
  composeSimpleEmail,
  renderEmail,
  serializeMime,
  verifySmtp,
} from "~/utils/email.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { addDeliveryJob } from "~/utils/jobs.server.ts";
import { readUnsubscribeToken } from "~/utils/unsubscribe.server.ts";

let smtp: SmtpCapture;
let closedPort: number;

async function unusedPort() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function useSmtp(url: string) {
  process.env.SMTP_URL = url;
  reloadEnv();
}

beforeAll(async () => {
  smtp = await startSmtpCapture();
  closedPort = await unusedPort();
});

beforeEach(() => useSmtp(smtp.url));

afterAll(async () => {
  // Moving the mailer to another address closes its pooled connections, so the capture server
  // can close at once instead of waiting for them to time out.
  useSmtp(`smtp://127.0.0.1:${closedPort}`);
  await verifySmtp();
  delete process.env.SMTP_URL;
  reloadEnv();
  await smtp.close();
});

const mailTo = (address: string) =>
  smtp.messages.filter((mail) =>
    [mail.to]
      .flat()
      .some((to) => to?.value.some((entry) => entry.address?.toLowerCase() === address)),
  );

async function taskMessage(userId: string, channel: "EMAIL" | "SMS" = "EMAIL") {
  const message = await db.message.findFirstOrThrow({
    select: { id: true },
    where: { userId, channel, kind: "TASK_ASSIGNED" },
  });
  return message.id;
}

describe("the deliver-message job, run by graphile-worker", () => {
  it("sends a queued task email once and only once, even when the job runs again", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskMessage(volunteer.userId);
    await keepOnlyJobs([`deliver:${id}`]);

    expect(await runJobsOnce()).toEqual([]);
    const mail = await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(mail.subject).toBe("Your next task: Knock on 20 doors");
    expect(mail.text).toContain(`Hello Vol`);
    expect(mail.text).toContain(`http://localhost:3000/tasks/${volunteer.assignmentId}`);
    expect(String(mail.html)).toContain(
      `href="http://localhost:3000/tasks/${volunteer.assignmentId}"`,
    );

    // RFC 8058 one-click unsubscribe, with a token for this person's email.
    const header = (name: string) =>
      mail.headerLines
        .find((line) => line.key === name)
        ?.line.slice(name.length + 1)
        .replace(/\s+/g, " ")
        .trim();
    const token = /\/unsubscribe\/([^>\s]+)>/.exec(header("list-unsubscribe") ?? "")?.[1];
    expect(readUnsubscribeToken(token)).toEqual({ userId: volunteer.userId, channel: "EMAIL" });
    expect(header("list-unsubscribe")).toContain("<mailto:unsubscribe+");
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    expect(mail.text).toContain(`/unsubscribe/${token}`);

    const stored = await db.message.findUniqueOrThrow({ where: { id } });
    expect(stored).toMatchObject({ status: "SENT", transport: "smtp", attempts: 1 });
    expect(stored.providerId).toBeTruthy();
    expect(stored.bodyHtml).toContain("Knock on 20 doors");

    // The job again (a duplicate, a retry after a crash): nothing more is sent.
    await addDeliveryJob({ tx: db, messageId: id });
    expect(await runJobsOnce()).toEqual([]);
    expect(await deliverMessage({ messageId: id })).toEqual({
      outcome: "skipped",
      reason: "already sent",
    });
    expect(mailTo(volunteer.email)).toHaveLength(1);
    expect(await listJobs({ key: `deliver:${id}` })).toEqual([]);
  });

  it("five workers delivering one message at once send it once", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskMessage(volunteer.userId);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => deliverMessage({ messageId: id })),
    );
    expect(results.filter((r) => r.outcome === "sent")).toHaveLength(1);
    // The others were told it was being sent or already sent, or that it was busy (their job
    // retries).
    expect(
      results.filter(
        (r) =>
          r.outcome === "busy" ||
          (r.outcome === "skipped" && ["being sent", "already sent"].includes(r.reason)),
      ),
    ).toHaveLength(4);
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(mailTo(volunteer.email)).toHaveLength(1);
  });

  it("a message held by another transaction is busy, not dropped, and goes once it is free", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskMessage(volunteer.userId);
    // A worker that died mid-send still holds the row until its session ends.
    const holder = await pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT id FROM "Message" WHERE id = $1 FOR UPDATE`, [id]);
      expect(await deliverMessage({ messageId: id })).toEqual({ outcome: "busy" });
      await holder.query("ROLLBACK");
    } finally {
      holder.release();
    }
    expect((await deliverMessage({ messageId: id })).outcome).toBe("sent");
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(mailTo(volunteer.email)).toHaveLength(1);
  });

  it("texts go through the SMS provider with a short plain text", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { channel: "SMS" });
    const id = await taskMessage(volunteer.userId, "SMS");
    expect(await deliverMessage({ messageId: id })).toMatchObject({
      outcome: "sent",
      transport: "preview",
    });
    const stored = await db.message.findUniqueOrThrow({ where: { id } });
    expect(stored.bodyText).toMatch(/^Onward: your task for Test campaign: Knock on 20 doors\./);
    expect(stored.bodyText).toContain(`/tasks/${volunteer.assignmentId}`);
    expect(stored.bodyText).toContain("Reply STOP to stop texts.");
    expect(stored.bodyText.length).toBeLessThanOrEqual(200);
    expect(stored.bodyHtml).toBeNull();
  });
});

describe("quiet hours", () => {
  it("hold a message at 22:00 local until 09:00, and it goes out then", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { timezone: "Europe/London" });
    const id = await taskMessage(volunteer.userId);

    const evening = new Date("2026-11-25T22:00:00Z");
    expect(await deliverMessage({ messageId: id, now: evening })).toEqual({
      outcome: "held",
      until: new Date("2026-11-26T09:00:00Z"),
      reason: "quiet hours",
    });
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "HELD",
      statusReason: "quiet hours",
      sendAfter: new Date("2026-11-26T09:00:00Z"),
    });
    const [job] = await listJobs({ key: `deliver:${id}` });
    expect(job?.run_at).toEqual(new Date("2026-11-26T09:00:00Z"));
    expect(mailTo(volunteer.email)).toHaveLength(0);

    // Nothing goes before its time, even if a job runs early…
    expect(await deliverMessage({ messageId: id, now: new Date("2026-11-26T03:00:00Z") })).toEqual({
      outcome: "skipped",
      reason: "held until later",
    });
    // …and at 09:00 it does.
    expect(
      await deliverMessage({ messageId: id, now: new Date("2026-11-26T09:00:00Z") }),
    ).toMatchObject({
      outcome: "sent",
    });
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "SENT",
      statusReason: null,
      sentAt: new Date("2026-11-26T09:00:00Z"),
    });
  });
});

describe("the weekly cap", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  const earlier = [
    new Date("2026-11-19T10:00:00Z"),
    new Date("2026-11-21T10:00:00Z"),
    new Date("2026-11-22T10:00:00Z"),
  ];

  it("holds the 4th nudge in 7 days until the oldest leaves the window", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { timezone: "Europe/London" });
    await recordSentNudges(volunteer.userId, earlier);
    const id = await taskMessage(volunteer.userId);
    expect(await deliverMessage({ messageId: id, now })).toEqual({
      outcome: "held",
      until: new Date("2026-11-26T10:00:00Z"),
      reason: "weekly limit reached",
    });
    const [job] = await listJobs({ key: `deliver:${id}` });
    expect(job?.run_at).toEqual(new Date("2026-11-26T10:00:00Z"));
  });

  it("suppresses a 4th-nudge reminder that could only go after the task is due", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, {
      timezone: "Europe/London",
      now: new Date("2026-11-19T09:00:00Z"), // due 26 November, 09:00
    });
    await recordSentNudges(volunteer.userId, earlier);
    await queueReminder({ assignmentId: volunteer.assignmentId, now });
    const reminder = await db.message.findFirstOrThrow({
      where: { userId: volunteer.userId, kind: "REMINDER", assignmentId: volunteer.assignmentId },
    });
    expect(await deliverMessage({ messageId: reminder.id, now })).toEqual({
      outcome: "suppressed",
      reason: "weekly limit reached",
    });
    expect(await db.message.findUniqueOrThrow({ where: { id: reminder.id } })).toMatchObject({
      status: "SUPPRESSED",
      statusReason: "weekly limit reached",
    });
  });

  it("the 3rd goes; one nudge sent by email and text counts once", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { channel: "BOTH", timezone: "Europe/London" });
    // Two earlier nudges, each on both channels.
    for (const at of earlier.slice(1)) {
      for (const channel of ["EMAIL", "SMS"] as const) {
        await db.message.create({
          data: {
            userId: volunteer.userId,
            channel,
            kind: "REMINDER",
            dedupeKey: `reminder:earlier-${at.getTime()}:${channel}`,
            toAddress: channel === "EMAIL" ? volunteer.email : volunteer.phone,
            bodyText: "earlier",
            status: "SENT",
            sentAt: at,
          },
        });
      }
    }
    const email = await taskMessage(volunteer.userId, "EMAIL");
    const text = await taskMessage(volunteer.userId, "SMS");
    expect(await deliverMessage({ messageId: email, now })).toMatchObject({ outcome: "sent" });
    // Its text twin is the same nudge, not a 4th one.
    expect(await deliverMessage({ messageId: text, now })).toMatchObject({ outcome: "sent" });
  });
});

describe("opt-outs and state changes", () => {
  it("suppresses with the reason when the person has opted out or the address bounced", async () => {
    const setup = await createLadderCampaign();
    const noConsent = await joinVolunteer(setup, { consent: false });
    expect(await deliverMessage({ messageId: await taskMessage(noConsent.userId) })).toEqual({
      outcome: "suppressed",
      reason: "opted out",
    });

    const bounced = await joinVolunteer(setup);
    await db.suppression.create({
      data: { channel: "EMAIL", address: bounced.email.toUpperCase(), reason: "BOUNCE" },
    });
    const id = await taskMessage(bounced.userId);
    expect(await deliverMessage({ messageId: id })).toEqual({
      outcome: "suppressed",
      reason: "address bounced",
    });
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "SUPPRESSED",
      statusReason: "address bounced",
    });
    expect(mailTo(noConsent.email)).toHaveLength(0);
    expect(mailTo(bounced.email)).toHaveLength(0);
  });

  it("a withdrawn consent after the grant suppresses; a lifted suppression doesn't", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    await db.suppression.create({
      data: {
        channel: "EMAIL",
        address: volunteer.email,
        userId: volunteer.userId,
        reason: "UNSUBSCRIBED",
        liftedAt: new Date(),
      },
    });
    await db.consent.create({
      data: {
        userId: volunteer.userId,
        channel: "EMAIL",
        granted: false,
        wording: "stop",
        source: "test",
        createdAt: new Date(Date.now() + 1000),
      },
    });
    expect(await deliverMessage({ messageId: await taskMessage(volunteer.userId) })).toEqual({
      outcome: "suppressed",
      reason: "opted out",
    });
  });

  it("a 'your task' message for a task already reported is not sent", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    await db.assignment.update({
      where: { id: volunteer.assignmentId },
      data: { status: "SKIPPED", closedAt: new Date() },
    });
    expect(await deliverMessage({ messageId: await taskMessage(volunteer.userId) })).toEqual({
      outcome: "suppressed",
      reason: "task already closed",
    });
  });
});

describe("when SMTP is down", () => {
  it("the job fails and is retried, and the message goes once SMTP is back", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskMessage(volunteer.userId);
    await keepOnlyJobs([`deliver:${id}`]);

    useSmtp(`smtp://127.0.0.1:${closedPort}`);
    const lines = await runJobsOnce();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^Job deliver-message #\\d+ failed \\(attempt 1 of 12\\): Message ${id} was not sent: .*ECONNREFUSED`,
      ),
    );
    const [job] = await listJobs({ key: `deliver:${id}` });
    expect(job).toMatchObject({ attempts: 1 });
    expect(job?.last_error).toContain("ECONNREFUSED");
    expect(job!.run_at.getTime()).toBeGreaterThan(Date.now());
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "QUEUED",
      attempts: 1,
    });

    useSmtp(smtp.url);
    await makeDue({ key: `deliver:${id}` });
    expect(await runJobsOnce()).toEqual([]);
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(mailTo(volunteer.email)).toHaveLength(1);
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "SENT",
      attempts: 2,
      statusReason: null,
    });
    expect(await listJobs({ key: `deliver:${id}` })).toEqual([]);
  });

  it("the last attempt marks the message FAILED with the reason", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskMessage(volunteer.userId);
    useSmtp(`smtp://127.0.0.1:${closedPort}`);
    expect(await deliverMessage({ messageId: id, attempt: 12, maxAttempts: 12 })).toMatchObject({
      outcome: "failed",
      final: true,
    });
    const stored = await db.message.findUniqueOrThrow({ where: { id } });
    expect(stored.status).toBe("FAILED");
    expect(stored.statusReason).toContain("ECONNREFUSED");
    expect(await deliverMessage({ messageId: id })).toEqual({
      outcome: "skipped",
      reason: "already failed",
    });
  });
});

describe("messages", () => {
  it("every nudge kind renders its own email (reminder)", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup, { timezone: "Europe/London" });
    const now = new Date("2026-11-25T11:00:00Z");
    await queueReminder({ assignmentId: volunteer.assignmentId, now });
    const [reminder] = (await messagesOf(volunteer.userId)).filter((m) => m.kind === "REMINDER");
    expect(await deliverMessage({ messageId: reminder!.id, now })).toMatchObject({
      outcome: "sent",
    });
    const mail = await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(mail.subject).toBe("Reminder: Knock on 20 doors");
    expect(mail.text).toContain("A quick reminder about your task for Test campaign");
    expect(mail.text).toContain(`/tasks/${volunteer.assignmentId}/skip`);
  });
});

describe("the MIME message", () => {
  it("is byte for byte what nodemailer's streamed build makes, for every template", async () => {
    const headers = {
      "List-Unsubscribe":
        "<https://onward.example/unsubscribe/abc>, <mailto:unsubscribe+abc@x.org>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    };
    let compared = 0;
    for (const [key, template] of Object.entries(EMAIL_TEMPLATES)) {
      const element = template.element as (props: unknown) => Parameters<typeof renderEmail>[0];
      for (const name of ["Amira", "Zoë Ångström 🌱", "A rather long name ".repeat(8)]) {
        const rendered = await renderEmail(element({ ...template.previewProps, name }));
        // The text as rendered, with whitespace at line ends, with nothing but "=", and empty.
        for (const text of [rendered.text, `${rendered.text}  \n end \t\n`, "=".repeat(300), ""]) {
          const compiled = new MailComposer({
            from: "Onward Ünïon <nudges@onward.example>",
            to: "vol@exämple.org",
            subject: `Ünïcode ${key} `.repeat(6),
            html: rendered.html,
            text,
            headers,
          }).compile();
          const fast = serializeMime(compiled);
          expect(fast?.toString()).toBe((await compiled.build()).toString());
          compared++;
        }
      }
    }
    expect(compared).toBe(Object.keys(EMAIL_TEMPLATES).length * 12);
  });
});

describe("a nudge's MIME message, composed directly", () => {
  const fixed = {
    messageId: "<fixed@onward.example>",
    date: new Date("2026-11-25T16:00:00Z"),
    baseBoundary: "0123456789abcdef",
  };
  const headers = {
    "List-Unsubscribe":
      "<https://onward.example/unsubscribe/u123.E.abcdefghijklmnopqrstuv>, <mailto:unsubscribe+u123.E.abcdefghijklmnopqrstuv@onward.example>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };
  const viaMailComposer = (mail: Parameters<typeof composeSimpleEmail>[0]) =>
    new MailComposer({ ...mail, ...fixed }).compile().build();

  it("is what MailComposer makes for every template", async () => {
    for (const [key, template] of Object.entries(EMAIL_TEMPLATES)) {
      const element = template.element as (props: unknown) => Parameters<typeof renderEmail>[0];
      const subject = (template.subject as (props: unknown) => string)(template.previewProps);
      const rendered = await renderEmail(element(template.previewProps));
      const mail = {
        from: "Onward <nudges@onward.example>",
        to: `vol-${key}@example.org`,
        subject,
        text: rendered.text,
        html: rendered.html,
        headers,
      };
      const direct = composeSimpleEmail({ ...mail, ...fixed });
      expect(direct?.raw.toString()).toBe((await viaMailComposer(mail)).toString());
      expect(direct?.envelope).toEqual({ from: "nudges@onward.example", to: [mail.to] });
    }
  });

  it("is what MailComposer makes for any text and HTML, or declines", async () => {
    let composed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ maxLength: 120 }),
        fc.constantFrom("Onward <nudges@onward.example>", "Ünïon Ørg <a@b.example>", "a@b.example"),
        fc.constantFrom("vol@example.org", "Vol@Example.org", "zoë@example.org"),
        async (text, html, subject, from, to) => {
          const mail = { from, to, subject, text, html, headers };
          const direct = composeSimpleEmail({ ...mail, ...fixed });
          if (!direct) return;
          composed++;
          expect(direct.raw.toString()).toBe((await viaMailComposer(mail)).toString());
        },
      ),
      { numRuns: 500 },
    );
    expect(composed).toBeGreaterThan(50);
  });
});
