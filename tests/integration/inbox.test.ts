import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { submitReport, skipAssignment } from "~/loop/service.server.ts";
import { actOnInboxItem, FEEDBACK_REPLY_KIND, listInbox } from "~/models/inbox.server.ts";
import {
  action as itemAction,
  loader as itemLoader,
} from "~/routes/org.campaigns.$campaignId.inbox.$itemId.tsx";
import { loader as inboxLoader } from "~/routes/org.campaigns.$campaignId.inbox._index.tsx";
import { loader as meLoader } from "~/routes/me.tsx";
import { parseInboxFilters, type InboxFilters } from "~/schemas/inbox.ts";
import { db } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { verifySmtp } from "~/utils/email.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const context = { cspNonce: "test" };

/** Two tasks: "doors" (a text question, then "stall") and "stall" (a number). */
const INBOX_LADDER = [
  {
    key: "doors",
    title: "Knock on doors",
    fields: [
      {
        type: "number" as const,
        key: "doors",
        label: "Doors",
        required: true,
        min: 0,
        metricKey: "doors",
      },
      { type: "text" as const, key: "notes", label: "Anything to tell us?", required: false },
    ],
    rules: (ids: Record<string, string>) => ({ defaultNext: ids.stall ?? null }),
  },
  {
    key: "stall",
    title: "Run a stall",
    fields: [
      { type: "number" as const, key: "signups", label: "Sign-ups", required: true, min: 0 },
    ],
    rules: () => ({ defaultNext: null }),
  },
];

async function get(userId: string, path: string) {
  return new Request(`http://localhost:3000${path}`, {
    headers: { Cookie: await sessionCookie(userId) },
  });
}

async function post(userId: string, path: string, fields: Record<string, string>) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return new Request(`http://localhost:3000${path}`, {
    method: "POST",
    body,
    headers: { Cookie: await sessionCookie(userId), Origin: "http://localhost:3000" },
  });
}

async function settle(work: Promise<unknown>): Promise<unknown> {
  return work.catch((error: unknown) => {
    if (error instanceof Response) return error;
    throw error;
  });
}

function statusOf(result: unknown): number {
  if (result instanceof Response) return result.status;
  const init = (result as { init?: { status?: number } | null }).init;
  return init?.status ?? 200;
}

function errorsOf(result: unknown): Record<string, string[] | null> {
  const body = (result as { data: { result: { error?: Record<string, string[] | null> } } }).data;
  return body.result.error ?? {};
}

/**
 * A hand-made inbox, 10 days long:
 *   A  day 0  report on doors, feedback          LS6  marked 2 hours later
 *   B  day 1  report on doors, text answer only  LS7  unanswered
 *   C  day 2  skip of doors, with a reason       LS6  replied 6 hours later
 *   D  day 3  report on stall, feedback          LS6  unanswered
 *   -  day 4  report on doors, no free text: not an item
 * so the median response time is 4 hours (between 2 and 6).
 */
