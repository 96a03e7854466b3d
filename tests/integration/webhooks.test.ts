import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer, listJobs, runJobsOnce } from "../fixtures/nudges.ts";
import { addMember, createUser } from "../fixtures/people.ts";
import { sessionCookie, startTestServer, type TestServer } from "./authz-matrix-app.ts";
import { joinAsMember, submitReport } from "~/loop/service.server.ts";
import { actOnInboxItem } from "~/models/inbox.server.ts";
import { deleteAccount } from "~/models/privacy.server.ts";
import {
  MAX_DELIVERY_ATTEMPTS,
  RETRY_DELAYS_MS,
  actOnEndpoint,
  createEndpoint,
  deliverWebhook,
  firstNameOf,
  recordVolunteerJoined,
  webhookJobKey,
} from "~/models/webhooks.server.ts";
import { WEBHOOK_EVENTS, endpointUrlProblem, type WebhookEvent } from "~/schemas/webhooks.ts";
import { db } from "~/utils/db.server.ts";
import { firstNameOnly } from "~/utils/format";
import { reloadEnv } from "~/utils/env.server.ts";

/**
 * Outgoing webhooks (ADR 018) end to end against a real receiver on 127.0.0.1: events recorded
 * with the change that causes them, signed, delivered by the real job, retried on the schedule
 * with an injected clock, and the owner-only pages.
 */

type Received = {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The signature checked as a receiver would, without Onward's code. */
  verified: boolean;
  timestamp: number;
};

/** What the receiver answers: a status, a redirect, or no answer at all (to test the time limit). */
type Answer = number | { redirect: string } | "hang";

