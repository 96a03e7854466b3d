import { convert } from "html-to-text";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_TEMPLATES, previewTemplate, type TemplateName } from "../../emails/templates.ts";
import { createLadderCampaign } from "../fixtures/ladder.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import { addMember, createUser, sessionCookie } from "../fixtures/people.ts";
import { startTestServer, type TestServer } from "./authz-matrix-app.ts";
import { readability, sentences, syllables, wordsIn } from "./readability.ts";
import { changeTeam, promoteToTeamLead } from "~/models/teams.server.ts";
import { db } from "~/utils/db.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { makeUnsubscribeToken } from "~/utils/unsubscribe.server.ts";

/**
 * Volunteers read Onward on a doorstep, often in a second language: the words we write for them
 * must read at a reading age of about 9 to 11. Every volunteer page, in the states a volunteer
 * meets (errors shown too), and every email a volunteer gets, is read here as a screen reader
 * reads it (the page's main part, one element after another) and measured: its Flesch–Kincaid
 * reading age, and its longest sentence.
 */

const MAX_READING_AGE = 11;
/** Past this, a sentence is hard to follow when it is read out. */
const MAX_WORDS = 25;

/**
 * Elements read as pieces of their own. Hints and field errors are shown on lines of their own and
 * read out apart from their field's label.
 */
const BLOCKS = [
  "label",
  "legend",
  "button",
  "table",
  "tr",
  "th",
  "td",
  "dt",
  "dd",
  ".hint",
  ".field-error",
];

/** The text of a page's main part, one piece per block (heading, paragraph, label, button…). */
function pageText(html: string): string[] {
  return lines(
    convert(html, {
      wordwrap: false,
      baseElements: { selectors: ["main"] },
      selectors: [
        { selector: "a", options: { ignoreHref: true } },
        { selector: "img", format: "skip" },
        { selector: "[hidden]", format: "skip" },
        { selector: "h1", options: { uppercase: false } },
        { selector: "h2", options: { uppercase: false } },
        { selector: "h3", options: { uppercase: false } },
        ...BLOCKS.map((selector) => ({ selector, format: "block" })),
      ],
    }),
  );
}

function lines(text: string) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

const measured: Array<{ name: string; readingAge: number; longest: number; words: number }> = [];

function expectPlain(name: string, pieces: string[]) {
  expect(pieces.length, `${name} has words to read`).toBeGreaterThan(0);
  const result = readability(pieces);
  const longest = Math.max(...sentences(pieces).map((sentence) => wordsIn(sentence).length));
  measured.push({ name, readingAge: result.readingAge, longest, words: result.words });
  expect(
    result.readingAge,
    `${name}: reading age ${result.readingAge.toFixed(1)}\n${pieces.join("\n")}`,
  ).toBeLessThanOrEqual(MAX_READING_AGE);
  const long = sentences(pieces).filter((sentence) => wordsIn(sentence).length > MAX_WORDS);
  expect(long, `${name}: sentences over ${MAX_WORDS} words`).toEqual([]);
}

describe("the measure", () => {
  it("counts syllables as they are said", () => {
    for (const [word, count] of [
      ["knock", 1],
      ["there", 1],
      ["asked", 1],
      ["joined", 1],
      ["wanted", 2],
      ["little", 2],
      ["takes", 1],
      ["organiser", 4],
      ["volunteers", 3],
      ["information", 4],
      ["you're", 1],
    ] as const) {
      expect(syllables(word), word).toBe(count);
    }
  });

  it("gives short plain words a low reading age and long formal ones a high one", () => {
    const plain = readability(["Knock on 20 doors.", "Tell us how it went."]);
    expect(plain.sentences).toBe(2);
    expect(plain.readingAge).toBeLessThan(6);
    const formal = readability([
      "Notwithstanding the aforementioned considerations, participants' personal information " +
        "may subsequently be processed by organisational administrators for legitimate purposes.",
    ]);
    expect(formal.readingAge).toBeGreaterThan(20);
    // Each piece ends a sentence, as a heading or a button does without a full stop.
    expect(sentences(["Report back", "Send my report", "Done. Thank you!"])).toEqual([
      "Report back",
      "Send my report",
      "Done.",
      "Thank you!",
    ]);
    // Addresses and links are not words to read.
    expect(wordsIn("Email pat@example.net or see https://example.org/a-long-path now")).toEqual([
      "Email",
      "or",
      "see",
      "now",
    ]);
  });
});