async function createInboxWorld() {
  const setup = await createLadderCampaign(INBOX_LADDER);
  const t0 = new Date(Date.now() - 20 * DAY);
  const now = new Date(t0.getTime() + 10 * DAY);
  const joinedAt = new Date(t0.getTime() - HOUR);
  const [organiser, colleague, otherOrganiser] = await Promise.all([
    createUser({ name: "Priya" }),
    createUser({ name: "Sam" }),
    createUser({ name: "Bea" }),
  ]);
  const other = await createLadderCampaign();
  await addMember({
    userId: organiser.id,
    organisationId: setup.organisation.id,
    role: "ORGANISER",
  });
  await addMember({ userId: colleague.id, organisationId: setup.organisation.id, role: "OWNER" });
  await addMember({
    userId: otherOrganiser.id,
    organisationId: other.organisation.id,
    role: "ORGANISER",
  });
  const v1 = await joinVolunteer(setup, { now: joinedAt, district: "LS6" });
  const v2 = await joinVolunteer(setup, { now: joinedAt, district: "LS7" });
  const v3 = await joinVolunteer(setup, { now: joinedAt, district: "LS6", consent: false });
  const v4 = await joinVolunteer(setup, { now: joinedAt, district: "LS8" });

  const report = async (
    who: { userId: string },
    assignmentId: string,
    values: Record<string, number | string>,
    feedback: string | null,
    at: Date,
  ) => {
    const result = await submitReport({
      assignmentId,
      userId: who.userId,
      values,
      feedback,
      idempotencyKey: `inbox-${assignmentId}`,
      source: "WEB",
      now: at,
    });
    if (!result.ok) throw new Error(result.error);
    return result;
  };
  const a = await report(v1, v1.assignmentId, { doors: 12 }, "We ran out of leaflets.", t0);
  await report(
    v2,
    v2.assignmentId,
    { doors: 5, notes: "A dog at number 4." },
    null,
    new Date(t0.getTime() + DAY),
  );
  const skipped = await skipAssignment({
    assignmentId: v3.assignmentId,
    userId: v3.userId,
    reason: "Too busy this week.",
    now: new Date(t0.getTime() + 2 * DAY),
  });
  if (!skipped.ok) throw new Error(skipped.error);
  await report(
    v1,
    a.nextAssignmentId ?? "",
    { signups: 3 },
    "The stall was windy.",
    new Date(t0.getTime() + 3 * DAY),
  );
  await report(
    v4,
    v4.assignmentId,
    { doors: 30, notes: "   " },
    null,
    new Date(t0.getTime() + 4 * DAY),
  );

  const ids = {
    A: v1.assignmentId,
    B: v2.assignmentId,
    C: v3.assignmentId,
    D: a.nextAssignmentId ?? "",
  };
  const campaignId = setup.campaign.id;
  const mark = await actOnInboxItem({
    actorId: organiser.id,
    campaignId,
    itemId: ids.A,
    action: { intent: "mark", status: "ACTIONED", reason: "Sent more leaflets." },
    now: new Date(t0.getTime() + 2 * HOUR),
  });
  const reply = await actOnInboxItem({
    actorId: organiser.id,
    campaignId,
    itemId: ids.C,
    action: { intent: "reply", reply: "No problem, come back any time." },
    now: new Date(t0.getTime() + 2 * DAY + 6 * HOUR),
  });
  expect(mark.ok && reply.ok).toBe(true);
  return {
    setup,
    other,
    organiser,
    colleague,
    otherOrganiser,
    v1,
    v2,
    v3,
    v4,
    ids,
    t0,
    now,
    campaignId,
  };
}

type InboxWorld = Awaited<ReturnType<typeof createInboxWorld>>;
let w: InboxWorld;

const filters = (overrides: Partial<InboxFilters> = {}): InboxFilters => ({
  unanswered: false,
  area: null,
  taskId: null,
  hasFeedback: false,
  page: 1,
  ...overrides,
});

