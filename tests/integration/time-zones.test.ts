import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { startTestServer, type TestServer } from "./authz-matrix-app.ts";
import { submitReport } from "~/loop/service.server.ts";
import { db } from "~/utils/db.server.ts";

/**
 * A time on a page is read by the clock of the person reading it: a volunteer's own timezone, an
 * organiser's organisation's (the one its reports count days by). Here the same report, sent at
 * 21:30 UTC on 25 November, is 16:30 that day in New York and 10:30 the next morning in Auckland.
 */

const SENT_AT = new Date("2026-11-25T21:30:00Z");
const JOINED_AT = new Date("2026-11-25T20:30:00Z");

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function world() {
  const setup = await createLadderCampaign();
  await db.organisation.update({
    where: { id: setup.organisation.id },
    data: { timezone: "Pacific/Auckland" },
  });
  const volunteer = await joinVolunteer(setup, {
    timezone: "America/New_York",
    now: JOINED_AT,
  });
  const sent = await submitReport({
    assignmentId: volunteer.assignmentId,
    userId: volunteer.userId,
    values: { doors: 12, outcome: "Well" },
    feedback: "Two people asked about grants.",
    idempotencyKey: `time-zones-${volunteer.assignmentId}`,
    source: "WEB",
    now: SENT_AT,
  });
  if (!sent.ok) throw new Error(sent.error);
  // Messages are stamped by the database's clock; the first, "your task", as they joined.
  const [first] = await db.message.findMany({
    select: { id: true },
    where: { userId: volunteer.userId },
    orderBy: { createdAt: "asc" },
    take: 1,
  });
  await db.message.updateMany({
    where: { userId: volunteer.userId, id: { not: first!.id } },
    data: { createdAt: SENT_AT },
  });
  await db.message.update({ where: { id: first!.id }, data: { createdAt: JOINED_AT } });
  const organiser = await createUser({ name: "Priya" });
  const owner = await createUser({ name: "Olu" });
  await addMember({ userId: owner.id, organisationId: setup.organisation.id, role: "OWNER" });
  await db.auditEvent.create({
    data: {
      organisationId: setup.organisation.id,
      actorId: owner.id,
      action: "organisation.settings_changed",
      subjectType: "Organisation",
      subjectId: setup.organisation.id,
      createdAt: SENT_AT,
    },
  });
  await addMember({
    userId: organiser.id,
    organisationId: setup.organisation.id,
    role: "ORGANISER",
  });
  return {
    setup,
    volunteer,
    volunteerCookie: await sessionCookie(volunteer.userId),
    organiserCookie: await sessionCookie(organiser.id),
    ownerCookie: await sessionCookie(owner.id),
  };
}

async function page(path: string, cookie: string) {
  const response = await server.send({ path, cookie });
  expect(response.status, path).toBe(200);
  return response.text;
}

describe("times on pages", () => {
  it("a volunteer reads them by their own clock, an organiser by the organisation's", async () => {
    const { setup, volunteer, volunteerCookie, organiserCookie, ownerCookie } = await world();

    const me = await page("/me", volunteerCookie);
    expect(me).toContain("25 November at 16:30");
    expect(me).not.toContain("21:30");
    const task = await page(`/tasks/${volunteer.assignmentId}`, volunteerCookie);
    expect(task).toContain("25 November at 16:30");

    const campaign = `/org/campaigns/${setup.campaign.id}`;
    const inbox = await page(`${campaign}/inbox`, organiserCookie);
    expect(inbox).toContain("26 November at 10:30");
    expect(inbox).not.toContain("25 November at 21:30");
    const item = await page(`${campaign}/inbox/${volunteer.assignmentId}`, organiserCookie);
    expect(item).toContain("26 November at 10:30");

    // Joined at 20:30 UTC on the 25th: already the 26th in Auckland.
    const people = await page(`/org/people?org=${setup.organisation.id}`, organiserCookie);
    expect(people).toContain("26 November 2026");
    expect(people).not.toContain("25 November 2026");
    // The "your task" message was written as they joined: 09:30 on the 26th in Auckland.
    const person = await page(`/org/people/${volunteer.userId}`, organiserCookie);
    expect(person).toContain("26 November at 09:30");
    const audit = await page(`/org/audit?org=${setup.organisation.id}`, ownerCookie);
    expect(audit).toContain("26 November 2026 at 10:30");
  });

  it("an organisation on UK time sees UK time", async () => {
    const { setup, volunteer, organiserCookie } = await world();
    await db.organisation.update({
      where: { id: setup.organisation.id },
      data: { timezone: "Europe/London" },
    });
    const inbox = await page(`/org/campaigns/${setup.campaign.id}/inbox`, organiserCookie);
    expect(inbox).toContain("25 November at 21:30");
    const person = await page(`/org/people/${volunteer.userId}`, organiserCookie);
    expect(person).toContain("25 November at 20:30");
  });
});
