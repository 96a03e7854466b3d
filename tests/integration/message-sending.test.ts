import { createServer } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import {
  jobsAbout,
  joinVolunteer,
  keepOnlyJobs,
  listJobs,
  recordSentNudges,
  runJobsOnce,
} from "../fixtures/nudges.ts";
import { addMember, createUser } from "../fixtures/people.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import {
  claimForSending,
  DELIVERY_JOB_MAX_ATTEMPTS,
  finishSending,
  REQUEUED_REASON,
  requeueStaleSending,
} from "~/models/message.server.ts";
import { loader } from "~/routes/org.people.$userId.tsx";
import { NUDGE_KINDS } from "~/utils/contact-policy.ts";
import { db, pool } from "~/utils/db.server.ts";
import { deliverMessage } from "~/utils/delivery.server.ts";
import { sendEmail, verifySmtp } from "~/utils/email.server.ts";
import { reloadEnv } from "~/utils/env.server.ts";
import { startUserSession } from "~/utils/session.server.ts";

/**
 * The SENDING state (app/utils/delivery.server.ts): a delivery commits its claim before the send
 * and holds a session lock until it records the outcome; the sweep (requeueStaleSending) returns
 * a SENDING message to QUEUED only when nobody holds that lock any more. Here a separate database
 * connection stands in for a worker in the middle of a send, so the test can stop it at any point:
 * closing that connection is the worker dying.
 */

let smtp: SmtpCapture;
let closedPort: number;
const workers: pg.Client[] = [];

function useSmtp(url: string) {
  process.env.SMTP_URL = url;
  reloadEnv();
}

