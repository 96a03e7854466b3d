import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { jobsAbout, joinVolunteer, recordSentNudges } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { submitReport } from "~/loop/service.server.ts";
import { CAMPAIGN_UPDATE_KIND, previewAudience, publishUpdate } from "~/models/updates.server.ts";
import { loader as meLoader } from "~/routes/me.tsx";
import { loader as listLoader } from "~/routes/org.campaigns.$campaignId.updates._index.tsx";
import {
  action as newAction,
  loader as newLoader,
} from "~/routes/org.campaigns.$campaignId.updates.new.tsx";
import type { AudienceSegment } from "~/schemas/updates.ts";
import { db } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { verifySmtp } from "~/utils/email.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const context = { cspNonce: "test" };

/** "doors" (a number and a note), then "stall". */
const LADDER = [
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

async function post(userId: string, path: string, fields: Array<[string, string]>) {
  const body = new FormData();
  for (const [name, value] of fields) body.append(name, value);
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

/** A fixed-offset timezone where it is 2 in the morning now. */
function nightZone(now = new Date()): string {
  let offset = 2 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  if (offset === 0) return "Etc/UTC";
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/**
 * A hand-made campaign:
 *   v1  LS6  EMAIL  reported doors with feedback "We ran out of leaflets."  → reached stall
 *   v2  LS7  SMS    reported doors with feedback "A dog at number 4."       → reached stall
 *   v3  LS6  BOTH   no consent; has not reported (only doors)
 *   v4  LS8  EMAIL  reported doors, no feedback; it is night where they live → reached stall
 *   v5  LS6  EMAIL  deleted account: never counted
 * and a second campaign of another organisation with its own volunteer and report.
 */
async function createWorld() {
  const setup = await createLadderCampaign(LADDER);
  const other = await createLadderCampaign(LADDER);
  const [organiser, otherOrganiser] = await Promise.all([
    createUser({ name: "Priya" }),
    createUser({ name: "Bea" }),
  ]);
  await addMember({
    userId: organiser.id,
    organisationId: setup.organisation.id,
    role: "ORGANISER",
  });
  await addMember({
    userId: otherOrganiser.id,
    organisationId: other.organisation.id,
    role: "ORGANISER",
  });
  const joinedAt = new Date(Date.now() - 3 * DAY);
  const v1 = await joinVolunteer(setup, { now: joinedAt, district: "LS6", channel: "EMAIL" });
  const v2 = await joinVolunteer(setup, { now: joinedAt, district: "LS7", channel: "SMS" });
  const v3 = await joinVolunteer(setup, {
    now: joinedAt,
    district: "LS6",
    channel: "BOTH",
    consent: false,
  });
  const v4 = await joinVolunteer(setup, {
    now: joinedAt,
    district: "LS8",
    channel: "EMAIL",
    timezone: nightZone(),
  });
  const v5 = await joinVolunteer(setup, { now: joinedAt, district: "LS6" });
  const stranger = await joinVolunteer(other, { now: joinedAt, district: "LS6" });

  const report = async (
    who: { userId: string; assignmentId: string },
    feedback: string | null,
    values: Record<string, number>,
  ) => {
    const result = await submitReport({
      assignmentId: who.assignmentId,
      userId: who.userId,
      values,
      feedback,
      idempotencyKey: `updates-${who.assignmentId}`,
      source: "WEB",
      now: new Date(Date.now() - 2 * DAY),
    });
    if (!result.ok) throw new Error(result.error);
    const row = await db.report.findUniqueOrThrow({
      select: { id: true },
      where: { assignmentId: who.assignmentId },
    });
    return row.id;
  };
  const r1 = await report(v1, "We ran out of leaflets.", { doors: 12 });
  const r2 = await report(v2, "A dog at number 4.", { doors: 5 });
  const r4 = await report(v4, null, { doors: 30 });
  const rStranger = await report(stranger, "Other campaign's words.", { doors: 1 });
  await db.user.update({ where: { id: v5.userId }, data: { deletedAt: new Date() } });
  return {
    setup,
    other,
    organiser,
    otherOrganiser,
    v1,
    v2,
    v3,
    v4,
    v5,
    stranger,
    reports: { r1, r2, r4, rStranger },
  };
}

let w: Awaited<ReturnType<typeof createWorld>>;

async function count(audience: AudienceSegment) {
  const result = await previewAudience({
    actorId: w.organiser.id,
    campaignId: w.setup.campaign.id,
    audience,
  });
  return result.ok ? result.count : 0;
}

async function updateMessages(updateId: string) {
  return db.message.findMany({
    select: { id: true, userId: true, channel: true, dedupeKey: true, status: true },
    where: { kind: CAMPAIGN_UPDATE_KIND, dedupeKey: { startsWith: `update:${updateId}:` } },
    orderBy: { dedupeKey: "asc" },
  });
}

describe("campaign update audiences", () => {
  beforeAll(async () => {
    w = await createWorld();
  });

  it("counts each segment exactly", async () => {
    const seg = (s: Partial<{ area: string; taskId: string; channel: string }>) =>
      ({
        kind: "segment",
        area: s.area ?? null,
        taskId: s.taskId ?? null,
        channel: s.channel ?? null,
      }) as AudienceSegment;
    const { doors, stall } = w.setup.ids;
    expect(await count({ kind: "all" })).toBe(4);
    expect(await count(seg({}))).toBe(4);
    expect(await count(seg({ area: "LS6" }))).toBe(2);
    expect(await count(seg({ area: "LS7" }))).toBe(1);
    expect(await count(seg({ area: "LS9" }))).toBe(0);
    expect(await count(seg({ taskId: doors }))).toBe(4);
    expect(await count(seg({ taskId: stall }))).toBe(3);
    expect(await count(seg({ taskId: stall, area: "LS6" }))).toBe(1);
    expect(await count(seg({ channel: "EMAIL" }))).toBe(2);
    expect(await count(seg({ channel: "SMS" }))).toBe(1);
    expect(await count(seg({ channel: "BOTH" }))).toBe(1);
    expect(await count(seg({ channel: "EMAIL", area: "LS8", taskId: stall }))).toBe(1);
    expect(await count({ kind: "contributions", reportIds: [w.reports.r1] })).toBe(1);
    expect(await count({ kind: "contributions", reportIds: [w.reports.r1, w.reports.r2] })).toBe(2);
  });

  it("shows a sample of first names and areas", async () => {
    const result = await previewAudience({
      actorId: w.organiser.id,
      campaignId: w.setup.campaign.id,
      audience: { kind: "contributions", reportIds: [w.reports.r1] },
    });
    expect(result).toEqual({
      ok: true,
      count: 1,
      sample: [{ name: "Vol", area: "LS6", theySaid: "We ran out of leaflets." }],
    });
    const all = await previewAudience({
      actorId: w.organiser.id,
      campaignId: w.setup.campaign.id,
      audience: { kind: "all" },
    });
    expect(all.ok && all.sample.map((p) => p.area).sort()).toEqual(["LS6", "LS6", "LS7", "LS8"]);
  });

  it("refuses contributions without free text or from another campaign", async () => {
    for (const reportIds of [[w.reports.r4], [w.reports.rStranger], ["nope"]]) {
      const result = await previewAudience({
        actorId: w.organiser.id,
        campaignId: w.setup.campaign.id,
        audience: { kind: "contributions", reportIds },
      });
      expect(result.ok).toBe(false);
    }
  });
});

describe("sending an update", () => {
  let smtp: SmtpCapture;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    w = await createWorld();
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

  it("a 'you said, we did' update reaches exactly the contributors it links, once each", async () => {
    const path = `/org/campaigns/${w.setup.campaign.id}/updates/new`;
    const fields: Array<[string, string]> = [
      ["title", "More leaflets are coming"],
      ["body", "We ordered **500** more."],
      ["audience", "contributions"],
      ["contribution", w.reports.r1],
    ];
    const preview = (await newAction({
      request: await post(w.organiser.id, path, [...fields, ["intent", "preview"]]),
      params: { campaignId: w.setup.campaign.id },
      context,
    })) as { step: string; count: number; sample: Array<{ name: string; area: string }> };
    expect(preview.step).toBe("confirm");
    expect(preview.count).toBe(1);
    expect(preview.sample).toEqual([
      { name: "Vol", area: "LS6", theySaid: "We ran out of leaflets." },
    ]);
    expect(await db.update.count({ where: { campaignId: w.setup.campaign.id } })).toBe(0);

    const sent = await settle(
      newAction({
        request: await post(w.organiser.id, path, [...fields, ["intent", "send"]]),
        params: { campaignId: w.setup.campaign.id },
        context,
      }),
    );
    expect(sent).toBeInstanceOf(Response);
    expect((sent as Response).headers.get("Location")).toBe(
      `/org/campaigns/${w.setup.campaign.id}/updates?sent=1`,
    );
    const update = await db.update.findFirstOrThrow({
      select: {
        id: true,
        isYouSaidWeDid: true,
        recipients: { select: { userId: true } },
        contributions: { select: { reportId: true } },
      },
      where: { campaignId: w.setup.campaign.id },
    });
    expect(update.isYouSaidWeDid).toBe(true);
    expect(update.recipients).toEqual([{ userId: w.v1.userId }]);
    expect(update.contributions).toEqual([{ reportId: w.reports.r1 }]);
    const messages = await updateMessages(update.id);
    expect(messages.map((m) => [m.userId, m.channel, m.dedupeKey])).toEqual([
      [w.v1.userId, "EMAIL", `update:${update.id}:${w.v1.userId}:EMAIL`],
    ]);
    // Its delivery job was queued with it.
    expect((await jobsAbout(messages[0]!.id)).map((j) => j.key)).toEqual([
      `deliver:${messages[0]!.id}`,
    ]);
    const audit = await db.auditEvent.findMany({
      select: { action: true, actorId: true, detail: true },
      where: { subjectId: update.id },
    });
    expect(audit).toEqual([
      expect.objectContaining({
        action: "update.sent",
        actorId: w.organiser.id,
        detail: expect.objectContaining({ recipients: 1, messages: 1 }),
      }),
    ]);

    expect((await deliverMessage({ messageId: messages[0]!.id })).outcome).toBe("sent");
    const mail = await smtp.waitForMail(w.v1.email, { timeoutMs: 5_000 });
    expect(mail.subject).toContain("More leaflets are coming");
    expect(mail.text).toContain("We ran out of leaflets.");
    // Greeted by first name ("Vol <suffix>" → "Vol").
    expect(mail.text).toContain("Hello Vol,");
    // The email carries the organiser's Markdown as plain words; /me renders it formatted.
    expect(String(mail.html)).toContain("We ordered 500 more.");
    expect(mail.text).toContain("We ordered 500 more.");
    expect(`${String(mail.html)}${mail.text}`).not.toContain("**");
    expect(mail.text).toContain("Here is what we did:");
    expect(mail.text).toMatch(/\/unsubscribe\//);
    // Delivering again sends nothing more.
    expect((await deliverMessage({ messageId: messages[0]!.id })).outcome).not.toBe("sent");
    expect(smtp.messages.filter((m) => JSON.stringify(m.to).includes(w.v1.email))).toHaveLength(1);

    // v1 sees it on /me, with what they said; v2 (another participant) doesn't.
    const mine = (await meLoader({
      request: await get(w.v1.userId, "/me"),
      params: {},
      context,
    })) as { updates: Array<{ title: string; youSaid: Array<{ words: string }> }> };
    expect(mine.updates.map((u) => u.title)).toEqual(["More leaflets are coming"]);
    expect(mine.updates[0]!.youSaid.map((s) => s.words)).toEqual(["We ran out of leaflets."]);
    const theirs = (await meLoader({
      request: await get(w.v2.userId, "/me"),
      params: {},
      context,
    })) as { updates: unknown[] };
    expect(theirs.updates).toEqual([]);
    expect(
      await db.message.count({ where: { kind: CAMPAIGN_UPDATE_KIND, userId: w.v2.userId } }),
    ).toBe(0);
  });

  it("an update to everyone goes once per person and channel, through the contact policy", async () => {
    // v1 has had three nudges this week: the update waits for the weekly limit.
    const now = new Date();
    await recordSentNudges(
      w.v1.userId,
      [1, 2, 3].map((h) => new Date(now.getTime() - h * HOUR)),
    );
    const result = await publishUpdate({
      actorId: w.organiser.id,
      campaignId: w.setup.campaign.id,
      title: "Stall on Saturday",
      body: "Come along.",
      audience: { kind: "all" },
    });
    expect(result).toEqual(expect.objectContaining({ ok: true, recipients: 4, messages: 5 }));
    const updateId = result.ok ? result.updateId : "";
    const messages = await updateMessages(updateId);
    const byUser = (userId: string) =>
      messages
        .filter((m) => m.userId === userId)
        .map((m) => m.channel)
        .sort();
    expect(byUser(w.v1.userId)).toEqual(["EMAIL"]);
    expect(byUser(w.v2.userId)).toEqual(["SMS"]);
    expect(byUser(w.v3.userId)).toEqual(["EMAIL", "SMS"]);
    expect(byUser(w.v4.userId)).toEqual(["EMAIL"]);
    expect(byUser(w.v5.userId)).toEqual([]);
    expect(new Set(messages.map((m) => m.dedupeKey)).size).toBe(messages.length);

    const outcome = async (userId: string, channel: string) => {
      const message = messages.find((m) => m.userId === userId && m.channel === channel)!;
      return deliverMessage({ messageId: message.id });
    };
    expect(await outcome(w.v3.userId, "EMAIL")).toEqual({
      outcome: "suppressed",
      reason: "opted out",
    });
    expect(await outcome(w.v4.userId, "EMAIL")).toEqual(
      expect.objectContaining({ outcome: "held", reason: "quiet hours" }),
    );
    expect(await outcome(w.v1.userId, "EMAIL")).toEqual(
      expect.objectContaining({ outcome: "held", reason: "weekly limit reached" }),
    );
    // An unsubscribed person's email is suppressed.
    await db.suppression.create({
      data: { userId: w.v2.userId, channel: "SMS", address: w.v2.phone, reason: "SMS_STOP" },
    });
    expect((await outcome(w.v2.userId, "SMS")).outcome).toBe("suppressed");
  });
});

describe("bad input and other organisations", () => {
  beforeAll(async () => {
    w = await createWorld();
  });

  async function send(userId: string, fields: Array<[string, string]>) {
    return settle(
      newAction({
        request: await post(userId, `/org/campaigns/${w.setup.campaign.id}/updates/new`, [
          ...fields,
          ["intent", "send"],
        ]),
        params: { campaignId: w.setup.campaign.id },
        context,
      }),
    );
  }

  async function nothingWritten() {
    expect(await db.update.count({ where: { campaignId: w.setup.campaign.id } })).toBe(0);
    expect(
      await db.message.count({
        where: { kind: CAMPAIGN_UPDATE_KIND, organisationId: w.setup.organisation.id },
      }),
    ).toBe(0);
  }

  it("refuses bad input with a clear message and changes nothing", async () => {
    const cases: Array<[Array<[string, string]>, string, RegExp]> = [
      [
        [
          ["title", ""],
          ["body", "x"],
          ["audience", "all"],
        ],
        "title",
        /title/,
      ],
      [
        [
          ["title", "T"],
          ["body", "   "],
          ["audience", "all"],
        ],
        "body",
        /Write/,
      ],
      [
        [
          ["title", "T".repeat(121)],
          ["body", "x"],
          ["audience", "all"],
        ],
        "title",
        /120/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "nobody"],
        ],
        "audience",
        /Choose/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "contributions"],
        ],
        "contribution",
        /Pick/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "contributions"],
          ["contribution", w.reports.rStranger],
        ],
        "contribution",
        /aren't in this campaign/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "contributions"],
          ["contribution", w.reports.r4],
        ],
        "contribution",
        /aren't in this campaign/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "segment"],
          ["area", "LS9"],
        ],
        "audience",
        /Nobody/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "segment"],
          ["task", w.other.ids.doors!],
        ],
        "task",
        /Choose a task/,
      ],
      [
        [
          ["title", "T"],
          ["body", "x"],
          ["audience", "segment"],
          ["channel", "FAX"],
        ],
        "channel",
        /channel/,
      ],
    ];
    for (const [fields, field, message] of cases) {
      const result = (await send(w.organiser.id, fields)) as {
        step: string;
        errors: Record<string, string[]>;
      };
      expect(result.step, JSON.stringify(fields)).toBe("compose");
      expect(result.errors[field]?.[0], JSON.stringify(fields)).toMatch(message);
    }
    // A button no page of ours has is refused outright.
    const odd = await settle(
      newAction({
        request: await post(w.organiser.id, `/org/campaigns/${w.setup.campaign.id}/updates/new`, [
          ["title", "T"],
          ["body", "x"],
          ["audience", "all"],
          ["intent", "publish-now"],
        ]),
        params: { campaignId: w.setup.campaign.id },
        context,
      }),
    );
    expect((odd as Response).status).toBe(400);
    await nothingWritten();
  });

  it("answers 404 to an organiser of another organisation, and writes nothing", async () => {
    const base = `/org/campaigns/${w.setup.campaign.id}/updates`;
    const params = { campaignId: w.setup.campaign.id };
    const list = await settle(
      listLoader({ request: await get(w.otherOrganiser.id, base), params, context }),
    );
    expect((list as Response).status).toBe(404);
    const form = await settle(
      newLoader({ request: await get(w.otherOrganiser.id, `${base}/new`), params, context }),
    );
    expect((form as Response).status).toBe(404);
    for (const volunteer of [w.otherOrganiser.id, w.v1.userId]) {
      const sent = await send(volunteer, [
        ["title", "T"],
        ["body", "x"],
        ["audience", "all"],
      ]);
      expect((sent as Response).status).toBe(404);
    }
    await nothingWritten();
  });

  it("lists the campaign's updates for its organisers", async () => {
    const result = await publishUpdate({
      actorId: w.organiser.id,
      campaignId: w.setup.campaign.id,
      title: "Thank you all",
      body: "Great week.",
      audience: { kind: "segment", area: "LS6", taskId: null, channel: null },
    });
    expect(result).toEqual(expect.objectContaining({ ok: true, recipients: 2 }));
    const page = (await listLoader({
      request: await get(w.organiser.id, `/org/campaigns/${w.setup.campaign.id}/updates`),
      params: { campaignId: w.setup.campaign.id },
      context,
    })) as { updates: Array<{ title: string; recipients: number; youSaid: boolean }> };
    expect(page.updates).toEqual([
      expect.objectContaining({ title: "Thank you all", recipients: 2, youSaid: false }),
    ]);
  });
});
