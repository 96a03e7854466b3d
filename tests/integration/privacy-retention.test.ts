import { afterEach, describe, expect, it } from "vitest";
import { runJobsOnce } from "../fixtures/nudges.ts";
import { createOrganisation, createUser, uniqueSuffix } from "../fixtures/people.ts";
import { purgeOldMessages } from "~/models/privacy.server.ts";
import { loader } from "~/routes/privacy.tsx";
import { db } from "~/utils/db.server.ts";
import { EnvError, parseEnv, reloadEnv } from "~/utils/env.server.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-25T12:00:00Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

afterEach(() => {
  delete process.env.RETENTION_DAYS;
  reloadEnv();
});

async function message({
  userId,
  days,
  status = "SENT",
}: {
  userId: string;
  days: number;
  status?: "SENT" | "QUEUED" | "HELD" | "SUPPRESSED" | "FAILED";
}) {
  const created = await db.message.create({
    select: { id: true },
    data: {
      userId,
      channel: "EMAIL",
      kind: "REMINDER",
      dedupeKey: `retention:${uniqueSuffix()}:EMAIL`,
      toAddress: "someone@example.org",
      subject: `Subject ${days}`,
      bodyText: `Hello, this is ${days} days old`,
      bodyHtml: `<p>Hello, this is ${days} days old</p>`,
      status,
      sentAt: status === "SENT" ? daysAgo(days) : null,
      createdAt: daysAgo(days),
    },
  });
  return created.id;
}

async function inbound(days: number) {
  const created = await db.inboundSms.create({
    select: { id: true },
    data: {
      fromPhone: "+447400000001",
      toPhone: "+447700900000",
      body: `DONE ${days}`,
      providerId: `SM${uniqueSuffix()}`,
      receivedAt: daysAgo(days),
    },
  });
  return created.id;
}

async function state(ids: string[]) {
  const rows = await db.message.findMany({
    select: {
      id: true,
      subject: true,
      bodyText: true,
      bodyHtml: true,
      status: true,
      createdAt: true,
    },
    where: { id: { in: ids } },
  });
  return new Map(rows.map((row) => [row.id, row]));
}

