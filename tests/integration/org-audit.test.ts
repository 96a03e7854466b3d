import { describe, expect, it } from "vitest";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { createPrivacyWorld, requestWithCookie } from "../fixtures/privacy.ts";
import { listAuditEvents, recordAuditEvents } from "~/models/audit.server.ts";
import { changeCampaignStatus, updateCampaignNudges } from "~/models/campaign.server.ts";
import { ForbiddenError } from "~/models/membership.server.ts";
import { updateOrganisationSettings } from "~/models/organisation.server.ts";
import { loader as auditLoader } from "~/routes/org.audit.tsx";
import { loader as participationCsv } from "~/routes/org.campaigns.$campaignId.participation[.]csv.ts";
import { loader as reportsCsv } from "~/routes/org.campaigns.$campaignId.reports[.]csv.ts";
import { loader as personPage } from "~/routes/org.people.$userId.tsx";
import { db } from "~/utils/db.server.ts";

const context = { cspNonce: "test" };

function readPage(result: unknown) {
  const { data, init } = result as {
    data: {
      problem: string | null;
      total: number;
      page: number;
      pageCount: number;
      actions: Array<{ value: string; label: string }>;
      events: Array<{ who: string; what: string; subject: string; detail: string; at: string }>;
    };
    init: ResponseInit | null;
  };
  return { ...data, status: init?.status ?? 200 };
}

async function openAudit(userId: string | null, query = "") {
  const cookie = userId ? await sessionCookie(userId) : null;
  const result = await auditLoader({
    request: requestWithCookie(cookie, `/org/audit${query}`),
    params: {},
    context,
  }).catch((error: unknown) => error);
  if (result instanceof Response)
    return { status: result.status, location: result.headers.get("Location") };
  return readPage(result);
}

async function world() {
  const a = await createPrivacyWorld();
  const b = await createPrivacyWorld();
  const lead = await createUser({ name: "Lee" });
  await addMember({ userId: lead.id, organisationId: a.organisation.id, role: "TEAM_LEAD" });
  const volunteer = await joinVolunteer(a);
  return { a, b, lead, volunteer };
}

