import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMAIL_TEMPLATES, TEMPLATE_NAMES } from "../../emails/templates.ts";
import { joinVolunteer } from "../fixtures/nudges.ts";
import {
  createWorld,
  sessionCookie,
  startTestServer,
  type TestServer,
  type Who,
  type World,
} from "./authz-matrix-app.ts";
import { parseFields } from "~/loop/engine.ts";
import { db } from "~/utils/db.server.ts";
import { renderEmail } from "~/utils/email.server.ts";
import { renderMarkdown } from "~/utils/markdown.server.ts";

/**
 * Every place people's own words are shown (names, campaign and task titles, ground rules, Markdown
 * instructions, questions and choices, skip reasons, report feedback, organisation names, emails)
 * renders hostile text as text: no script runs, no handler or javascript: link appears. The pages
 * come from the real app, the emails from the real templates.
 */

/** Hostile text, tagged so each page can be shown to have rendered it. */
function hostile(tag: string) {
  return (
    `${tag} <script>alert('${tag}')</script><img src=x onerror=alert('${tag}')>` +
    `<a href="javascript:alert('${tag}')">${tag}</a>"'><svg/onload=alert('${tag}')>` +
    `</textarea></title><iframe src="javascript:alert('${tag}')"></iframe>`
  );
}

/** Hostile text short enough for a question (200), a hint (300) or a choice (100). */
function hostileShort(tag: string) {
  return `${tag}<script>alert(1)</script><img src=x onerror=alert(1)>"'`;
}

const MARKDOWN = [
  "## Heading <script>alert('xss-md')</script>",
  "[click](javascript:alert('xss-md')) [upper](JAVASCRIPT:alert(1)) [spaced](  javascript:alert(1))",
  "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [tab](jav&#x09;ascript:alert(1))",
  "<img src=x onerror=alert('xss-md')> ![pic](https://evil.example/track.png)",
  "<javascript:alert('xss-md')> <a href=\"javascript:alert('xss-md')\">raw</a>",
  "[fine](https://example.org/ok) xss-md-end",
].join("\n\n");

const DANGEROUS_TAGS = new Set([
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "base",
]);