describe("the inbox query", () => {
  beforeAll(async () => {
    w = await createInboxWorld();
  });

  it("lists every report with free text and every skip reason, newest first", async () => {
    const inbox = await listInbox({
      actorId: w.organiser.id,
      campaignId: w.campaignId,
      filters: filters(),
      now: w.now,
    });
    expect(inbox.items.map((item) => item.id)).toEqual([w.ids.D, w.ids.C, w.ids.B, w.ids.A]);
    expect(inbox.total).toBe(4);
    expect(inbox.unanswered).toBe(2);
    const [d, c, b, a] = inbox.items;
    expect(d).toMatchObject({
      kind: "report",
      feedback: "The stall was windy.",
      taskTitle: "Run a stall",
    });
    expect(c).toMatchObject({
      kind: "skip",
      skipReason: "Too busy this week.",
      status: "ANSWERED",
    });
    expect(b).toMatchObject({
      kind: "report",
      feedback: null,
      answers: [{ label: "Anything to tell us?", answer: "A dog at number 4." }],
      district: "LS7",
    });
    expect(a).toMatchObject({ status: "ACTIONED", reason: "Sent more leaflets.", ageMs: null });
    // Unanswered items carry their age: B came 9 days before `now`, D 7 days before.
    expect(b?.ageMs).toBe(9 * DAY);
    expect(d?.ageMs).toBe(7 * DAY);
    // The areas to filter by are where the campaign's volunteers are (v4 in LS8 wrote nothing).
    expect(inbox.areas).toEqual(["LS6", "LS7", "LS8"]);
  });

  it("filters by unanswered, area, task and feedback, alone and together", async () => {
    const ids = async (overrides: Partial<InboxFilters>) =>
      (
        await listInbox({
          actorId: w.organiser.id,
          campaignId: w.campaignId,
          filters: filters(overrides),
          now: w.now,
        })
      ).items.map((item) => item.id);
    expect(await ids({ unanswered: true })).toEqual([w.ids.D, w.ids.B]);
    expect(await ids({ area: "LS7" })).toEqual([w.ids.B]);
    expect(await ids({ area: "LS6" })).toEqual([w.ids.D, w.ids.C, w.ids.A]);
    expect(await ids({ taskId: w.setup.ids.stall })).toEqual([w.ids.D]);
    expect(await ids({ hasFeedback: true })).toEqual([w.ids.D, w.ids.A]);
    expect(await ids({ unanswered: true, area: "LS6" })).toEqual([w.ids.D]);
    expect(await ids({ area: "LS8" })).toEqual([]);
    expect(await ids({ page: 2 })).toEqual([]);
  });

  it("gives the median time to the first reply or mark", async () => {
    const inbox = await listInbox({
      actorId: w.organiser.id,
      campaignId: w.campaignId,
      filters: filters(),
      now: w.now,
    });
    expect(inbox.median).toEqual({ medianMs: 4 * HOUR, answered: 2 });
  });

  it("reads its filters from the address, dropping nonsense with a note", () => {
    expect(
      parseInboxFilters(new URLSearchParams("unanswered=1&area=ls6&task=abc&feedback=1&page=3")),
    ).toEqual({
      filters: { unanswered: true, area: "LS6", taskId: "abc", hasFeedback: true, page: 3 },
      problems: [],
    });
    const bad = parseInboxFilters(new URLSearchParams("area=%3Cscript%3E&page=-1"));
    expect(bad.filters).toEqual(filters());
    expect(bad.problems).toHaveLength(2);
  });

  it("is served by the page with the filters in the address, and is a 404 for others", async () => {
    const base = `/org/campaigns/${w.campaignId}/inbox`;
    const page = (await inboxLoader({
      request: await get(w.organiser.id, `${base}?unanswered=1`),
      params: { campaignId: w.campaignId },
      context,
    })) as { items: Array<{ id: string; age: string | null }>; median: { words: string } };
    expect(page.items.map((item) => item.id)).toEqual([w.ids.D, w.ids.B]);
    expect(page.median.words).toBe("4 hours");
    expect(page.items[1]?.age).toMatch(/^\d+ days$/);
    for (const who of [w.otherOrganiser.id, w.v1.userId]) {
      const refused = await settle(
        inboxLoader({
          request: await get(who, base),
          params: { campaignId: w.campaignId },
          context,
        }),
      );
      expect(statusOf(refused)).toBe(404);
    }
  });
});