describe("the audit log at /org/audit", { timeout: 60_000 }, () => {
  it("is for the organisation's owners only: everyone else gets a 403", async () => {
    const { a, b, lead, volunteer } = await world();
    const org = `?org=${a.organisation.id}`;
    expect(await openAudit(null, org)).toMatchObject({ status: 302 });
    for (const userId of [volunteer.userId, lead.id, a.organiser.id, b.organiser.id, b.owner.id]) {
      expect(await openAudit(userId, org)).toMatchObject({ status: 403 });
    }
    // Without ?org, an organiser still sees nothing.
    expect(await openAudit(a.organiser.id)).toMatchObject({ status: 403 });
    expect(await openAudit(a.owner.id, org)).toMatchObject({ status: 200 });
    expect(await openAudit(a.owner.id)).toMatchObject({ status: 200 });
    await expect(
      listAuditEvents({
        actorId: a.organiser.id,
        organisationId: a.organisation.id,
        action: null,
        page: 1,
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("records organisers looking at people and downloading data, and settings changes", async () => {
    const { a, b, volunteer } = await world();
    const organiserCookie = await sessionCookie(a.organiser.id);
    await personPage({
      request: requestWithCookie(organiserCookie, `/org/people/${volunteer.userId}`),
      params: { userId: volunteer.userId },
      context,
    });
    for (const [csv, path] of [
      [reportsCsv, "reports.csv?area=LS6"],
      [participationCsv, "participation.csv"],
    ] as const) {
      const response = await csv({
        request: requestWithCookie(organiserCookie, `/org/campaigns/${a.campaign.id}/${path}`),
        params: { campaignId: a.campaign.id },
        context,
      });
      expect(response.status).toBe(200);
      await response.text();
    }
    // Refused attempts record nothing: another organisation's organiser, a 404.
    const stranger = await sessionCookie(b.organiser.id);
    const refusals: unknown[] = [
      await personPage({
        request: requestWithCookie(stranger, `/org/people/${volunteer.userId}`),
        params: { userId: volunteer.userId },
        context,
      }).catch((error: unknown) => error as Response),
      await reportsCsv({
        request: requestWithCookie(stranger, `/org/campaigns/${a.campaign.id}/reports.csv`),
        params: { campaignId: a.campaign.id },
        context,
      }).catch((error: unknown) => error as Response),
    ];
    expect(refusals.map((r) => (r instanceof Response ? r.status : 200))).toEqual([404, 404]);

    expect(
      await updateCampaignNudges({
        actorId: a.organiser.id,
        campaignId: a.campaign.id,
        input: { reminderHours: 12, overdueHours: 24, idleDays: 14, expireDays: 7 },
      }),
    ).toEqual({ ok: true });
    expect(
      await changeCampaignStatus({
        actorId: a.organiser.id,
        campaignId: a.campaign.id,
        status: "PAUSED",
      }),
    ).toMatchObject({ ok: true });
    expect(
      await updateOrganisationSettings({
        actorId: a.owner.id,
        organisationId: a.organisation.id,
        input: { timezone: "Europe/London", quietStart: "22:00", quietEnd: "08:00", weeklyCap: 3 },
      }),
    ).toEqual({ ok: true });

    const page = await openAudit(a.owner.id, `?org=${a.organisation.id}`);
    if (!("events" in page)) throw new Error("expected the page");
    const organiser = `${a.organiser.name} (${a.organiser.email})`;
    const owner = `${a.owner.name} (${a.owner.email})`;
    const person = (await db.user.findUniqueOrThrow({ where: { id: volunteer.userId } })).name;
    const campaign = (await db.campaign.findUniqueOrThrow({ where: { id: a.campaign.id } })).title;
    expect(page.events.map((e) => [e.who, e.what, e.subject, e.detail])).toEqual([
      [
        owner,
        "Changed the contact settings",
        `Organisation: ${a.organisation.name}`,
        expect.stringMatching(/quietStart: 21:00 → 22:00/),
      ],
      [organiser, "Changed a campaign's status", `Campaign: ${campaign}`, "live → paused"],
      [
        organiser,
        "Changed a campaign's reminders",
        `Campaign: ${campaign}`,
        expect.stringMatching(/reminderHours: 24 → 12/),
      ],
      [organiser, "Downloaded participation (CSV)", `Campaign: ${campaign}`, "everything"],
      [organiser, "Downloaded reports (CSV)", `Campaign: ${campaign}`, "filtered by area LS6"],
      [organiser, "Looked at a person's messages", `Person: ${person}`, ""],
    ]);
    expect(page.total).toBe(6);
    // Newest first.
    const times = page.events.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);

    // The other organisation's owner sees none of it.
    const other = await openAudit(b.owner.id);
    if (!("events" in other)) throw new Error("expected the page");
    expect(other.events).toEqual([]);
  });

  it("pages 50 at a time, newest first, and filters by action", async () => {
    const { a } = await world();
    const start = Date.now() - 1_000_000;
    await recordAuditEvents({
      events: Array.from({ length: 120 }, (_, i) => ({
        organisationId: a.organisation.id,
        actorId: a.organiser.id,
        action: i % 3 === 0 ? "export.reports_csv" : "person.viewed",
        subjectType: "Campaign",
        subjectId: a.campaign.id,
        detail: { filters: {}, n: i },
        createdAt: new Date(start + i * 1000),
      })),
    });
    const org = `?org=${a.organisation.id}`;
    const first = await openAudit(a.owner.id, org);
    const third = await openAudit(a.owner.id, `${org}&page=3`);
    if (!("events" in first) || !("events" in third)) throw new Error("expected pages");
    expect([first.events.length, third.events.length, first.pageCount, first.total]).toEqual([
      50, 20, 3, 120,
    ]);
    expect(first.events[0]?.at).toBe(new Date(start + 119_000).toISOString());
    expect(third.events.at(-1)?.at).toBe(new Date(start).toISOString());
    expect(first.actions.map((action) => action.value)).toEqual([
      "export.reports_csv",
      "person.viewed",
    ]);

    const exports = await openAudit(a.owner.id, `${org}&action=export.reports_csv`);
    if (!("events" in exports)) throw new Error("expected the page");
    expect(exports.total).toBe(40);
    expect(new Set(exports.events.map((e) => e.what))).toEqual(
      new Set(["Downloaded reports (CSV)"]),
    );

    const bad = await openAudit(a.owner.id, `${org}&action=${encodeURIComponent("'; DROP TABLE")}`);
    if (!("events" in bad)) throw new Error("expected the page");
    expect(bad).toMatchObject({
      status: 400,
      problem: "That isn't an action we record",
      total: 120,
    });
    const badPage = await openAudit(a.owner.id, `${org}&page=-1`);
    expect(badPage).toMatchObject({ status: 400, problem: "Pages are numbered 1, 2, 3…" });
  });
});