describe("the retention purge", () => {
  it("clears only bodies older than the retention age, in batches, and a second run does nothing", async () => {
    const user = await createUser();
    const old = await Promise.all(
      [181, 200, 365, 400, 1000].map((days) => message({ userId: user.id, days })),
    );
    const failedOld = await message({ userId: user.id, days: 190, status: "FAILED" });
    const young = await Promise.all([1, 90, 179].map((days) => message({ userId: user.id, days })));
    // Still waiting to go (a long hold): its body is needed to show it, so it stays.
    const waiting = await message({ userId: user.id, days: 300, status: "HELD" });
    const oldTexts = await Promise.all([181, 500].map((days) => inbound(days)));
    const youngText = await inbound(10);

    const first = await purgeOldMessages({ retentionDays: 180, now: NOW, batchSize: 2 });
    expect(first).toMatchObject({ messages: 6, inboundSms: 2 });
    expect(first.cutoff).toEqual(daysAgo(180));

    const rows = await state([...old, failedOld, ...young, waiting]);
    for (const id of [...old, failedOld]) {
      expect(rows.get(id)).toMatchObject({ subject: null, bodyText: "", bodyHtml: null });
    }
    expect(rows.get(failedOld)?.status).toBe("FAILED");
    expect(rows.get(old[0]!)?.createdAt).toEqual(daysAgo(181));
    for (const id of [...young, waiting]) {
      expect(rows.get(id)?.bodyText).toMatch(/^Hello, this is \d+ days old$/);
      expect(rows.get(id)?.subject).toMatch(/^Subject/);
    }
    const texts = await db.inboundSms.findMany({
      select: { id: true, body: true },
      where: { id: { in: [...oldTexts, youngText] } },
    });
    expect(new Map(texts.map((t) => [t.id, t.body]))).toEqual(
      new Map([
        [oldTexts[0], ""],
        [oldTexts[1], ""],
        [youngText, "DONE 10"],
      ]),
    );
    // The rows stay for counting.
    expect(await db.message.count({ where: { userId: user.id } })).toBe(10);

    expect(await purgeOldMessages({ retentionDays: 180, now: NOW, batchSize: 2 })).toMatchObject({
      messages: 0,
      inboundSms: 0,
    });
    // A shorter retention reaches further.
    expect(await purgeOldMessages({ retentionDays: 5, now: NOW })).toMatchObject({
      messages: 2,
      inboundSms: 1,
    });
  });

  it("clears, whatever their age, messages of a deleted account written as it was deleted", async () => {
    const user = await createUser();
    const written = await message({ userId: user.id, days: 0, status: "SUPPRESSED" });
    const kept = await message({ userId: (await createUser()).id, days: 0 });
    await db.user.update({
      where: { id: user.id },
      data: { deletedAt: new Date(), email: null, name: null },
    });
    const result = await purgeOldMessages({ retentionDays: 180, now: new Date() });
    expect(result.messages).toBe(1);
    const rows = await db.message.findMany({
      select: { id: true, toAddress: true, bodyText: true, subject: true },
      where: { id: { in: [written, kept] } },
    });
    expect(new Map(rows.map(({ id, ...row }) => [id, row]))).toEqual(
      new Map([
        [written, { toAddress: "", bodyText: "", subject: null }],
        [
          kept,
          {
            toAddress: "someone@example.org",
            bodyText: "Hello, this is 0 days old",
            subject: "Subject 0",
          },
        ],
      ]),
    );
  });

  it("runs as the daily purge-old-messages job with RETENTION_DAYS", async () => {
    process.env.RETENTION_DAYS = "7";
    reloadEnv();
    const user = await createUser();
    const weekOld = await db.message.create({
      select: { id: true },
      data: {
        userId: user.id,
        channel: "SMS",
        kind: "OVERDUE",
        dedupeKey: `retention:${uniqueSuffix()}:SMS`,
        toAddress: "+447400000002",
        bodyText: "How did it go?",
        status: "SENT",
        createdAt: new Date(Date.now() - 8 * DAY_MS),
      },
    });
    const fresh = await db.message.create({
      select: { id: true },
      data: {
        userId: user.id,
        channel: "SMS",
        kind: "OVERDUE",
        dedupeKey: `retention:${uniqueSuffix()}:SMS`,
        toAddress: "+447400000002",
        bodyText: "How did it go today?",
        status: "SENT",
        createdAt: new Date(Date.now() - 6 * DAY_MS),
      },
    });
    await db.$executeRaw`SELECT graphile_worker.add_job('purge-old-messages', '{}'::json)`;
    expect(await runJobsOnce()).toEqual([]);
    const after = await state([weekOld.id, fresh.id]);
    expect(after.get(weekOld.id)?.bodyText).toBe("");
    expect(after.get(fresh.id)?.bodyText).toBe("How did it go today?");
  });

  it("RETENTION_DAYS defaults to 180 and refuses a value that isn't a number of days", () => {
    expect(parseEnv({}).RETENTION_DAYS).toBe(180);
    expect(parseEnv({ RETENTION_DAYS: "30" }).RETENTION_DAYS).toBe(30);
    for (const value of ["0", "-5", "1.5", "forever", "3651"]) {
      expect(() => parseEnv({ RETENTION_DAYS: value })).toThrow(EnvError);
      expect(() => parseEnv({ RETENTION_DAYS: value })).toThrow(
        "Configuration error: RETENTION_DAYS must be a whole number of days from 1 to 3650.",
      );
    }
  });

  it("the privacy page states the configured retention", () => {
    process.env.RETENTION_DAYS = "90";
    reloadEnv();
    expect(loader()).toMatchObject({ retentionDays: 90, sessionDays: 30 });
  });
});

describe("webhook deliveries", () => {
  it("deletes finished deliveries older than the retention period, and keeps pending and young ones", async () => {
    const organisation = await createOrganisation();
    const endpoint = await db.webhookEndpoint.create({
      select: { id: true },
      data: {
        organisationId: organisation.id,
        url: "https://hooks.example.org/onward",
        secret: "whsec_retention",
        events: ["report.created"],
      },
    });
    const delivery = (days: number, status: "PENDING" | "SUCCEEDED" | "FAILED") =>
      db.webhookDelivery
        .create({
          select: { id: true },
          data: {
            endpointId: endpoint.id,
            organisationId: organisation.id,
            event: "report.created",
            eventId: `evt_${uniqueSuffix()}`,
            payload: { data: { feedback: "The gate is broken" } },
            status,
            createdAt: daysAgo(days),
          },
        })
        .then((row) => row.id);
    const oldDone = [await delivery(181, "SUCCEEDED"), await delivery(400, "FAILED")];
    const kept = [await delivery(181, "PENDING"), await delivery(10, "SUCCEEDED")];

    const result = await purgeOldMessages({ retentionDays: 180, now: NOW, batchSize: 1 });
    expect(result.webhookDeliveries).toBe(2);
    const left = await db.webhookDelivery.findMany({
      select: { id: true },
      where: { endpointId: endpoint.id },
    });
    expect(left.map((row) => row.id).sort()).toEqual([...kept].sort());
    expect(oldDone.some((id) => left.some((row) => row.id === id))).toBe(false);
  });
});
