import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { addMember, createUser, uniqueSuffix } from "../fixtures/people.ts";
import {
  createWorld,
  sessionCookie,
  startTestServer,
  PEOPLE,
  type Sent,
  type TestServer,
} from "./authz-matrix-app.ts";
import { signUpVolunteer, submitReport } from "~/loop/service.server.ts";
import {
  AREAS_CSV_HEADER,
  OTHER_AREAS,
  etagMatches,
  suppressSmallAreas,
  type AreaFigures,
} from "~/models/public-outcomes.server.ts";
import { parseCsv } from "~/utils/csv.ts";
import { db } from "~/utils/db.server.ts";

/**
 * The public outcomes page (/p/<slug>) and its open data, through the real Express app, against a
 * data set built to tempt leaks: areas of 4, exactly 5, 1 and 7 volunteers with distinctive
 * names, emails and phones, and report feedback that repeats them.
 */

type Setup = Awaited<ReturnType<typeof createLadderCampaign>>;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

type Person = {
  userId: string;
  name: string;
  email: string;
  phone: string;
  nationalPhone: string;
  feedback: string;
};

/** Distinctive, searchable personal data: nothing like it may reach a public response. */
async function joinDistinctive(setup: Setup, district: string, n: number, tag: string) {
  const name = `Zebedee Quornthwaite${tag}${n}`;
  const email = `zq.${tag}.${n}@leaky.example.org`;
  const digits = String(100_000 + Math.floor(Math.random() * 899_999));
  const phone = `+447400${digits}`;
  const joined = await signUpVolunteer({
    campaignId: setup.campaign.id,
    organisationId: setup.organisation.id,
    person: {
      name,
      email,
      phone,
      postcode: `${district} 9ZZ`,
      district,
      timezone: "Europe/London",
      channelPreference: "EMAIL",
    },
    consents: [{ channel: "EMAIL", wording: "email ok" }],
  });
  const person: Person = {
    userId: joined.userId,
    name,
    email,
    phone,
    nationalPhone: `07400${digits}`,
    feedback: `Secret note ${tag}-${n}: ring ${name} on 07400${digits} or ${email}, 12 Acacia Avenue`,
  };
  return { ...person, assignmentId: joined.assignmentId! };
}

async function report(person: Person & { assignmentId: string }, doors: number) {
  const result = await submitReport({
    assignmentId: person.assignmentId,
    userId: person.userId,
    values: { doors, outcome: "Hard", would_lead: false },
    feedback: person.feedback,
    idempotencyKey: `key-${uniqueSuffix()}`,
    source: "WEB",
  });
  if (!result.ok) throw new Error(result.error);
}

/** LS6: exactly 5 volunteers, LS7: 4, LS8: 1, LS9: 7. Everyone in LS6, LS8 and LS9 reports. */
async function leakyWorld() {
  const setup = await createLadderCampaign();
  const tag = uniqueSuffix().slice(0, 6);
  const areas: Array<[string, number]> = [
    ["LS6", 5],
    ["LS7", 4],
    ["LS8", 1],
    ["LS9", 7],
  ];
  const people: Array<Person & { district: string }> = [];
  for (const [district, count] of areas) {
    for (let n = 0; n < count; n += 1) {
      const person = await joinDistinctive(setup, district, people.length, tag);
      people.push({ ...person, district });
      // LS7's people join but only the first reports; the rest report 10 + n doors.
      if (district !== "LS7" || n === 0) await report(person, 10 + people.length);
    }
  }
  const organiser = await createUser({ name: "Priya" });
  await addMember({
    userId: organiser.id,
    organisationId: setup.organisation.id,
    role: "ORGANISER",
  });
  // Updates: only the published "you said, we did" one belongs on the public page.
  const past = new Date(Date.now() - 86_400_000);
  await db.update.createMany({
    data: [
      {
        campaignId: setup.campaign.id,
        authorId: organiser.id,
        title: "You asked for more bins, we got 12",
        body: "The council agreed **12 new bins** on the high street.",
        isYouSaidWeDid: true,
        publishedAt: past,
      },
      {
        campaignId: setup.campaign.id,
        authorId: organiser.id,
        title: "Draft answer not yet out",
        body: "Still being written.",
        isYouSaidWeDid: true,
        publishedAt: null,
      },
      {
        campaignId: setup.campaign.id,
        authorId: organiser.id,
        title: "A general newsletter for members",
        body: "Not a you-said-we-did.",
        isYouSaidWeDid: false,
        publishedAt: past,
      },
    ],
  });
  return { setup, people, organiser, tag };
}