/** A webhook receiver: records every POST and checks its signature against the path's secret. */
async function startReceiver() {
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  const answers = new Map<string, Answer[]>();
  // The receiver's idea of now: tests that inject a clock into delivery move it too.
  let clock = () => Date.now();
  const hanging: http.ServerResponse[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const header = String(req.headers["onward-signature"] ?? "");
      const parts = header.split(",").map((part) => part.split("="));
      const timestamp = Number(parts.find(([key]) => key === "t")?.[1]);
      const secret = secrets.get(path) ?? "";
      const expected = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest();
      const fresh = Math.abs(clock() / 1000 - timestamp) <= 300;
      const verified =
        secret !== "" &&
        fresh &&
        parts.some(
          ([key, value]) =>
            key === "v1" &&
            /^[0-9a-f]{64}$/.test(value ?? "") &&
            timingSafeEqual(expected, Buffer.from(value ?? "", "hex")),
        );
      received.push({ path, headers: req.headers, body, verified, timestamp });
      const queue = answers.get(path) ?? [];
      const answer: Answer = (queue.length > 1 ? queue.shift() : queue[0]) ?? 200;
      if (answer === "hang") {
        hanging.push(res);
        return;
      }
      if (typeof answer === "object") {
        res.writeHead(302, { Location: answer.redirect }).end();
        return;
      }
      res
        .writeHead(answer, { "Content-Type": "text/plain" })
        .end(answer >= 400 ? `Something broke here ${"x".repeat(5_000)}` : "ok");
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    /** A new path on the receiver, its answers in turn (the last one repeats). */
    url(path: string, ...queue: Answer[]) {
      answers.set(path, queue.length ? queue : [200]);
      return `${base}${path}`;
    },
    trust(url: string, secret: string) {
      secrets.set(new URL(url).pathname, secret);
    },
    at(path: string) {
      return received.filter((request) => request.path === path);
    },
    setClock(next: () => number) {
      clock = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
});

/** A live campaign with an owner, and (optionally) a webhook of its organisation on `path`. */
async function setUp({
  path,
  answers = [],
  events = [...WEBHOOK_EVENTS],
}: { path?: string; answers?: Answer[]; events?: WebhookEvent[] } = {}) {
  const setup = await createLadderCampaign();
  const owner = await createUser({ name: "Olu Owner" });
  await addMember({ userId: owner.id, organisationId: setup.organisation.id, role: "OWNER" });
  let endpoint: { id: string; url: string; secret: string } | null = null;
  if (path) {
    const url = receiver.url(path, ...answers);
    const created = await createEndpoint({
      actorId: owner.id,
      organisationId: setup.organisation.id,
      input: { url, events },
    });
    if (!created.ok) throw new Error(JSON.stringify(created));
    receiver.trust(url, created.secret);
    endpoint = { id: created.endpointId, url, secret: created.secret };
  }
  return { ...setup, owner, endpoint };
}

function deliveriesOf(endpointId: string) {
  return db.webhookDelivery.findMany({
    select: {
      id: true,
      event: true,
      eventId: true,
      payload: true,
      status: true,
      attempts: true,
      lastStatusCode: true,
      lastError: true,
      nextAttemptAt: true,
      deliveredAt: true,
      organisationId: true,
    },
    where: { endpointId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
}

/** Runs the due webhook jobs only (other tests' message jobs are left alone). */
async function runWebhookJobs() {
  await db.$executeRaw`
    DELETE FROM graphile_worker._private_jobs j USING graphile_worker._private_tasks t
    WHERE t.id = j.task_id AND t.identifier <> 'deliver-webhook'`;
  return runJobsOnce();
}

async function report(volunteer: { userId: string; assignmentId: string }, feedback: string) {
  const result = await submitReport({
    assignmentId: volunteer.assignmentId,
    userId: volunteer.userId,
    values: { doors: 25, outcome: "Well" },
    feedback,
    idempotencyKey: randomUUID(),
    source: "WEB",
  });
  if (!result.ok) throw new Error(result.error);
  return result;
}

describe("events", () => {
  it("a receiver that checks the signature gets volunteer.joined, report.created and feedback.answered once each, with the right headers and no contact details", async () => {
    const a = await setUp({ path: "/a/all" });
    // Another organisation with a webhook for everything: it must hear nothing of A.
    const b = await setUp({ path: "/b/all" });

    const volunteer = await joinVolunteer(a);
    const reported = await report(volunteer, "Most people were out.");
    const answered = await actOnInboxItem({
      actorId: a.owner.id,
      campaignId: a.campaign.id,
      itemId: volunteer.assignmentId,
      action: { intent: "reply", reply: "Thank you, we'll try evenings." },
    });
    expect(answered.ok).toBe(true);

    const queued = await deliveriesOf(a.endpoint!.id);
    expect(queued.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ["volunteer.joined", "PENDING", 0],
      ["report.created", "PENDING", 0],
      ["feedback.answered", "PENDING", 0],
    ]);
    expect(await deliveriesOf(b.endpoint!.id)).toEqual([]);
    for (const delivery of queued) {
      expect(await listJobs({ key: webhookJobKey(delivery.id) })).toHaveLength(1);
    }

    expect(await runWebhookJobs()).toEqual([]);

    const got = receiver.at("/a/all");
    expect(got).toHaveLength(3);
    expect(receiver.at("/b/all")).toEqual([]);
    const delivered = await deliveriesOf(a.endpoint!.id);
    expect(delivered.map((d) => [d.status, d.attempts, d.lastStatusCode, d.lastError])).toEqual([
      ["SUCCEEDED", 1, 200, null],
      ["SUCCEEDED", 1, 200, null],
      ["SUCCEEDED", 1, 200, null],
    ]);
    expect(delivered.every((d) => d.deliveredAt !== null)).toBe(true);

    const byType = new Map(got.map((request) => [request.headers["onward-event"], request]));
    for (const delivery of delivered) {
      const request = byType.get(delivery.event);
      if (!request) throw new Error(`No ${delivery.event} arrived`);
      expect(request.verified).toBe(true);
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["user-agent"]).toBe("Onward-Webhooks/1.0");
      expect(request.headers["onward-delivery"]).toBe(delivery.id);
      const body = JSON.parse(request.body) as Record<string, unknown>;
      expect(body).toMatchObject({
        id: delivery.eventId,
        type: delivery.event,
        organisationId: a.organisation.id,
      });
      expect(new Date(String(body.createdAt)).toISOString()).toBe(body.createdAt);
      // Nothing that reaches the person: no email, phone number, postcode or full name.
      for (const secret of [volunteer.email, volunteer.phone, "LS6 1AA", volunteer.name]) {
        expect(request.body).not.toContain(secret);
      }
      expect(request.body).not.toMatch(/@/);
    }

    const campaign = { id: a.campaign.id, slug: a.campaign.slug, title: "Test campaign" };
    expect(JSON.parse(byType.get("volunteer.joined")!.body).data).toEqual({
      campaign,
      volunteer: { id: volunteer.userId, firstName: "Vol" },
      assignmentId: volunteer.assignmentId,
      joinedAt: expect.any(String),
    });
    expect(JSON.parse(byType.get("report.created")!.body).data).toEqual({
      report: {
        id: expect.any(String),
        assignmentId: volunteer.assignmentId,
        source: "WEB",
        values: { doors: 25, outcome: "Well" },
        feedback: "Most people were out.",
        createdAt: expect.any(String),
      },
      campaign,
      task: { id: a.ids.doors, title: "Knock on 20 doors" },
      volunteer: { id: volunteer.userId, firstName: "Vol" },
      nextAssignmentId: reported.nextAssignmentId,
    });
    expect(JSON.parse(byType.get("feedback.answered")!.body).data).toEqual({
      item: { id: volunteer.assignmentId, kind: "report", reportId: expect.any(String) },
      campaign,
      task: { id: a.ids.doors, title: "Knock on 20 doors" },
      volunteer: { id: volunteer.userId },
      action: "reply",
      status: "ANSWERED",
      reply: "Thank you, we'll try evenings.",
      reason: null,
      answeredBy: { id: a.owner.id },
      answeredAt: expect.any(String),
    });

    // Run again, by the job or by hand: a delivery that succeeded is never sent again.
    for (const delivery of delivered) {
      expect(await deliverWebhook({ deliveryId: delivery.id })).toEqual({ outcome: "done" });
    }
    expect(await runWebhookJobs()).toEqual([]);
    expect(receiver.at("/a/all")).toHaveLength(3);
  });

  it("marking a contribution is feedback.answered too; joining a campaign again is not volunteer.joined", async () => {
    const a = await setUp({ path: "/a/mark" });
    const volunteer = await joinVolunteer(a);
    await report(volunteer, "The estate was locked.");
    await actOnInboxItem({
      actorId: a.owner.id,
      campaignId: a.campaign.id,
      itemId: volunteer.assignmentId,
      action: { intent: "mark", status: "ACTIONED", reason: "Asked for a fob" },
    });
    // Joining again while taking part, and tagging: neither is an event.
    await joinAsMember({
      campaignId: a.campaign.id,
      organisationId: a.organisation.id,
      userId: volunteer.userId,
    });
    await actOnInboxItem({
      actorId: a.owner.id,
      campaignId: a.campaign.id,
      itemId: volunteer.assignmentId,
      action: { intent: "add-tag", tag: "access" },
    });
    const deliveries = await deliveriesOf(a.endpoint!.id);
    expect(deliveries.map((d) => d.event)).toEqual([
      "volunteer.joined",
      "report.created",
      "feedback.answered",
    ]);
    expect((deliveries[2]?.payload as { data: unknown }).data).toMatchObject({
      action: "mark",
      status: "ACTIONED",
      reason: "Asked for a fob",
      reply: null,
    });

    // An existing person joining a second campaign of the organisation is a new participant.
    const second = (await createLadderCampaign()).campaign;
    await db.campaign.update({
      where: { id: second.id },
      data: { organisationId: a.organisation.id },
    });
    await db.task.updateMany({
      where: { campaignId: second.id },
      data: { organisationId: a.organisation.id },
    });
    const joined = await joinAsMember({
      campaignId: second.id,
      organisationId: a.organisation.id,
      userId: volunteer.userId,
    });
    const after = await deliveriesOf(a.endpoint!.id);
    expect(after).toHaveLength(4);
    expect(after[3]?.payload).toMatchObject({
      type: "volunteer.joined",
      data: {
        campaign: { id: second.id },
        volunteer: { id: volunteer.userId, firstName: "Vol" },
        assignmentId: joined.assignmentId,
      },
    });
  });

  it("deleting an account deletes the deliveries about the person, sent or not", async () => {
    const a = await setUp({ path: "/a/forget" });
    const leaving = await joinVolunteer(a);
    const staying = await joinVolunteer(a);
    await runWebhookJobs();
    await report(leaving, "My words, not to be kept.");
    expect(await deliveriesOf(a.endpoint!.id)).toHaveLength(3);
    expect(await deleteAccount({ userId: leaving.userId })).toMatchObject({ ok: true });
    const left = await deliveriesOf(a.endpoint!.id);
    expect(left.map((d) => [d.event, d.payload])).toEqual([
      [
        "volunteer.joined",
        expect.objectContaining({
          data: expect.objectContaining({ volunteer: { id: staying.userId, firstName: "Vol" } }),
        }),
      ],
    ]);
  });

  it("an event whose transaction rolls back leaves no delivery and no job", async () => {
    const a = await setUp({ path: "/a/rollback" });
    const person = await createUser({ name: "Nia Rolled" });
    const before = await listJobs({ task: "deliver-webhook" });
    await expect(
      db.$transaction(async (tx) => {
        const queued = await recordVolunteerJoined({
          tx,
          organisationId: a.organisation.id,
          campaignId: a.campaign.id,
          userId: person.id,
          assignmentId: null,
          now: new Date(),
        });
        // Queued inside the transaction, so the test could see it fail to roll back.
        expect(queued).toBe(1);
        expect(await tx.webhookDelivery.count({ where: { endpointId: a.endpoint!.id } })).toBe(1);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await deliveriesOf(a.endpoint!.id)).toEqual([]);
    expect(await listJobs({ task: "deliver-webhook" })).toEqual(before);
  });

  it("an organisation with no webhook, one turned off or one that didn't ask for the event gets no delivery", async () => {
    const none = await setUp();
    const off = await setUp({ path: "/off" });
    await actOnEndpoint({
      actorId: off.owner.id,
      endpointId: off.endpoint!.id,
      action: { intent: "disable" },
    });
    const picky = await setUp({ path: "/picky", events: ["feedback.answered"] });
    const jobsBefore = await listJobs({ task: "deliver-webhook" });
    const countBefore = await db.webhookDelivery.count();
    for (const setup of [none, off, picky]) {
      const volunteer = await joinVolunteer(setup);
      await report(volunteer, "Fine.");
    }
    expect(await db.webhookDelivery.count()).toBe(countBefore);
    expect(await listJobs({ task: "deliver-webhook" })).toEqual(jobsBefore);
  });
});

describe("retries", () => {
  it("a failing receiver is tried again on the schedule, then the delivery is marked failed after the last attempt", async () => {
    const a = await setUp({ path: "/fail/always", answers: [500] });
    await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "ping" },
    });
    const [delivery] = await deliveriesOf(a.endpoint!.id);
    if (!delivery) throw new Error("The ping made no delivery");

    // The first attempt by the real job, now.
    const started = Date.now();
    expect(await runWebhookJobs()).toEqual([]);
    let row = (await deliveriesOf(a.endpoint!.id))[0]!;
    expect(row).toMatchObject({ status: "PENDING", attempts: 1, lastStatusCode: 500 });
    expect(row.lastError).toMatch(/^HTTP 500: Something broke here x+/);
    expect(row.lastError!.length).toBeLessThanOrEqual(300);
    let next = row.nextAttemptAt!.getTime();
    expect(next - started).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[0]! - 1_000);
    expect(next - Date.now()).toBeLessThanOrEqual(RETRY_DELAYS_MS[0]!);
    const [job] = await listJobs({ key: webhookJobKey(delivery.id) });
    expect(job?.run_at.getTime()).toBe(next);

    // Then each attempt when it falls due, on an injected clock.
    for (let attempt = 2; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      const now = new Date(next);
      receiver.setClock(() => now.getTime());
      const outcome = await deliverWebhook({ deliveryId: delivery.id, now });
      row = (await deliveriesOf(a.endpoint!.id))[0]!;
      expect(row.attempts).toBe(attempt);
      if (attempt < MAX_DELIVERY_ATTEMPTS) {
        expect(outcome.outcome).toBe("retrying");
        expect(row.status).toBe("PENDING");
        expect(row.nextAttemptAt!.getTime() - now.getTime()).toBe(RETRY_DELAYS_MS[attempt - 1]);
        const [rescheduled] = await listJobs({ key: webhookJobKey(delivery.id) });
        expect(rescheduled?.run_at.getTime()).toBe(row.nextAttemptAt!.getTime());
        next = row.nextAttemptAt!.getTime();
      } else {
        expect(outcome).toMatchObject({ outcome: "failed", attempt: MAX_DELIVERY_ATTEMPTS });
      }
    }
    expect(row).toMatchObject({
      status: "FAILED",
      attempts: MAX_DELIVERY_ATTEMPTS,
      lastStatusCode: 500,
      nextAttemptAt: null,
      deliveredAt: null,
    });
    expect(MAX_DELIVERY_ATTEMPTS).toBe(8);

    // One request per attempt, all for the same delivery, each signed afresh and verifiable.
    const got = receiver.at("/fail/always");
    expect(got).toHaveLength(MAX_DELIVERY_ATTEMPTS);
    expect(new Set(got.map((r) => r.headers["onward-delivery"]))).toEqual(new Set([delivery.id]));
    expect(got.every((r) => r.verified && r.headers["onward-event"] === "ping")).toBe(true);
    expect(new Set(got.map((r) => r.timestamp)).size).toBe(MAX_DELIVERY_ATTEMPTS);

    // Failed is final: neither the job nor another call sends it again.
    expect(
      await deliverWebhook({ deliveryId: delivery.id, now: new Date(next + 86_400_000) }),
    ).toEqual({ outcome: "done" });
    expect(receiver.at("/fail/always")).toHaveLength(MAX_DELIVERY_ATTEMPTS);

    // "Try again now" sends a failed delivery once more; a success then ends it.
    receiver.setClock(() => Date.now());
    receiver.url("/fail/always", 204);
    const retried = await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "retry", deliveryId: delivery.id },
    });
    expect(retried.ok).toBe(true);
    expect(await runWebhookJobs()).toEqual([]);
    row = (await deliveriesOf(a.endpoint!.id))[0]!;
    expect(row).toMatchObject({
      status: "SUCCEEDED",
      attempts: MAX_DELIVERY_ATTEMPTS + 1,
      lastStatusCode: 204,
      lastError: null,
    });
    expect(receiver.at("/fail/always")).toHaveLength(MAX_DELIVERY_ATTEMPTS + 1);
    const again = await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "retry", deliveryId: delivery.id },
    });
    expect(again).toEqual({
      ok: false,
      formErrors: ["Only a delivery that failed can be sent again"],
      fieldErrors: {},
    });
  });

  it("a 2xx after failures (an error, a redirect not followed, no answer in time) marks it delivered", async () => {
    const a = await setUp({
      path: "/flaky",
      answers: [503, { redirect: "/flaky/elsewhere" }, "hang", 200],
    });
    await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "ping" },
    });
    const [delivery] = await deliveriesOf(a.endpoint!.id);
    const short = [1_000, 2_000, 3_000];
    let now = new Date();
    const outcomes: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const at = now;
      receiver.setClock(() => at.getTime());
      const outcome = await deliverWebhook({
        deliveryId: delivery!.id,
        now,
        retryDelaysMs: short,
        timeoutMs: 500,
      });
      outcomes.push(
        outcome.outcome === "retrying" ? `retrying: ${outcome.error}` : outcome.outcome,
      );
      if (outcome.outcome === "retrying") now = outcome.nextAttemptAt;
    }
    receiver.setClock(() => Date.now());
    expect(outcomes).toEqual([
      "retrying: HTTP 503: Something broke here " + "x".repeat(178) + "…",
      "retrying: Redirected (HTTP 302); we don't follow redirects",
      "retrying: No answer within 0.5 seconds",
      "succeeded",
    ]);
    expect(receiver.at("/flaky/elsewhere")).toEqual([]);
    expect(receiver.at("/flaky")).toHaveLength(4);
    const [row] = await deliveriesOf(a.endpoint!.id);
    expect(row).toMatchObject({
      status: "SUCCEEDED",
      attempts: 4,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(row?.deliveredAt?.getTime()).toBe(now.getTime());
  });

  it("two attempts at once send once", async () => {
    const a = await setUp({ path: "/slow", answers: [200] });
    await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "ping" },
    });
    const [delivery] = await deliveriesOf(a.endpoint!.id);
    const outcomes = await Promise.all([
      deliverWebhook({ deliveryId: delivery!.id }),
      deliverWebhook({ deliveryId: delivery!.id }),
    ]);
    // The second finds it taken ("busy") or, if the first was quicker still, already sent.
    const sorted = outcomes.map((o) => o.outcome).sort();
    expect(sorted[1]).toBe("succeeded");
    expect(["busy", "done"]).toContain(sorted[0]);
    expect(receiver.at("/slow")).toHaveLength(1);
    expect((await deliveriesOf(a.endpoint!.id))[0]).toMatchObject({
      status: "SUCCEEDED",
      attempts: 1,
    });
  });

  it("after a new secret, both the old and the new one sign for a day", async () => {
    const a = await setUp({ path: "/rolled" });
    const rolled = await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "roll-secret" },
    });
    if (!rolled.ok || !rolled.secret) throw new Error("No new secret");
    expect(rolled.secret).not.toBe(a.endpoint!.secret);
    await actOnEndpoint({
      actorId: a.owner.id,
      endpointId: a.endpoint!.id,
      action: { intent: "ping" },
    });
    await runWebhookJobs();
    // The receiver still has the old secret: it verifies.
    expect(receiver.at("/rolled").map((r) => r.verified)).toEqual([true]);
    const header = String(receiver.at("/rolled")[0]?.headers["onward-signature"]);
    expect(header.match(/v1=/g)).toHaveLength(2);
    const audit = await db.auditEvent.findMany({
      select: { action: true },
      where: { subjectId: a.endpoint!.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((e) => e.action)).toEqual(["webhook.created", "webhook.secret_rolled"]);
  });
});

