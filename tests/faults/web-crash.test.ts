import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReporters, reportForm, storedReports } from "./data.ts";
import {
  buildApp,
  kill,
  mapLimit,
  Processes,
  seconds,
  send,
  waitForHealthy,
  webEnv,
  waitForOutput,
  type Answer,
} from "./helpers.ts";
import { db } from "~/utils/db.server.ts";

/**
 * The web process (`npm run web`, the production build) killed with SIGKILL in the middle of a
 * burst of report POSTs, as a crash, an OOM kill or a lost machine would end it.
 *
 * What the report form promises (app/loop/service.server.ts submitReport): the report, the closed
 * task, the next task and its jobs commit in one transaction, and the form's hidden idempotency
 * key makes a retried POST count once. So: every POST that was answered with success is stored,
 * once; a POST that got no answer may or may not have been stored (the commit can land just
 * before the kill), and the browser sending it again with the same key stores it, once. A POST
 * answered with the "sorry" page (500: the transaction gave up under load) stored nothing, and is
 * sent again the same way.
 */

const PORT = 3301;
const BASE = `http://127.0.0.1:${PORT}`;
const TOTAL = 1_000;
const CONCURRENCY = 10;
const KILL_AFTER = 400;

const processes = new Processes();
let appDir = "";

beforeAll(async () => {
  appDir = await buildApp();
});

afterAll(async () => {
  await processes.killAll();
});

function startWeb(name: string) {
  return processes.web(name, {
    appDir,
    env: webEnv({ port: PORT, databaseUrl: process.env.DATABASE_URL ?? "" }),
  });
}

/** A success answer to a report POST: the redirect to the task's thank-you page. */
function accepted(answer: Answer) {
  return answer.ok && answer.status >= 200 && answer.status < 400;
}

