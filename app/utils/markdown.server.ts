import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import { BoundedMap } from "~/utils/bounded-map";
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
const rendered = new BoundedMap<string, string>(500);

/** Organiser-written Markdown as safe HTML. */
export function renderMarkdown(text: string): string {
  // Links to other sites get rel=noopener, so the site's own address is part of the key.
  const key = `${appOrigin() ?? ""}\n${text}`;
  const cached = rendered.get(key);
  if (cached !== undefined) return cached;
  renderer ??= createRenderer();
  const html = renderer.render(text);
  rendered.set(key, html);
  return html;
}

/**
 * Organiser-written Markdown as plain text, for an email's paragraphs: emphasis and code marks go,
 * a link keeps its address in brackets, list items start with a bullet or their number, and
 * blocks are separated by a blank line. Raw HTML stays as the words it was typed as.
 */
export function markdownToText(text: string): string {
  renderer ??= createRenderer();
  const blocks: string[] = [];
  const lists: Array<{ ordered: boolean; next: number }> = [];
  let prefix = "";
  for (const token of renderer.parse(text, {})) {
    switch (token.type) {
      case "bullet_list_open":
        lists.push({ ordered: false, next: 1 });
        break;
      case "ordered_list_open":
        lists.push({ ordered: true, next: Number(token.attrGet("start") ?? 1) });
        break;
      case "bullet_list_close":
      case "ordered_list_close":
        lists.pop();
        break;
      case "list_item_open": {
        const list = lists.at(-1);
        prefix = list?.ordered ? `${list.next++}. ` : "• ";
        break;
      }
      case "inline": {
        const words = inlineText(token.children ?? []).trim();
        if (words) blocks.push(prefix + words);
        prefix = "";
        break;
      }
      case "fence":
      case "code_block":
      case "html_block": {
        const words = token.content.trim();
        if (words) blocks.push(prefix + words);
        prefix = "";
        break;
      }
    }
  }
  return blocks.join("\n\n");
}

function inlineText(children: Token[]): string {
  let out = "";
  const links: Array<{ href: string; from: number }> = [];
  for (const child of children) {
    switch (child.type) {
      case "text":
      case "code_inline":
      case "html_inline":
        out += child.content;
        break;
      case "softbreak":
      case "hardbreak":
        out += "\n";
        break;
      case "link_open":
        links.push({ href: String(child.attrGet("href") ?? ""), from: out.length });
        break;
      case "link_close": {
        const link = links.pop();
        const label = link ? out.slice(link.from) : "";
        const href = link?.href.replace(/^mailto:/i, "") ?? "";
        if (href && label.trim() !== href) out += ` (${href})`;
        break;
      }
    }
  }
  return out;
}