const setPublic = (campaignId: string, isPublic: boolean) =>
  db.campaign.update({ where: { id: campaignId }, data: { isPublic } });

type Outcomes = {
  format: string;
  objective: { total: number; target: number };
  participation: { joined: number; reportedOnce: number; active: number; reports: number };
  areas: {
    minimumVolunteers: number;
    hidden: boolean;
    rows: Array<{
      area: string;
      volunteers: number;
      reportedOnce: number;
      active: number;
      reports: number;
      metric: number;
    }>;
  };
  updates: Array<{ title: string; body: string; publishedAt: string }>;
};

function assertNoLeak(
  text: string,
  people: Array<Person & { district: string }>,
  what: string,
): void {
  for (const person of people) {
    for (const secret of [
      person.name,
      person.email,
      person.phone,
      person.nationalPhone,
      person.feedback,
      person.userId,
    ]) {
      expect(text.includes(secret), `${what} contains "${secret}"`).toBe(false);
    }
  }
  for (const fragment of ["Quornthwaite", "leaky.example", "Acacia", "Secret note", "9ZZ"]) {
    expect(text.includes(fragment), `${what} contains "${fragment}"`).toBe(false);
  }
  // The two small areas (4 and 1 volunteers) are never named.
  expect(text).not.toMatch(/\bLS7\b/);
  expect(text).not.toMatch(/\bLS8\b/);
}