describe("the web process under faults", () => {
  it("kill -9 during 1,000 report POSTs: every answered report is stored once, and so is every retried one", async () => {
    processes.printOutputOnFailure();
    const t0 = Date.now();
    const { campaign, reporters } = await createReporters(TOTAL);
    const keys = reporters.map(() => randomUUID());
    const assignmentIds = reporters.map((reporter) => reporter.assignmentId);
    console.log(`[faults] ${TOTAL} volunteers with an open task, signed in, in ${seconds(t0)}`);

    const post = (index: number) => {
      const reporter = reporters[index]!;
      return send(`${BASE}/tasks/${reporter.assignmentId}/report`, {
        method: "POST",
        cookie: reporter.cookie,
        form: reportForm(keys[index]!),
        origin: BASE,
      });
    };

    const first = startWeb("web 1");
    await waitForHealthy(BASE, first);

    // The burst: 10 volunteers at a time; the process is killed once 400 have been answered.
    const t1 = Date.now();
    let answered = 0;
    let killed: Promise<unknown> | undefined;
    let killedAt = Infinity;
    const startedAt: number[] = [];
    const burst = await mapLimit(reporters, CONCURRENCY, async (_, index) => {
      startedAt[index] = Date.now();
      const answer = await post(index);
      if (accepted(answer)) answered++;
      if (answered >= KILL_AFTER && !killed) {
        killedAt = Date.now();
        killed = kill(first, "SIGKILL");
      }
      return answer;
    });
    expect(await killed).toEqual({ code: null, signal: "SIGKILL" });

    const ok = burst.flatMap((answer, index) => (accepted(answer) ? [index] : []));
    const unanswered = burst.flatMap((answer, index) => (answer.ok ? [] : [index]));
    const failed = burst.flatMap((answer, index) =>
      answer.ok && !accepted(answer) ? [index] : [],
    );
    const inFlight = unanswered.filter((index) => (startedAt[index] ?? 0) < killedAt);
    expect(ok.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(inFlight.length).toBeGreaterThan(0);
    for (const index of ok) {
      const answer = burst[index]!;
      expect(answer.ok && answer.location).toBe(`/tasks/${assignmentIds[index]}/thanks`);
    }
    // A refusal under load (the report's transaction gave up) says sorry, and stored nothing.
    for (const index of failed) {
      const answer = burst[index]!;
      expect(answer.ok && answer.status).toBe(500);
      expect(answer.ok && answer.body).toContain("Sorry, something went wrong");
    }

    // The database after the crash: every answered report is there, once, under its own key.
    const afterCrash = await storedReports(assignmentIds);
    const byAssignment = new Map(afterCrash.map((report) => [report.assignmentId, report]));
    expect(byAssignment.size).toBe(afterCrash.length);
    for (const index of ok) {
      expect(byAssignment.get(assignmentIds[index]!)?.idempotencyKey).toBe(keys[index]);
    }
    expect(failed.filter((index) => byAssignment.has(assignmentIds[index]!))).toEqual([]);
    const storedUnanswered = unanswered.filter((index) => byAssignment.has(assignmentIds[index]!));
    expect(afterCrash.length).toBe(ok.length + storedUnanswered.length);
    await expectConsistent(campaign.id, assignmentIds, afterCrash.length);
    console.log(
      `[faults] web 1 killed after ${seconds(t1)} with ${ok.length} reports answered with success` +
        ` (${failed.length} refused with a 500 under load); ${inFlight.length} POSTs in flight at the kill,` +
        ` ${unanswered.length - inFlight.length} refused connection after it;` +
        ` ${storedUnanswered.length} unanswered POST(s) had committed anyway`,
    );

    // The restart; each volunteer who got no answer, or a "sorry", sends the same form again,
    // as often as it takes (a few rounds at most).
    const t2 = Date.now();
    const second = startWeb("web 2");
    await waitForHealthy(BASE, second);
    console.log(`[faults] web 2 healthy ${seconds(t2)} after the restart began`);
    let pending = [...unanswered, ...failed];
    const retriedCount = pending.length;
    let rounds = 0;
    while (pending.length > 0 && rounds < 5) {
      rounds++;
      const answers = await mapLimit(pending, CONCURRENCY, (index) => post(index));
      pending = pending.filter((_, i) => !accepted(answers[i]!));
    }
    expect(pending).toEqual([]);

    // Resent forms that had been answered already (a double submit, a back-and-resubmit) too.
    const again = ok.slice(0, 50);
    const resent = await mapLimit(again, 4, (index) => post(index));
    expect(resent.filter((answer) => !accepted(answer))).toEqual([]);

    const final = await storedReports(assignmentIds);
    expect(final).toHaveLength(TOTAL);
    const finalByAssignment = new Map(final.map((report) => [report.assignmentId, report]));
    expect(finalByAssignment.size).toBe(TOTAL);
    assignmentIds.forEach((id, index) => {
      expect(finalByAssignment.get(id)?.idempotencyKey).toBe(keys[index]);
    });
    await expectConsistent(campaign.id, assignmentIds, TOTAL);
    console.log(
      `[faults] kill -9 web: ${TOTAL} reports stored once each after ${retriedCount} retried ` +
        `(in ${rounds} round(s)) ` +
        `and ${again.length} resent POSTs; total ${seconds(t0)}`,
    );

    expect(await kill(second, "SIGTERM")).toEqual({ code: 0, signal: null });
    expect(second.output()).not.toMatch(/uncaught|unhandled/i);
  }, 600_000);
});

describe("several web processes (WEB_CONCURRENCY)", () => {
  it("one killed with -9 is replaced, the port keeps serving, and SIGTERM stops them all", async () => {
    processes.printOutputOnFailure();
    const total = 200;
    const { campaign, reporters } = await createReporters(total);
    const keys = reporters.map(() => randomUUID());
    const assignmentIds = reporters.map((reporter) => reporter.assignmentId);
    const post = (index: number) =>
      send(`${CLUSTER_BASE}/tasks/${reporters[index]!.assignmentId}/report`, {
        method: "POST",
        cookie: reporters[index]!.cookie,
        form: reportForm(keys[index]!),
        origin: CLUSTER_BASE,
      });

    const web = processes.web("web ×2", {
      appDir,
      env: {
        ...webEnv({ port: CLUSTER_PORT, databaseUrl: process.env.DATABASE_URL ?? "" }),
        WEB_CONCURRENCY: "2",
      },
    });
    await waitForOutput(web, /Onward is running at \S+ \(2 web processes\)/);
    await waitForHealthy(CLUSTER_BASE, web);
    const first = childrenOf(web.pid);
    expect(first).toHaveLength(2);

    // Half the reports, over both processes.
    const half = reporters.slice(0, total / 2).map((_, index) => index);
    const before = await mapLimit(half, CONCURRENCY, (index) => post(index));
    expect(before.filter((answer) => !accepted(answer))).toEqual([]);

    // One of them dies; the first process starts another in its place.
    const t0 = Date.now();
    process.kill(first[0]!, "SIGKILL");
    await waitForOutput(
      web,
      new RegExp(`pid ${first[0]}\\) stopped \\(SIGKILL\\); starting another`),
    );
    const serving = await waitForOutput(web, /A new web process \(pid (\d+)\) is serving/);
    const now = childrenOf(web.pid);
    expect(now).toEqual([first[1]!, Number(serving[1])].sort((a, b) => a - b));
    await waitForHealthy(CLUSTER_BASE, web);
    console.log(`[faults] WEB_CONCURRENCY=2: a killed web process was replaced in ${seconds(t0)}`);

    // The other half, served by the survivor and the newcomer.
    const rest = reporters.slice(total / 2).map((_, index) => index + total / 2);
    const after = await mapLimit(rest, CONCURRENCY, (index) => post(index));
    expect(after.filter((answer) => !accepted(answer))).toEqual([]);
    const stored = await storedReports(assignmentIds);
    expect(stored).toHaveLength(total);
    await expectConsistent(campaign.id, assignmentIds, total);

    // SIGTERM to the first process stops every web process, cleanly.
    expect(await kill(web, "SIGTERM")).toEqual({ code: 0, signal: null });
    expect(now.filter(isAlive)).toEqual([]);
    expect(web.output()).not.toMatch(/uncaught|unhandled/i);
  }, 300_000);
});

const CLUSTER_PORT = 3302;
const CLUSTER_BASE = `http://127.0.0.1:${CLUSTER_PORT}`;

/** The pids of a web process's web children (Linux /proc), not tsx's esbuild service. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing bracket.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (ppid === pid && command.includes("app/server/index.ts")) children.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return children.sort((a, b) => a - b);
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One transaction per report, seen from outside: as many tasks closed as reports stored, as many
 * next tasks opened, as many thank-and-next jobs queued. A half-applied report would break one.
 */
async function expectConsistent(campaignId: string, assignmentIds: string[], reports: number) {
  const reported = await db.assignment.count({
    where: { id: { in: assignmentIds }, status: "REPORTED" },
  });
  const stillOpen = await db.assignment.count({
    where: { id: { in: assignmentIds }, status: "ASSIGNED" },
  });
  const next = await db.assignment.count({
    where: { campaignId, previousId: { in: assignmentIds } },
  });
  const [jobs] = await db.$queryRaw<Array<{ count: bigint }>>`
    SELECT count(*) AS count FROM graphile_worker._private_jobs
    WHERE key = ANY(${assignmentIds.map((id) => `thanks:${id}`)}::text[])`;
  expect({ reported, stillOpen, next, jobs: Number(jobs?.count ?? -1) }).toEqual({
    reported: reports,
    stillOpen: assignmentIds.length - reports,
    next: reports,
    jobs: reports,
  });
}
