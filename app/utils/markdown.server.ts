import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import { getEnv } from "~/utils/env.server.ts";

/**
 * Markdown written by organisers (task instructions), rendered for volunteers.
 *
 * Raw HTML is escaped, images are off (the CSP only allows our own images, and a remote image
 * would tell another site who read the task), and only http, https and mailto links are kept.
 * Headings start at level 3 so they sit under the page's own h1 and h2.
 */
const SAFE_LINK = /^(https?:|mailto:)/i;
const HEADING_SHIFT = 2;

let renderer: InstanceType<typeof MarkdownIt> | undefined;

function appOrigin(): string | null {
  try {
    return new URL(getEnv().APP_URL).origin;
  } catch {
    return null;
  }
}

function createRenderer() {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
  md.disable(["image"]);
  md.validateLink = (url) => SAFE_LINK.test(url.trim());

  md.renderer.rules.link_open = (tokens, index, options, _env, self) => {
    const token = tokens[index];
    const href = token?.attrGet("href");
    if (token && typeof href === "string" && /^https?:/i.test(href)) {
      let origin: string | null = null;
      try {
        origin = new URL(href).origin;
      } catch {
        origin = null;
      }
      if (origin !== appOrigin()) token.attrSet("rel", "noopener noreferrer");
    }
    return self.renderToken(tokens, index, options);
  };

  const shiftHeading = (tokens: Token[], index: number) => {
    const token = tokens[index];
    if (!token) return;
    const level = Number(token.tag.slice(1));
    if (Number.isInteger(level)) token.tag = `h${Math.min(6, level + HEADING_SHIFT)}`;
  };
  md.renderer.rules.heading_open = (tokens, index, options, _env, self) => {
    shiftHeading(tokens, index);
    return self.renderToken(tokens, index, options);
  };
  md.renderer.rules.heading_close = (tokens, index, options, _env, self) => {
    shiftHeading(tokens, index);
    return self.renderToken(tokens, index, options);
  };
  return md;
}

/**
 * Rendered text, newest last: a task's instructions are shown on every visit to its page, and
 * the same text always renders the same (task versions never change).
 */
const rendered = new Map<string, string>();
const RENDERED_MAX = 500;

/** Organiser-written Markdown as safe HTML. */
export function renderMarkdown(text: string): string {
  // Links to other sites get rel=noopener, so the site's own address is part of the key.
  const key = `${appOrigin() ?? ""}\n${text}`;
  const cached = rendered.get(key);
  if (cached !== undefined) return cached;
  renderer ??= createRenderer();
  const html = renderer.render(text);
  if (rendered.size >= RENDERED_MAX) rendered.delete(rendered.keys().next().value!);
  rendered.set(key, html);
  return html;
}