describe("addresses", () => {
  it("takes http(s) only, and in a deployment https to a public host only", () => {
    const local = { requireHttps: false };
    const deployed = { requireHttps: true };
    expect(endpointUrlProblem("http://127.0.0.1:8080/hook", local)).toBeNull();
    expect(endpointUrlProblem("https://hooks.example.org/onward", deployed)).toBeNull();
    for (const url of [
      "ftp://example.org/x",
      "javascript:alert(1)",
      "example.org/hook",
      "file:///etc/passwd",
    ]) {
      expect(endpointUrlProblem(url, local)).not.toBeNull();
    }
    expect(endpointUrlProblem("https://user:pass@example.org/hook", local)).toMatch(/password/);
    for (const url of [
      "http://hooks.example.org/onward",
      "https://localhost/hook",
      "https://127.0.0.1/hook",
      "https://10.1.2.3/hook",
      "https://169.254.169.254/latest",
      "https://192.168.0.10/hook",
      "https://[::1]/hook",
      "https://printer.local/hook",
    ]) {
      expect([url, endpointUrlProblem(url, deployed)]).toEqual([url, expect.any(String)]);
    }
  });

  it("a deployment refuses an http address when adding one", async () => {
    const a = await setUp();
    process.env.NODE_ENV = "production";
    reloadEnv();
    try {
      const refused = await createEndpoint({
        actorId: a.owner.id,
        organisationId: a.organisation.id,
        input: { url: "http://hooks.example.org/onward", events: ["report.created"] },
      });
      expect(refused).toEqual({
        ok: false,
        formErrors: [],
        fieldErrors: {
          url: ["The address must start with https://, so that what we send is encrypted"],
        },
      });
    } finally {
      process.env.NODE_ENV = "test";
      reloadEnv();
    }
    expect(await db.webhookEndpoint.count({ where: { organisationId: a.organisation.id } })).toBe(
      0,
    );
  });
});

