import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLadderCampaign, DOORS_LADDER } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { sessionCookie } from "../fixtures/people.ts";
import { startTestServer, type TestServer } from "./authz-matrix-app.ts";
import { submitReport } from "~/loop/service.server.ts";
import { db } from "~/utils/db.server.ts";

/** One task that, once reported, is given again: a volunteer can report every week. */
const WEEKLY_LADDER = [
  {
    key: "doors",
    title: "Knock on 20 doors",
    // The doors question of the demo ladder's first task.
    fields: DOORS_LADDER[0]!.fields.slice(0, 1),
    rules: (ids: Record<string, string>) => ({ defaultNext: ids.doors ?? null }),
  },
];

const DAY = 86_400_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/**
 * A volunteer (on UTC, so a week is seven days whatever the date) who reported `daysAgo` days
 * ago, once for each; returns their cookie and the assignment of their last report.
 */
async function reporter(daysAgo: number[]) {
  const setup = await createLadderCampaign(WEEKLY_LADDER);
  const volunteer = await joinVolunteer(setup, {
    timezone: "Etc/UTC",
    now: new Date(Date.now() - 60 * DAY),
  });
  let assignmentId = volunteer.assignmentId;
  let last = assignmentId;
  for (const [index, ago] of daysAgo.entries()) {
    const sent = await submitReport({
      assignmentId,
      userId: volunteer.userId,
      values: { doors: 10 },
      feedback: null,
      idempotencyKey: `streak-${assignmentId}`,
      source: "WEB",
      now: new Date(Date.now() - ago * DAY - index * 1000),
    });
    if (!sent.ok) throw new Error(sent.error);
    // Reports are stamped by the database's clock: move this one to its day.
    await db.report.update({
      where: { assignmentId },
      data: { createdAt: new Date(Date.now() - ago * DAY) },
    });
    last = assignmentId;
    assignmentId = sent.nextAssignmentId ?? "";
  }
  return { cookie: await sessionCookie(volunteer.userId), last, userId: volunteer.userId };
}

async function text(path: string, cookie: string) {
  const response = await server.send({ path, cookie });
  expect(response.status, path).toBe(200);
  return response.text.replaceAll("<!-- -->", "").replaceAll("&#x27;", "'");
}

describe("a volunteer's streak of weeks", () => {
  it("counts the weeks in a row with a report, this week included", async () => {
    const { cookie, last } = await reporter([14, 7, 0]);
    const me = await text("/me", cookie);
    expect(me).toContain("You've reported back <strong>3 weeks in a row</strong>. Keep it going!");
    const thanks = await text(`/tasks/${last}/thanks`, cookie);
    expect(thanks).toContain("That's <strong>3 weeks in a row</strong> you've reported back.");
  });

  it("keeps last week's streak, and asks for this week's report", async () => {
    const { cookie } = await reporter([21, 14, 7]);
    const me = await text("/me", cookie);
    expect(me).toContain(
      "You've reported back <strong>3 weeks in a row</strong>. Send a report this week to make it 4.",
    );
  });

  it("urges nothing on when there is no task left to report on", async () => {
    const { cookie, userId } = await reporter([14, 7]);
    // Their open task closed unreported: nothing to report on this week.
    await db.assignment.updateMany({
      where: { userId, status: "ASSIGNED" },
      data: { status: "EXPIRED", closedAt: new Date() },
    });
    const me = await text("/me", cookie);
    expect(me).toContain("You've reported back <strong>2 weeks in a row</strong>.</p>");
    expect(me).not.toContain("this week");
  });

  it("says nothing of a streak after a week without a report, nor of a single week", async () => {
    for (const days of [[14, 0], [0], [21, 14]]) {
      const { cookie, last } = await reporter(days);
      expect(await text("/me", cookie), `${days}`).not.toContain("in a row");
      expect(await text(`/tasks/${last}/thanks`, cookie), `${days}`).not.toContain("in a row");
    }
  });
});
