import { describe, expect, it } from "vitest";
import { sessionCookie } from "../fixtures/people.ts";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { OFFLINE_SYNC_HEADER } from "~/enhance/protocol.ts";
import { action as reportAction } from "~/routes/tasks.$id.report.tsx";
import { db } from "~/utils/db.server.ts";

/**
 * The server side of offline report-back (docs/decisions/011): the phone replays a saved report
 * as the same urlencoded form, with the same idempotency key, marked by a header.
 */

const context = { cspNonce: "test" };

async function sendReport({
  userId,
  assignmentId,
  fields,
  offline,
}: {
  userId: string;
  assignmentId: string;
  fields: Record<string, string>;
  offline: boolean;
}) {
  const request = new Request(`http://localhost:3000/tasks/${assignmentId}/report`, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers: {
      Cookie: await sessionCookie(userId),
      Origin: "http://localhost:3000",
      "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
      ...(offline ? { [OFFLINE_SYNC_HEADER]: "1" } : {}),
    },
  });
  return reportAction({ request, params: { id: assignmentId }, context }).catch(
    (thrown: unknown) => {
      if (thrown instanceof Response) return thrown;
      throw thrown;
    },
  );
}

function statusOf(result: unknown) {
  if (result instanceof Response) return result.status;
  return (result as { init?: { status?: number } | null }).init?.status ?? 200;
}

function reportsOf(assignmentId: string) {
  return db.report.findMany({
    select: { source: true, idempotencyKey: true, values: true },
    where: { assignmentId },
  });
}

const answers = { doors: "24", outcome: "Well", would_lead: "no" };

describe("a report sent from the phone's offline queue", () => {
  it("is stored once as OFFLINE_SYNC, however often the phone sends it", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const fields = { ...answers, idempotencyKey: "offline-key-0001" };

    const first = await sendReport({ ...volunteer, fields, offline: true });
    expect(statusOf(first)).toBe(302);
    expect((first as Response).headers.get("Location")).toBe(
      `/tasks/${volunteer.assignmentId}/thanks`,
    );
    // The answer was lost on the way, so the phone sends it again: the same result, no new row.
    const again = await sendReport({ ...volunteer, fields, offline: true });
    expect((again as Response).headers.get("Location")).toBe(
      `/tasks/${volunteer.assignmentId}/thanks`,
    );

    expect(await reportsOf(volunteer.assignmentId)).toEqual([
      {
        source: "OFFLINE_SYNC",
        idempotencyKey: "offline-key-0001",
        values: { doors: 24, outcome: "Well", would_lead: false },
      },
    ]);
    expect(
      await db.assignment.count({
        where: { previousId: volunteer.assignmentId, status: "ASSIGNED" },
      }),
    ).toBe(1);
  });

  it("is stored as WEB when sent by the form itself", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    await sendReport({
      ...volunteer,
      fields: { ...answers, idempotencyKey: "online-key-0001" },
      offline: false,
    });
    expect(await reportsOf(volunteer.assignmentId)).toMatchObject([{ source: "WEB" }]);
  });

  it("is refused with a reason when the task was reported meanwhile with another form", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    await sendReport({
      ...volunteer,
      fields: { ...answers, doors: "12", idempotencyKey: "laptop-key-0001" },
      offline: false,
    });

    const late = await sendReport({
      ...volunteer,
      fields: { ...answers, idempotencyKey: "phone-key-00001" },
      offline: true,
    });
    expect(statusOf(late)).toBe(409);
    expect(JSON.stringify((late as { data: unknown }).data)).toContain(
      "You've already reported back on this task.",
    );
    expect(await reportsOf(volunteer.assignmentId)).toEqual([
      {
        source: "WEB",
        idempotencyKey: "laptop-key-0001",
        values: { doors: 12, outcome: "Well", would_lead: false },
      },
    ]);
  });

  it("is refused with the form's messages when its answers can't be used, and changes nothing", async () => {
    const setup = await createLadderCampaign();
    const volunteer = await joinVolunteer(setup);
    const refused = await sendReport({
      ...volunteer,
      fields: { ...answers, doors: "900", idempotencyKey: "phone-key-00002" },
      offline: true,
    });
    expect(statusOf(refused)).toBe(400);
    expect(JSON.stringify((refused as { data: unknown }).data)).toContain(
      "Enter a number from 0 to 500",
    );
    expect(await reportsOf(volunteer.assignmentId)).toEqual([]);
  });
});
