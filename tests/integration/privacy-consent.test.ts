import { describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { sessionCookie } from "../fixtures/people.ts";
import { requestWithCookie } from "../fixtures/privacy.ts";
import { queueReminder } from "~/loop/nudges.server.ts";
import { action, loader } from "~/routes/account.tsx";
import { CONSENT_WORDING } from "~/schemas/privacy.ts";
import { db } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { getUnsubscribeState, makeUnsubscribeToken } from "~/utils/unsubscribe.server.ts";

const context = { cspNonce: "test" };

async function volunteer() {
  const setup = await createLadderCampaign();
  const person = await joinVolunteer(setup, { channel: "BOTH" });
  const cookie = await sessionCookie(person.userId);
  return { setup, person, cookie };
}

async function accountPage(cookie: string, query = "") {
  return loader({ request: requestWithCookie(cookie, `/account${query}`), params: {}, context });
}

async function tap(cookie: string, form: Record<string, string>) {
  const result = await action({
    request: requestWithCookie(cookie, "/account", { form }),
    params: {},
    context,
  }).catch((error: unknown) => error);
  if (result instanceof Response)
    return { status: result.status, location: result.headers.get("Location") };
  const data = result as { init: ResponseInit | null; data: { error?: Record<string, string[]> } };
  return { status: data.init?.status ?? 200, errors: data.data.error };
}

function consentRows(userId: string) {
  return db.consent.findMany({
    select: { channel: true, granted: true, wording: true, source: true },
    where: { userId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
}

function messageIds(userId: string, channel: "EMAIL" | "SMS", kind: string) {
  return db.message.findMany({ select: { id: true }, where: { userId, channel, kind } });
}

describe("consent on the account page", () => {
  it("shows each channel's state with the wording, time and source of the last change", async () => {
    const { setup, person, cookie } = await volunteer();
    const page = await accountPage(cookie);
    const title = (await db.campaign.findUniqueOrThrow({ where: { id: setup.campaign.id } })).title;
    expect(page.consents.map((c) => [c.channel, c.on, c.address])).toEqual([
      ["EMAIL", true, person.email],
      ["SMS", true, person.phone],
    ]);
    expect(page.consents[0]?.latest).toMatchObject({
      granted: true,
      wording: "email ok",
      source: `When you joined ${title}`,
    });
    expect(page.consents[0]?.history).toHaveLength(1);
  });

  it("one tap withdraws email at once: logged, and a queued email is suppressed at delivery", async () => {
    const { person, cookie } = await volunteer();
    const [queuedEmail] = await messageIds(person.userId, "EMAIL", "TASK_ASSIGNED");

    expect(await tap(cookie, { intent: "consent", channel: "EMAIL", granted: "no" })).toEqual({
      status: 302,
      location: "/account?consent=EMAIL-off#consent",
    });
    expect((await consentRows(person.userId)).slice(-1)).toEqual([
      {
        channel: "EMAIL",
        granted: false,
        wording: CONSENT_WORDING.withdraw.EMAIL,
        source: "account page",
      },
    ]);
    const page = await accountPage(cookie, "?consent=EMAIL-off");
    expect(page.consents.map((c) => [c.channel, c.on])).toEqual([
      ["EMAIL", false],
      ["SMS", true],
    ]);
    expect(page.consents[0]?.latest?.source).toBe("On your account page");
    expect(page.consents[0]?.history).toHaveLength(2);
    expect(page.notice).toMatch(/^Done\. We won't send you any more emails/);

    expect(await deliverMessage({ messageId: queuedEmail!.id })).toEqual({
      outcome: "suppressed",
      reason: "unsubscribed",
    });
    expect(
      await db.message.findUniqueOrThrow({
        select: { status: true, statusReason: true },
        where: { id: queuedEmail!.id },
      }),
    ).toEqual({ status: "SUPPRESSED", statusReason: "unsubscribed" });
    // The unsubscribe link in any email says the same.
    const state = await getUnsubscribeState(
      makeUnsubscribeToken({ userId: person.userId, channel: "EMAIL" }),
    );
    expect(state).toMatchObject({ ok: true, optedOut: true });

    // A second tap (a double click) writes nothing more.
    const rows = (await consentRows(person.userId)).length;
    await tap(cookie, { intent: "consent", channel: "EMAIL", granted: "no" });
    expect(await consentRows(person.userId)).toHaveLength(rows);
  });

  it("one tap turns email back on, and the next nudge goes", async () => {
    const { person, cookie } = await volunteer();
    await tap(cookie, { intent: "consent", channel: "EMAIL", granted: "no" });
    expect(await tap(cookie, { intent: "consent", channel: "EMAIL", granted: "yes" })).toEqual({
      status: 302,
      location: "/account?consent=EMAIL-on#consent",
    });
    expect((await consentRows(person.userId)).slice(-1)).toEqual([
      {
        channel: "EMAIL",
        granted: true,
        wording: CONSENT_WORDING.grant.EMAIL,
        source: "account page",
      },
    ]);
    expect(await db.suppression.count({ where: { userId: person.userId, liftedAt: null } })).toBe(
      0,
    );
    expect((await accountPage(cookie)).consents[0]?.on).toBe(true);

    await queueReminder({ assignmentId: person.assignmentId, now: new Date() });
    const [reminder] = await messageIds(person.userId, "EMAIL", "REMINDER");
    expect(await deliverMessage({ messageId: reminder!.id })).toMatchObject({ outcome: "sent" });
  });

  it("texts can be stopped on their own; after a STOP reply only START turns them back on", async () => {
    const { person, cookie } = await volunteer();
    await tap(cookie, { intent: "consent", channel: "SMS", granted: "no" });
    const [queuedText] = await messageIds(person.userId, "SMS", "TASK_ASSIGNED");
    expect(await deliverMessage({ messageId: queuedText!.id })).toEqual({
      outcome: "suppressed",
      reason: "unsubscribed",
    });

    await db.suppression.create({
      data: { channel: "SMS", address: person.phone, userId: person.userId, reason: "SMS_STOP" },
    });
    const rows = await consentRows(person.userId);
    const refused = await tap(cookie, { intent: "consent", channel: "SMS", granted: "yes" });
    expect(refused).toEqual({
      status: 400,
      errors: {
        "": ["You replied STOP to one of our texts. To get texts again, reply START to that text."],
      },
    });
    expect(await consentRows(person.userId)).toEqual(rows);
    const sms = (await accountPage(cookie)).consents[1];
    expect(sms).toMatchObject({ channel: "SMS", on: false });
    expect(sms?.block).toMatch(/reply START/);
  });

  it("refuses anything but its own buttons with a 400 and changes nothing", async () => {
    const { person, cookie } = await volunteer();
    const rows = await consentRows(person.userId);
    const forms: Array<Record<string, string>> = [
      { intent: "consent", channel: "FAX", granted: "no" },
      { intent: "consent", channel: "EMAIL", granted: "maybe" },
      { intent: "something", channel: "EMAIL", granted: "no" },
      { channel: "EMAIL" },
    ];
    for (const form of forms) {
      const result = await tap(cookie, form);
      expect(result.status).toBe(400);
      expect(Object.values(result.errors ?? {}).flat().length).toBeGreaterThan(0);
    }
    expect(await consentRows(person.userId)).toEqual(rows);
    expect(await db.suppression.count({ where: { userId: person.userId } })).toBe(0);

    // Signed out: sent to sign in, nothing written.
    const anonymous = await tap("", { intent: "consent", channel: "EMAIL", granted: "no" });
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toMatch(/^\/sign-in\?/);
    expect(await consentRows(person.userId)).toEqual(rows);
  });
});
