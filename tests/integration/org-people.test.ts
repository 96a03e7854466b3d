import { describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser } from "../fixtures/people.ts";
import { queueReminder } from "~/loop/nudges.server.ts";
import { joinAsMember } from "~/loop/service.server.ts";
import { listVolunteerMessages } from "~/models/message.server.ts";
import { loader } from "~/routes/org.people.$userId.tsx";
import { db } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { startUserSession } from "~/utils/session.server.ts";

async function signedInRequest(userId: string, path: string) {
  const response = await startUserSession({
    request: new Request("http://localhost:3000/sign-in"),
    userId,
    redirectTo: "/",
  });
  const cookie = (response.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
  return new Request(`http://localhost:3000${path}`, { headers: { Cookie: cookie } });
}

async function world() {
  const a = await createLadderCampaign();
  const b = await createLadderCampaign();
  const organiserA = await createUser({ name: "Priya" });
  const ownerA = await createUser({ name: "Olu" });
  const leadA = await createUser({ name: "Lee" });
  const organiserB = await createUser({ name: "Bea" });
  await addMember({ userId: organiserA.id, organisationId: a.organisation.id, role: "ORGANISER" });
  await addMember({ userId: ownerA.id, organisationId: a.organisation.id, role: "OWNER" });
  await addMember({ userId: leadA.id, organisationId: a.organisation.id, role: "TEAM_LEAD" });
  await addMember({ userId: organiserB.id, organisationId: b.organisation.id, role: "ORGANISER" });
  const volunteer = await joinVolunteer(a, { channel: "BOTH", timezone: "Europe/London" });
  return { a, b, organiserA, ownerA, leadA, organiserB, volunteer };
}

describe("an organiser sees every message to a volunteer, with status and reason", () => {
  it("newest first, with held and suppressed messages explained", async () => {
    const { a, organiserA, ownerA, volunteer } = await world();
    const [email, text] = await db.message.findMany({
      select: { id: true },
      where: { userId: volunteer.userId },
      orderBy: { channel: "asc" },
    });
    await deliverMessage({ messageId: email!.id, now: new Date("2026-11-25T22:00:00Z") });
    await db.consent.create({
      data: {
        userId: volunteer.userId,
        channel: "SMS",
        granted: false,
        wording: "no texts",
        source: "test",
        createdAt: new Date(Date.now() + 1000),
      },
    });
    await deliverMessage({ messageId: text!.id });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await queueReminder({ assignmentId: volunteer.assignmentId, now: new Date() });

    for (const actorId of [organiserA.id, ownerA.id]) {
      const found = await listVolunteerMessages({ actorId, userId: volunteer.userId });
      expect(found?.person.id).toBe(volunteer.userId);
      expect(found?.organisations.map((o) => o.id)).toEqual([a.organisation.id]);
      expect(found?.messages.map((m) => [m.channel, m.kind, m.status, m.statusReason])).toEqual(
        expect.arrayContaining([
          ["EMAIL", "TASK_ASSIGNED", "HELD", "quiet hours"],
          ["SMS", "TASK_ASSIGNED", "SUPPRESSED", "opted out"],
        ]),
      );
      expect(found?.messages).toHaveLength(4);
      expect(found?.messages.slice(0, 2).map((m) => m.kind)).toEqual(["REMINDER", "REMINDER"]);
    }
  });

  it("shows only the messages of the organiser's own organisations", async () => {
    const { b, organiserA, organiserB, volunteer } = await world();
    // The volunteer also joins the other organisation's campaign.
    await joinAsMember({
      campaignId: b.campaign.id,
      organisationId: b.organisation.id,
      userId: volunteer.userId,
    });
    const seenByA = await listVolunteerMessages({
      actorId: organiserA.id,
      userId: volunteer.userId,
    });
    const seenByB = await listVolunteerMessages({
      actorId: organiserB.id,
      userId: volunteer.userId,
    });
    expect(seenByA?.messages).toHaveLength(2);
    expect(seenByB?.messages).toHaveLength(2);
    const ids = new Set(seenByA?.messages.map((m) => m.id));
    expect(seenByB?.messages.some((m) => ids.has(m.id))).toBe(false);
    expect(seenByA?.messages.every((m) => m.organisationId === seenByA.organisations[0]?.id)).toBe(
      true,
    );
  });

  it("nobody else sees anything: another organisation's organiser, a team lead, the volunteer", async () => {
    const { leadA, organiserB, volunteer, organiserA } = await world();
    for (const actorId of [organiserB.id, leadA.id, volunteer.userId]) {
      expect(await listVolunteerMessages({ actorId, userId: volunteer.userId })).toBeNull();
    }
    expect(await listVolunteerMessages({ actorId: organiserA.id, userId: "nobody" })).toBeNull();
  });

  it("the page answers 404 to another organisation's organiser", async () => {
    const { organiserA, organiserB, volunteer } = await world();
    const path = `/org/people/${volunteer.userId}`;
    const params = { userId: volunteer.userId };

    const ok = await loader({
      request: await signedInRequest(organiserA.id, path),
      params,
      context: { cspNonce: "test" },
    });
    expect(ok.person.id).toBe(volunteer.userId);
    expect(ok.messages.map((m) => [m.channel, m.kind, m.status])).toEqual([
      ["Text", "Your task", "Waiting to go"],
      ["Email", "Your task", "Waiting to go"],
    ]);

    const refused = await loader({
      request: await signedInRequest(organiserB.id, path),
      params,
      context: { cspNonce: "test" },
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(404);

    const anonymous = await loader({
      request: new Request(`http://localhost:3000${path}`),
      params,
      context: { cspNonce: "test" },
    }).catch((error: unknown) => error);
    expect((anonymous as Response).status).toBe(302);
  });
});