function decodeEntities(value: string) {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/**
 * The problems in an HTML document that would let injected text run: a script without this
 * response's nonce, an event-handler attribute, a javascript:/vbscript:/data:text/html address,
 * a frame or plugin tag, an image from elsewhere, or a raw fragment of the hostile text.
 */
function scriptHazards(
  html: string,
  { nonce, allowFrames = false }: { nonce: string | null; allowFrames?: boolean },
) {
  const problems: string[] = [];
  for (const raw of [
    "<script>alert(",
    "<img src=x",
    "<svg/onload",
    '<iframe src="javascript',
    '<a href="javascript',
  ]) {
    if (html.includes(raw)) problems.push(`raw text: ${raw}`);
  }
  const tag =
    /<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s=>/"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*\/?>/g;
  const attribute = /([^\s=>/"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?/g;
  for (const [whole, rawName, attrs] of html.matchAll(tag)) {
    const name = (rawName ?? "").toLowerCase();
    const found = new Map<string, string>();
    for (const [, attrName, attrValue] of (attrs ?? "").matchAll(attribute)) {
      const value = (attrValue ?? "").replace(/^["']|["']$/g, "");
      found.set((attrName ?? "").toLowerCase(), decodeEntities(value));
    }
    const show = whole.slice(0, 120);
    if (name === "script" && (nonce === null || found.get("nonce") !== nonce)) {
      problems.push(`script without the nonce: ${show}`);
    }
    if (DANGEROUS_TAGS.has(name) && !allowFrames) problems.push(`<${name}>: ${show}`);
    if (name === "img" && !/^(\/|data:image\/)/.test(found.get("src") ?? "")) {
      problems.push(`image from elsewhere: ${show}`);
    }
    if (name === "meta" && (found.get("http-equiv") ?? "").toLowerCase() === "refresh") {
      problems.push(`meta refresh: ${show}`);
    }
    for (const [attrName, value] of found) {
      if (attrName.startsWith("on")) problems.push(`event handler ${attrName}: ${show}`);
      if (
        ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"].includes(attrName)
      ) {
        // Browsers ignore control characters and spaces in a scheme.
        const squeezed = [...value]
          .filter((char) => char.charCodeAt(0) > 0x20)
          .join("")
          .toLowerCase();
        if (/^(javascript|vbscript):|^data:text\/html/.test(squeezed)) {
          problems.push(`${attrName}=${value.slice(0, 40)}: ${show}`);
        }
      }
      if (attrName === "style" && /expression\(|javascript:/i.test(value)) {
        problems.push(`style: ${show}`);
      }
    }
  }
  return problems;
}

function nonceOf(headers: Headers) {
  return /'nonce-([^']+)'/.exec(headers.get("Content-Security-Policy") ?? "")?.[1] ?? null;
}

let server: TestServer;
let world: World;

beforeAll(async () => {
  server = await startTestServer();
  world = await createWorld();

  // People's names.
  for (const who of ["volunteer", "teamLead", "organiser", "owner"] as const) {
    await db.user.update({
      where: { id: world.ids[who] },
      data: { name: hostile(`xss-name-${who}`) },
    });
  }
  await db.organisation.update({
    where: { id: world.orgA.id },
    data: { name: hostile("xss-org") },
  });
  await db.campaign.update({
    where: { id: world.campaign.id },
    data: {
      title: hostile("xss-campaign"),
      description: hostile("xss-description"),
      whyTakePart: hostile("xss-why"),
      whatWeDo: hostile("xss-what"),
      whatIsOpen: hostile("xss-open"),
      metricLabel: hostile("xss-metric"),
    },
  });
  // Every task's current version: title, Markdown instructions, place, questions and choices.
  const tasks = await db.task.findMany({
    select: { currentVersionId: true },
    where: { campaignId: world.campaign.id },
  });
  for (const task of tasks) {
    const version = await db.taskVersion.findUniqueOrThrow({
      where: { id: task.currentVersionId ?? "" },
    });
    const fields = parseFields(version.fields).map((field) => ({
      ...field,
      label: hostileShort("xss-label"),
      hint: hostileShort("xss-hint"),
      ...(field.type === "choice"
        ? { options: [hostileShort("xss-option-a"), hostileShort("xss-option-b")] }
        : {}),
    }));
    await db.taskVersion.update({
      where: { id: version.id },
      data: {
        title: hostile("xss-task"),
        instructions: MARKDOWN,
        location: hostile("xss-location"),
        fields,
        rules: { ...(version.rules as object), endMessage: hostile("xss-end") },
      },
    });
  }

  // A second volunteer skips their task with a hostile reason, through the real form.
  const other = await joinVolunteer({
    organisation: world.orgA,
    campaign: world.campaign,
    ids: world.tasks,
  });
  const skipped = await server.send({
    method: "POST",
    path: `/tasks/${other.assignmentId}/skip`,
    cookie: await sessionCookie(other.userId),
    form: { reason: hostile("xss-skip").slice(0, 480), idempotencyKey: "xss-skip-key" },
  });
  expect(skipped.status).toBe(302);
});

afterAll(async () => {
  await server.close();
});

type Page = { name: string; path: (w: World) => string; who: Who; shows: string[] };

/** Each page and the hostile texts it shows. */
const PAGES: Page[] = [
  {
    name: "/join/:slug",
    path: (w) => `/join/${w.campaign.slug}`,
    who: "signedOut",
    shows: ["xss-campaign", "xss-description", "xss-why", "xss-what", "xss-open", "xss-org"],
  },
  {
    name: "/join/:slug",
    path: (w) => `/join/${w.campaign.slug}`,
    who: "teamLead",
    shows: ["xss-name-teamLead"],
  },
  {
    name: "/tasks/:id?welcome=1",
    path: (w) => `/tasks/${w.openAssignmentId}?welcome=1`,
    who: "volunteer",
    shows: ["xss-name-volunteer", "xss-task", "xss-md", "xss-location", "xss-campaign", "xss-why"],
  },
  {
    name: "/tasks/:id/report",
    path: (w) => `/tasks/${w.openAssignmentId}/report`,
    who: "volunteer",
    shows: ["xss-task", "xss-label", "xss-hint"],
  },
  {
    name: "/tasks/:id/skip",
    path: (w) => `/tasks/${w.openAssignmentId}/skip`,
    who: "volunteer",
    shows: ["xss-task"],
  },
  {
    name: "/tasks/:id/thanks",
    path: (w) => `/tasks/${w.reportedAssignmentId}/thanks`,
    who: "volunteer",
    shows: ["xss-campaign", "xss-task"],
  },
  { name: "/me", path: () => "/me", who: "volunteer", shows: ["xss-task", "xss-campaign"] },
  { name: "/account", path: () => "/account", who: "volunteer", shows: ["xss-name-volunteer"] },
  { name: "/org", path: () => "/org", who: "owner", shows: ["xss-campaign", "xss-org"] },
  {
    name: "/org/campaigns/:id",
    path: (w) => `/org/campaigns/${w.campaign.id}`,
    who: "owner",
    shows: ["xss-campaign", "xss-description", "xss-task"],
  },
  {
    name: "/org/campaigns/:id/edit",
    path: (w) => `/org/campaigns/${w.campaign.id}/edit`,
    who: "owner",
    shows: ["xss-campaign", "xss-why"],
  },
  {
    name: "/org/campaigns/:id/tasks/:taskId",
    path: (w) => `/org/campaigns/${w.campaign.id}/tasks/${w.tasks.doors}`,
    who: "owner",
    shows: ["xss-task", "xss-md", "xss-label", "xss-option-a"],
  },
  {
    name: "/org/campaigns/:id/tasks/:taskId/preview",
    path: (w) => `/org/campaigns/${w.campaign.id}/tasks/${w.tasks.doors}/preview`,
    who: "owner",
    shows: ["xss-task", "xss-md", "xss-label", "xss-option-a", "xss-location"],
  },
  {
    name: "/org/campaigns/:id/reports",
    path: (w) => `/org/campaigns/${w.campaign.id}/reports`,
    who: "owner",
    shows: ["xss-campaign", "xss-task", "xss-skip"],
  },
  {
    name: "/org/campaigns/:id/poster",
    path: (w) => `/org/campaigns/${w.campaign.id}/poster`,
    who: "owner",
    shows: ["xss-campaign"],
  },
  {
    name: "/org/people",
    path: (w) => `/org/people?org=${w.orgA.id}`,
    who: "owner",
    shows: ["xss-name-volunteer"],
  },
  {
    name: "/org/people/:userId",
    path: (w) => `/org/people/${w.volunteer.id}`,
    who: "owner",
    shows: ["xss-name-volunteer"],
  },
  {
    name: "/org/reports",
    path: (w) => `/org/reports?org=${w.orgA.id}`,
    who: "owner",
    shows: ["xss-campaign"],
  },
  {
    name: "/org/settings",
    path: (w) => `/org/settings?org=${w.orgA.id}`,
    who: "owner",
    shows: ["xss-org"],
  },
  { name: "/dev/outbox", path: () => "/dev/outbox", who: "signedOut", shows: [] },
];

describe("pages showing people's own words", () => {
  it.each(PAGES.map((page) => [`${page.name} as ${page.who}`, page] as const))(
    "%s: hostile text is shown as text",
    async (_label, page) => {
      const response = await server.send({
        path: page.path(world),
        cookie: world.cookies[page.who],
      });
      expect(response.status).toBe(200);
      for (const shown of page.shows) expect(response.text).toContain(shown);
      // Everything hostile that made it onto the page came out escaped.
      if (page.shows.length > 0) expect(response.text).toContain("&lt;script&gt;");
      expect(scriptHazards(response.text, { nonce: nonceOf(response.headers) })).toEqual([]);
    },
  );

  it("Markdown instructions keep their safe parts and lose every dangerous one", () => {
    const html = renderMarkdown(MARKDOWN);
    expect(html).toContain('<a href="https://example.org/ok"');
    expect(html).toContain("<h4>");
    expect(scriptHazards(html, { nonce: null })).toEqual([]);
  });

  it("the hazard check itself finds each kind of hazard", () => {
    // A check that can't fail proves nothing: feed it what it must catch.
    expect(scriptHazards('<p>fine</p><script nonce="n">ok()</script>', { nonce: "n" })).toEqual([]);
    for (const bad of [
      "<script>alert(1)</script>",
      '<script nonce="other">x()</script>',
      '<img src="https://evil.example/x.png">',
      '<p onclick="x()">hi</p>',
      '<a href=" JaVa\tScript:alert(1)">x</a>',
      '<a href="java&#x09;script:alert(1)">x</a>',
      '<iframe src="/x"></iframe>',
      '<object data="data:text/html,hi"></object>',
      '<meta http-equiv="refresh" content="0;url=https://evil.example">',
      '<div style="background:url(javascript:alert(1))"></div>',
      "<svg/onload=alert(1)>",
    ]) {
      expect([bad, scriptHazards(bad, { nonce: "n" }).length > 0]).toEqual([bad, true]);
    }
  });
});

describe("emails", () => {
  /** Every text a template shows, made hostile; addresses (links) are ours and stay as they are. */
  function hostileProps(value: unknown, key: string): unknown {
    if (typeof value === "string")
      return /link|url|href/i.test(key) ? value : hostile(`xss-mail-${key}`);
    if (Array.isArray(value)) return value.map((item) => hostileProps(item, key));
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => [name, hostileProps(item, name)]),
      );
    }
    return value;
  }

  it.each(TEMPLATE_NAMES)("%s renders hostile names, titles and words as text", async (name) => {
    const template = EMAIL_TEMPLATES[name] as {
      element: (props: object) => Parameters<typeof renderEmail>[0];
      previewProps: object;
    };
    const props = hostileProps(template.previewProps, "") as object;
    const { html, text } = await renderEmail(template.element(props));
    const strings = Object.entries(template.previewProps).filter(
      ([key, value]) => typeof value === "string" && !/link|url|href/i.test(key),
    );
    expect(strings.length).toBeGreaterThan(0);
    expect(html).toContain("&lt;script&gt;");
    expect(html).toMatch(/xss-mail-/);
    expect(scriptHazards(html, { nonce: null })).toEqual([]);
    // The plain-text part carries the words as they are: it is never read as HTML.
    expect(text).toMatch(/xss-mail-/);
  });
});
