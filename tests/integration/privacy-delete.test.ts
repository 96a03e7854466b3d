import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listJobs, runJobsOnce } from "../fixtures/nudges.ts";
import { sessionCookie } from "../fixtures/people.ts";
import {
  createActiveVolunteer,
  createPrivacyWorld,
  requestWithCookie,
  type PrivacyWorld,
} from "../fixtures/privacy.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { queueReminder } from "~/loop/nudges.server.ts";
import { signUpVolunteer } from "~/loop/service.server.ts";
import { deleteAccount } from "~/models/privacy.server.ts";
import { getCampaignReport, getOrganisationReport } from "~/models/reports.server.ts";
import { NO_FILTERS, type ReportFilters } from "~/reports/filters.ts";
import { action, loader } from "~/routes/account_.delete.tsx";
import { requestSignIn } from "~/utils/auth.server.ts";
import { db } from "~/utils/db.server.ts";
import { verifySmtp } from "~/utils/email.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { addDeliveryJob } from "~/utils/jobs.server.ts";
import { getCurrentUser } from "~/utils/session.server.ts";

const context = { cspNonce: "test" };
let smtp: SmtpCapture;

function useSmtp(url: string) {
  process.env.SMTP_URL = url;
  reloadEnv();
}

beforeAll(async () => {
  smtp = await startSmtpCapture();
  useSmtp(smtp.url);
});

afterAll(async () => {
  // Pointing the mailer elsewhere closes its pooled connections, so the capture can close now.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  useSmtp(`smtp://127.0.0.1:${port}`);
  await verifySmtp();
  delete process.env.SMTP_URL;
  reloadEnv();
  await smtp.close();
});

const mailTo = (address: string) =>
  smtp.messages.filter((mail) =>
    [mail.to]
      .flat()
      .some((to) => to?.value.some((entry) => entry.address?.toLowerCase() === address)),
  );

/** Everything a report page shows that counts people and reports (not free text or names). */
async function figures(world: PrivacyWorld, filters: Partial<ReportFilters> = {}) {
  const now = new Date();
  const report = await getCampaignReport({
    actorId: world.organiser.id,
    campaignId: world.campaign.id,
    filters: { ...NO_FILTERS, ...filters },
    now,
  });
  const organisation = await getOrganisationReport({
    actorId: world.organiser.id,
    organisationId: world.organisation.id,
    filters: { ...NO_FILTERS, ...filters },
    now,
  });
  return {
    totals: report.totals,
    outcome: report.outcome,
    tasks: report.tasks.map(({ skipReasons, ...task }) => ({
      ...task,
      skipped: skipReasons.reduce((sum, reason) => sum + reason.count, 0),
    })),
    funnel: report.funnel,
    areas: report.areas,
    channels: report.channels,
    cohorts: report.cohorts,
    teams: report.teams,
    organisation: JSON.parse(JSON.stringify(organisation)) as unknown,
  };
}

/** Every row of every table (ours and the job queue's) as text, for searching. */
async function everyRow(): Promise<Map<string, string>> {
  const tables = await db.$queryRaw<Array<{ name: string }>>`
    SELECT format('%I.%I', table_schema, table_name) AS name
    FROM information_schema.tables
    WHERE table_schema IN (current_schema(), 'graphile_worker') AND table_type = 'BASE TABLE'`;
  const rows = new Map<string, string>();
  for (const { name } of tables) {
    const found = await db.$queryRawUnsafe<Array<{ row: string }>>(
      `SELECT t::text AS row FROM ${name} t`,
    );
    rows.set(
      name,
      found
        .map((r) => r.row)
        .join("\n")
        .toLowerCase(),
    );
  }
  return rows;
}

function tablesMentioning(rows: Map<string, string>, value: string) {
  const needle = value.toLowerCase();
  return [...rows].filter(([, text]) => text.includes(needle)).map(([name]) => name);
}

