import { describe, expect, it } from "vitest";
import {
  createActiveVolunteer,
  createPrivacyWorld,
  requestWithCookie,
} from "../fixtures/privacy.ts";
import { exportPersonalData } from "~/models/privacy.server.ts";
import { loader } from "~/routes/account.data[.]json.ts";
import { db } from "~/utils/db.server.ts";

const context = { cspNonce: "test" };

async function download(cookie: string | null) {
  return loader({
    request: requestWithCookie(cookie, "/account/data.json"),
    params: {},
    context,
  }).catch((error: unknown) => error as Response);
}

/**
 * Every column that points at a person, and the part of the export that carries those rows (null:
 * rows about other people's contributions, which are not the person's data). A new table or column
 * about people fails the test until it is placed here and in exportPersonalData.
 */
const PERSON_COLUMNS: Record<string, string | null> = {
  "AuditEvent.actorId": null,
  "CampaignParticipant.userId": "campaigns",
  "Consent.userId": "consents",
  "FeedbackHandling.assigneeId": null,
  "FeedbackHandling.handledById": null,
  "InboundSms.userId": "textsYouSent",
  "LoginToken.userId": "signInRequests",
  "Membership.userId": "memberships",
  "Message.userId": "messages",
  "Report.userId": "reports",
  "Session.userId": "sessions",
  "Suppression.userId": "optOuts",
  "Assignment.userId": "tasks",
  "Team.leadId": "teamsYouLead",
  "TeamMember.userId": "teams",
  "TeamNudge.senderId": "teamNudgesYouSent",
  "Update.authorId": "updatesYouWrote",
  "UpdateRecipient.userId": "updatesYouReceived",
};

describe("download my data", () => {
  it("has every column that points at a person accounted for", async () => {
    // Foreign keys to "User", and columns named userId that have none (InboundSms).
    const rows = await db.$queryRaw<Array<{ column: string }>>`
      SELECT c.conrelid::regclass::text || '.' || a.attname AS column
      FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
      WHERE c.contype = 'f' AND c.confrelid = '"User"'::regclass
      UNION
      SELECT format('%I', table_name) || '.' || column_name
      FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'userId'`;
    const columns = rows.map((row) => row.column.replaceAll('"', ""));
    expect(columns.sort()).toEqual(Object.keys(PERSON_COLUMNS).sort());
  });

  it("holds a row from every table about me and nothing about anyone else", async () => {
    const world = await createPrivacyWorld();
    const me = await createActiveVolunteer(world);
    const other = await createActiveVolunteer(world);
    await db.team.update({ where: { id: me.teamId }, data: { leadId: me.userId } });
    await db.teamNudge.create({
      data: {
        teamId: me.teamId,
        senderId: me.userId,
        body: "Out on Saturday?",
        idempotencyKey: `export-${me.userId}`,
        recipients: 1,
      },
    });
    await db.update.create({
      data: { campaignId: world.campaign.id, authorId: me.userId, title: "My update", body: "Hi" },
    });
    // Someone else in my team, and in the update I received.
    await db.teamMember.create({ data: { teamId: me.teamId, userId: other.userId } });
    await db.updateRecipient.create({ data: { updateId: me.updateId, userId: other.userId } });

    const exported = await exportPersonalData({ userId: me.userId });
    const text = JSON.stringify(exported);

    for (const key of Object.values(PERSON_COLUMNS)) {
      if (key === null) continue;
      const section = (exported as Record<string, unknown>)[key];
      expect(Array.isArray(section) && section.length > 0, `${key} has my rows`).toBe(true);
    }
    expect(exported.account).toMatchObject({
      id: me.userId,
      name: me.name,
      email: me.email,
      phone: me.phone,
      postcode: me.postcode,
      district: "LS6",
    });
    expect(exported.reports[0]).toMatchObject({
      feedback: me.words.feedback,
      values: { doors: 25, outcome: "Good", notes: me.words.notes },
      metrics: [{ metricKey: "doors", value: 25 }],
      feedbackHandling: { status: "ANSWERED", reply: me.words.reply },
    });
    expect(exported.tasks.map((t) => t.skipReason)).toContain(me.words.skipReason);
    expect(exported.messages.map((m) => m.bodyText)).toContain(me.words.emailBody);
    expect(exported.messages.map((m) => m.kind)).toEqual(
      expect.arrayContaining(["TASK_ASSIGNED", "REMINDER", "SIGN_IN_LINK"]),
    );
    expect(exported.textsYouSent.map((t) => t.body)).toEqual([me.words.inbound]);
    expect(exported.optOuts.map((s) => s.reason)).toEqual(["SMS_STOP"]);
    expect(exported.consents.map((c) => [c.channel, c.granted])).toEqual(
      expect.arrayContaining([
        ["EMAIL", true],
        ["SMS", true],
      ]),
    );
    expect(exported.auditEventsAboutYou.map((e) => e.action)).toEqual(["person.viewed"]);
    expect(exported.updatesYouReceived[0]?.title).toMatch(/^You said, we did/);
    expect(exported.campaigns[0]).toMatchObject({ reportCount: 1, district: "LS6" });

    // Nothing about the other volunteer, nor who the organiser is.
    for (const value of [
      other.userId,
      other.name,
      other.email,
      other.phone,
      other.postcode,
      other.words.feedback,
      other.words.notes,
      other.words.inbound,
      other.words.emailBody,
      world.organiser.id,
      world.organiser.name,
      "192.0.2.44",
    ]) {
      expect(text, `the export mentions ${value}`).not.toContain(value);
    }
    // No secrets: sign-in token hashes and session ids.
    const tokens = await db.loginToken.findMany({
      select: { tokenHash: true },
      where: { userId: me.userId },
    });
    const sessions = await db.session.findMany({
      select: { id: true },
      where: { userId: me.userId },
    });
    expect(tokens.length).toBeGreaterThan(0);
    for (const secret of [...tokens.map((t) => t.tokenHash), ...sessions.map((s) => s.id)]) {
      expect(text).not.toContain(secret);
    }
    expect(exported.sessions[0]).toMatchObject({ ip: "203.0.113.9" });
  });

  it("is a download for the signed-in person only, never cached", async () => {
    const world = await createPrivacyWorld();
    const me = await createActiveVolunteer(world);
    const response = await download(me.cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="onward-your-data-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as { account: { id: string; email: string } };
    expect(body.account).toMatchObject({ id: me.userId, email: me.email });

    const anonymous = await download(null);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("Location")).toBe("/sign-in?redirectTo=%2Faccount%2Fdata.json");
  });
});
