import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { daytimeZone, jobsAbout, joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, uniqueSuffix } from "../fixtures/people.ts";
import {
  createWorld,
  listRoutes,
  sessionCookie,
  startTestServer,
  type TestServer,
  type World,
} from "./authz-matrix-app.ts";
import { MATRIX } from "./authz-matrix.ts";
import { submitReport } from "~/loop/service.server.ts";
import {
  TEAM_NUDGE_KIND,
  changeTeam,
  getChampions,
  getLedTeam,
  listLedTeams,
  promoteToTeamLead,
  sendTeamNudge,
} from "~/models/teams.server.ts";
import { previewAudience, publishUpdate } from "~/models/updates.server.ts";
import { firstNameOnly } from "~/utils/format";
import { db } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** A fixed-offset timezone where it is 2 in the morning now. */
function nightZone(now = new Date()): string {
  let offset = 2 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  if (offset === 0) return "Etc/UTC";
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

type Setup = Awaited<ReturnType<typeof createLadderCampaign>>;

function setupOf(world: World): Setup {
  return { organisation: world.orgA, campaign: world.campaign, ids: world.tasks };
}

/**
 * People built to tempt a leak: a full name with a rare surname, an address, a phone number and a
 * postcode that each appear nowhere else, so finding one in a page means it came from them.
 */
type Tempting = {
  userId: string;
  firstName: string;
  surname: string;
  email: string;
  phone: string;
  postcode: string;
};

async function temptingMember(
  setup: Setup,
  options: Parameters<typeof joinVolunteer>[1] = {},
): Promise<Tempting & { assignmentId: string }> {
  const joined = await joinVolunteer(setup, options);
  const tag = uniqueSuffix();
  // Letters only, so firstNameOnly never takes it for a phone number.
  const firstName = `Zed${tag.slice(0, 4).replace(/\d/g, (d) => "abcdefghij"[Number(d)]!)}`;
  const surname = `Quartermaine${tag}`;
  const postcode = `QX${tag.slice(0, 1).replace(/\D/, "7")} 9${tag
    .slice(1, 3)
    .toUpperCase()
    .replace(/[^A-Z]/g, "Z")}`;
  await db.user.update({
    where: { id: joined.userId },
    data: { name: `${firstName} ${surname}`, postcode },
  });
  return {
    userId: joined.userId,
    assignmentId: joined.assignmentId,
    firstName,
    surname,
    email: joined.email,
    phone: joined.phone,
    postcode,
  };
}

/** Every way a contact detail could be written on a page. */
function secretsOf(person: Omit<Tempting, "userId" | "firstName">): string[] {
  const national = person.phone.replace(/^\+44/, "0");
  return [
    person.surname,
    person.email,
    person.email.split("@")[0]!,
    person.phone,
    person.phone.replace("+", ""),
    national,
    `${national.slice(0, 5)} ${national.slice(5)}`,
    person.postcode,
    person.postcode.replace(" ", ""),
  ];
}

/** A page's text with HTML's escapes undone, as a person would read it. */
function decoded(text: string) {
  return text
    .replaceAll("&#x27;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

function leaks(text: string, secrets: string[]): string[] {
  const lower = decoded(text).toLowerCase();
  return secrets.filter((secret) => lower.includes(secret.toLowerCase()));
}

let server: TestServer;

beforeAll(async () => {
  // As deployed: the development outbox (which lists every message) is off.
  process.env.OUTBOX_PREVIEW = "false";
  reloadEnv();
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
  delete process.env.OUTBOX_PREVIEW;
  reloadEnv();
});

/** A world whose team has tempting members, and a second team with a lead of its own. */
async function temptingWorld() {
  const world = await createWorld();
  const setup = setupOf(world);
  const members = [
    await temptingMember(setup, { channel: "BOTH" }),
    await temptingMember(setup, { channel: "EMAIL" }),
  ];
  const outsider = await temptingMember(setup, { channel: "SMS" });
  // One member has reported, so the team page has a last report and totals to show.
  const reported = await submitReport({
    assignmentId: members[0]!.assignmentId,
    userId: members[0]!.userId,
    values: { doors: 12, outcome: "Well" },
    feedback: null,
    idempotencyKey: `tempting-${members[0]!.userId}`,
    source: "WEB",
  });
  expect(reported.ok).toBe(true);
  await db.teamMember.createMany({
    data: members.map((member) => ({ teamId: world.teamId, userId: member.userId })),
  });
  const otherLead = await createUser({ name: "Ingrid Otherlead" });
  await addMember({ userId: otherLead.id, organisationId: world.orgA.id, role: "TEAM_LEAD" });
  const otherTeam = await db.team.create({
    select: { id: true },
    data: {
      organisationId: world.orgA.id,
      campaignId: world.campaign.id,
      name: `Riverside ${uniqueSuffix()}`,
      leadId: otherLead.id,
      members: { create: [{ userId: outsider.userId }] },
    },
  });
  const volunteerUser = await db.user.findUniqueOrThrow({
    select: { name: true, postcode: true },
    where: { id: world.volunteer.id },
  });
  return {
    world,
    members,
    outsider,
    otherLead,
    otherTeamId: otherTeam.id,
    otherLeadCookie: await sessionCookie(otherLead.id),
    secrets: [
      ...members.flatMap(secretsOf),
      ...secretsOf(outsider),
      outsider.firstName,
      // The world's volunteer (also in the team): "Vol <surname>".
      ...secretsOf({
        surname: (volunteerUser.name ?? "").split(" ")[1] ?? "",
        email: world.volunteer.email,
        phone: world.volunteer.phone,
        postcode: volunteerUser.postcode ?? "",
      }),
    ],
  };
}

describe("first names", () => {
  it("are the first word of the name, never an address or a phone number typed as one", () => {
    expect(firstNameOnly("Ann Marie Smith")).toBe("Ann");
    expect(firstNameOnly("  Olu  ")).toBe("Olu");
    expect(firstNameOnly("ann@example.org Smith")).toBe("Someone");
    expect(firstNameOnly("07700900123")).toBe("Someone");
    expect(firstNameOnly("+447700900123 Sam")).toBe("Someone");
    expect(firstNameOnly("Lena2")).toBe("Lena2");
    expect(firstNameOnly(null)).toBe("Someone");
  });
});

describe("a team lead's own pages", () => {
  it("show first names, open tasks, last reports and totals, and no contact details", async () => {
    const t = await temptingWorld();
    const cookie = t.world.cookies.teamLead;
    const list = await server.send({ path: "/team", cookie });
    expect(list.status).toBe(200);
    expect(list.text).toContain("Doorknockers");
    const page = await server.send({ path: `/team/${t.world.teamId}`, cookie });
    expect(page.status).toBe(200);
    for (const member of t.members) expect(page.text).toContain(member.firstName);
    expect(page.text).toContain("Vol");
    // Their open tasks (the doors task, and the next one for the member who reported).
    expect(page.text).toContain("Knock on 20 doors");
    expect(page.text).toContain("Run a street stall");
    expect(page.text).toContain("<caption");
    // Single fetch's data for the same pages.
    const data = await server.send({ path: `/team/${t.world.teamId}.data`, cookie });
    expect(data.status).toBe(200);
    for (const sent of [list, page, data]) expect(leaks(sent.text, t.secrets)).toEqual([]);

    // The model's own answer: three members, two reports (the world's and ours), 37 doors.
    const team = await getLedTeam({ actorId: t.world.ids.teamLead, teamId: t.world.teamId });
    expect(team.totals).toEqual({ members: 3, reports: 2, metricTotal: 37, recentReports: 2 });
    expect(JSON.stringify(team)).not.toMatch(/@|\+44/);
    expect(leaks(JSON.stringify(team), t.secrets)).toEqual([]);
    expect(Object.keys(team.members[0]!).sort()).toEqual(["firstName", "lastReportAt", "openTask"]);
  });

  it("show only the teams whose lead they are", async () => {
    const t = await temptingWorld();
    const mine = await listLedTeams({ actorId: t.world.ids.teamLead });
    expect(mine.map((team) => team.id)).toEqual([t.world.teamId]);
    await expect(
      getLedTeam({ actorId: t.world.ids.teamLead, teamId: t.otherTeamId }),
    ).rejects.toMatchObject({ name: "ForbiddenError" });
    // Organisers and volunteers lead nothing.
    expect(await listLedTeams({ actorId: t.world.ids.organiser })).toEqual([]);
    expect(await listLedTeams({ actorId: t.world.ids.volunteer })).toEqual([]);
    // A lead whose role was taken away sees nothing, though the team still names them.
    await db.membership.update({
      where: {
        userId_organisationId: { userId: t.otherLead.id, organisationId: t.world.orgA.id },
      },
      data: { role: "VOLUNTEER" },
    });
    expect(await listLedTeams({ actorId: t.otherLead.id })).toEqual([]);
  });
});

describe("per route, a team lead", () => {
  it("is refused every organiser route and another team's page, and no page they reach shows contact details", async () => {
    const t = await temptingWorld();
    const routes = await listRoutes();
    const cookie = t.world.cookies.teamLead;
    const reached: string[] = [];
    for (const route of routes) {
      const entry = MATRIX[route.id];
      if (!entry) throw new Error(`${route.id} has no entry in authz-matrix.ts`);
      const path = entry.path(t.world);
      const sent = await server.send({ path, cookie });
      if (route.id.startsWith("routes/org.")) {
        expect([route.id, [403, 404].includes(sent.status)]).toEqual([route.id, true]);
      }
      if (sent.status === 200) reached.push(route.id);
      const secrets = t.secrets;
      expect([route.id, leaks(sent.text, secrets)]).toEqual([route.id, []]);
      if (route.id.startsWith("routes/org.") || route.id.startsWith("routes/team.")) {
        const data = await server.send({ path: `${path.split("?")[0]}.data`, cookie });
        expect([route.id, leaks(data.text, secrets)]).toEqual([route.id, []]);
      }
    }
    expect(reached).toEqual(expect.arrayContaining(["routes/team._index", "routes/team.$teamId"]));

    // Another team's page, and a nudge to it: not found, and nothing written.
    const other = await server.send({ path: `/team/${t.otherTeamId}`, cookie });
    expect(other.status).toBe(404);
    expect(other.text).not.toContain("Riverside");
    const before = await db.message.count();
    const posted = await server.send({
      method: "POST",
      path: `/team/${t.otherTeamId}`,
      cookie,
      form: { body: "Hello other team", idempotencyKey: `k-${uniqueSuffix()}` },
    });
    expect(posted.status).toBe(404);
    expect(await db.message.count()).toBe(before);
    expect(await db.teamNudge.count({ where: { teamId: t.otherTeamId } })).toBe(0);
    await expect(
      sendTeamNudge({
        actorId: t.world.ids.teamLead,
        teamId: t.otherTeamId,
        body: "Hi",
        idempotencyKey: `k-${uniqueSuffix()}`,
      }),
    ).rejects.toMatchObject({ name: "ForbiddenError" });

    // The other lead sees theirs and not ours.
    const theirs = await server.send({ path: `/team/${t.otherTeamId}`, cookie: t.otherLeadCookie });
    expect(theirs.status).toBe(200);
    expect(theirs.text).toContain(t.outsider.firstName);
    const ours = await server.send({ path: `/team/${t.world.teamId}`, cookie: t.otherLeadCookie });
    expect(ours.status).toBe(404);
  });
});

describe("a team nudge", () => {
  async function nudgeWorld() {
    const world = await createWorld();
    const setup = setupOf(world);
    const awake = await joinVolunteer(setup, { channel: "BOTH" });
    const optedOut = await joinVolunteer(setup, { channel: "EMAIL", consent: false });
    const asleep = await joinVolunteer(setup, { channel: "EMAIL", timezone: nightZone() });
    await db.teamMember.createMany({
      data: [awake, optedOut, asleep].map((v) => ({ teamId: world.teamId, userId: v.userId })),
    });
    // The world's volunteer is a member too: they have had a task message, so on a daytime
    // clock their nudge goes.
    await db.user.update({ where: { id: world.volunteer.id }, data: { timezone: daytimeZone() } });
    return { world, awake, optedOut, asleep };
  }

  const nudgesOf = (teamId: string) =>
    db.teamNudge.findMany({ select: { id: true, messageIds: true }, where: { teamId } });

  it("goes through the outbox and the contact policy: opted out is suppressed, quiet hours hold", async () => {
    const w = await nudgeWorld();
    const key = `nudge-${uniqueSuffix()}`;
    const result = await sendTeamNudge({
      actorId: w.world.ids.teamLead,
      teamId: w.world.teamId,
      body: "Shall we knock on Elm Street on Saturday at 10?",
      idempotencyKey: key,
    });
    expect(result).toEqual(
      expect.objectContaining({ ok: true, recipients: 4, messages: 5, repeated: false }),
    );
    const messages = await db.message.findMany({
      select: { id: true, userId: true, channel: true, kind: true, dedupeKey: true },
      where: { kind: TEAM_NUDGE_KIND, organisationId: w.world.orgA.id },
    });
    const nudgeId = result.ok ? result.nudgeId : "";
    expect(messages.map((m) => m.dedupeKey).sort()).toEqual(
      [
        `team-nudge:${nudgeId}:${w.awake.userId}:EMAIL`,
        `team-nudge:${nudgeId}:${w.awake.userId}:SMS`,
        `team-nudge:${nudgeId}:${w.optedOut.userId}:EMAIL`,
        `team-nudge:${nudgeId}:${w.asleep.userId}:EMAIL`,
        `team-nudge:${nudgeId}:${w.world.volunteer.id}:EMAIL`,
      ].sort(),
    );
    for (const message of messages) {
      expect((await jobsAbout(message.id)).map((job) => job.key)).toEqual([
        `deliver:${message.id}`,
      ]);
    }
    const of = (userId: string, channel = "EMAIL") =>
      messages.find((m) => m.userId === userId && m.channel === channel)!.id;
    expect(await deliverMessage({ messageId: of(w.optedOut.userId) })).toEqual({
      outcome: "suppressed",
      reason: "opted out",
    });
    expect(await deliverMessage({ messageId: of(w.asleep.userId) })).toEqual(
      expect.objectContaining({ outcome: "held", reason: "quiet hours" }),
    );
    expect((await deliverMessage({ messageId: of(w.awake.userId) })).outcome).toBe("sent");
    expect((await deliverMessage({ messageId: of(w.awake.userId, "SMS") })).outcome).toBe("sent");
    const stored = await db.message.findMany({
      select: { status: true, statusReason: true, bodyText: true, subject: true },
      where: { id: { in: [of(w.optedOut.userId), of(w.awake.userId)] } },
      orderBy: { status: "asc" },
    });
    expect(stored.map((m) => [m.status, m.statusReason])).toEqual(
      expect.arrayContaining([
        ["SUPPRESSED", "opted out"],
        ["SENT", null],
      ]),
    );
    const sent = stored.find((m) => m.status === "SENT")!;
    expect(sent.bodyText).toContain("Shall we knock on Elm Street on Saturday at 10?");
    expect(sent.subject).toContain("Doorknockers");
    expect(sent.bodyText).toMatch(/\/unsubscribe\//);

    // The lead's page shows what became of it, as counts.
    const page = await server.send({
      path: `/team/${w.world.teamId}`,
      cookie: w.world.cookies.teamLead,
    });
    const words = decoded(page.text);
    expect(words).toContain("5 messages: 2 sent, 1 about to go, 1 waiting for the morning");
    expect(words).toContain("1 not sent");
    expect(words).toContain("you can send the next one after");
    expect(page.text).not.toContain('name="body"');

    const audit = await db.auditEvent.findMany({
      select: { action: true, actorId: true },
      where: { subjectId: w.world.teamId, action: "team.nudged" },
    });
    expect(audit).toEqual([{ action: "team.nudged", actorId: w.world.ids.teamLead }]);
  });

  it("sent twice (a double submit) queues nothing twice; another within a day is refused", async () => {
    const w = await nudgeWorld();
    const cookie = w.world.cookies.teamLead;
    const form = {
      body: "Leaflets are at the library.",
      idempotencyKey: `nudge-${uniqueSuffix()}`,
    };
    const path = `/team/${w.world.teamId}`;
    const [first, second] = await Promise.all([
      server.send({ method: "POST", path, cookie, form }),
      server.send({ method: "POST", path, cookie, form }),
    ]);
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(first.location).toBe(`${path}?sent=4`);
    const nudges = await nudgesOf(w.world.teamId);
    expect(nudges).toHaveLength(1);
    const count = () =>
      db.message.count({ where: { kind: TEAM_NUDGE_KIND, organisationId: w.world.orgA.id } });
    expect(await count()).toBe(5);
    expect(nudges[0]!.messageIds).toHaveLength(5);

    const third = await server.send({
      method: "POST",
      path,
      cookie,
      form: { ...form, idempotencyKey: `nudge-${uniqueSuffix()}` },
    });
    expect(third.status).toBe(429);
    expect(third.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(decoded(third.text)).toContain("Teams get one nudge a day");
    expect(await count()).toBe(5);
    expect(await nudgesOf(w.world.teamId)).toHaveLength(1);

    // A day later the next one may go.
    const later = await sendTeamNudge({
      actorId: w.world.ids.teamLead,
      teamId: w.world.teamId,
      body: "Thank you all!",
      idempotencyKey: `nudge-${uniqueSuffix()}`,
      now: new Date(Date.now() + DAY + HOUR),
    });
    expect(later).toEqual(expect.objectContaining({ ok: true, messages: 5 }));
  });

  it("refuses an empty or too long message with a message of its own, and writes nothing", async () => {
    const w = await nudgeWorld();
    const path = `/team/${w.world.teamId}`;
    for (const body of ["   ", "x".repeat(301)]) {
      const sent = await server.send({
        method: "POST",
        path,
        cookie: w.world.cookies.teamLead,
        form: { body, idempotencyKey: `nudge-${uniqueSuffix()}` },
      });
      expect(sent.status).toBe(400);
      expect(decoded(sent.text)).toMatch(
        /Write a message for your team|Keep the message to 300 characters/,
      );
    }
    expect(await nudgesOf(w.world.teamId)).toEqual([]);
  });
});

describe("promoting a volunteer and managing teams", () => {
  it("promote makes the team, the role and the audit events; bad input changes nothing", async () => {
    const world = await createWorld();
    const setup = setupOf(world);
    const champion = await joinVolunteer(setup);
    const cookie = world.cookies.organiser;
    const path = `/org/campaigns/${world.campaign.id}/champions`;
    const name = `Elm Street ${uniqueSuffix()}`;
    const sent = await server.send({
      method: "POST",
      path,
      cookie,
      form: { intent: "promote", userId: champion.userId, name },
    });
    expect(sent.status).toBe(302);
    expect(sent.location).toMatch(/\/teams\?done=promoted/);
    const team = await db.team.findFirstOrThrow({
      select: { id: true, leadId: true, organisationId: true },
      where: { campaignId: world.campaign.id, name },
    });
    expect(team).toEqual(
      expect.objectContaining({ leadId: champion.userId, organisationId: world.orgA.id }),
    );
    const membership = await db.membership.findUniqueOrThrow({
      select: { role: true },
      where: {
        userId_organisationId: { userId: champion.userId, organisationId: world.orgA.id },
      },
    });
    expect(membership.role).toBe("TEAM_LEAD");
    const audit = await db.auditEvent.findMany({
      select: { action: true, actorId: true, subjectId: true, detail: true },
      where: {
        organisationId: world.orgA.id,
        action: { in: ["membership.role_set", "team.created"] },
      },
      orderBy: { action: "asc" },
    });
    expect(audit).toEqual([
      expect.objectContaining({
        action: "membership.role_set",
        actorId: world.ids.organiser,
        subjectId: champion.userId,
        detail: { role: "TEAM_LEAD", from: "VOLUNTEER" },
      }),
      expect.objectContaining({ action: "team.created", subjectId: team.id }),
    ]);

    // The new lead reaches their page.
    const leadPage = await server.send({
      path: `/team/${team.id}`,
      cookie: await sessionCookie(champion.userId),
    });
    expect(leadPage.status).toBe(200);

    // Refusals: already a lead, an organiser, a name taken, someone not taking part.
    const counts = async () => [
      await db.team.count({ where: { campaignId: world.campaign.id } }),
      await db.auditEvent.count({ where: { organisationId: world.orgA.id } }),
    ];
    const other = await joinVolunteer(setup);
    const before = await counts();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ userId: champion.userId, name: "Another" }, /already leads a team/],
      [{ userId: other.userId, name: name.toUpperCase() }, /already a team called/],
      [{ userId: world.ids.owner, name: "Owners" }, /isn't taking part/],
      [{ userId: "no-such-person", name: "Nobody" }, /isn't taking part/],
      [{ userId: other.userId, name: "" }, /Give the team a name/],
      [{ userId: other.userId, name: "x".repeat(61) }, /Keep the team's name to 60 characters/],
    ];
    for (const [form, message] of cases) {
      const refused = await server.send({
        method: "POST",
        path,
        cookie,
        form: { intent: "promote", ...form },
      });
      expect([form, refused.status]).toEqual([form, 400]);
      expect(decoded(refused.text)).toMatch(message);
    }
    expect(await counts()).toEqual(before);
    // An organiser who takes part is not made a team lead.
    const organiserJoins = await joinVolunteer(setup);
    await db.membership.update({
      where: {
        userId_organisationId: { userId: organiserJoins.userId, organisationId: world.orgA.id },
      },
      data: { role: "ORGANISER" },
    });
    expect(
      await promoteToTeamLead({
        actorId: world.ids.owner,
        campaignId: world.campaign.id,
        userId: organiserJoins.userId,
        name: "Organisers",
      }),
    ).toEqual(expect.objectContaining({ ok: false, message: expect.stringMatching(/organiser/) }));
    // Someone from another organisation can't promote here at all.
    await expect(
      promoteToTeamLead({
        actorId: world.ids.otherOrganiser,
        campaignId: world.campaign.id,
        userId: other.userId,
        name: "Sneaky",
      }),
    ).rejects.toMatchObject({ name: "ForbiddenError" });
  });

  it("adds and removes members, and removing the lead makes them a volunteer again", async () => {
    const world = await createWorld();
    const setup = setupOf(world);
    const [a, b] = [await joinVolunteer(setup), await joinVolunteer(setup)];
    const promoted = await promoteToTeamLead({
      actorId: world.ids.organiser,
      campaignId: world.campaign.id,
      userId: a.userId,
      name: "Second team",
    });
    if (!promoted.ok) throw new Error(promoted.message);
    const act = (action: Parameters<typeof changeTeam>[0]["action"]) =>
      changeTeam({ actorId: world.ids.organiser, campaignId: world.campaign.id, action });
    expect(await act({ intent: "add-member", teamId: promoted.teamId, userId: b.userId })).toEqual({
      ok: true,
      teamId: promoted.teamId,
    });
    // One team per person per campaign; the world's volunteer is in the world's team.
    expect(
      await act({ intent: "add-member", teamId: promoted.teamId, userId: world.volunteer.id }),
    ).toEqual(
      expect.objectContaining({
        ok: false,
        message: expect.stringMatching(/already in the team Doorknockers/),
      }),
    );
    expect(await act({ intent: "add-member", teamId: world.teamId, userId: b.userId })).toEqual(
      expect.objectContaining({ ok: false }),
    );
    // A team of another campaign isn't this campaign's.
    const elsewhere = await createLadderCampaign();
    const foreignTeam = await db.team.create({
      select: { id: true },
      data: {
        organisationId: elsewhere.organisation.id,
        campaignId: elsewhere.campaign.id,
        name: "X",
      },
    });
    expect(
      await act({ intent: "remove-member", teamId: foreignTeam.id, userId: b.userId }),
    ).toEqual(expect.objectContaining({ ok: false, field: "teamId" }));

    expect(
      await act({ intent: "remove-member", teamId: promoted.teamId, userId: b.userId }),
    ).toEqual(expect.objectContaining({ ok: true }));
    expect(await db.teamMember.count({ where: { teamId: promoted.teamId } })).toBe(0);
    expect(await act({ intent: "remove-lead", teamId: promoted.teamId })).toEqual(
      expect.objectContaining({ ok: true }),
    );
    const role = await db.membership.findUniqueOrThrow({
      select: { role: true },
      where: { userId_organisationId: { userId: a.userId, organisationId: world.orgA.id } },
    });
    expect(role.role).toBe("VOLUNTEER");
    expect(await listLedTeams({ actorId: a.userId })).toEqual([]);
    const actions = await db.auditEvent.findMany({
      select: { action: true },
      where: { subjectId: promoted.teamId },
      orderBy: { createdAt: "asc" },
    });
    expect(actions.map((e) => e.action)).toEqual([
      "team.created",
      "team.member_added",
      "team.member_removed",
      "team.lead_removed",
    ]);
    // Through the page: the organiser's team list has the teams; a team lead is told it isn't there.
    const page = await server.send({
      path: `/org/campaigns/${world.campaign.id}/teams`,
      cookie: world.cookies.organiser,
    });
    expect(page.status).toBe(200);
    expect(page.text).toContain("Second team");
    const refused = await server.send({
      method: "POST",
      path: `/org/campaigns/${world.campaign.id}/teams`,
      cookie: world.cookies.teamLead,
      form: { intent: "delete-team", teamId: world.teamId },
    });
    expect(refused.status).toBe(404);
    expect(await db.team.count({ where: { id: world.teamId } })).toBe(1);
  });
});

describe("the reliability view", () => {
  /** A five-step ladder, one question each, every step due a week after it is given. */
  const STEPS = ["one", "two", "three", "four", "five"];
  const LADDER = STEPS.map((key, index) => ({
    key,
    title: `Step ${key}`,
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
    rules: (ids: Record<string, string>) => ({ defaultNext: ids[STEPS[index + 1] ?? ""] ?? null }),
  }));

  /** Monday 10:00 UTC, six weeks or so ago: every report below lands in a known week. */
  function aMondayAgo() {
    const d = new Date(Date.now() - 42 * DAY);
    const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 10));
    return new Date(monday.getTime() - ((monday.getUTCDay() + 6) % 7) * DAY);
  }

  /** Joins at t0 and reports each open task at the given days (and hours) after t0. */
  async function volunteer(setup: Setup, name: string, t0: Date, reportDays: number[]) {
    const joined = await joinVolunteer(setup, { now: t0 });
    await db.user.update({ where: { id: joined.userId }, data: { name: `${name} Smith` } });
    for (const day of reportDays) {
      const open = await db.assignment.findFirstOrThrow({
        select: { id: true },
        where: { userId: joined.userId, campaignId: setup.campaign.id, status: "ASSIGNED" },
      });
      const result = await submitReport({
        assignmentId: open.id,
        userId: joined.userId,
        values: { doors: 5 },
        feedback: null,
        idempotencyKey: `r-${open.id}`,
        source: "WEB",
        now: new Date(t0.getTime() + day * DAY),
      });
      if (!result.ok) throw new Error(`report failed for ${name}`);
    }
    return joined.userId;
  }

  it("ranks on time, consistency and furthest correctly, with a minimum of reports", async () => {
    const setup = await createLadderCampaign(LADDER);
    const organiser = await createUser({ name: "Priya" });
    await addMember({
      userId: organiser.id,
      organisationId: setup.organisation.id,
      role: "ORGANISER",
    });
    const t0 = aMondayAgo();
    const h = 1 / 24;
    const ids = {
      // Five reports, each before its due date, in weeks 0, 1, 1, 2, 3: finished the ladder.
      ada: await volunteer(setup, "Ada", t0, [1, 7, 13, 19, 25]),
      // Three reports, each a day late, in weeks 1, 2, 3.
      ben: await volunteer(setup, "Ben", t0, [8, 16, 24]),
      // One report, on time: lucky.
      cy: await volunteer(setup, "Cy", t0, [1]),
      // Three on time, all on one day.
      dee: await volunteer(setup, "Dee", t0, [1, 1 + h, 1 + 2 * h]),
      // Three on time in week 0, then one late in week 4.
      eve: await volunteer(setup, "Eve", t0, [1, 2, 3, 30]),
    };
    const names = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
    const rank = async (
      sort: "on-time" | "consistency" | "furthest" | "reports",
      minReports = 3,
    ) => {
      const found = await getChampions({
        actorId: organiser.id,
        campaignId: setup.campaign.id,
        sort,
        minReports,
        page: 1,
      });
      return { ...found, order: found.people.map((p) => names[p.userId]) };
    };

    const onTime = await rank("on-time");
    expect(onTime.order).toEqual(["ada", "dee", "eve", "ben"]);
    expect(onTime.unranked).toBe(1);
    const row = (who: string) => onTime.people.find((p) => names[p.userId] === who)!;
    expect(row("ada")).toEqual(
      expect.objectContaining({
        firstName: "Ada",
        reports: 5,
        onTime: 5,
        closed: 5,
        activeWeeks: 4,
        furthestStep: 5,
        furthestTitle: "Step five",
        steps: 5,
        canPromote: true,
      }),
    );
    expect(row("eve")).toEqual(
      expect.objectContaining({ onTime: 3, closed: 4, onTimeRate: 0.75, activeWeeks: 2 }),
    );
    expect(row("ben")).toEqual(expect.objectContaining({ onTime: 0, closed: 3, activeWeeks: 3 }));
    expect(row("dee")).toEqual(expect.objectContaining({ activeWeeks: 1, furthestStep: 4 }));
    expect(JSON.stringify(onTime.people)).not.toContain("Smith");

    expect((await rank("consistency")).order).toEqual(["ada", "ben", "eve", "dee"]);
    const furthest = (await rank("furthest")).order;
    expect(furthest.slice(0, 2)).toEqual(["ada", "eve"]);
    expect(furthest.slice(2).sort()).toEqual(["ben", "dee"]);
    expect((await rank("reports")).order.slice(0, 2)).toEqual(["ada", "eve"]);
    // With a minimum of one, the lucky report is ranked too (on time, but one of one).
    const everyone = await rank("on-time", 1);
    expect(everyone.order).toEqual(["ada", "dee", "cy", "eve", "ben"]);
    expect(everyone.unranked).toBe(0);

    // A promoted person shows as leading their team, and can't be promoted again.
    await promoteToTeamLead({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      userId: ids.ada,
      name: "Ada's team",
    });
    const after = (await rank("on-time")).people[0]!;
    expect(after).toEqual(
      expect.objectContaining({ leads: "Ada's team", canPromote: false, role: "TEAM_LEAD" }),
    );
  });
});

describe("the updates segment for one team", () => {
  it("reaches the team's members and nobody else", async () => {
    const world = await createWorld();
    const setup = setupOf(world);
    const [inTeam, notInTeam] = [await joinVolunteer(setup), await joinVolunteer(setup)];
    await db.teamMember.create({ data: { teamId: world.teamId, userId: inTeam.userId } });
    const audience = { kind: "team" as const, teamId: world.teamId };
    const preview = await previewAudience({
      actorId: world.ids.organiser,
      campaignId: world.campaign.id,
      audience,
    });
    expect(preview).toEqual(expect.objectContaining({ ok: true, count: 2 }));
    const sent = await publishUpdate({
      actorId: world.ids.organiser,
      campaignId: world.campaign.id,
      title: "Team news",
      body: "Well done, Doorknockers.",
      audience,
    });
    expect(sent).toEqual(expect.objectContaining({ ok: true, recipients: 2 }));
    const recipients = await db.updateRecipient.findMany({
      select: { userId: true },
      where: { updateId: sent.ok ? sent.updateId : "" },
    });
    expect(recipients.map((r) => r.userId).sort()).toEqual(
      [world.volunteer.id, inTeam.userId].sort(),
    );
    expect(recipients.map((r) => r.userId)).not.toContain(notInTeam.userId);

    // The composer offers the team, and its preview counts the team's members.
    const path = `/org/campaigns/${world.campaign.id}/updates/new`;
    const form = await server.send({ path, cookie: world.cookies.organiser });
    expect(form.text).toContain("One team: its members");
    expect(form.text).toContain(`<option value="${world.teamId}">Doorknockers</option>`);
    const preview2 = await server.send({
      method: "POST",
      path,
      cookie: world.cookies.organiser,
      form: {
        intent: "preview",
        title: "Hi",
        body: "Hello team",
        audience: "team",
        team: world.teamId,
      },
    });
    expect(preview2.status).toBe(200);
    expect(
      decoded(preview2.text)
        .replace(/<[^>]*>/g, "")
        .replace(/\s+/g, " "),
    ).toContain("This update goes to 2 people");
    const noTeam = await server.send({
      method: "POST",
      path,
      cookie: world.cookies.organiser,
      form: { intent: "preview", title: "Hi", body: "Hello team", audience: "team", team: "" },
    });
    expect(decoded(noTeam.text)).toContain("Choose a team from the list.");
    // A team of another campaign is refused.
    const elsewhere = await createLadderCampaign();
    const foreign = await db.team.create({
      select: { id: true },
      data: {
        organisationId: elsewhere.organisation.id,
        campaignId: elsewhere.campaign.id,
        name: "Y",
      },
    });
    expect(
      await previewAudience({
        actorId: world.ids.organiser,
        campaignId: world.campaign.id,
        audience: { kind: "team", teamId: foreign.id },
      }),
    ).toEqual({ ok: false, field: "team", message: "Choose a team from the list." });
  });
});
