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
        { selector: "label", format: "block" },
        { selector: "legend", format: "block" },
        { selector: "button", format: "block" },
        { selector: "table", format: "block" },
        { selector: "tr", format: "block" },
        { selector: "th", format: "block" },
        { selector: "td", format: "block" },
        { selector: "dt", format: "block" },
        { selector: "dd", format: "block" },
        // Shown on lines of their own, and read out apart from their field's label.
        { selector: ".hint", format: "block" },
        { selector: ".field-error", format: "block" },
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
    const slug = setup.campaign.slug;
    const page = async (name: string, path: string, cookie?: string, status = 200) => {
      const sent = await server.send({ path, cookie });
      expect(sent.status, `${name} (${path})`).toBe(status);
      expectPlain(name, pageText(sent.text));
    };
    const post = async (
      name: string,
      path: string,
      form: Record<string, string>,
      status: number,
      cookie?: string,
    ) => {
      const sent = await server.send({ path, method: "POST", form, cookie });
      expect(sent.status, `${name} (${path})`).toBe(status);
      expectPlain(name, pageText(sent.text));
      return sent;
    };

    await page("join", `/join/${slug}`);
    await post("join, sent empty", `/join/${slug}`, {}, 400);
    await page("sign in", "/sign-in");
    await page("privacy", "/privacy");

    const volunteer = await joinVolunteer(setup);
    const cookie = await sessionCookie(volunteer.userId);
    const task = `/tasks/${volunteer.assignmentId}`;
    await page("task (first visit)", `${task}?welcome=1`, cookie);
    await page("report form", `${task}/report`, cookie);
    await post(
      "report form, sent empty",
      `${task}/report`,
      { idempotencyKey: "plain-language-0001" },
      400,
      cookie,
    );
    await post(
      "report form, a number out of range",
      `${task}/report`,
      { doors: "9000", outcome: "Well", idempotencyKey: "plain-language-0002" },
      400,
      cookie,
    );
    await page("skip", `${task}/skip`, cookie);
    await page("your tasks, none done yet", "/me", cookie);
    const sent = await server.send({
      path: `${task}/report`,
      method: "POST",
      form: { doors: "24", outcome: "Well", idempotencyKey: "plain-language-0003" },
      cookie,
    });
    expect(sent.location).toBe(`${task}/thanks`);
    await page("thanks", `${task}/thanks`, cookie);
    await page("task, reported", task, cookie);
    await page("your tasks, one done", "/me", cookie);
    await page("account", "/account", cookie);
    await page("delete your account", "/account/delete", cookie);
    const other = await joinVolunteer(setup);
    await page("someone else's task", `/tasks/${other.assignmentId}`, cookie, 404);
  });

  it("reads plainly where a volunteer signs in, leads a team, stops emails or sees the outcomes", async () => {
    const setup = await createLadderCampaign();
    const page = async (name: string, path: string, cookie?: string) => {
      const sent = await server.send({ path, cookie });
      expect(sent.status, `${name} (${path})`).toBe(200);
      expectPlain(name, pageText(sent.text));
    };
    const lead = await joinVolunteer(setup);
    const member = await joinVolunteer(setup);

    const byEmail = await server.send({
      path: "/sign-in",
      method: "POST",
      form: { identifier: lead.email },
    });
    expect(byEmail.location).toMatch(/^\/sign-in\/sent\?/);
    await page("sign in, link sent", byEmail.location!);
    const byText = await server.send({
      path: "/sign-in",
      method: "POST",
      form: { identifier: lead.phone },
    });
    expect(byText.location).toBe("/sign-in/code");
    const pending = byText.headers.get("Set-Cookie")!.split(";")[0]!;
    await page("sign in, code sent", "/sign-in/code", pending);

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
    await page("your teams", "/team", leadCookie);
    await page("your team", `/team/${promoted.teamId}`, leadCookie);

    const token = makeUnsubscribeToken({ userId: member.userId, channel: "EMAIL" });
    await page("stop emails", `/unsubscribe/${token}`);
    const stopped = await server.send({
      path: `/unsubscribe/${token}`,
      method: "POST",
      form: { intent: "unsubscribe" },
    });
    expect(stopped.status).toBe(200);
    expectPlain("stop emails, done", pageText(stopped.text));

    await db.campaign.update({ where: { id: setup.campaign.id }, data: { isPublic: true } });
    await page("public outcomes", `/p/${setup.campaign.slug}`);
    await page("account deleted", "/account/deleted");
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