describe("what volunteers read", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  /** Fetches a page (or sends a form) and measures what it says. */
  async function read(
    name: string,
    request: { path: string; cookie?: string; form?: Record<string, string> },
    status = 200,
  ) {
    const sent = await server.send({
      path: request.path,
      cookie: request.cookie,
      ...(request.form ? { method: "POST" as const, form: request.form } : {}),
    });
    expect(sent.status, `${name} (${request.path})`).toBe(status);
    expectPlain(name, pageText(sent.text));
    return sent;
  }

  afterAll(async () => {
    await server.close();
    // The figures, for docs/plain-language.md.
    console.info(
      measured
        .map(
          (m) =>
            `${m.name}: reading age ${m.readingAge.toFixed(1)}, ${m.words} words, longest sentence ${m.longest}`,
        )
        .join("\n"),
    );
  });

  it("reads plainly on every page a volunteer meets, errors shown too", async () => {
    const setup = await createLadderCampaign();
    const join = `/join/${setup.campaign.slug}`;
    await read("join", { path: join });
    await read("join, sent empty", { path: join, form: {} }, 400);
    await read("sign in", { path: "/sign-in" });
    await read("privacy", { path: "/privacy" });

    const volunteer = await joinVolunteer(setup);
    const cookie = await sessionCookie(volunteer.userId);
    const task = `/tasks/${volunteer.assignmentId}`;
    await read("task (first visit)", { path: `${task}?welcome=1`, cookie });
    await read("report form", { path: `${task}/report`, cookie });
    await read(
      "report form, sent empty",
      { path: `${task}/report`, cookie, form: { idempotencyKey: "plain-language-0001" } },
      400,
    );
    await read(
      "report form, a number out of range",
      {
        path: `${task}/report`,
        cookie,
        form: { doors: "9000", outcome: "Well", idempotencyKey: "plain-language-0002" },
      },
      400,
    );
    await read("skip", { path: `${task}/skip`, cookie });
    await read("your tasks, none done yet", { path: "/me", cookie });
    const sent = await server.send({
      path: `${task}/report`,
      method: "POST",
      form: { doors: "24", outcome: "Well", idempotencyKey: "plain-language-0003" },
      cookie,
    });
    expect(sent.location).toBe(`${task}/thanks`);
    await read("thanks", { path: `${task}/thanks`, cookie });
    await read("task, reported", { path: task, cookie });
    await read("your tasks, one done", { path: "/me", cookie });
    // A report last week and one this week: a streak of two weeks.
    await db.report.update({
      where: { assignmentId: volunteer.assignmentId },
      data: { createdAt: new Date(Date.now() - 7 * 86_400_000) },
    });
    const stall = await db.assignment.findFirstOrThrow({
      select: { id: true },
      where: { userId: volunteer.userId, status: "ASSIGNED" },
    });
    const again = await server.send({
      path: `/tasks/${stall.id}/report`,
      method: "POST",
      form: { signups: "3", idempotencyKey: "plain-language-0004" },
      cookie,
    });
    expect(again.location).toBe(`/tasks/${stall.id}/thanks`);
    const streakThanks = await read("thanks, two weeks in a row", {
      path: `/tasks/${stall.id}/thanks`,
      cookie,
    });
    expect(streakThanks.text.replaceAll("<!-- -->", "")).toContain("2 weeks in a row");
    const streakMe = await read("your tasks, two weeks in a row", { path: "/me", cookie });
    expect(streakMe.text.replaceAll("<!-- -->", "")).toContain("2 weeks in a row");
    await read("account", { path: "/account", cookie });
    await read("delete your account", { path: "/account/delete", cookie });
    const other = await joinVolunteer(setup);
    await read("someone else's task", { path: `/tasks/${other.assignmentId}`, cookie }, 404);
  });

  it("reads plainly where a volunteer signs in, leads a team, stops emails or sees the outcomes", async () => {
    const setup = await createLadderCampaign();
    const lead = await joinVolunteer(setup);
    const member = await joinVolunteer(setup);

    const byEmail = await server.send({
      path: "/sign-in",
      method: "POST",
      form: { identifier: lead.email },
    });
    expect(byEmail.location).toMatch(/^\/sign-in\/sent\?/);
    await read("sign in, link sent", { path: byEmail.location! });
    const byText = await server.send({
      path: "/sign-in",
      method: "POST",
      form: { identifier: lead.phone },
    });
    expect(byText.location).toBe("/sign-in/code");
    const pending = byText.headers.get("Set-Cookie")!.split(";")[0]!;
    await read("sign in, code sent", { path: "/sign-in/code", cookie: pending });

    const organiser = await createUser();
    await addMember({
      userId: organiser.id,
      organisationId: setup.organisation.id,
      role: "ORGANISER",
    });
    const promoted = await promoteToTeamLead({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      userId: lead.userId,
      name: "Elm Street",
    });
    if (!promoted.ok) throw new Error(promoted.message);
    await changeTeam({
      actorId: organiser.id,
      campaignId: setup.campaign.id,
      action: { intent: "add-member", teamId: promoted.teamId, userId: member.userId },
    });
    const leadCookie = await sessionCookie(lead.userId);
    await read("your teams", { path: "/team", cookie: leadCookie });
    await read("your team", { path: `/team/${promoted.teamId}`, cookie: leadCookie });

    const stop = `/unsubscribe/${makeUnsubscribeToken({ userId: member.userId, channel: "EMAIL" })}`;
    await read("stop emails", { path: stop });
    await read("stop emails, done", { path: stop, form: { intent: "unsubscribe" } });

    await db.campaign.update({ where: { id: setup.campaign.id }, data: { isPublic: true } });
    await read("public outcomes", { path: `/p/${setup.campaign.slug}` });
    await read("account deleted", { path: "/account/deleted" });
  });

  const volunteerEmails = (Object.keys(EMAIL_TEMPLATES) as TemplateName[]).filter(
    // The digest goes to owners and organisers.
    (name) => name !== "organiser-digest",
  );

  it.each(volunteerEmails)("reads plainly in the %s email", async (name) => {
    const { element, subject } = previewTemplate(name);
    const { text } = await renderEmail(element);
    expectPlain(`${name} email`, [subject, ...lines(text)]);
  });
});
