import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { REPO_ROOT } from "../setup/postgres.ts";
import { startSmtpCapture, type SmtpCapture } from "../setup/smtp.ts";
import { db } from "~/utils/db.server.ts";

/**
 * `npm run worker` as production runs it: its own process, graphile-worker loading jobs/tasks/*.ts
 * through tsx, the crontab, LISTEN/NOTIFY for new jobs, and a clean stop on SIGTERM.
 */

let smtp: SmtpCapture;
let worker: ChildProcess | undefined;
let output = "";

function waitFor(pattern: RegExp, timeoutMs: number) {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (pattern.test(output)) return resolve();
      if (worker?.exitCode !== null && worker?.exitCode !== undefined) {
        return reject(new Error(`The worker exited (${worker.exitCode}):\n${output}`));
      }
      if (Date.now() - started > timeoutMs) {
        return reject(new Error(`Timed out waiting for ${pattern}:\n${output}`));
      }
      setTimeout(check, 50);
    };
    check();
  });
}

beforeAll(async () => {
  smtp = await startSmtpCapture();
});

afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill("SIGKILL");
  await smtp.close();
});

describe("the standalone worker process", () => {
  it("starts, delivers a queued message through SMTP, and stops cleanly on SIGTERM", async () => {
    worker = spawn(process.execPath, ["--import", "tsx", "jobs/worker.ts"], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        SMTP_URL: smtp.url,
        RUN_WORKER: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(/Onward worker is running/, 30_000);

    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const mail = await smtp.waitForMail(volunteer.email, { timeoutMs: 15_000 });
    expect(mail.subject).toBe("Your next task: Knock on 20 doors");
    const stored = await db.message.findFirstOrThrow({
      where: { userId: volunteer.userId, kind: "TASK_ASSIGNED" },
    });
    // The row is committed just after the mail is accepted.
    for (
      let i = 0;
      i < 50 &&
      (await db.message.findUniqueOrThrow({ where: { id: stored.id } })).status !== "SENT";
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await db.message.findUniqueOrThrow({ where: { id: stored.id } })).status).toBe("SENT");

    const exited = new Promise<number | null>((resolve) => worker?.once("exit", resolve));
    worker.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("Stopping the worker (SIGTERM)");
    expect(output).not.toMatch(/failed|error/i);
  }, 60_000);
});