beforeAll(async () => {
  smtp = await startSmtpCapture();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => useSmtp(smtp.url));

afterAll(async () => {
  for (const worker of workers) await worker.end().catch(() => {});
  // Moving the mailer to another address closes its pooled connections.
  useSmtp(`smtp://127.0.0.1:${closedPort}`);
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

/** A worker's own database connection, for claiming a message and then stopping mid-delivery. */
async function workerConnection() {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  workers.push(client);
  return client;
}

/** The worker dies: its session ends, as PostgreSQL sees a killed process's socket close. */
async function crash(client: pg.Client) {
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const pid = rows[0]!.pid;
  client.on("error", () => {});
  await pool.query("SELECT pg_terminate_backend($1)", [pid]);
  for (let i = 0; i < 100; i++) {
    const left = await pool.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid]);
    if (left.rowCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`The session ${pid} did not end`);
}

async function taskEmail(userId: string) {
  const message = await db.message.findFirstOrThrow({
    select: { id: true },
    where: { userId, channel: "EMAIL", kind: "TASK_ASSIGNED" },
  });
  return message.id;
}

async function claim(client: pg.Client, id: string) {
  const claimed = await claimForSending({ client, id, now: new Date(), nudgeKinds: NUDGE_KINDS });
  if (!claimed?.claimed) throw new Error(`Could not claim ${id}`);
  return claimed;
}

const statusOf = async (id: string) =>
  (await db.message.findUniqueOrThrow({ select: { status: true }, where: { id } })).status;

const sweep = () =>
  requeueStaleSending({ client: pool, jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS });

async function organiserView(organisationId: string, userId: string) {
  const organiser = await createUser({ name: "Priya" });
  await addMember({ userId: organiser.id, organisationId, role: "ORGANISER" });
  const session = await startUserSession({
    request: new Request("http://localhost:3000/sign-in"),
    userId: organiser.id,
    redirectTo: "/",
  });
  const cookie = (session.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
  const page = await loader({
    request: new Request(`http://localhost:3000/org/people/${userId}`, {
      headers: { Cookie: cookie },
    }),
    params: { userId },
    context: { cspNonce: "test" },
  });
  return page.messages;
}

describe("a message being sent", () => {
  it("is SENDING while its worker sends it, which nobody else touches, and organisers read 'Sending'", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskEmail(volunteer.userId);
    const worker = await workerConnection();

    const claimed = await claim(worker, id);
    expect(claimed.message.toAddress).toBe(volunteer.email);
    expect(await statusOf(id)).toBe("SENDING");
    const [shown] = await organiserView(setup.organisation.id, volunteer.userId);
    expect(shown).toMatchObject({ status: "Sending", reason: null });

    // Another run of its job leaves it to the worker sending it…
    expect(await deliverMessage({ messageId: id })).toEqual({
      outcome: "skipped",
      reason: "being sent",
    });
    // …and so does the sweep, as long as that worker is alive.
    expect(await sweep()).toEqual([]);
    expect(await statusOf(id)).toBe("SENDING");

    await sendEmail({ to: volunteer.email, subject: "Your task", html: "<p>Go</p>", text: "Go" });
    expect(
      await finishSending({
        client: worker,
        id,
        unlock: true,
        jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS,
        outcome: {
          status: "SENT",
          at: new Date(),
          transport: "smtp",
          providerId: null,
          content: { subject: "Your task", text: "Go", html: "<p>Go</p>" },
        },
      }),
    ).toBe(true);
    await crash(worker);
    expect(await sweep()).toEqual([]);
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "SENT",
      attempts: 1,
    });
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(mailTo(volunteer.email)).toHaveLength(1);
  });

  it("left SENDING by a worker that died, goes back to QUEUED and is then sent exactly once", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskEmail(volunteer.userId);
    await keepOnlyJobs([]);
    const worker = await workerConnection();
    await claim(worker, id);
    await crash(worker);
    expect(await statusOf(id)).toBe("SENDING");

    expect(await sweep()).toEqual([id]);
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "QUEUED",
      statusReason: REQUEUED_REASON,
      attempts: 0,
    });
    const [job] = await listJobs({ key: `deliver:${id}` });
    expect(job).toMatchObject({ task_identifier: "deliver-message", attempts: 0 });
    expect(job!.run_at.getTime()).toBeLessThanOrEqual(Date.now());

    expect(await runJobsOnce()).toEqual([]);
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "SENT",
      statusReason: null,
      attempts: 1,
    });
    // Swept and run again: nothing more goes.
    expect(await sweep()).toEqual([]);
    expect(await runJobsOnce()).toEqual([]);
    expect(mailTo(volunteer.email)).toHaveLength(1);
    expect(await listJobs({ key: `deliver:${id}` })).toEqual([]);
  });

  it("swept while a worker takes its old job, still gets a job that sends it", async () => {
    // A worker started just after a crashed one's jobs were freed: its runner takes the freed
    // job of a message the sweep is requeuing at that moment, finds the message still SENDING
    // (the sweep has not committed), and finishes that job. The sweep must leave a job that runs.
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const id = await taskEmail(volunteer.userId);
    await keepOnlyJobs([`deliver:${id}`]);
    const [oldJob] = await listJobs({ key: `deliver:${id}` });
    expect(oldJob).toBeDefined();
    const dead = await workerConnection();
    await claim(dead, id);
    await crash(dead);

    // The other worker's fetch is locking the old job (not yet committed)…
    const other = await workerConnection();
    await other.query("BEGIN");
    await other.query(
      "UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'other-worker' WHERE id = $1",
      [oldJob!.id],
    );
    // …while the sweep requeues the message: it waits for that fetch at its job.
    const swept = sweep();
    for (let i = 0; ; i++) {
      const { rowCount } = await pool.query(
        "SELECT 1 FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()",
      );
      if (rowCount) break;
      if (i > 250) throw new Error("The sweep never waited for the worker's fetch");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The old job runs before the sweep commits: the message is still SENDING to it.
    expect(await deliverMessage({ messageId: id })).toEqual({
      outcome: "skipped",
      reason: "being sent",
    });
    await other.query("COMMIT");
    expect(await swept).toEqual([id]);
    // The other worker records that job as done, as graphile-worker completes a job.
    await pool.query("DELETE FROM graphile_worker._private_jobs WHERE id = $1", [oldJob!.id]);
    expect(await statusOf(id)).toBe("QUEUED");

    expect(await runJobsOnce()).toEqual([]);
    await smtp.waitForMail(volunteer.email, { timeoutMs: 5_000 });
    expect(await db.message.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "SENT",
      attempts: 1,
    });
    expect(mailTo(volunteer.email)).toHaveLength(1);
    expect(await jobsAbout(id)).toEqual([]);
  });

  it("a crash between the send and recording SENT is the one way a message goes twice", async () => {
    const setup = await createLadderCampaign();
    const beforeSend = await joinVolunteer(setup);
    const afterSend = await joinVolunteer(setup);
    const afterRecord = await joinVolunteer(setup);
    const ids = {
      beforeSend: await taskEmail(beforeSend.userId),
      afterSend: await taskEmail(afterSend.userId),
      afterRecord: await taskEmail(afterRecord.userId),
    };
    await keepOnlyJobs([]);
    const mail = (to: string) => ({ to, subject: "Your task", html: "<p>Go</p>", text: "Go" });

    // Dies after its claim, before the send.
    const one = await workerConnection();
    await claim(one, ids.beforeSend);
    await crash(one);

    // Dies after the SMTP server accepted the message, before recording SENT.
    const two = await workerConnection();
    await claim(two, ids.afterSend);
    expect((await sendEmail(mail(afterSend.email))).ok).toBe(true);
    await crash(two);

    // Dies after recording SENT.
    const three = await workerConnection();
    await claim(three, ids.afterRecord);
    expect((await sendEmail(mail(afterRecord.email))).ok).toBe(true);
    await finishSending({
      client: three,
      id: ids.afterRecord,
      unlock: true,
      jobMaxAttempts: DELIVERY_JOB_MAX_ATTEMPTS,
      outcome: {
        status: "SENT",
        at: new Date(),
        transport: "smtp",
        providerId: null,
        content: mail(afterRecord.email),
      },
    });
    await crash(three);

    expect((await sweep()).sort()).toEqual([ids.beforeSend, ids.afterSend].sort());
    expect(await runJobsOnce()).toEqual([]);
    await smtp.waitForMail(beforeSend.email, { timeoutMs: 5_000 });
    await smtp.waitForMail(afterSend.email, { timeoutMs: 5_000 });
    await smtp.waitForMail(afterSend.email, { timeoutMs: 5_000 });
    for (const id of Object.values(ids)) expect(await statusOf(id)).toBe("SENT");
    expect(mailTo(beforeSend.email)).toHaveLength(1);
    expect(mailTo(afterSend.email)).toHaveLength(2);
    expect(mailTo(afterRecord.email)).toHaveLength(1);
  });

  it("counts against the weekly cap while it is being sent", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const now = new Date();
    const day = 24 * 60 * 60 * 1000;
    // Two nudges this week; the cap is three.
    await recordSentNudges(volunteer.userId, [
      new Date(now.getTime() - 3 * day),
      new Date(now.getTime() - 2 * day),
    ]);
    const first = await taskEmail(volunteer.userId);
    const second = await db.message.create({
      select: { id: true },
      data: {
        userId: volunteer.userId,
        organisationId: setup.organisation.id,
        assignmentId: volunteer.assignmentId,
        channel: "EMAIL",
        kind: "TASK_ASSIGNED",
        dedupeKey: `second:${volunteer.assignmentId}:EMAIL`,
        toAddress: volunteer.email,
        bodyText: "Your task",
      },
    });

    const worker = await workerConnection();
    await claim(worker, first);
    const result = await deliverMessage({ messageId: second.id, now });
    expect(result).toMatchObject({ outcome: "held", reason: "weekly limit reached" });
    expect(result.outcome === "held" && result.until.getTime()).toBe(now.getTime() + 4 * day);
    expect(mailTo(volunteer.email)).toHaveLength(0);
    await crash(worker);
  });
});
