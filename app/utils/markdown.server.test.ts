import { beforeAll, describe, expect, it } from "vitest";
import { reloadEnv } from "~/utils/env.server.ts";
import { markdownToText, renderMarkdown } from "~/utils/markdown.server.ts";

describe("renderMarkdown", () => {
  beforeAll(() => {
    process.env.APP_URL = "https://onward.example.org";
    reloadEnv();
  });

  it("renders emphasis, lists and links", () => {
    const html = renderMarkdown("Knock on *20* doors.\n\n- Never go inside\n- Stop if unsafe");
    expect(html).toContain("<em>20</em>");
    expect(html).toContain("<li>Never go inside</li>");
  });

  it("escapes raw HTML instead of passing it through", () => {
    const html = renderMarkdown('<script>alert(1)</script><img src=x onerror="alert(1)">');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
  });

  it("keeps only http, https and mailto links", () => {
    const html = renderMarkdown(
      "[a](javascript:alert(1)) [b](data:text/html,hi) [c](/relative) [d](mailto:hi@example.org) [e](https://example.org/x)",
    );
    expect(html).not.toMatch(/href="(javascript|data):/);
    expect(html).not.toContain('href="/relative"');
    expect(html).toContain('<a href="mailto:hi@example.org">d</a>');
    expect(html).toContain('<a href="https://example.org/x" rel="noopener noreferrer">e</a>');
  });

  it("marks links to other sites, not our own", () => {
    const html = renderMarkdown(
      "[ours](https://onward.example.org/join/x) and https://elsewhere.example.com/page",
    );
    expect(html).toContain('<a href="https://onward.example.org/join/x">ours</a>');
    expect(html).toContain(
      '<a href="https://elsewhere.example.com/page" rel="noopener noreferrer">https://elsewhere.example.com/page</a>',
    );
  });

  it("starts headings at level 3 and shows no images", () => {
    const html = renderMarkdown("# Safety\n\n## Kit\n\n![map](https://example.org/map.png)");
    expect(html).toContain("<h3>Safety</h3>");
    expect(html).toContain("<h4>Kit</h4>");
    expect(html).not.toContain("<img");
  });
});

describe("markdownToText", () => {
  it("drops emphasis and code marks and keeps paragraphs apart", () => {
    expect(markdownToText("The council puts it up in **March**.\n\nThanks, *all* of `you`.")).toBe(
      "The council puts it up in March.\n\nThanks, all of you.",
    );
  });

  it("keeps a link's address, once", () => {
    expect(markdownToText("Read [the plan](https://example.org/plan) or https://example.org")).toBe(
      "Read the plan (https://example.org/plan) or https://example.org",
    );
    expect(markdownToText("Write to <team@example.org>")).toBe("Write to team@example.org");
  });

  it("numbers and bullets list items, and flattens headings", () => {
    expect(markdownToText("## Next\n\n- doors\n- stalls\n\n3. one\n4. two")).toBe(
      "Next\n\n• doors\n\n• stalls\n\n3. one\n\n4. two",
    );
  });

  it("leaves typed HTML as the words typed, for the email to escape", () => {
    expect(markdownToText("<b>bold</b> & <script>x</script>")).toBe(
      "<b>bold</b> & <script>x</script>",
    );
  });
});