describe("actions on an inbox item", () => {
  beforeAll(async () => {
    w = await createInboxWorld();
  });

  const itemPath = (itemId: string) => `/org/campaigns/${w.campaignId}/inbox/${itemId}`;
  const act = async (who: string, itemId: string, form: Record<string, string>) =>
    settle(
      itemAction({
        request: await post(who, itemPath(itemId), form),
        params: { campaignId: w.campaignId, itemId },
        context,
      }),
    );
  const handlingOf = (itemId: string) =>
    db.feedbackHandling.findFirst({
      where: { OR: [{ assignmentId: itemId }, { report: { assignmentId: itemId } }] },
    });
  const handlingCount = () =>
    db.feedbackHandling.count({
      where: {
        OR: [
          { report: { campaignId: w.campaignId } },
          { assignment: { campaignId: w.campaignId } },
        ],
      },
    });
  const auditCount = () =>
    db.auditEvent.count({
      where: { organisationId: w.setup.organisation.id, action: { startsWith: "inbox." } },
    });

  it("tags, untags, assigns and marks, each recorded in the audit log", async () => {
    const before = await auditCount();
    const added = await act(w.organiser.id, w.ids.B, { intent: "add-tag", tag: "  Dogs  " });
    expect(statusOf(added)).toBe(302);
    expect((added as Response).headers.get("Location")).toBe(`${itemPath(w.ids.B)}?done=add-tag`);
    await act(w.organiser.id, w.ids.B, { intent: "add-tag", tag: "safety" });
    expect((await handlingOf(w.ids.B))?.tags).toEqual(["dogs", "safety"]);
    await act(w.organiser.id, w.ids.B, { intent: "remove-tag", tag: "dogs" });
    expect((await handlingOf(w.ids.B))?.tags).toEqual(["safety"]);
    await act(w.organiser.id, w.ids.B, { intent: "assign", assigneeId: w.colleague.id });
    expect((await handlingOf(w.ids.B))?.assigneeId).toBe(w.colleague.id);
    await act(w.organiser.id, w.ids.B, {
      intent: "mark",
      status: "NO_ACTION",
      reason: "Nothing to do.",
    });
    expect(await handlingOf(w.ids.B)).toMatchObject({
      status: "NO_ACTION",
      reason: "Nothing to do.",
    });
    expect((await handlingOf(w.ids.B))?.answeredAt).not.toBeNull();
    expect(await auditCount()).toBe(before + 5);
    const events = await db.auditEvent.findMany({
      select: { action: true, actorId: true, subjectId: true },
      where: { organisationId: w.setup.organisation.id, action: { startsWith: "inbox." } },
      orderBy: { createdAt: "desc" },
      take: 5,
    });
    expect(events.map((e) => e.action).sort()).toEqual(
      [
        "inbox.assigned",
        "inbox.marked",
        "inbox.tag_added",
        "inbox.tag_added",
        "inbox.tag_removed",
      ].sort(),
    );
    expect(events.every((e) => e.actorId === w.organiser.id)).toBe(true);

    const page = (await itemLoader({
      request: await get(w.colleague.id, itemPath(w.ids.B)),
      params: { campaignId: w.campaignId, itemId: w.ids.B },
      context,
    })) as { item: { tags: string[]; assigneeId: string; statusWords: string } };
    expect(page.item).toMatchObject({
      tags: ["safety"],
      assigneeId: w.colleague.id,
      statusWords: "No action",
    });
  });

  it("refuses bad input with a clear message and changes nothing", async () => {
    const before = await auditCount();
    // D's report had feedback, so its (open) handling row was made with the report.
    const handlingBefore = await handlingOf(w.ids.D);
    expect(handlingBefore).toMatchObject({ status: "OPEN", tags: [], reply: null });
    const countBefore = await handlingCount();
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ intent: "reply", reply: "   " }, "reply", "Write your reply"],
      [
        { intent: "reply", reply: "x".repeat(2001) },
        "reply",
        "Keep your reply under 2,000 characters",
      ],
      [{ intent: "mark", status: "ACTIONED", reason: "" }, "reason", "Say why, in a few words"],
      [
        { intent: "mark", status: "DONE", reason: "Because" },
        "status",
        "Choose whether you acted on it or not",
      ],
      [
        { intent: "add-tag", tag: "<b>" },
        "tag",
        "A tag is 1 to 30 letters, numbers, spaces or dashes",
      ],
      [
        { intent: "assign", assigneeId: w.v1.userId },
        "assigneeId",
        "Choose an organiser of this organisation",
      ],
      [
        { intent: "assign", assigneeId: w.otherOrganiser.id },
        "assigneeId",
        "Choose an organiser of this organisation",
      ],
      [{ intent: "remove-tag", tag: "nothere" }, "tag", "It doesn't have that tag"],
    ];
    for (const [form, field, message] of cases) {
      const result = await act(w.organiser.id, w.ids.D, form);
      expect(statusOf(result), JSON.stringify(form)).toBe(400);
      expect(errorsOf(result)[field]).toEqual([message]);
    }
    expect(await handlingOf(w.ids.D)).toEqual(handlingBefore);
    expect(await handlingCount()).toBe(countBefore);
    expect(await auditCount()).toBe(before);
    expect(
      await db.message.count({ where: { kind: FEEDBACK_REPLY_KIND, userId: w.v1.userId } }),
    ).toBe(0);
  });

  it("answers 404 to another organisation's organiser, a volunteer, and an item not in the campaign", async () => {
    const before = await auditCount();
    for (const who of [w.otherOrganiser.id, w.v1.userId]) {
      expect(statusOf(await act(who, w.ids.D, { intent: "add-tag", tag: "nosy" }))).toBe(404);
      const page = await settle(
        itemLoader({
          request: await get(who, itemPath(w.ids.D)),
          params: { campaignId: w.campaignId, itemId: w.ids.D },
          context,
        }),
      );
      expect(statusOf(page)).toBe(404);
    }
    // An assignment of the campaign that isn't an item (a report without free text).
    const plain = await db.report.findFirstOrThrow({
      select: { assignmentId: true },
      where: { campaignId: w.campaignId, userId: w.v4.userId },
    });
    expect(
      statusOf(await act(w.organiser.id, plain.assignmentId, { intent: "add-tag", tag: "x" })),
    ).toBe(404);
    expect(await auditCount()).toBe(before);
    expect((await handlingOf(w.ids.D))?.tags ?? []).toEqual([]);
  });

  it("replies once: a second reply is refused", async () => {
    const first = await act(w.organiser.id, w.ids.D, {
      intent: "reply",
      reply: "Thanks, we'll bring a tent.",
    });
    expect(statusOf(first)).toBe(302);
    const second = await act(w.organiser.id, w.ids.D, { intent: "reply", reply: "And again." });
    expect(statusOf(second)).toBe(400);
    expect(errorsOf(second).reply).toEqual(["You have already replied to this"]);
    expect(await handlingOf(w.ids.D)).toMatchObject({
      reply: "Thanks, we'll bring a tent.",
      status: "ANSWERED",
    });
    const messages = await db.message.findMany({
      select: { channel: true, dedupeKey: true },
      where: { kind: FEEDBACK_REPLY_KIND, userId: w.v1.userId },
    });
    expect(messages).toEqual([
      { channel: "EMAIL", dedupeKey: expect.stringMatching(/^feedback-reply:.+:EMAIL$/) },
    ]);
  });
});

