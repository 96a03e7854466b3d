import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { startTestServer, type TestServer } from "./authz-matrix-app.ts";
import { revokeSession } from "~/models/session.server.ts";
import { db, pool } from "~/utils/db.server.ts";
import { getCurrentUser, getCurrentUserAndAssignment } from "~/utils/session.server.ts";

/**
 * What one page costs the database, through the real Express app: a page has two loaders (the
 * root's and its own) that both ask who is signed in, and that must be one lookup, not two
 * (Remix hands every loader the request itself: patches/@remix-run+server-runtime+2.17.5.patch).
 */

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

/** The named statements sent on the pool while `run` runs, by name. */
async function namedQueries(run: () => Promise<unknown>) {
  const names: string[] = [];
  const spy = vi.spyOn(pool, "query");
  try {
    await run();
    for (const [config] of spy.mock.calls) {
      const name = (config as { name?: unknown }).name;
      if (typeof name === "string") names.push(name);
    }
  } finally {
    spy.mockRestore();
  }
  return names;
}

describe("a volunteer's task page", () => {
  it("is one statement: who is signed in and their task, read together", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup);
    const cookie = await sessionCookie(userId);
    for (const [path, text] of [
      [`/tasks/${assignmentId}`, "Report back"],
      [`/tasks/${assignmentId}/report`, "Send my report"],
      [`/tasks/${assignmentId}/skip`, "I can&#x27;t do this task"],
    ] as const) {
      const names = await namedQueries(async () => {
        const page = await server.send({ path, cookie });
        expect(page.status).toBe(200);
        expect(page.text).toContain(text);
      });
      expect(names).toEqual(["onward-active-session-assignment"]);
    }
  });

  it("is not found, in that one statement, when the task is someone else's", async () => {
    const setup = await createLadderCampaign();
    const mine = await joinVolunteer(setup);
    const theirs = await joinVolunteer(setup);
    const cookie = await sessionCookie(mine.userId);
    const names = await namedQueries(async () => {
      const page = await server.send({ path: `/tasks/${theirs.assignmentId}`, cookie });
      expect(page.status).toBe(404);
      expect(page.text).not.toContain("Report back");
    });
    expect(names).toEqual(["onward-active-session-assignment"]);
    // Not signed in: to the sign-in page, and back to the task after.
    const signedOut = await server.send({ path: `/tasks/${mine.assignmentId}/report` });
    expect(signedOut.status).toBe(302);
    expect(signedOut.location).toBe(
      `/sign-in?${new URLSearchParams({ redirectTo: `/tasks/${mine.assignmentId}/report` })}`,
    );
  });

  it("reads the task on its own when it is asked for after the person was found", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup);
    const other = await joinVolunteer(setup);
    const cookie = await sessionCookie(userId);
    const request = new Request(`http://127.0.0.1/tasks/${assignmentId}`, {
      headers: { Cookie: cookie },
    });
    const names = await namedQueries(async () => {
      expect((await getCurrentUser(request))?.id).toBe(userId);
      const { user, assignment } = await getCurrentUserAndAssignment(request, assignmentId);
      expect(user?.id).toBe(userId);
      expect(assignment?.id).toBe(assignmentId);
      expect(assignment?.status).toBe("ASSIGNED");
      // Another assignment, asked for later: read on its own, and not theirs.
      const again = await getCurrentUserAndAssignment(request, other.assignmentId);
      expect(again.assignment).toBeNull();
    });
    expect(names).toEqual([
      "onward-active-session",
      "onward-volunteer-assignment",
      "onward-volunteer-assignment",
    ]);
  });

  it("takes a cookie checked before only with its session still live, and never a forged one", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup);
    const cookie = await sessionCookie(userId);
    const path = `/tasks/${assignmentId}`;
    expect((await server.send({ path, cookie })).status).toBe(200);
    // One character of the signed value changed: refused, though the real one was just seen.
    const at = cookie.length - 5;
    const forged = cookie.slice(0, at) + (cookie[at] === "A" ? "B" : "A") + cookie.slice(at + 1);
    const refused = await server.send({ path, cookie: forged });
    expect(refused.status).toBe(302);
    expect(refused.location).toMatch(/^\/sign-in/);
    expect((await server.send({ path, cookie })).status).toBe(200);
    // Signed out elsewhere: the same cookie, already checked once, no longer signs anyone in.
    const session = await db.session.findFirstOrThrow({
      select: { id: true },
      where: { userId },
      orderBy: { createdAt: "desc" },
    });
    await revokeSession({ sessionId: session.id });
    const after = await server.send({ path, cookie });
    expect(after.status).toBe(302);
    expect(after.location).toMatch(/^\/sign-in/);
  });
});

