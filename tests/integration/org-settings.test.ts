import { describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { addMember, createUser, sessionCookie, uniqueSuffix } from "../fixtures/people.ts";
import { ForbiddenError } from "~/models/membership.server.ts";
import { updateCampaignNudges } from "~/models/campaign.server.ts";
import { updateOrganisationSettings } from "~/models/organisation.server.ts";
import { listPeople, PEOPLE_PAGE_SIZE } from "~/models/people.server.ts";
import {
  action as editCampaignAction,
  loader as editCampaignLoader,
} from "~/routes/org.campaigns.$campaignId.edit.tsx";
import { loader as peopleLoader } from "~/routes/org.people._index.tsx";
import { action as settingsAction, loader as settingsLoader } from "~/routes/org.settings.tsx";
import { parseNudgeSettings } from "~/schemas/nudges.ts";
import { db } from "~/utils/db.server.ts";

const context = { cspNonce: "test" };

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

/** Runs a loader or action; a thrown Response (404, redirect) comes back as the result. */
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

/** The field errors of a conform reply returned by an action. */
function errorsOf(result: unknown): Record<string, string[] | null> {
  const body = (result as { data: unknown }).data as
    | { error?: Record<string, string[] | null> }
    | { reply: { error?: Record<string, string[] | null> } };
  const reply = "reply" in body ? body.reply : body;
  return reply.error ?? {};
}

async function world() {
  const a = await createLadderCampaign();
  const b = await createLadderCampaign();
  const ownerA = await createUser({ name: "Olu" });
  const organiserA = await createUser({ name: "Priya" });
  const organiserB = await createUser({ name: "Bea" });
  const volunteerA = await createUser({ name: "Amira" });
  await addMember({ userId: ownerA.id, organisationId: a.organisation.id, role: "OWNER" });
  await addMember({ userId: organiserA.id, organisationId: a.organisation.id, role: "ORGANISER" });
  await addMember({ userId: organiserB.id, organisationId: b.organisation.id, role: "ORGANISER" });
  await addMember({ userId: volunteerA.id, organisationId: a.organisation.id, role: "VOLUNTEER" });
  return { a, b, ownerA, organiserA, organiserB, volunteerA };
}

const GOOD_NUDGES = {
  intent: "reminders",
  reminderHours: "6",
  overdueHours: "0",
  idleDays: "30",
  expireDays: "21",
};

describe("campaign reminder settings", () => {
  it("an organiser saves them; the loop reads the new values; other settings keys stay", async () => {
    const { a, organiserA } = await world();
    await db.campaign.update({
      where: { id: a.campaign.id },
      data: { settings: { somethingElse: "kept", reminderHours: 12 } },
    });
    const path = `/org/campaigns/${a.campaign.id}/edit`;
    const params = { campaignId: a.campaign.id };

    const before = await editCampaignLoader({
      request: await get(organiserA.id, path),
      params,
      context,
    });
    expect(before.campaign.nudges).toEqual({
      reminderHours: 12,
      overdueHours: 24,
      idleDays: 14,
      expireDays: 14,
    });

    const result = await settle(
      editCampaignAction({
        request: await post(organiserA.id, path, GOOD_NUDGES),
        params,
        context,
      }),
    );
    expect(statusOf(result)).toBe(302);
    expect((result as Response).headers.get("Location")).toBe(`${path}?done=reminders#reminders`);

    const { settings } = await db.campaign.findUniqueOrThrow({ where: { id: a.campaign.id } });
    expect(parseNudgeSettings(settings)).toEqual({
      reminderHours: 6,
      overdueHours: 0,
      idleDays: 30,
      expireDays: 21,
    });
    expect(settings).toMatchObject({ somethingElse: "kept" });

    const audits = await db.auditEvent.findMany({
      where: { subjectId: a.campaign.id, action: "campaign.nudges_updated" },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]?.actorId).toBe(organiserA.id);
    expect(audits[0]?.detail).toEqual({
      changed: {
        reminderHours: { from: 12, to: 6 },
        overdueHours: { from: 24, to: 0 },
        idleDays: { from: 14, to: 30 },
        expireDays: { from: 14, to: 21 },
      },
    });

    // Saving the same values again changes and records nothing.
    await settle(
      editCampaignAction({
        request: await post(organiserA.id, path, GOOD_NUDGES),
        params,
        context,
      }),
    );
    expect(
      await db.auditEvent.count({
        where: { subjectId: a.campaign.id, action: "campaign.nudges_updated" },
      }),
    ).toBe(1);
  });

  it("bad numbers are refused with a message and change nothing", async () => {
    const { a, organiserA } = await world();
    const path = `/org/campaigns/${a.campaign.id}/edit`;
    const params = { campaignId: a.campaign.id };
    const result = await editCampaignAction({
      request: await post(organiserA.id, path, {
        intent: "reminders",
        reminderHours: "-1",
        overdueHours: "2000",
        idleDays: "0",
        expireDays: "x",
      }),
      params,
      context,
    });
    expect(statusOf(result)).toBe(400);
    const errors = errorsOf(result);
    expect(errors.reminderHours).toEqual([
      "Enter the reminder hours as a whole number from 0 to 1,440",
    ]);
    expect(errors.overdueHours).toEqual([
      "Enter the follow-up hours as a whole number from 0 to 1,440",
    ]);
    expect(errors.idleDays).toEqual(["Enter the days as a whole number from 1 to 365"]);
    expect(errors.expireDays).toEqual([
      "Enter the days after the due date as a whole number from 1 to 365",
    ]);

    const missing = await editCampaignAction({
      request: await post(organiserA.id, path, { intent: "reminders", reminderHours: "1.5" }),
      params,
      context,
    });
    expect(statusOf(missing)).toBe(400);
    expect(errorsOf(missing).overdueHours).toEqual(["Enter the follow-up hours"]);

    const { settings } = await db.campaign.findUniqueOrThrow({ where: { id: a.campaign.id } });
    expect(settings).toEqual({});
    expect(await db.auditEvent.count({ where: { subjectId: a.campaign.id } })).toBe(0);
  });

  it("another organisation's organiser and a volunteer get 404 and change nothing", async () => {
    const { a, organiserB, volunteerA } = await world();
    const path = `/org/campaigns/${a.campaign.id}/edit`;
    const params = { campaignId: a.campaign.id };
    for (const userId of [organiserB.id, volunteerA.id]) {
      const page = await settle(
        editCampaignLoader({ request: await get(userId, path), params, context }),
      );
      expect(statusOf(page)).toBe(404);
      const saved = await settle(
        editCampaignAction({ request: await post(userId, path, GOOD_NUDGES), params, context }),
      );
      expect(statusOf(saved)).toBe(404);
      await expect(
        updateCampaignNudges({
          actorId: userId,
          campaignId: a.campaign.id,
          input: { reminderHours: 1, overdueHours: 1, idleDays: 1, expireDays: 1 },
        }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
    const { settings } = await db.campaign.findUniqueOrThrow({ where: { id: a.campaign.id } });
    expect(settings).toEqual({});
  });
});

const GOOD_SETTINGS = {
  timezone: "europe/paris",
  quietStart: "22:30",
  quietEnd: "07:15",
  weeklyCap: "5",
};

describe("organisation contact settings", () => {
  it("an owner saves them (timezone made canonical) and the change is audited", async () => {
    const { a, ownerA } = await world();
    const page = await settingsLoader({
      request: await get(ownerA.id, `/org/settings`),
      params: {},
      context,
    });
    expect(page.canEdit).toBe(true);
    expect(page.organisation).toMatchObject({
      id: a.organisation.id,
      timezone: "Europe/London",
      quietStart: "21:00",
      quietEnd: "09:00",
      weeklyCap: 3,
    });

    const result = await settle(
      settingsAction({
        request: await post(ownerA.id, "/org/settings", {
          organisationId: a.organisation.id,
          ...GOOD_SETTINGS,
        }),
        params: {},
        context,
      }),
    );
    expect(statusOf(result)).toBe(302);
    expect((result as Response).headers.get("Location")).toBe(
      `/org/settings?org=${a.organisation.id}&done=saved`,
    );
    const saved = await db.organisation.findUniqueOrThrow({ where: { id: a.organisation.id } });
    expect(saved).toMatchObject({
      timezone: "Europe/Paris",
      quietStart: "22:30",
      quietEnd: "07:15",
      weeklyCap: 5,
    });
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { subjectId: a.organisation.id, action: "organisation.settings_updated" },
    });
    expect(audit.actorId).toBe(ownerA.id);
    expect(audit.detail).toEqual({
      changed: {
        timezone: { from: "Europe/London", to: "Europe/Paris" },
        quietStart: { from: "21:00", to: "22:30" },
        quietEnd: { from: "09:00", to: "07:15" },
        weeklyCap: { from: 3, to: 5 },
      },
    });
  });

  it("bad input is refused with messages and changes nothing", async () => {
    const { a, ownerA } = await world();
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ timezone: "Mars/Olympus" }, "timezone", "We don't know that time zone"],
      [{ quietStart: "9pm" }, "quietStart", "Enter the start of quiet hours as a 24-hour time"],
      [{ quietEnd: "24:00" }, "quietEnd", "Enter the end of quiet hours as a 24-hour time"],
      [{ quietStart: "21:00", quietEnd: "21:00" }, "quietEnd", "at a different time"],
      [{ weeklyCap: "0" }, "weeklyCap", "from 1 to 14"],
      [{ weeklyCap: "15" }, "weeklyCap", "from 1 to 14"],
      [{ weeklyCap: "2.5" }, "weeklyCap", "from 1 to 14"],
    ];
    for (const [change, field, message] of cases) {
      const result = await settingsAction({
        request: await post(ownerA.id, "/org/settings", {
          organisationId: a.organisation.id,
          ...GOOD_SETTINGS,
          ...change,
        }),
        params: {},
        context,
      });
      expect(statusOf(result), JSON.stringify(change)).toBe(400);
      expect(errorsOf(result)[field]?.[0], JSON.stringify(change)).toContain(message);
    }
    const unchanged = await db.organisation.findUniqueOrThrow({ where: { id: a.organisation.id } });
    expect(unchanged).toMatchObject({
      timezone: "Europe/London",
      quietStart: "21:00",
      quietEnd: "09:00",
      weeklyCap: 3,
    });
    expect(await db.auditEvent.count({ where: { organisationId: a.organisation.id } })).toBe(0);
  });

  it("organisers see them read-only and can't save; others get 404; nothing changes", async () => {
    const { a, organiserA, organiserB, volunteerA } = await world();
    const page = await settingsLoader({
      request: await get(organiserA.id, "/org/settings"),
      params: {},
      context,
    });
    expect(page.canEdit).toBe(false);
    expect(page.organisation.quietStart).toBe("21:00");

    for (const userId of [organiserA.id, organiserB.id, volunteerA.id]) {
      const saved = await settle(
        settingsAction({
          request: await post(userId, "/org/settings", {
            organisationId: a.organisation.id,
            ...GOOD_SETTINGS,
          }),
          params: {},
          context,
        }),
      );
      expect(statusOf(saved)).toBe(404);
      await expect(
        updateOrganisationSettings({
          actorId: userId,
          organisationId: a.organisation.id,
          input: { timezone: "UTC", quietStart: "20:00", quietEnd: "08:00", weeklyCap: 2 },
        }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
    for (const userId of [organiserB.id, volunteerA.id]) {
      const other = await settle(
        settingsLoader({
          request: await get(userId, `/org/settings?org=${a.organisation.id}`),
          params: {},
          context,
        }),
      );
      expect(statusOf(other)).toBe(404);
    }
    const unchanged = await db.organisation.findUniqueOrThrow({ where: { id: a.organisation.id } });
    expect(unchanged.quietStart).toBe("21:00");
    expect(unchanged.weeklyCap).toBe(3);
  });

  it("someone in two organisations is sent to choose one unless the address says which", async () => {
    const { a, b, ownerA } = await world();
    await addMember({ userId: ownerA.id, organisationId: b.organisation.id, role: "OWNER" });
    const choose = await settle(
      settingsLoader({ request: await get(ownerA.id, "/org/settings"), params: {}, context }),
    );
    expect(statusOf(choose)).toBe(302);
    expect((choose as Response).headers.get("Location")).toBe("/org");
    const chosen = await settingsLoader({
      request: await get(ownerA.id, `/org/settings?org=${b.organisation.id}`),
      params: {},
      context,
    });
    expect(chosen.organisation.id).toBe(b.organisation.id);
    expect(chosen.organisation.id).not.toBe(a.organisation.id);
  });
});

/** A member who joined `minutesAgo` minutes ago, with the given details. */
async function member(
  organisationId: string,
  {
    name,
    email = `${name.toLowerCase().replace(/\W+/g, "-")}-${uniqueSuffix()}@example.org`,
    phone = null,
    minutesAgo,
    channelPreference = "EMAIL",
  }: {
    name: string;
    email?: string | null;
    phone?: string | null;
    minutesAgo: number;
    channelPreference?: "EMAIL" | "SMS" | "BOTH";
  },
) {
  const user = await db.user.create({
    select: { id: true },
    data: { name, email, phone, channelPreference },
  });
  await db.membership.create({
    data: {
      userId: user.id,
      organisationId,
      role: "VOLUNTEER",
      createdAt: new Date(Date.now() - minutesAgo * 60_000),
    },
  });
  return user;
}

describe("the people list", () => {
  it("shows the organisation's people only, newest first, with their task and last report", async () => {
    const { a, b, organiserA, organiserB, ownerA, volunteerA } = await world();
    const nadia = await member(a.organisation.id, {
      name: "Nadia Okafor",
      minutesAgo: -5,
      channelPreference: "BOTH",
      phone: "+447400111222",
    });
    const outsider = await member(b.organisation.id, { name: "Otto Outsider", minutesAgo: -10 });
    const gone = await member(a.organisation.id, { name: "Gone Person", minutesAgo: -20 });
    await db.user.update({ where: { id: gone.id }, data: { deletedAt: new Date() } });

    const version = await db.task.findUniqueOrThrow({
      select: { currentVersionId: true },
      where: { id: a.ids.doors! },
    });
    const assignment = await db.assignment.create({
      select: { id: true },
      data: {
        organisationId: a.organisation.id,
        campaignId: a.campaign.id,
        taskId: a.ids.doors!,
        taskVersionId: version.currentVersionId!,
        userId: nadia.id,
        status: "REPORTED",
        dueAt: new Date(),
      },
    });
    const reportedAt = new Date("2026-03-04T12:00:00Z");
    await db.report.create({
      data: {
        organisationId: a.organisation.id,
        campaignId: a.campaign.id,
        taskId: a.ids.doors!,
        taskVersionId: version.currentVersionId!,
        assignmentId: assignment.id,
        userId: nadia.id,
        values: {},
        idempotencyKey: `test-${uniqueSuffix()}`,
        createdAt: reportedAt,
      },
    });
    const stallVersion = await db.task.findUniqueOrThrow({
      select: { currentVersionId: true },
      where: { id: a.ids.stall! },
    });
    await db.assignment.create({
      data: {
        organisationId: a.organisation.id,
        campaignId: a.campaign.id,
        taskId: a.ids.stall!,
        taskVersionId: stallVersion.currentVersionId!,
        userId: nadia.id,
        dueAt: new Date(Date.now() + 86_400_000),
        previousId: assignment.id,
      },
    });

    const page = await peopleLoader({
      request: await get(organiserA.id, "/org/people"),
      params: {},
      context,
    });
    expect(page.total).toBe(4);
    expect(page.people.map((p) => p.id)).toEqual(
      expect.arrayContaining([organiserA.id, ownerA.id, volunteerA.id, nadia.id]),
    );
    expect(page.people.map((p) => p.id)).not.toContain(outsider.id);
    expect(page.people.map((p) => p.id)).not.toContain(gone.id);
    const searched = await listPeople({
      actorId: organiserA.id,
      organisationId: a.organisation.id,
      search: "gone",
    });
    expect(searched.total).toBe(0);
    expect(page.people[0]).toEqual({
      id: nadia.id,
      name: "Nadia Okafor",
      role: null,
      contactBy: "Email and text",
      joined: expect.any(String),
      openTask: { title: "Run a street stall", campaign: "Test campaign", others: 0 },
      lastReport: "4 March 2026",
    });
    expect(page.people.find((p) => p.id === volunteerA.id)).toMatchObject({
      openTask: null,
      lastReport: null,
    });
    expect(page.people.find((p) => p.id === ownerA.id)?.role).toBe("Owner");

    // Another organisation's organiser sees only their own; a volunteer sees nothing.
    const asB = await peopleLoader({
      request: await get(organiserB.id, "/org/people"),
      params: {},
      context,
    });
    expect(asB.people.map((p) => p.id)).toEqual([outsider.id, organiserB.id]);
    for (const [userId, path] of [
      [organiserB.id, `/org/people?org=${a.organisation.id}`],
      [volunteerA.id, "/org/people"],
      [volunteerA.id, `/org/people?org=${a.organisation.id}`],
    ] as const) {
      const refused = await settle(
        peopleLoader({ request: await get(userId, path), params: {}, context }),
      );
      expect(statusOf(refused), path).toBe(404);
    }
    for (const actorId of [volunteerA.id, organiserB.id]) {
      await expect(
        listPeople({ actorId, organisationId: a.organisation.id }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    }
  });

  it("searches by name, email or phone (typed the UK way), with wildcards taken literally", async () => {
    const { a, organiserA } = await world();
    const nadia = await member(a.organisation.id, {
      name: "Nadia Okafor",
      email: "nadia.o@example.org",
      phone: "+447400654321",
      minutesAgo: 1,
    });
    const percy = await member(a.organisation.id, {
      name: "Percy 100% Keen",
      email: "percy_k@example.org",
      minutesAgo: 2,
    });
    const find = async (search: string) =>
      (
        await listPeople({ actorId: organiserA.id, organisationId: a.organisation.id, search })
      ).people.map((p) => p.id);

    expect(await find("okaf")).toEqual([nadia.id]);
    expect(await find("NADIA.O@")).toEqual([nadia.id]);
    expect(await find("07400 654321")).toEqual([nadia.id]);
    expect(await find("+44 7400 654")).toEqual([nadia.id]);
    expect(await find("100%")).toEqual([percy.id]);
    expect(await find("y_k")).toEqual([percy.id]);
    expect(await find("%")).toEqual([percy.id]);
    expect(await find("nobody-like-this")).toEqual([]);

    const page = await peopleLoader({
      request: await get(organiserA.id, "/org/people?q=okafor"),
      params: {},
      context,
    });
    expect(page.total).toBe(1);
    expect(page.search).toBe("okafor");
  });

  it("pages 50 at a time, newest to join first", async () => {
    const { a, organiserA } = await world();
    const made: string[] = [];
    for (let i = 0; i < PEOPLE_PAGE_SIZE + 5; i += 1) {
      made.push((await member(a.organisation.id, { name: `Walker ${i}`, minutesAgo: -i - 1 })).id);
    }
    const newestFirst = [...made].reverse();
    const first = await peopleLoader({
      request: await get(organiserA.id, `/org/people?org=${a.organisation.id}`),
      params: {},
      context,
    });
    // Plus the owner, the organiser and the volunteer of world().
    expect(first.total).toBe(PEOPLE_PAGE_SIZE + 5 + 3);
    expect(first.pageCount).toBe(2);
    expect(first.people).toHaveLength(PEOPLE_PAGE_SIZE);
    expect(first.people.map((p) => p.id)).toEqual(newestFirst.slice(0, PEOPLE_PAGE_SIZE));

    const second = await peopleLoader({
      request: await get(organiserA.id, `/org/people?org=${a.organisation.id}&page=2`),
      params: {},
      context,
    });
    expect(second.page).toBe(2);
    expect(second.people).toHaveLength(8);
    expect(second.people.slice(0, 5).map((p) => p.id)).toEqual(newestFirst.slice(PEOPLE_PAGE_SIZE));

    const searched = await peopleLoader({
      request: await get(organiserA.id, `/org/people?q=walker&page=2`),
      params: {},
      context,
    });
    expect(searched.total).toBe(PEOPLE_PAGE_SIZE + 5);
    expect(searched.people.map((p) => p.id)).toEqual(newestFirst.slice(PEOPLE_PAGE_SIZE));

    const nonsense = await peopleLoader({
      request: await get(organiserA.id, `/org/people?page=abc`),
      params: {},
      context,
    });
    expect(nonsense.page).toBe(1);
  });
});
