import { afterAll, describe, expect, it } from "vitest";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import {
  arrivals,
  createDueMessages,
  expectNoJobsLeft,
  messageStatuses,
  waitUntilAllSent,
} from "./data.ts";
import { kill, Processes, seconds, sleep, waitForOutput } from "./helpers.ts";
import { db } from "~/utils/db.server.ts";

/**
 * The SMTP server away for a minute, with the real worker process trying all along: every message
 * waits (each failed attempt is recorded and retried with graphile-worker's backoff, none is given
 * up), and once the server is back on the same port, each goes out exactly once.
 */

const SMTP_PORT = 2701;
const TOTAL = 200;
const OUTAGE_MS = 60_000;

const processes = new Processes();
let smtp: SmtpCapture | undefined;

afterAll(async () => {
  await processes.killAll();
  await smtp?.close();
});

describe("the SMTP server under faults", () => {
  it("down for a minute: every message waits, then goes out once", async () => {
    processes.printOutputOnFailure();
    const ids = await createDueMessages(TOTAL);
    const worker = processes.worker("worker", {
      ...process.env,
      SMTP_URL: `smtp://127.0.0.1:${SMTP_PORT}`,
    });
    await waitForOutput(worker, /Onward worker is running/);

    // A minute with nothing listening on the port: every message tried, none sent, none given up.
    const t0 = Date.now();
    await sleep(OUTAGE_MS);
    expect(worker.running()).toBe(true);
    const tried = await db.message.findMany({
      select: { status: true, attempts: true },
      where: { id: { in: ids } },
    });
    expect(tried.filter((row) => row.status !== "QUEUED")).toEqual([]);
    expect(tried.filter((row) => row.attempts < 1)).toEqual([]);
    const attempts = tried.map((row) => row.attempts);
    console.log(
      `[faults] SMTP down ${seconds(t0)}: ${TOTAL} messages QUEUED, ${Math.min(...attempts)}–${Math.max(...attempts)} failed attempts each`,
    );

    // The server comes back on the same port.
    smtp = await startSmtpCapture({ port: SMTP_PORT });
    const t1 = Date.now();
    await waitUntilAllSent(ids, [worker], 240_000);
    await sleep(200);
    console.log(`[faults] SMTP back: all ${TOTAL} SENT ${seconds(t1)} later`);

    const seen = arrivals(smtp, ids);
    expect(seen.missing).toEqual([]);
    expect(seen.duplicated).toEqual([]);
    expect(seen.strangers).toBe(0);
    expect(smtp.messages).toHaveLength(TOTAL);
    expect(await messageStatuses(ids)).toEqual({ SENT: TOTAL });
    await expectNoJobsLeft(ids);

    expect(await kill(worker, "SIGTERM")).toEqual({ code: 0, signal: null });
  });
});