/** A page's text without its per-request CSP nonces. */
const withoutNonces = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""');

describe("a page's encoding", () => {
  it("is Brotli or gzip as the browser asks, compressed whole, and plain otherwise", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup);
    const cookie = await sessionCookie(userId);
    const path = `/tasks/${assignmentId}`;
    const as = (acceptEncoding: string) =>
      server.send({ path, cookie, headers: { "Accept-Encoding": acceptEncoding } });
    const plain = await as("identity");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const size = Number(plain.headers.get("content-length"));
    expect(size).toBe(Buffer.byteLength(plain.text));
    for (const [asked, expected] of [
      ["gzip, deflate, br", "br"],
      ["gzip, deflate", "gzip"],
      ["br;q=0, gzip", "gzip"],
      ["identity", null],
      // Not ours to make: the compression middleware still serves it, streamed.
      ["deflate", "deflate"],
    ] as const) {
      const page = await as(asked);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-encoding")).toBe(expected);
      expect(page.headers.get("vary")).toMatch(/Accept-Encoding/i);
      // The same page (fetch decodes it), in fewer bytes when encoded.
      expect(withoutNonces(page.text)).toBe(withoutNonces(plain.text));
      if (expected === "deflate") continue;
      // Compressed whole, so its length is known (the middleware would stream it, without one).
      expect(page.headers.get("content-length")).toMatch(/^\d+$/);
      const sent = Number(page.headers.get("content-length"));
      if (expected) expect(sent).toBeLessThan(size / 2);
      else expect(sent).toBe(size);
    }
  });
});

describe("a page's render", () => {
  /** What Remix streams in after the document, for React in the browser to start from. */
  const BROWSER_DATA = "window.__remixContext.streamController.enqueue(";

  it("leaves React's data out of a volunteer page, and keeps it on an organiser's", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup);
    const volunteer = await sessionCookie(userId);
    const page = await server.send({ path: `/tasks/${assignmentId}`, cookie: volunteer });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/^<!DOCTYPE html><html lang="en-GB">/);
    expect(page.text).toContain("Report back");
    expect(page.text).not.toContain(BROWSER_DATA);
    expect(page.text).not.toContain("modulepreload");
    // A volunteer page's error page (here a 404 from its loader) is plain HTML too.
    const missing = await server.send({ path: "/tasks/no-such-task", cookie: volunteer });
    expect(missing.status).toBe(404);
    expect(missing.text).toMatch(/^<!DOCTYPE html>/);
    expect(missing.text).not.toContain(BROWSER_DATA);

    const owner = await createUser({ name: "Olu" });
    await addMember({ userId: owner.id, organisationId: setup.organisation.id, role: "OWNER" });
    const organiser = await server.send({ path: "/org", cookie: await sessionCookie(owner.id) });
    expect(organiser.status).toBe(200);
    expect(organiser.text).toMatch(/^<!DOCTYPE html>/);
    expect(organiser.text).toContain(BROWSER_DATA);
    expect(organiser.text).toContain(`/org/campaigns/${setup.campaign.id}`);
  });
});

describe("a volunteer's report", () => {
  it("is four statements: who is signed in, the rate limits, one read of the task and one write", async () => {
    const setup = await createLadderCampaign();
    const { userId, assignmentId } = await joinVolunteer(setup);
    const cookie = await sessionCookie(userId);
    const names = await namedQueries(async () => {
      const sent = await server.send({
        method: "POST",
        path: `/tasks/${assignmentId}/report`,
        cookie,
        form: { doors: "12", outcome: "Well", would_lead: "no", idempotencyKey: "pq-key-00001" },
      });
      expect(sent.status).toBe(302);
      expect(sent.headers.get("location")).toBe(`/tasks/${assignmentId}/thanks`);
    });
    // The task is read once, for the form's fields and the report's decision together, and the
    // report is written without a transaction of several statements around it.
    expect(names).toHaveLength(4);
    expect(names[0]).toBe("onward-active-session");
    expect(names).toContain("onward-rate-consume");
    // The read and the write: statements of the report's own, prepared (app/utils/prepared.ts).
    expect(names.filter((name) => /^onward-[0-9a-f]{20}$/.test(name))).toHaveLength(2);
    expect(names).not.toContain("onward-volunteer-assignment");
    expect(await db.report.count({ where: { assignmentId } })).toBe(1);
  });
});