describe("a personal reply goes through the contact policy and the outbox", () => {
  let smtp: SmtpCapture;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    w = await createInboxWorld();
  });
  beforeEach(() => {
    process.env.SMTP_URL = smtp.url;
    reloadEnv();
  });
  afterAll(async () => {
    process.env.SMTP_URL = "smtp://127.0.0.1:1";
    reloadEnv();
    await verifySmtp().catch(() => {});
    delete process.env.SMTP_URL;
    reloadEnv();
    await smtp.close();
  });

  it("is stored SUPPRESSED, with the reason, for a volunteer who opted out", async () => {
    // v3 joined without consent; item C was replied to when the world was made.
    const [message] = await db.message.findMany({
      select: { id: true, status: true },
      where: { kind: FEEDBACK_REPLY_KIND, userId: w.v3.userId },
    });
    expect(message?.status).toBe("QUEUED");
    const result = await deliverMessage({ messageId: message?.id ?? "" });
    expect(result).toEqual({ outcome: "suppressed", reason: "opted out" });
    expect(await db.message.findUniqueOrThrow({ where: { id: message?.id } })).toMatchObject({
      status: "SUPPRESSED",
      statusReason: "opted out",
    });
  });

  it("goes by text to a volunteer who chose texts, with the reply and a link to /me", async () => {
    const texter = await joinVolunteer(w.setup, { channel: "SMS", district: "LS9" });
    const reported = await submitReport({
      assignmentId: texter.assignmentId,
      userId: texter.userId,
      values: { doors: 3 },
      feedback: "Can I get a map?",
      idempotencyKey: `inbox-sms-${texter.assignmentId}`,
      source: "WEB",
    });
    expect(reported.ok).toBe(true);
    const result = await actOnInboxItem({
      actorId: w.organiser.id,
      campaignId: w.campaignId,
      itemId: texter.assignmentId,
      action: { intent: "reply", reply: "Yes, there's one at the library." },
    });
    expect(result).toEqual({ ok: true, notice: expect.stringContaining("Reply sent") });
    const messages = await db.message.findMany({
      select: { channel: true, toAddress: true, bodyText: true, status: true },
      where: { kind: FEEDBACK_REPLY_KIND, userId: texter.userId },
    });
    expect(messages).toEqual([
      {
        channel: "SMS",
        toAddress: texter.phone,
        bodyText: expect.stringContaining("Yes, there's one at the library."),
        status: "QUEUED",
      },
    ]);
    expect(messages[0]?.bodyText).toContain("http://localhost:3000/me");
    expect(messages[0]?.bodyText).toContain("Reply STOP to stop texts.");
  });

  it("is emailed once to an email volunteer, with the reply and a link to /me, and shows on /me", async () => {
    const replyText = "Thank you for telling us. More leaflets are at the library.";
    const result = await settle(
      itemAction({
        request: await post(w.organiser.id, `/org/campaigns/${w.campaignId}/inbox/${w.ids.A}`, {
          intent: "reply",
          reply: replyText,
        }),
        params: { campaignId: w.campaignId, itemId: w.ids.A },
        context,
      }),
    );
    expect(statusOf(result)).toBe(302);
    const [message] = await db.message.findMany({
      select: { id: true },
      where: { kind: FEEDBACK_REPLY_KIND, userId: w.v1.userId },
    });
    expect((await deliverMessage({ messageId: message?.id ?? "" })).outcome).toBe("sent");
    expect(await deliverMessage({ messageId: message?.id ?? "" })).toEqual({
      outcome: "skipped",
      reason: "already sent",
    });
    const mail = await smtp.waitForMail(w.v1.email, { timeoutMs: 5_000 });
    expect(mail.subject).toMatch(/replied to you$/);
    expect(mail.text).toContain(replyText);
    expect(mail.text).toContain("We ran out of leaflets.");
    expect(mail.text).toContain("http://localhost:3000/me#replies");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const toVolunteer = smtp.messages.filter((m) =>
      [m.to].flat().some((to) => to?.value.some((e) => e.address === w.v1.email)),
    );
    expect(toVolunteer).toHaveLength(1);

    const me = (await meLoader({
      request: await get(w.v1.userId, "/me"),
      params: {},
      context,
    })) as {
      replies: Array<{ reply: string; theirWords: string | null; taskTitle: string }>;
    };
    expect(me.replies).toEqual([
      expect.objectContaining({
        reply: replyText,
        theirWords: "We ran out of leaflets.",
        taskTitle: "Knock on doors",
      }),
    ]);
    // Someone else's page doesn't show it.
    const other = (await meLoader({
      request: await get(w.v2.userId, "/me"),
      params: {},
      context,
    })) as {
      replies: unknown[];
    };
    expect(other.replies).toEqual([]);
  });
});
