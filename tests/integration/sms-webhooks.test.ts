import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_AUTH_TOKEN } from "../fixtures/fake-twilio.ts";
import { createLadderCampaign, saveVersion } from "../fixtures/ladder.ts";
import { createUser, ukMobile } from "../fixtures/people.ts";
import { keepOnlyJobs, listJobs, makeDue, runJobsOnce } from "../fixtures/nudges.ts";
import { joinWithPhone, SMS_LADDER } from "../fixtures/sms-ladder.ts";
import {
  inboundParams,
  messageSid,
  statusParams,
  twilioRequest,
} from "../fixtures/twilio-webhooks.ts";
import { action as inboundAction, loader as inboundLoader } from "~/routes/webhooks.sms.twilio.ts";
import { action as statusAction } from "~/routes/webhooks.sms.twilio_.status.ts";
import { joinAsMember } from "~/loop/service.server.ts";
import type { ReportField } from "~/schemas/task.ts";
import { db } from "~/utils/db.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { parseSmsCommand, planSmsReport } from "~/utils/sms-inbound.server.ts";
import { smsSegments } from "~/utils/sms-text.ts";

const INBOUND = "/webhooks/sms/twilio";
const STATUS = "/webhooks/sms/twilio/status";
const APP_URL = "http://localhost:3000";

beforeAll(() => {
  process.env.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN;
  reloadEnv();
});

afterAll(() => {
  delete process.env.TWILIO_AUTH_TOKEN;
  reloadEnv();
});

async function post(
  path: typeof INBOUND | typeof STATUS,
  params: Record<string, string>,
  options: { signature?: string | null; signedUrl?: string } = {},
) {
  const request = twilioRequest({ path, params, ...options });
  const run = path === INBOUND ? inboundAction : statusAction;
  return run({ request, params: {}, context: { cspNonce: "" } });
}

/** Sends a text from `from` and returns our reply: the <Message> text, or null for no reply. */
async function text(from: string, body: string, sid = messageSid()) {
  const response = await post(INBOUND, inboundParams({ from, body, sid }));
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toBe("text/xml; charset=utf-8");
  const xml = await response.text();
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response')).toBe(true);
  const message = /<Message>([\s\S]*)<\/Message>/.exec(xml)?.[1];
  const reply =
    message?.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&") ?? null;
  return { xml, reply };
}

function activeSuppressions(address: string) {
  return db.suppression.findMany({
    where: { address, liftedAt: null },
    select: { channel: true, reason: true, userId: true },
  });
}