describe("the owner's pages", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it("an owner adds a webhook, sees its secret once and its delivery log; an organiser is refused everything", async () => {
    const a = await setUp();
    const organiser = await createUser({ name: "Priya" });
    await addMember({ userId: organiser.id, organisationId: a.organisation.id, role: "ORGANISER" });
    const [ownerCookie, organiserCookie] = await Promise.all([
      sessionCookie(a.owner.id),
      sessionCookie(organiser.id),
    ]);
    const list = `/org/settings/webhooks?org=${a.organisation.id}`;
    const url = receiver.url("/pages");
    const form = { intent: "create", url, events: ["report.created", "volunteer.joined"] };

    expect((await server.send({ path: list, cookie: organiserCookie })).status).toBe(403);
    expect(
      (await server.send({ path: list, method: "POST", cookie: organiserCookie, form })).status,
    ).toBe(403);
    expect(await db.webhookEndpoint.count({ where: { organisationId: a.organisation.id } })).toBe(
      0,
    );
    const settings = await server.send({
      path: `/org/settings?org=${a.organisation.id}`,
      cookie: ownerCookie,
    });
    expect(settings.text).toContain(`href="/org/settings/webhooks?org=${a.organisation.id}"`);

    const refused = await server.send({
      path: list,
      method: "POST",
      cookie: ownerCookie,
      form: { ...form, url: "ftp://example.org/x", events: [] },
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("The address must start with https://");
    expect(refused.text).toContain("Choose at least one event");

    const added = await server.send({ path: list, method: "POST", cookie: ownerCookie, form });
    expect(added.status).toBe(200);
    const endpoint = await db.webhookEndpoint.findFirstOrThrow({
      select: { id: true, secret: true, events: true },
      where: { organisationId: a.organisation.id },
    });
    expect(endpoint.events).toEqual(["volunteer.joined", "report.created"]);
    expect(added.text).toContain(endpoint.secret);
    receiver.trust(url, endpoint.secret);
    // Listed afterwards without the secret.
    const listed = await server.send({ path: list, cookie: ownerCookie });
    expect(listed.text).toContain(url);
    expect(listed.text).not.toContain(endpoint.secret);

    const page = `/org/settings/webhooks/${endpoint.id}`;
    expect((await server.send({ path: page, cookie: organiserCookie })).status).toBe(404);
    expect(
      (
        await server.send({
          path: page,
          method: "POST",
          cookie: organiserCookie,
          form: { intent: "delete" },
        })
      ).status,
    ).toBe(404);

    const pinged = await server.send({
      path: page,
      method: "POST",
      cookie: ownerCookie,
      form: { intent: "ping" },
    });
    expect([pinged.status, pinged.location]).toEqual([302, `${page}?done=ping`]);
    await runWebhookJobs();
    expect(receiver.at("/pages").map((r) => [r.headers["onward-event"], r.verified])).toEqual([
      ["ping", true],
    ]);
    const log = await server.send({ path: page, cookie: ownerCookie });
    expect(log.status).toBe(200);
    expect(log.text).toContain("Test event: Delivered");
    expect(log.text).toContain("1 delivery, newest first");

    const deleted = await server.send({
      path: page,
      method: "POST",
      cookie: ownerCookie,
      form: { intent: "delete" },
    });
    expect([deleted.status, deleted.location]).toEqual([
      302,
      `/org/settings/webhooks?org=${a.organisation.id}&done=deleted`,
    ]);
    expect(await db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(0);
    const audit = await db.auditEvent.findMany({
      select: { action: true, actorId: true },
      where: { subjectId: endpoint.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit).toEqual([
      { action: "webhook.created", actorId: a.owner.id },
      { action: "webhook.deleted", actorId: a.owner.id },
    ]);
  });
});

describe("the first name a receiver gets", () => {
  it("follows the pages' rule: the first word, never one that looks like an email or a phone number", async () => {
    const names = [
      "Eve Smith",
      "  Ana\tMaria  ",
      "eve@example.org",
      "07911 123456",
      "+447911123456 Bob",
      "R2D2 unit",
      "",
      "   ",
      "x".repeat(60),
      "Zoë",
    ];
    for (const name of names) {
      const [row] = await db.$queryRaw<Array<{ first: string | null }>>`
        SELECT ${firstNameOf("n.name")} AS first FROM (SELECT ${name}::text AS name) AS n`;
      expect(row?.first ?? "Someone", JSON.stringify(name)).toBe(firstNameOnly(name));
    }
  });
});