describe("delete my account", { timeout: 60_000 }, () => {
  it("leaves no name, contact, postcode or words of theirs anywhere, and every total as it was", async () => {
    const world = await createPrivacyWorld();
    const person = await createActiveVolunteer(world, { district: "LS6" });
    const neighbour = await createActiveVolunteer(world, { district: "LS6" });
    await createActiveVolunteer(world, { district: "LS7", channel: "SMS" });
    const before = await figures(world);
    const beforeLs6 = await figures(world, { area: "LS6" });

    const waiting = await db.message.count({
      where: { userId: person.userId, status: { in: ["QUEUED", "HELD"] } },
    });
    expect(waiting).toBeGreaterThan(0);

    // An organiser answered their skip reason, quoting it.
    const skipped = await db.assignment.findFirstOrThrow({
      select: { id: true },
      where: { userId: person.userId, status: "SKIPPED" },
    });
    await db.feedbackHandling.create({
      data: { assignmentId: skipped.id, reply: `About "${person.words.skipReason}": thank you.` },
    });

    // A count of their recent reports, kept by the rate limiter under their id.
    const limitKey = `report_user:${person.userId}`;
    await db.$executeRaw`INSERT INTO rate_limits (key, points, expire)
      VALUES (${limitKey}, 3, ${Date.now() + 600_000})`;

    const result = await deleteAccount({ userId: person.userId });
    expect(result).toEqual({ ok: true, cancelledTasks: 1, suppressedMessages: waiting });
    expect(
      await db.$queryRaw`SELECT key FROM rate_limits WHERE key = ${limitKey}`,
      "their rate-limit count is gone",
    ).toEqual([]);

    expect(await figures(world)).toEqual(before);
    expect(await figures(world, { area: "LS6" })).toEqual(beforeLs6);

    const rows = await everyRow();
    const theirs = [
      person.name,
      person.email,
      person.phone,
      person.phone.slice(3), // the national part, however it was written
      person.postcode,
      ...Object.values(person.words),
    ];
    for (const value of theirs) {
      expect(tablesMentioning(rows, value), `where "${value}" is still found`).toEqual([]);
    }
    // The search would have found them: the same words of someone else are all still there.
    for (const value of [
      neighbour.name,
      neighbour.email,
      neighbour.postcode,
      neighbour.words.notes,
    ]) {
      expect(tablesMentioning(rows, value).length).toBeGreaterThan(0);
    }

    const user = await db.user.findUniqueOrThrow({ where: { id: person.userId } });
    expect(user).toMatchObject({
      name: null,
      email: null,
      phone: null,
      postcode: null,
      timezone: null,
      district: "LS6",
    });
    expect(user.deletedAt).toBeInstanceOf(Date);
    const report = await db.report.findUniqueOrThrow({ where: { id: person.reportId } });
    expect(report).toMatchObject({ feedback: null, values: { doors: 25, outcome: "Good" } });
    expect(
      await db.assignment.findMany({
        select: { status: true, skipReason: true },
        where: { userId: person.userId },
        orderBy: { assignedAt: "asc" },
      }),
    ).toEqual([
      { status: "REPORTED", skipReason: null },
      { status: "SKIPPED", skipReason: null },
      { status: "CANCELLED", skipReason: null },
    ]);
    expect(await db.session.count({ where: { userId: person.userId, revokedAt: null } })).toBe(0);
    const audit = await db.auditEvent.findFirstOrThrow({
      where: { action: "account.deleted", subjectId: person.userId },
    });
    expect(audit).toMatchObject({
      organisationId: world.organisation.id,
      actorId: person.userId,
      detail: { cancelledTasks: 1, suppressedMessages: waiting },
    });
  });

  it("a nudge queued before the deletion is never sent, and its jobs are gone", async () => {
    const world = await createPrivacyWorld();
    const person = await createActiveVolunteer(world, { channel: "EMAIL" });
    const other = await createActiveVolunteer(world, { channel: "EMAIL" });
    for (const who of [person, other]) {
      await queueReminder({ assignmentId: who.openAssignmentId, now: new Date() });
    }
    const pending = await db.message.findMany({
      select: { id: true },
      where: { userId: person.userId, status: "QUEUED" },
    });
    expect(pending.length).toBeGreaterThan(0);
    const keys = [
      ...pending.map((m) => `deliver:${m.id}`),
      `remind:${person.openAssignmentId}`,
      `overdue:${person.openAssignmentId}`,
    ];
    const jobsBefore = (await Promise.all(keys.map((key) => listJobs({ key })))).flat();
    expect(jobsBefore.map((job) => job.key).sort()).toEqual([...keys].sort());

    expect((await deleteAccount({ userId: person.userId })).ok).toBe(true);
    for (const key of keys) expect(await listJobs({ key })).toEqual([]);

    // Even a delivery job that slipped through sends nothing: the worker runs them all.
    for (const message of pending) await addDeliveryJob({ tx: db, messageId: message.id });
    expect(await runJobsOnce()).toEqual([]);
    // The same run delivered the other volunteer's reminder, so mail was going out.
    expect(mailTo(other.email).some((mail) => mail.subject?.includes("Deliver leaflets"))).toBe(
      true,
    );
    expect(
      mailTo(person.email).filter((mail) => mail.subject?.includes("Deliver leaflets")),
    ).toEqual([]);
    const after = await db.message.findMany({
      select: { status: true, statusReason: true, toAddress: true, bodyText: true },
      where: { id: { in: pending.map((m) => m.id) } },
    });
    expect(after.length).toBe(pending.length);
    for (const message of after) {
      expect(message).toEqual({
        status: "SUPPRESSED",
        statusReason: "account deleted",
        toAddress: "",
        bodyText: "",
      });
    }
  });

  it("signing in with the old email finds nobody; joining again starts afresh", async () => {
    const world = await createPrivacyWorld();
    const person = await createActiveVolunteer(world);
    expect((await deleteAccount({ userId: person.userId })).ok).toBe(true);
    expect(await getCurrentUser(requestWithCookie(person.cookie, "/me"))).toBeNull();

    const messagesBefore = await db.message.count();
    const tokensBefore = await db.loginToken.count();
    expect(
      await requestSignIn({
        identifier: { channel: "EMAIL", email: person.email },
        ip: null,
        redirectTo: null,
      }),
    ).toEqual({ ok: true });
    expect(await db.message.count()).toBe(messagesBefore);
    expect(await db.loginToken.count()).toBe(tokensBefore);

    const again = await signUpVolunteer({
      campaignId: world.campaign.id,
      organisationId: world.organisation.id,
      person: {
        name: person.name,
        email: person.email,
        phone: person.phone,
        postcode: person.postcode,
        district: "LS6",
        timezone: "Europe/London",
        channelPreference: "EMAIL",
      },
      consents: [{ channel: "EMAIL", wording: "email ok" }],
    });
    expect(again.userId).not.toBe(person.userId);
    expect(await db.report.count({ where: { userId: again.userId } })).toBe(0);
    expect(await db.assignment.count({ where: { userId: again.userId } })).toBe(1);
    // The old account's opt-outs don't follow the address to the new one.
    expect(await db.suppression.count({ where: { address: person.email } })).toBe(0);
  });

  it("the page explains, and its button deletes, signs out and says goodbye", async () => {
    const world = await createPrivacyWorld();
    const person = await createActiveVolunteer(world);
    const page = await loader({
      request: requestWithCookie(person.cookie, "/account/delete"),
      params: {},
      context,
    });
    expect(page).toEqual({ soleOwnerOf: [] });

    const wrong = await action({
      request: requestWithCookie(person.cookie, "/account/delete", { form: { intent: "oops" } }),
      params: {},
      context,
    });
    expect((wrong as { init: ResponseInit | null }).init?.status).toBe(400);
    expect(
      (await db.user.findUniqueOrThrow({ where: { id: person.userId } })).deletedAt,
    ).toBeNull();

    const done = (await action({
      request: requestWithCookie(person.cookie, "/account/delete", {
        form: { intent: "delete-account" },
      }),
      params: {},
      context,
    })) as Response;
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/account/deleted");
    expect(done.headers.get("Set-Cookie")).toMatch(/^onward_session=[^;]*;.* Max-Age=0/);
    const user = await db.user.findUniqueOrThrow({ where: { id: person.userId } });
    expect(user.deletedAt).toBeInstanceOf(Date);
    expect(user.email).toBeNull();

    // Signed out: the old cookie no longer works anywhere.
    const again = await loader({
      request: requestWithCookie(person.cookie, "/account/delete"),
      params: {},
      context,
    }).catch((error: unknown) => error as Response);
    expect((again as Response).status).toBe(302);
    expect((again as Response).headers.get("Location")).toMatch(/^\/sign-in\?/);
  });

  it("the last owner of an organisation is asked to hand it on first; nothing changes", async () => {
    const world = await createPrivacyWorld();
    const cookie = await sessionCookie(world.owner.id);
    const page = await loader({
      request: requestWithCookie(cookie, "/account/delete"),
      params: {},
      context,
    });
    expect(page.soleOwnerOf).toEqual([world.organisation.name]);
    const refused = await action({
      request: requestWithCookie(cookie, "/account/delete", { form: { intent: "delete-account" } }),
      params: {},
      context,
    });
    const refusal = refused as {
      init: ResponseInit | null;
      data: { error?: Record<string, string[]> };
    };
    expect(refusal.init?.status).toBe(400);
    expect(refusal.data.error?.[""]?.[0]).toMatch(/^You're the only owner of /);
    const owner = await db.user.findUniqueOrThrow({ where: { id: world.owner.id } });
    expect(owner).toMatchObject({ deletedAt: null, email: world.owner.email });

    // With a second owner, the first may go.
    await db.membership.update({
      where: {
        userId_organisationId: {
          userId: world.organiser.id,
          organisationId: world.organisation.id,
        },
      },
      data: { role: "OWNER" },
    });
    expect((await deleteAccount({ userId: world.owner.id })).ok).toBe(true);
  });
});

describe("a message being sent while the account is deleted", { timeout: 60_000 }, () => {
  it("waits for the send to finish, then clears what was sent; a send nobody finishes is stopped", async () => {
    const world = await createPrivacyWorld();
    const person = await createActiveVolunteer(world, { channel: "EMAIL" });
    const [inFlight, abandoned] = await db.message.findMany({
      select: { id: true },
      where: { userId: person.userId, status: "QUEUED" },
      orderBy: { id: "asc" },
      take: 2,
    });
    await db.$executeRaw`
      UPDATE "Message" SET status = 'SENDING' WHERE id IN (${inFlight!.id}, ${abandoned!.id})`;
    // The sender of the first: a session holding the message's sending lock (ADR 010).
    const sender = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await sender.connect();
    try {
      await sender.query(`SELECT pg_advisory_lock(hashtextextended('sending:' || $1, 0))`, [
        inFlight!.id,
      ]);
      let finished = false;
      const deletion = deleteAccount({ userId: person.userId }).finally(() => {
        finished = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(finished).toBe(false);
      // The send completes and records what it sent, then lets go.
      await sender.query(
        `UPDATE "Message" SET status = 'SENT', "sentAt" = now(), "bodyText" = $2
         WHERE id = $1 AND status = 'SENDING'`,
        [inFlight!.id, `Hello ${person.name}`],
      );
      await sender.query(`SELECT pg_advisory_unlock(hashtextextended('sending:' || $1, 0))`, [
        inFlight!.id,
      ]);
      expect((await deletion).ok).toBe(true);
    } finally {
      await sender.end();
    }
    const rows = await db.message.findMany({
      select: { id: true, status: true, statusReason: true, bodyText: true, toAddress: true },
      where: { id: { in: [inFlight!.id, abandoned!.id] } },
    });
    expect(new Map(rows.map(({ id, ...row }) => [id, row]))).toEqual(
      new Map([
        [inFlight!.id, { status: "SENT", statusReason: null, bodyText: "", toAddress: "" }],
        [
          abandoned!.id,
          { status: "SUPPRESSED", statusReason: "account deleted", bodyText: "", toAddress: "" },
        ],
      ]),
    );
  });
});