function consentLog(userId: string, channel: "SMS" | "EMAIL" = "SMS") {
  return db.consent.findMany({
    where: { userId, channel },
    select: { granted: true, source: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
}

describe("X-Twilio-Signature", () => {
  it("accepts a request signed as Twilio signs it over the public URL", async () => {
    const sid = messageSid();
    const { reply } = await text(ukMobile(), "HELP", sid);
    expect(reply).toContain("Onward");
    expect(await db.inboundSms.count({ where: { providerId: sid } })).toBe(1);
  });

  it.each<[string, { signature?: string | null; signedUrl?: string; authToken?: string }]>([
    ["no signature", { signature: null }],
    ["a wrong signature", { signature: "bm90IHRoZSByaWdodCBzaWduYXR1cmU=" }],
    ["an empty signature", { signature: "" }],
    ["a signature over another URL", { signedUrl: `https://evil.example.org${INBOUND}` }],
    ["a signature made with another token", { authToken: "another-token-0123456789abcdef" }],
  ])("refuses %s with 403 and writes nothing", async (_case, options) => {
    const sid = messageSid();
    const phone = ukMobile();
    const params = inboundParams({ from: phone, body: "STOP", sid });
    const request = twilioRequest({ path: INBOUND, params, ...options });
    const response = await inboundAction({ request, params: {}, context: { cspNonce: "" } });
    expect(response.status).toBe(403);
    expect(await db.inboundSms.count({ where: { providerId: sid } })).toBe(0);
    expect(await db.suppression.count({ where: { address: phone } })).toBe(0);
  });

  it("refuses a signed request whose parameters were changed on the way", async () => {
    const sid = messageSid();
    const phone = ukMobile();
    const params = inboundParams({ from: phone, body: "HELP", sid });
    const signed = twilioRequest({ path: INBOUND, params });
    const tampered = new Request(signed.url, {
      method: "POST",
      headers: signed.headers,
      body: new URLSearchParams({ ...params, Body: "STOP" }),
    });
    const response = await inboundAction({
      request: tampered,
      params: {},
      context: { cspNonce: "" },
    });
    expect(response.status).toBe(403);
    expect(await db.inboundSms.count({ where: { providerId: sid } })).toBe(0);
  });

  it("refuses everything when no Twilio auth token is configured", async () => {
    delete process.env.TWILIO_AUTH_TOKEN;
    reloadEnv();
    try {
      const sid = messageSid();
      const response = await post(INBOUND, inboundParams({ from: ukMobile(), body: "HELP", sid }));
      expect(response.status).toBe(403);
      expect(await db.inboundSms.count({ where: { providerId: sid } })).toBe(0);
    } finally {
      process.env.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN;
      reloadEnv();
    }
  });

  it("answers GET with 405", () => {
    const response = inboundLoader();
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
  });
});

describe("STOP, START and HELP", () => {
  it("opts the number out at once on STOP, with no reply, and records the withdrawal", async () => {
    const user = await createUser({ phone: ukMobile() });
    const { xml, reply } = await text(user.phone!, "  Stop. ");
    expect(reply).toBeNull();
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect(await activeSuppressions(user.phone!)).toEqual([
      { channel: "SMS", reason: "SMS_STOP", userId: user.id },
    ]);
    expect(await consentLog(user.id)).toEqual([{ granted: false, source: "sms-keyword" }]);
    const stored = await db.inboundSms.findFirstOrThrow({
      where: { fromPhone: user.phone! },
      select: { body: true, userId: true, handledAs: true, toPhone: true },
    });
    expect(stored).toEqual({
      body: "  Stop. ",
      userId: user.id,
      handledAs: "STOP",
      toPhone: "+447700900001",
    });

    // Saying it again (another message) writes nothing more.
    await text(user.phone!, "UNSUBSCRIBE");
    expect(await activeSuppressions(user.phone!)).toHaveLength(1);
    expect(await consentLog(user.id)).toHaveLength(1);
  });

  it.each(["STOP", "stopall", "Stop All", "UNSUBSCRIBE", "cancel", "End", "QUIT"])(
    "treats %j as STOP, even from a number we don't know",
    async (word) => {
      const phone = ukMobile();
      expect((await text(phone, word)).reply).toBeNull();
      expect(await activeSuppressions(phone)).toEqual([
        { channel: "SMS", reason: "SMS_STOP", userId: null },
      ]);
    },
  );

  it("does not treat a sentence with STOP in it as STOP", async () => {
    const phone = ukMobile();
    const { reply } = await text(phone, "Please don't stop the texts");
    expect(reply).toContain("didn't understand");
    expect(await activeSuppressions(phone)).toEqual([]);
  });

  it("lifts the opt-out on START, records consent again and confirms", async () => {
    const user = await createUser({ phone: ukMobile() });
    await text(user.phone!, "STOP");
    const { reply } = await text(user.phone!, "start");
    expect(reply).toBe("You'll get texts from Onward again. Reply HELP for help, STOP to stop.");
    expect(await activeSuppressions(user.phone!)).toEqual([]);
    const lifted = await db.suppression.findFirstOrThrow({
      where: { address: user.phone! },
      select: { liftedAt: true },
    });
    expect(lifted.liftedAt).toBeInstanceOf(Date);
    expect(await consentLog(user.id)).toEqual([
      { granted: false, source: "sms-keyword" },
      { granted: true, source: "sms-keyword" },
    ]);

    await text(user.phone!, "UNSTOP");
    expect(await consentLog(user.id)).toHaveLength(2);
  });

  it("says who we are and how to stop on HELP, in one GSM-7 text", async () => {
    const { reply } = await text(ukMobile(), "help");
    expect(reply).toBe(
      `Onward: texts about your volunteering. To report back, reply DONE and a number, e.g. DONE 12. Your tasks: ${APP_URL}/me Reply STOP to stop.`,
    );
    expect(smsSegments(reply!)).toMatchObject({ encoding: "GSM-7", segments: 1 });
  });

  it("keeps a text it doesn't understand and answers with guidance", async () => {
    const sid = messageSid();
    const { reply } = await text(ukMobile(), "Who is this? 🤔", sid);
    expect(reply).toMatch(/^Sorry, we didn't understand that\. .*reply DONE and a number/);
    expect(reply).toContain("STOP");
    expect(
      await db.inboundSms.findUniqueOrThrow({
        where: { providerId: sid },
        select: { body: true, handledAs: true },
      }),
    ).toEqual({ body: "Who is this? 🤔", handledAs: "UNKNOWN" });
  });
});

describe("DONE: reporting back by text", () => {
  it("records DONE 12 on the open task once, even when Twilio sends it twice, and replies with the next task", async () => {
    const setup = await createLadderCampaign(SMS_LADDER);
    const volunteer = await joinWithPhone(setup);
    const sid = messageSid();

    const first = await text(volunteer.phone, "DONE 12", sid);
    const again = await text(volunteer.phone, "DONE 12", sid);

    const reports = await db.report.findMany({
      where: { userId: volunteer.userId },
      select: { assignmentId: true, values: true, source: true, idempotencyKey: true },
    });
    expect(reports).toEqual([
      {
        assignmentId: volunteer.assignmentId,
        values: { doors: 12 },
        source: "SMS",
        idempotencyKey: `sms-${sid}`,
      },
    ]);
    const next = await db.assignment.findFirstOrThrow({
      where: { userId: volunteer.userId, status: "ASSIGNED" },
      select: { id: true, taskId: true },
    });
    expect(next.taskId).toBe(setup.ids.thanks);
    expect(first.reply).toBe(
      `Thanks, your report on "Knock on 20 doors" is in. Your next task: Say thanks to a neighbour ${APP_URL}/tasks/${next.id}`,
    );
    expect(again.reply).toBe(first.reply);
    expect(await db.inboundSms.count({ where: { providerId: sid } })).toBe(1);
    const metrics = await db.reportMetric.findMany({
      where: { campaignId: setup.campaign.id },
      select: { metricKey: true, value: true },
    });
    expect(metrics.map((m) => [m.metricKey, Number(m.value)])).toEqual([["doors", 12]]);
  });

  it("records once when two copies of the same message arrive at the same time", async () => {
    const setup = await createLadderCampaign(SMS_LADDER);
    const volunteer = await joinWithPhone(setup);
    const sid = messageSid();
    const replies = await Promise.all([
      text(volunteer.phone, "done 7", sid),
      text(volunteer.phone, "done 7", sid),
    ]);
    expect(await db.report.count({ where: { userId: volunteer.userId } })).toBe(1);
    expect(await db.assignment.count({ where: { userId: volunteer.userId } })).toBe(2);
    for (const { reply } of replies) expect(reply).toContain("Say thanks to a neighbour");
  });

  it("reads 'Done: 1,204 doors' as 1,204", () => {
    expect(parseSmsCommand("Done: 1,204 doors")).toEqual({ kind: "DONE", answer: "1,204" });
    expect(parseSmsCommand("done")).toEqual({ kind: "DONE", answer: null });
    expect(parseSmsCommand("DONE twelve")).toEqual({ kind: "DONE", answer: "twelve" });
    expect(parseSmsCommand("Doneish")).toEqual({ kind: "UNKNOWN" });
  });

  it("asks for the number when plain DONE can't answer a required count, and records nothing", async () => {
    const setup = await createLadderCampaign(SMS_LADDER);
    const volunteer = await joinWithPhone(setup);
    const { reply } = await text(volunteer.phone, "DONE");
    expect(reply).toBe(
      `To report on "Knock on 20 doors", reply DONE and the number (Doors knocked), e.g. DONE 12. Or use the form: ${APP_URL}/tasks/${volunteer.assignmentId}/report`,
    );
    expect(await db.report.count({ where: { userId: volunteer.userId } })).toBe(0);
  });

  it("refuses a number the form wouldn't take, saying why", async () => {
    const setup = await createLadderCampaign(SMS_LADDER);
    const volunteer = await joinWithPhone(setup);
    const { reply } = await text(volunteer.phone, "DONE 9000");
    expect(reply).toBe(
      `Enter a number from 0 to 500 for "Knock on 20 doors", e.g. DONE 12. Or use the form: ${APP_URL}/tasks/${volunteer.assignmentId}/report`,
    );
    expect(await db.report.count({ where: { userId: volunteer.userId } })).toBe(0);
  });

  it("takes plain DONE when nothing is required, and sends the link when the form needs more than a number", async () => {
    const setup = await createLadderCampaign(SMS_LADDER);
    const volunteer = await joinWithPhone(setup);
    await text(volunteer.phone, "DONE 30");
    const { reply } = await text(volunteer.phone, "Done!");
    const survey = await db.assignment.findFirstOrThrow({
      where: { userId: volunteer.userId, status: "ASSIGNED" },
      select: { id: true, taskId: true },
    });
    expect(survey.taskId).toBe(setup.ids.survey);
    expect(reply).toBe(
      `Thanks, your report on "Say thanks to a neighbour" is in. Your next task: Run a street survey ${APP_URL}/tasks/${survey.id}`,
    );

    const web = await text(volunteer.phone, "DONE 40");
    expect(web.reply).toBe(
      `To report on "Run a street survey", please use the form: ${APP_URL}/tasks/${survey.id}/report`,
    );
    expect(await db.report.count({ where: { userId: volunteer.userId } })).toBe(2);
  });

  it("thanks the volunteer with the ladder's end message after the last task", async () => {
    const setup = await createLadderCampaign([
      {
        key: "only",
        title: "Count the lamp posts & benches <outside>",
        fields: [{ type: "number", key: "posts", label: "Posts", required: true, min: 0 }],
        rules: () => ({ defaultNext: null, endMessage: "That's everything – thank you!" }),
      },
    ]);
    const volunteer = await joinWithPhone(setup);
    const { xml, reply } = await text(volunteer.phone, "DONE 3");
    expect(xml).toContain(
      `<Message>Thanks, your report on "Count the lamp posts &amp; benches &lt;outside&gt;" is in. That's everything - thank you!</Message>`,
    );
    expect(reply).toContain("<outside>");
  });

  it("picks the task due soonest when the volunteer has several, and says which", async () => {
    const later = await createLadderCampaign(SMS_LADDER);
    const sooner = await createLadderCampaign([
      {
        key: "count",
        title: "Count the bins",
        dueAfterDays: 2,
        fields: [{ type: "number", key: "bins", label: "Bins", required: true, min: 0 }],
        rules: () => ({ defaultNext: null }),
      },
    ]);
    await db.campaign.update({
      where: { id: sooner.campaign.id },
      data: { title: "Clean Streets" },
    });
    const volunteer = await joinWithPhone(later);
    await joinAsMember({
      campaignId: sooner.campaign.id,
      organisationId: sooner.organisation.id,
      userId: volunteer.userId,
    });

    const { reply } = await text(volunteer.phone, "DONE 5");
    expect(reply).toBe(
      `Thanks, your report on "Count the bins" (Clean Streets) is in. You've finished every task in this campaign. Thank you!`,
    );
    const report = await db.report.findFirstOrThrow({
      where: { userId: volunteer.userId },
      select: { campaignId: true, values: true },
    });
    expect(report).toEqual({ campaignId: sooner.campaign.id, values: { bins: 5 } });
  });

  it("says so when there's nothing open, or the number is unknown", async () => {
    const user = await createUser({ phone: ukMobile() });
    expect((await text(user.phone!, "DONE 4")).reply).toBe(
      `You have no open tasks just now, so there's nothing to report. See your tasks: ${APP_URL}/me`,
    );
    const stranger = ukMobile();
    const sid = messageSid();
    expect((await text(stranger, "DONE 4", sid)).reply).toBe(
      `We don't know this number, so we can't record that. Report back at ${APP_URL}/me`,
    );
    expect(
      await db.inboundSms.findUniqueOrThrow({
        where: { providerId: sid },
        select: { userId: true, handledAs: true },
      }),
    ).toEqual({ userId: null, handledAs: "DONE_UNKNOWN_SENDER" });
  });

  it("keeps to the version of the task the volunteer was given", async () => {
    const setup = await createLadderCampaign(SMS_LADDER);
    const volunteer = await joinWithPhone(setup);
    // The organiser adds a required choice after the volunteer got the task: their version still
    // takes a number by text.
    await saveVersion({
      taskId: setup.ids.doors!,
      task: {
        title: "Knock on 30 doors",
        fields: [
          { type: "number", key: "doors", label: "Doors", required: true, min: 0 },
          { type: "choice", key: "how", label: "How?", required: true, options: ["A", "B"] },
        ],
        rules: () => ({}),
      },
      ids: setup.ids,
      version: 2,
    });
    const { reply } = await text(volunteer.phone, "DONE 12");
    expect(reply).toContain('your report on "Knock on 20 doors" is in');
  });
});

describe("planSmsReport", () => {
  const count = { type: "number", key: "n", label: "N", required: true } as const;
  const optionalCount = { ...count, required: false } as const;
  const note = { type: "text", key: "t", label: "T", required: false } as const;
  const choice: ReportField = {
    type: "choice",
    key: "c",
    label: "C",
    required: true,
    options: ["a", "b"],
  };

  it("follows the rules for what a text can answer", () => {
    expect(planSmsReport([count, note], "12")).toEqual({ kind: "report", values: { n: 12 } });
    expect(planSmsReport([count], null)).toMatchObject({ kind: "needs-number" });
    expect(planSmsReport([note], null)).toEqual({ kind: "report", values: {} });
    expect(planSmsReport([], null)).toEqual({ kind: "report", values: {} });
    expect(planSmsReport([optionalCount, note], "4")).toEqual({ kind: "report", values: { n: 4 } });
    expect(planSmsReport([note], "4")).toEqual({ kind: "web" });
    expect(planSmsReport([choice], null)).toEqual({ kind: "web" });
    expect(planSmsReport([count, { ...count, key: "m" }], "4")).toEqual({ kind: "web" });
    expect(planSmsReport([count], "lots")).toEqual({
      kind: "invalid",
      message: "Enter a number, like 12",
    });
  });
});

describe("delivery status callbacks", () => {
  /** A text we sent, as the delivery records it once Twilio has accepted it (id = sid). */
  async function recordSentText(user: { id: string; phone: string | null }, sid: string) {
    return db.message.create({
      select: { id: true },
      data: {
        userId: user.id,
        channel: "SMS",
        kind: "TASK_ASSIGNED",
        dedupeKey: `test:${sid}`,
        toAddress: user.phone!,
        bodyText: "Your next task",
        status: "SENT",
        transport: "twilio",
        providerId: sid,
        sentAt: new Date(),
      },
    });
  }

  async function sentMessage() {
    const user = await createUser({ phone: ukMobile() });
    const sid = messageSid();
    const message = await recordSentText(user, sid);
    return { user, sid, messageId: message.id };
  }

  function readMessage(id: string) {
    return db.message.findUniqueOrThrow({
      where: { id },
      select: { status: true, statusReason: true, deliveredAt: true },
    });
  }

  it("marks a message delivered, once", async () => {
    const { user, sid, messageId } = await sentMessage();
    const sent = await post(STATUS, statusParams({ sid, status: "sent", to: user.phone! }));
    expect(sent.status).toBe(204);
    expect((await readMessage(messageId)).status).toBe("SENT");

    await post(STATUS, statusParams({ sid, status: "delivered", to: user.phone! }));
    const delivered = await readMessage(messageId);
    expect(delivered.status).toBe("DELIVERED");
    expect(delivered.deliveredAt).toBeInstanceOf(Date);

    await post(STATUS, statusParams({ sid, status: "delivered", to: user.phone! }));
    await post(
      STATUS,
      statusParams({ sid, status: "undelivered", to: user.phone!, errorCode: "30003" }),
    );
    expect(await readMessage(messageId)).toEqual(delivered);
  });

  it("marks a failure with Twilio's error code, without suppressing for a passing problem", async () => {
    const { user, sid, messageId } = await sentMessage();
    await post(
      STATUS,
      statusParams({ sid, status: "undelivered", to: user.phone!, errorCode: "30003" }),
    );
    expect(await readMessage(messageId)).toEqual({
      status: "FAILED",
      statusReason: "Twilio error 30003 (undelivered)",
      deliveredAt: null,
    });
    expect(await activeSuppressions(user.phone!)).toEqual([]);
  });

  it("suppresses a number that can't take texts (30006 landline) and one that opted out (21610)", async () => {
    const landline = await sentMessage();
    await post(
      STATUS,
      statusParams({
        sid: landline.sid,
        status: "failed",
        to: landline.user.phone!,
        errorCode: "30006",
      }),
    );
    await post(
      STATUS,
      statusParams({
        sid: landline.sid,
        status: "failed",
        to: landline.user.phone!,
        errorCode: "30006",
      }),
    );
    expect((await readMessage(landline.messageId)).statusReason).toBe(
      "Twilio error 30006 (failed)",
    );
    expect(await activeSuppressions(landline.user.phone!)).toEqual([
      { channel: "SMS", reason: "BOUNCE", userId: landline.user.id },
    ]);

    const stopped = await sentMessage();
    await post(
      STATUS,
      statusParams({
        sid: stopped.sid,
        status: "failed",
        to: stopped.user.phone!,
        errorCode: "21610",
      }),
    );
    expect(await activeSuppressions(stopped.user.phone!)).toEqual([
      { channel: "SMS", reason: "SMS_STOP", userId: stopped.user.id },
    ]);
  });

  it("a report that comes before the send saved Twilio's id is applied once it has", async () => {
    const user = await createUser({ phone: ukMobile() });
    const sid = messageSid();
    const response = await post(
      STATUS,
      statusParams({ sid, status: "delivered", to: user.phone! }),
    );
    expect(response.status).toBe(204);
    const key = `sms-status:${sid}:DELIVERED`;
    expect(await listJobs({ key })).toHaveLength(1);
    await keepOnlyJobs([key]);

    // Still unknown: the job fails and waits to try again.
    expect(await runJobsOnce()).toHaveLength(1);
    const [waiting] = await listJobs({ key });
    expect(waiting?.attempts).toBe(1);
    expect(waiting?.last_error).toContain("will look again");

    // The send commits with Twilio's id; the next attempt records the delivery, once.
    const message = await recordSentText(user, sid);
    await makeDue({ key });
    expect(await runJobsOnce()).toEqual([]);
    expect((await readMessage(message.id)).status).toBe("DELIVERED");
    expect(await listJobs({ key })).toEqual([]);
  });

  it("a failure report for an id that never turns up still suppresses a landline, on the last try", async () => {
    const user = await createUser({ phone: ukMobile() });
    const sid = messageSid();
    await post(
      STATUS,
      statusParams({ sid, status: "failed", to: user.phone!, errorCode: "30006" }),
    );
    const key = `sms-status:${sid}:FAILED`;
    await keepOnlyJobs([key]);
    expect(await runJobsOnce()).toHaveLength(1);
    expect(await activeSuppressions(user.phone!)).toEqual([]);

    await db.$executeRaw`
      UPDATE graphile_worker._private_jobs SET attempts = max_attempts - 1, run_at = now()
      WHERE key = ${key}`;
    expect(await runJobsOnce()).toEqual([]);
    expect(await activeSuppressions(user.phone!)).toEqual([
      { channel: "SMS", reason: "BOUNCE", userId: user.id },
    ]);
    expect(await listJobs({ key })).toEqual([]);
  });

  it("refuses an unsigned callback and changes nothing", async () => {
    const { user, sid, messageId } = await sentMessage();
    const response = await post(
      STATUS,
      statusParams({ sid, status: "failed", to: user.phone!, errorCode: "30006" }),
      { signature: null },
    );
    expect(response.status).toBe(403);
    expect((await readMessage(messageId)).status).toBe("SENT");
    expect(await activeSuppressions(user.phone!)).toEqual([]);
  });
});
