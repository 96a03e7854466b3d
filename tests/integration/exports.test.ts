import { describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { addMember, createUser, sessionCookie, uniqueSuffix } from "../fixtures/people.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { skipAssignment, submitReport } from "~/loop/service.server.ts";
import { EXPORT_BATCH_SIZE, volunteerExportId } from "~/models/exports.server.ts";
import { loader as participationLoader } from "~/routes/org.campaigns.$campaignId.participation[.]csv.ts";
import { loader as reportsLoader } from "~/routes/org.campaigns.$campaignId.reports[.]csv.ts";
import { CSV_BOM, parseCsv } from "~/utils/csv.ts";
import { db, pool } from "~/utils/db.server.ts";

type Loader = typeof reportsLoader;

async function call(
  loader: Loader,
  {
    userId,
    campaignId,
    file,
    search = "",
    signal,
  }: { userId: string; campaignId: string; file: string; search?: string; signal?: AbortSignal },
) {
  const request = new Request(
    `http://localhost:3000/org/campaigns/${campaignId}/${file}${search}`,
    { headers: { Cookie: await sessionCookie(userId) }, signal },
  );
  return loader({ request, params: { campaignId }, context: { cspNonce: "test" } });
}

async function download(
  loader: Loader,
  options: { userId: string; campaignId: string; file: string; search?: string },
) {
  const response = await call(loader, options);
  const bytes = new Uint8Array(await response.arrayBuffer());
  // Response.text() would drop the byte order mark, so decode by hand to see it.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  const [header = [], ...rows] = parseCsv(text);
  const records = rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
  return { response, text, header, rows: records };
}

const reports = (userId: string, campaignId: string, search = "") =>
  download(reportsLoader, { userId, campaignId, file: "reports.csv", search });
const participation = (userId: string, campaignId: string, search = "") =>
  download(participationLoader, { userId, campaignId, file: "participation.csv", search });

/** Connections of the shared pool checked out right now. */
const inUse = () => pool.totalCount - pool.idleCount;

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("Timed out waiting.");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function join(
  setup: Awaited<ReturnType<typeof createLadderCampaign>>,
  { district, channel }: { district: string; channel: "EMAIL" | "SMS" | "BOTH" },
) {
  return joinVolunteer(setup, {
    district,
    channel,
    timezone: "Europe/London",
    now: new Date("2026-10-01T10:00:00Z"),
  });
}

async function report(
  volunteer: { userId: string },
  assignmentId: string,
  values: Record<string, string | number | boolean>,
  at: string,
  feedback: string | null = null,
) {
  const result = await submitReport({
    assignmentId,
    userId: volunteer.userId,
    values,
    feedback,
    idempotencyKey: `key-${uniqueSuffix()}`,
    source: "WEB",
    now: new Date(at),
  });
  if (!result.ok) throw new Error(result.error);
  return result.nextAssignmentId ?? "";
}

const HOSTILE = '=HYPERLINK("http://x","click"), then "quoted",\r\nnew line 🎉 café';

/**
 * An organisation ahead of UTC (Berlin, two hours in October) with three volunteers:
 * - one (LS6, email and text) reports doors at 23:30 UTC on 10 October, the 11th in Berlin, with
 *   hostile feedback, then the stall on the 12th, and has the team task open;
 * - one (LS7, text) skips doors, reports leaflets on the 11th and has doors again;
 * - one (LS6, email) reports 5 doors on the 11th and lets the next task expire.
 */
async function world() {
  const setup = await createLadderCampaign();
  const other = await createLadderCampaign();
  await db.organisation.update({
    where: { id: setup.organisation.id },
    data: { timezone: "Europe/Berlin" },
  });
  const organiser = await createUser({ name: "Priya" });
  const owner = await createUser({ name: "Olu" });
  const lead = await createUser({ name: "Lee" });
  const outsider = await createUser({ name: "Bea" });
  await addMember({
    userId: organiser.id,
    organisationId: setup.organisation.id,
    role: "ORGANISER",
  });
  await addMember({ userId: owner.id, organisationId: setup.organisation.id, role: "OWNER" });
  await addMember({ userId: lead.id, organisationId: setup.organisation.id, role: "TEAM_LEAD" });
  await addMember({
    userId: outsider.id,
    organisationId: other.organisation.id,
    role: "ORGANISER",
  });

  const one = await join(setup, { district: "LS6", channel: "BOTH" });
  const two = await join(setup, { district: "LS7", channel: "SMS" });
  const three = await join(setup, { district: "LS6", channel: "EMAIL" });

  const stall = await report(
    one,
    one.assignmentId,
    { doors: 25, outcome: "Well", would_lead: false },
    "2026-10-10T23:30:00Z",
    HOSTILE,
  );
  await report(one, stall, { signups: 3 }, "2026-10-12T10:00:00Z");

  const skipped = await skipAssignment({
    assignmentId: two.assignmentId,
    userId: two.userId,
    reason: "Busy",
    now: new Date("2026-10-11T09:00:00Z"),
  });
  if (!skipped.ok) throw new Error(skipped.error);
  await report(
    two,
    skipped.nextAssignmentId ?? "",
    { leaflets: 30 },
    "2026-10-11T12:00:00Z",
    "All done",
  );

  const again = await report(
    three,
    three.assignmentId,
    { doors: 5, outcome: "Hard" },
    "2026-10-11T08:00:00Z",
  );
  await db.assignment.update({
    where: { id: again },
    data: { status: "EXPIRED", closedAt: new Date("2026-10-20T00:00:00Z") },
  });

  const pseudonym = (userId: string) =>
    volunteerExportId({ organisationId: setup.organisation.id, userId });
  return { setup, other, organiser, owner, lead, outsider, one, two, three, pseudonym };
}

describe("reports.csv", () => {
  it("has one row per report with the task, the metric, the answers and the feedback", async () => {
    const { setup, organiser, one, two, three, pseudonym } = await world();
    const { response, text, header, rows } = await reports(organiser.id, setup.campaign.id);

    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Content-Disposition")).toMatch(
      new RegExp(
        `^attachment; filename="${setup.campaign.slug}-reports-\\d{4}-\\d{2}-\\d{2}\\.csv"$`,
      ),
    );
    expect(text.startsWith(CSV_BOM)).toBe(true);
    expect(header).toEqual([
      "report_id",
      "submitted_at_utc",
      "submitted_date_local",
      "task_title",
      "task_id",
      "volunteer_id",
      "volunteer_name",
      "area",
      "channel_preference",
      "metric_doors",
      "value_doors",
      "value_outcome",
      "value_would_lead",
      "value_signups",
      "value_leaflets",
      "source",
      "feedback",
    ]);

    const stored = await db.report.findMany({
      select: { id: true },
      where: { campaignId: setup.campaign.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    expect(rows.map((row) => row.report_id)).toEqual(stored.map((r) => r.id));
    expect(
      rows.map((row) => [
        row.submitted_at_utc,
        row.submitted_date_local,
        row.task_title,
        row.volunteer_id,
        row.area,
        row.channel_preference,
        row.metric_doors,
        row.value_doors,
        row.value_outcome,
        row.value_would_lead,
        row.value_signups,
        row.value_leaflets,
        row.source,
      ]),
    ).toEqual([
      [
        "2026-10-10T23:30:00.000Z",
        "2026-10-11",
        "Knock on 20 doors",
        pseudonym(one.userId),
        "LS6",
        "BOTH",
        "25",
        "25",
        "Well",
        "no",
        "",
        "",
        "WEB",
      ],
      [
        "2026-10-11T08:00:00.000Z",
        "2026-10-11",
        "Knock on 20 doors",
        pseudonym(three.userId),
        "LS6",
        "EMAIL",
        "5",
        "5",
        "Hard",
        "",
        "",
        "",
        "WEB",
      ],
      [
        "2026-10-11T12:00:00.000Z",
        "2026-10-11",
        "Deliver 30 leaflets",
        pseudonym(two.userId),
        "LS7",
        "SMS",
        "",
        "",
        "",
        "",
        "",
        "30",
        "WEB",
      ],
      [
        "2026-10-12T10:00:00.000Z",
        "2026-10-12",
        "Run a street stall",
        pseudonym(one.userId),
        "LS6",
        "BOTH",
        "",
        "",
        "",
        "",
        "3",
        "",
        "WEB",
      ],
    ]);
    expect(rows[0]?.task_id).toBe(setup.ids.doors);
    expect(rows[0]?.volunteer_name).toBe(one.name);
    // The metric column adds up to the campaign's total.
    const total = await db.reportMetric.aggregate({
      _sum: { value: true },
      where: { campaignId: setup.campaign.id, metricKey: "doors" },
    });
    expect(rows.reduce((sum, row) => sum + Number(row.metric_doors || 0), 0)).toBe(
      Number(total._sum.value),
    );
    // Pseudonyms differ from the real ids; no email address anywhere in the file.
    expect(text).not.toContain(one.userId);
    expect(text).not.toContain(one.email);
    expect(text).not.toContain("@example.org");
  });

  it("quotes hostile feedback and defuses formulas, keeping every character", async () => {
    const { setup, owner } = await world();
    const { text, rows } = await reports(owner.id, setup.campaign.id);
    expect(rows[0]?.feedback).toBe(`'${HOSTILE}`);
    expect(rows[2]?.feedback).toBe("All done");
    expect(text).toContain(
      `"'=HYPERLINK(""http://x"",""click""), then ""quoted"",\r\nnew line 🎉 café"`,
    );
    // Nothing else in the file starts a cell with a formula character.
    for (const row of rows) {
      for (const [name, cell] of Object.entries(row)) {
        if (name === "metric_doors" || name.startsWith("value_")) continue;
        expect(cell ?? "").not.toMatch(/^[=+\-@\t\r]/);
      }
    }
  });

  it("applies the filters: days in the organisation's zone, area, channel, task", async () => {
    const { setup, organiser, one, two, three } = await world();
    const ids = async (search: string) =>
      (await reports(organiser.id, setup.campaign.id, search)).rows.map(
        (row) => `${row.volunteer_name}:${row.task_title}`,
      );
    const doors = (v: { name: string }) => `${v.name}:Knock on 20 doors`;

    // 23:30 UTC on the 10th is the 11th in Berlin.
    expect(await ids("?from=2026-10-10&to=2026-10-10")).toEqual([]);
    expect(await ids("?from=2026-10-11&to=2026-10-11")).toEqual([
      doors(one),
      doors(three),
      `${two.name}:Deliver 30 leaflets`,
    ]);
    expect(await ids("?from=2026-10-12")).toEqual([`${one.name}:Run a street stall`]);
    expect(await ids("?to=2026-10-11&area=ls6")).toEqual([doors(one), doors(three)]);
    expect(await ids("?area=LS7")).toEqual([`${two.name}:Deliver 30 leaflets`]);
    expect(await ids("?channel=BOTH")).toEqual([doors(one), `${one.name}:Run a street stall`]);
    expect(await ids(`?task=${setup.ids.doors}`)).toEqual([doors(one), doors(three)]);
    // A bad value is dropped, not an error.
    expect(await ids("?area=nowhere&channel=PIGEON")).toHaveLength(4);

    // With a task chosen, only its questions get columns.
    const { header } = await reports(organiser.id, setup.campaign.id, `?task=${setup.ids.doors}`);
    expect(header.filter((name) => name.startsWith("value_"))).toEqual([
      "value_doors",
      "value_outcome",
      "value_would_lead",
    ]);
  });

  it("is a 404 for another organisation's organiser, a team lead and a volunteer", async () => {
    const { setup, outsider, lead, one } = await world();
    for (const userId of [outsider.id, lead.id, one.userId]) {
      for (const [loader, file] of [
        [reportsLoader, "reports.csv"],
        [participationLoader, "participation.csv"],
      ] as const) {
        const refused = await call(loader, { userId, campaignId: setup.campaign.id, file }).catch(
          (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(Response);
        expect((refused as Response).status).toBe(404);
        expect(await (refused as Response).text()).not.toContain("report_id");
      }
    }
    const missing = await call(reportsLoader, {
      userId: outsider.id,
      campaignId: "no-such-campaign",
      file: "reports.csv",
    }).catch((error: unknown) => error);
    expect((missing as Response).status).toBe(404);
    expect(inUse()).toBe(0);
  });
});

describe("participation.csv", () => {
  it("has one row per volunteer with their tasks, reports, skips and expiries", async () => {
    const { setup, organiser, one, two, three, pseudonym } = await world();
    const { response, header, rows } = await participation(organiser.id, setup.campaign.id);
    expect(response.headers.get("Content-Disposition")).toMatch(
      new RegExp(`^attachment; filename="${setup.campaign.slug}-participation-`),
    );
    expect(header).toEqual([
      "volunteer_id",
      "joined_date_local",
      "area",
      "channel_preference",
      "tasks_assigned",
      "reported",
      "skipped",
      "expired",
      "first_report_at_utc",
      "last_report_at_utc",
      "still_active",
    ]);
    const byVolunteer = new Map(rows.map((row) => [row.volunteer_id, row]));
    expect(rows).toHaveLength(3);
    expect(byVolunteer.get(pseudonym(one.userId))).toEqual({
      volunteer_id: pseudonym(one.userId),
      joined_date_local: "2026-10-01",
      area: "LS6",
      channel_preference: "BOTH",
      tasks_assigned: "3",
      reported: "2",
      skipped: "0",
      expired: "0",
      first_report_at_utc: "2026-10-10T23:30:00.000Z",
      last_report_at_utc: "2026-10-12T10:00:00.000Z",
      still_active: "no",
    });
    expect(byVolunteer.get(pseudonym(two.userId))).toMatchObject({
      area: "LS7",
      channel_preference: "SMS",
      tasks_assigned: "3",
      reported: "1",
      skipped: "1",
      expired: "0",
    });
    expect(byVolunteer.get(pseudonym(three.userId))).toMatchObject({
      tasks_assigned: "2",
      reported: "1",
      skipped: "0",
      expired: "1",
      first_report_at_utc: "2026-10-11T08:00:00.000Z",
    });
  });

  it("counts someone as still active after a report in the last 14 days", async () => {
    const { setup, organiser, one, pseudonym } = await world();
    const recent = await db.assignment.findFirstOrThrow({
      select: { id: true },
      where: { userId: one.userId, status: "ASSIGNED" },
    });
    await report(
      one,
      recent.id,
      { doors: 40 },
      new Date(Date.now() - 13 * 86_400_000).toISOString(),
    );
    const { rows } = await participation(organiser.id, setup.campaign.id);
    expect(
      rows.map((row) => [row.volunteer_id === pseudonym(one.userId), row.still_active]),
    ).toEqual(
      expect.arrayContaining([
        [true, "yes"],
        [false, "no"],
        [false, "no"],
      ]),
    );
  });

  it("narrows the counts to the days and the task, and the people to the area", async () => {
    const { setup, organiser, one, two, three, pseudonym } = await world();
    const counts = async (search: string) =>
      Object.fromEntries(
        (await participation(organiser.id, setup.campaign.id, search)).rows.map((row) => [
          row.volunteer_id,
          [row.tasks_assigned, row.reported, row.skipped, row.expired].join("/"),
        ]),
      );
    expect(await counts("?from=2026-10-11&to=2026-10-11")).toEqual({
      // The stall was given with the 23:30 UTC report: the 11th in Berlin.
      [pseudonym(one.userId)]: "1/1/0/0",
      [pseudonym(two.userId)]: "2/1/1/0",
      [pseudonym(three.userId)]: "1/1/0/0",
    });
    expect(await counts("?area=LS7")).toEqual({ [pseudonym(two.userId)]: "3/1/1/0" });
    expect(await counts(`?task=${setup.ids.leaflets}`)).toEqual({
      [pseudonym(two.userId)]: "1/1/0/0",
    });
    expect(await counts("?channel=EMAIL")).toEqual({ [pseudonym(three.userId)]: "2/1/0/1" });
  });
});

describe("streaming", () => {
  async function bulkReports(count: number) {
    const setup = await createLadderCampaign();
    const organiser = await createUser({ name: "Priya" });
    await addMember({
      userId: organiser.id,
      organisationId: setup.organisation.id,
      role: "ORGANISER",
    });
    const volunteer = await join(setup, { district: "LS6", channel: "EMAIL" });
    const task = await db.task.findUniqueOrThrow({
      select: { currentVersionId: true },
      where: { id: setup.ids.doors },
    });
    const prefix = uniqueSuffix();
    // Straight into the tables, without per-row triggers (and foreign-key checks): this is about
    // reading a big campaign back, and the rows are consistent by construction.
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SET LOCAL session_replication_role = replica`;
        await tx.$executeRaw`
          INSERT INTO "Assignment" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
                                "userId", status, "assignedAt", "dueAt", "closedAt", "updatedAt")
          SELECT ${prefix} || '_a' || g, ${setup.organisation.id}, ${setup.campaign.id},
             ${setup.ids.doors}, ${task.currentVersionId}, ${volunteer.userId}, 'REPORTED',
             now(), now(), now(), now()
          FROM generate_series(1, ${count}::int) g`;
        await tx.$executeRaw`
          INSERT INTO "Report" (id, "organisationId", "campaignId", "taskId", "taskVersionId",
                            "assignmentId", "userId", values, feedback, "idempotencyKey",
                            district, "createdAt")
          SELECT ${prefix} || '_r' || g, ${setup.organisation.id}, ${setup.campaign.id},
             ${setup.ids.doors}, ${task.currentVersionId}, ${prefix} || '_a' || g,
             ${volunteer.userId}, jsonb_build_object('doors', g % 50, 'outcome', 'Well'),
             'Report number ' || g || ', with a comma', ${prefix} || '_k' || g, 'LS6',
             timestamp '2026-10-01 00:00' + g * interval '1 second'
          FROM generate_series(1, ${count}::int) g`;
      },
      { timeout: 60_000 },
    );
    return { setup, organiser };
  }

  it("sends 12,000 reports in batches, and gives the connection back at the end", async () => {
    const { setup, organiser } = await bulkReports(12_000);
    const heapBefore = process.memoryUsage().heapUsed;
    const response = await call(reportsLoader, {
      userId: organiser.id,
      campaignId: setup.campaign.id,
      file: "reports.csv",
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let chunks = 0;
    let text = "";
    let heapPeak = heapBefore;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks += 1;
      text += decoder.decode(value, { stream: true });
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    const rows = parseCsv(text).slice(1);
    expect(rows).toHaveLength(12_000);
    expect(rows[11_999]?.[0]).toMatch(/_r12000$/);
    // The header, then one chunk per batch of 2,000.
    expect(chunks).toBeGreaterThanOrEqual(12_000 / EXPORT_BATCH_SIZE);
    // The whole file is about 3 MB; the export itself adds little beyond what the test keeps.
    expect(heapPeak - heapBefore).toBeLessThan(150 * 1024 * 1024);
    await eventually(() => inUse() === 0);
  }, 60_000);

  it("stops reading and gives the connection back when the client goes away", async () => {
    const { setup, organiser } = await bulkReports(6_000);
    const aborter = new AbortController();
    const response = await call(reportsLoader, {
      userId: organiser.id,
      campaignId: setup.campaign.id,
      file: "reports.csv",
      signal: aborter.signal,
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(inUse()).toBe(1);
    aborter.abort();
    await eventually(() => inUse() === 0);
    const open = await db.$queryRaw<Array<{ count: number }>>`
      SELECT count(*)::int AS count FROM pg_stat_activity
      WHERE state = 'idle in transaction' AND query LIKE 'FETCH%'`;
    expect(open[0]?.count).toBe(0);
    await reader.cancel().catch(() => {});
  }, 60_000);

  it("survives the database ending the session mid-download", async () => {
    const { setup, organiser } = await bulkReports(6_000);
    const response = await call(reportsLoader, {
      userId: organiser.id,
      campaignId: setup.campaign.id,
      file: "reports.csv",
    });
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    // What idle_in_transaction_session_timeout does to a download nobody reads.
    const ended = await db.$queryRaw<Array<{ ended: boolean }>>`
      SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE state = 'idle in transaction' AND query LIKE 'FETCH%'`;
    expect(ended).toEqual([{ ended: true }]);
    const rest = (async () => {
      for (;;) if ((await reader.read()).done) return "finished";
    })();
    await expect(rest).rejects.toThrow();
    await eventually(() => inUse() === 0);
    // The pool still works.
    expect(await db.user.count({ where: { id: organiser.id } })).toBe(1);
  }, 60_000);

  it("gives the connection back when the reader cancels", async () => {
    const { setup, organiser } = await bulkReports(5_000);
    const response = await call(reportsLoader, {
      userId: organiser.id,
      campaignId: setup.campaign.id,
      file: "reports.csv",
    });
    expect(inUse()).toBe(1);
    await response.body!.cancel();
    await eventually(() => inUse() === 0);
  }, 60_000);
});