describe("a public campaign's page and open data", () => {
  let world: Awaited<ReturnType<typeof leakyWorld>>;
  let page: Sent;
  let json: Sent;
  let csv: Sent;

  beforeAll(async () => {
    world = await leakyWorld();
    await setPublic(world.setup.campaign.id, true);
    const slug = world.setup.campaign.slug;
    [page, json, csv] = await Promise.all([
      server.send({ path: `/p/${slug}` }),
      server.send({ path: `/p/${slug}/outcomes.json` }),
      server.send({ path: `/p/${slug}/areas.csv` }),
    ]);
  });

  it("answers all three with 200 and the right types", () => {
    expect([page.status, json.status, csv.status]).toEqual([200, 200, 200]);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  });

  it("never shows a name, email, phone, report text, person id or small area", () => {
    assertNoLeak(page.text, world.people, "the page");
    assertNoLeak(json.text, world.people, "outcomes.json");
    assertNoLeak(csv.text, world.people, "areas.csv");
  });

  it("shows areas of 5 or more, and merges the small ones into Other areas", () => {
    const outcomes = JSON.parse(json.text) as Outcomes;
    expect(outcomes.format).toBe("onward-public-outcomes/1");
    expect(outcomes.areas.minimumVolunteers).toBe(5);
    expect(outcomes.areas.rows.map((row) => [row.area, row.volunteers])).toEqual([
      ["LS6", 5],
      ["LS9", 7],
      [OTHER_AREAS, 5],
    ]);
    for (const row of outcomes.areas.rows) expect(row.volunteers).toBeGreaterThanOrEqual(5);
    // Other areas: LS7's 4 (one reported) and LS8's 1 (reported).
    const other = outcomes.areas.rows.find((row) => row.area === OTHER_AREAS)!;
    expect(other.reportedOnce).toBe(2);
  });

  it("has totals that add up, in the JSON, the CSV and on the page", async () => {
    const outcomes = JSON.parse(json.text) as Outcomes;
    const sum = (key: "volunteers" | "reportedOnce" | "active" | "reports" | "metric") =>
      outcomes.areas.rows.reduce((total, row) => total + row[key], 0);
    expect(outcomes.participation.joined).toBe(17);
    expect(sum("volunteers")).toBe(outcomes.participation.joined);
    expect(sum("reportedOnce")).toBe(outcomes.participation.reportedOnce);
    expect(outcomes.participation.reportedOnce).toBe(14);
    expect(sum("active")).toBe(outcomes.participation.active);
    expect(sum("reports")).toBe(outcomes.participation.reports);
    expect(sum("metric")).toBe(outcomes.objective.total);
    // The objective agrees with the metric rows themselves.
    const metric = await db.reportMetric.aggregate({
      _sum: { value: true },
      where: { campaignId: world.setup.campaign.id, metricKey: "doors" },
    });
    expect(outcomes.objective.total).toBe(Number(metric._sum.value));

    const [header, ...rows] = parseCsv(csv.text);
    expect(header).toEqual([...AREAS_CSV_HEADER]);
    expect(rows.map((row) => row.join(","))).toEqual(
      outcomes.areas.rows.map((row) =>
        [row.area, row.volunteers, row.reportedOnce, row.active, row.reports, row.metric].join(","),
      ),
    );

    expect(page.text).toContain(`${outcomes.objective.total}`);
    expect(page.text).toMatch(/<th scope="row">All areas<\/th><td class="number">17<\/td>/);
    expect(page.text).toMatch(/<th scope="row">Other areas<\/th><td class="number">5<\/td>/);
  });

  it("shows published you-said-we-did updates only", () => {
    const outcomes = JSON.parse(json.text) as Outcomes;
    expect(outcomes.updates.map((update) => update.title)).toEqual([
      "You asked for more bins, we got 12",
    ]);
    expect(page.text).toContain("<strong>12 new bins</strong>");
    for (const text of [page.text, json.text]) {
      expect(text).not.toContain("Draft answer not yet out");
      expect(text).not.toContain("A general newsletter");
    }
  });

  it("is a page without Remix scripts, with headings, a table and a text summary", () => {
    expect(page.text).not.toContain("__remixContext");
    expect(page.text).toMatch(/<h1>[^<]*: what it achieved<\/h1>/);
    expect(page.text).toContain("<caption");
    expect(page.text).toContain("17 people have joined, and 14 of them reported back");
    expect(page.text).toContain(`href="/p/${world.setup.campaign.slug}/outcomes.json"`);
  });

  it("caches the open data and answers 304 to a matching If-None-Match", async () => {
    const path = `/p/${world.setup.campaign.slug}`;
    for (const sent of [json, csv]) {
      expect(sent.headers.get("cache-control")).toBe("public, max-age=300");
      expect(sent.headers.get("access-control-allow-origin")).toBe("*");
      expect(Number.isNaN(Date.parse(sent.headers.get("last-modified") ?? ""))).toBe(false);
      expect(sent.headers.get("etag")).toMatch(/^"[\w-]{32}"$/);
    }
    const etag = json.headers.get("etag")!;
    const again = await server.send({
      path: `${path}/outcomes.json`,
      headers: { "If-None-Match": etag },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("cache-control")).toBe("public, max-age=300");
    // A weak form of the tag, or one in a list, matches too; another tag gets the data.
    const weak = await server.send({
      path: `${path}/outcomes.json`,
      headers: { "If-None-Match": `"other", W/${etag}` },
    });
    expect(weak.status).toBe(304);
    const stale = await server.send({
      path: `${path}/outcomes.json`,
      headers: { "If-None-Match": '"not-the-tag"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(json.text);
    const csvAgain = await server.send({
      path: `${path}/areas.csv`,
      headers: { "If-None-Match": csv.headers.get("etag")! },
    });
    expect(csvAgain.status).toBe(304);
  });

  it("changes the ETag when the figures change", async () => {
    const path = `/p/${world.setup.campaign.slug}/outcomes.json`;
    const before = json.headers.get("etag")!;
    const newcomer = await joinDistinctive(world.setup, "LS9", 99, world.tag);
    const after = await server.send({ path, headers: { "If-None-Match": before } });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before);
    expect((JSON.parse(after.text) as Outcomes).participation.joined).toBe(18);
    assertNoLeak(after.text, [{ ...newcomer, district: "LS9" }], "outcomes.json");
  });
});

describe("a campaign that isn't public", () => {
  it("is not found, on the page and in the open data, for everyone", async () => {
    const setup = await createLadderCampaign();
    const slug = setup.campaign.slug;
    const paths = [`/p/${slug}`, `/p/${slug}/outcomes.json`, `/p/${slug}/areas.csv`];
    for (const path of [...paths, "/p/no-such-campaign", "/p/no-such-campaign/outcomes.json"]) {
      expect([path, (await server.send({ path })).status]).toEqual([path, 404]);
    }
    await setPublic(setup.campaign.id, true);
    for (const path of paths) expect((await server.send({ path })).status).toBe(200);
    await setPublic(setup.campaign.id, false);
    for (const path of paths) expect((await server.send({ path })).status).toBe(404);
  });

  it("is 200 for all six kinds of person once public (the authorisation matrix's case)", async () => {
    const world = await createWorld();
    await setPublic(world.campaign.id, true);
    const slug = world.campaign.slug;
    for (const path of [`/p/${slug}`, `/p/${slug}/outcomes.json`, `/p/${slug}/areas.csv`]) {
      for (const who of PEOPLE) {
        const sent = await server.send({ path, cookie: world.cookies[who] });
        expect([path, who, sent.status]).toEqual([path, who, 200]);
      }
    }
  });
});

describe("turning the public page on and off", () => {
  it("lets an organiser turn it on, records it, and refuses others", async () => {
    const world = await leakyWorld();
    const campaignId = world.setup.campaign.id;
    const path = `/org/campaigns/${campaignId}/public`;
    const organiserCookie = await sessionCookie(world.organiser.id);

    const other = await createUser({ name: "Bea" });
    const elsewhere = await createLadderCampaign();
    await addMember({
      userId: other.id,
      organisationId: elsewhere.organisation.id,
      role: "ORGANISER",
    });
    const otherCookie = await sessionCookie(other.id);
    const refused = await server.send({
      method: "POST",
      path,
      cookie: otherCookie,
      form: { public: "on" },
    });
    expect(refused.status).toBe(404);
    expect((await server.send({ path, cookie: otherCookie })).status).toBe(404);

    const bad = await server.send({
      method: "POST",
      path,
      cookie: organiserCookie,
      form: { public: "yes please" },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Choose whether the page is public.");
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).isPublic).toBe(
      false,
    );

    const off = await server.send({ path, cookie: organiserCookie });
    expect(off.status).toBe(200);
    expect(off.text).toContain("The public page is off");

    const on = await server.send({
      method: "POST",
      path,
      cookie: organiserCookie,
      form: { public: "on" },
    });
    expect(on.status).toBe(302);
    expect(on.location).toBe(`${path}?done=on`);
    expect((await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).isPublic).toBe(
      true,
    );
    const events = await db.auditEvent.findMany({
      where: { subjectId: campaignId, action: { startsWith: "campaign.public_page" } },
    });
    expect(events.map((event) => [event.action, event.actorId])).toEqual([
      ["campaign.public_page_on", world.organiser.id],
    ]);
    const shown = await server.send({ path: `${path}?done=on`, cookie: organiserCookie });
    expect(shown.text).toContain(`/p/${world.setup.campaign.slug}/outcomes.json`);
    expect((await server.send({ path: `/p/${world.setup.campaign.slug}` })).status).toBe(200);

    const offAgain = await server.send({
      method: "POST",
      path,
      cookie: organiserCookie,
      form: { public: "off" },
    });
    expect(offAgain.status).toBe(302);
    expect((await server.send({ path: `/p/${world.setup.campaign.slug}` })).status).toBe(404);
    expect(
      await db.auditEvent.count({
        where: { subjectId: campaignId, action: "campaign.public_page_off" },
      }),
    ).toBe(1);
  });
});

describe("suppressing small areas", () => {
  const row = (area: string, volunteers: number, metric = volunteers * 10): AreaFigures => ({
    area,
    volunteers,
    reportedOnce: volunteers,
    active: 0,
    reports: volunteers,
    metric,
  });
  const names = (table: ReturnType<typeof suppressSmallAreas>) => [
    ...table.rows.map((r) => `${r.area}:${r.volunteers}`),
    ...(table.other ? [`Other:${table.other.volunteers}`] : []),
  ];

  it("keeps areas of 5 or more and merges the rest", () => {
    expect(names(suppressSmallAreas([row("LS6", 5), row("LS7", 4), row("LS8", 1)]))).toEqual([
      "LS6:5",
      "Other:5",
    ]);
  });

  it("merges the smallest shown area into a too-small Other areas, so nothing can be subtracted", () => {
    const table = suppressSmallAreas([row("LS6", 6), row("LS7", 5), row("LS8", 3), row("LS9", 9)]);
    expect(names(table)).toEqual(["LS6:6", "LS9:9", "Other:8"]);
    const total = table.rows.reduce((sum, r) => sum + r.metric, table.other?.metric ?? 0);
    expect(total).toBe(230);
  });

  it("counts the unknown area in Other areas, and hides everything when all is too small", () => {
    expect(names(suppressSmallAreas([row("LS6", 5), row("", 5)]))).toEqual(["LS6:5", "Other:5"]);
    const hidden = suppressSmallAreas([row("LS6", 3), row("LS7", 1)]);
    expect(hidden).toEqual({ rows: [], other: null, hidden: true });
    // Figures from people counted in no area are not a group of 0 to show.
    expect(names(suppressSmallAreas([row("LS6", 5), row("LS8", 0, 30)]))).toEqual(["Other:5"]);
    expect(names(suppressSmallAreas([row("LS6", 5), row("LS7", 7), row("LS8", 0, 30)]))).toEqual([
      "LS7:7",
      "Other:5",
    ]);
    expect(suppressSmallAreas([])).toEqual({ rows: [], other: null, hidden: false });
  });

  it("compares ETags weakly, as If-None-Match does", () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b", "a"', '"a"')).toBe(true);
    expect(etagMatches("*", '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(null, '"a"')).toBe(false);
  });
});
