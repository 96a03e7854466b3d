import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { nameTag } from "./helpers";

/**
 * WCAG 2.2 AA checks that axe (run on every page load by ./fixtures) can't make: a volunteer's
 * whole loop by keyboard alone, errors announced and linked to their fields, touch targets of at
 * least 24 × 24 px (2.5.8), and text at 200 % without loss (1.4.4) or sideways scrolling at 360 px.
 */

test.describe.configure({ timeout: 90_000 });

/** Presses Tab until `target` has focus, as a keyboard user moves through the page. */
async function tabTo(page: Page, target: Locator, most = 60) {
  const handle = await target.elementHandle();
  if (!handle) throw new Error("Nothing to tab to");
  for (let i = 0; i < most; i++) {
    await page.keyboard.press("Tab");
    if (await handle.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target.toString()} in ${most} presses`);
}

async function joinByKeyboard(page: Page) {
  const name = `Key${nameTag()}`;
  await page.goto("/join/warmer-homes");
  await tabTo(page, page.getByLabel("Your first name"));
  await page.keyboard.type(name);
  await tabTo(page, page.getByLabel("Email address"));
  await page.keyboard.type(`${name.toLowerCase()}@example.org`);
  await tabTo(page, page.getByLabel("Postcode"));
  await page.keyboard.type("LS6 1AA");
  await tabTo(page, page.getByLabel("By email", { exact: true }));
  await page.keyboard.press("Space");
  await expect(page.getByLabel("By email", { exact: true })).toBeChecked();
  await tabTo(page, page.getByRole("button", { name: "Join and get my first task" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Knock on 20 doors" })).toBeVisible();
  return name;
}

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript on" : "with JavaScript off", () => {
    test.use({ javaScriptEnabled: javaScript });

    test("a volunteer joins, meets an error and reports back by keyboard alone", async ({
      page,
    }) => {
      await joinByKeyboard(page);
      await tabTo(page, page.getByRole("link", { name: "Report back" }));
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { level: 1, name: "Report back" })).toBeVisible();

      // Sent empty: the summary is an alert, lists each problem and links to its field.
      await tabTo(page, page.getByRole("button", { name: /Send|Report/ }).last());
      await page.keyboard.press("Enter");
      const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
      await expect(summary).toBeVisible();
      if (javaScript) await expect(summary).toBeFocused();
      // Away from their questions, the summary's problems each name theirs.
      await expect(summary.getByRole("link")).toHaveText([
        "Answer: How many doors did you knock on?",
        "How did it go? Choose one of the options",
      ]);
      const doors = page.getByLabel("How many doors did you knock on?");
      await expect(doors).toHaveAttribute("aria-invalid", "true");
      // The field says what is wrong in words, not only in colour.
      const described = await doors.getAttribute("aria-describedby");
      expect(described).toBeTruthy();
      const errorText = await page
        .locator(
          described!
            .split(" ")
            .map((id) => `#${id}`)
            .join(", "),
        )
        .allInnerTexts();
      expect(errorText.join(" ")).toMatch(/\w{3,}/);

      const link = summary.getByRole("link").first();
      await tabTo(page, link);
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/#field-/);
      // Following the link puts the keyboard in the field.
      await page.keyboard.type("24");
      await expect(doors).toHaveValue("24");

      await tabTo(page, page.getByLabel("It went well"));
      await page.keyboard.press("Space");
      await expect(page.getByLabel("It went well")).toBeChecked();
      const lead = page.getByRole("group", { name: /Would you lead a small team/ });
      await tabTo(page, lead.getByRole("radio").first());
      await page.keyboard.press("Space");
      await expect(lead.getByRole("radio").first()).toBeChecked();
      await tabTo(page, page.getByRole("button", { name: /Send|Report/ }).last());
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/thanks$/);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    });
  });
}

/** Interactive things smaller than 24 × 24 CSS px, leaving out links inside a line of text. */
function smallTargets(page: Page) {
  return page.evaluate(() => {
    const problems: string[] = [];
    const selector =
      'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"]';
    for (const element of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not shown
      const style = getComputedStyle(element);
      if (style.visibility === "hidden") continue;
      // WCAG 2.5.8's inline exception: a link in a sentence is sized by the line it sits in.
      if (element.tagName === "A" && style.display === "inline") {
        const parent = element.parentElement;
        if (parent && (parent.textContent ?? "").trim() !== (element.textContent ?? "").trim()) {
          continue;
        }
      }
      let width = box.width;
      let height = box.height;
      // A radio or checkbox is also clicked through its label: the two make one target.
      const input = element as HTMLInputElement;
      if ((input.type === "radio" || input.type === "checkbox") && input.labels?.length) {
        const boxes = [box, ...Array.from(input.labels, (label) => label.getBoundingClientRect())];
        width = Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left));
        height = Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top));
      }
      if (width < 24 || height < 24) {
        const name =
          element.getAttribute("aria-label") ??
          (element.textContent ?? "").trim().slice(0, 30) ??
          element.getAttribute("name");
        problems.push(
          `${element.tagName.toLowerCase()} "${name || element.getAttribute("name")}" ${Math.round(width)}×${Math.round(height)}`,
        );
      }
    }
    return problems;
  });
}

/** Content cut off or needing a sideways scroll. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) {
      problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth} px`);
    }
    for (const element of Array.from(document.body.querySelectorAll<HTMLElement>("*"))) {
      const style = getComputedStyle(element);
      const clips = style.overflowX === "hidden" || style.overflowY === "hidden";
      if (!clips || element.getClientRects().length === 0) continue;
      // Text for screen readers only is clipped to a pixel on purpose.
      if (element.clientWidth <= 1 || element.clientHeight <= 1) continue;
      if (
        element.scrollWidth > element.clientWidth + 1 ||
        element.scrollHeight > element.clientHeight + 1
      ) {
        problems.push(`${element.tagName.toLowerCase()}.${element.className} cuts off its content`);
      }
    }
    return problems;
  });
}

test("every volunteer page has touch targets of 24 px or more and reads at 200 % text size", async ({
  page,
}) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await joinByKeyboard(page);
  const taskPath = new URL(page.url()).pathname;
  const pages: Array<[string, () => Promise<unknown>]> = [
    ["task", () => page.goto(taskPath)],
    ["report form", () => page.goto(`${taskPath}/report`)],
    [
      "report form with errors",
      async () => {
        await page.goto(`${taskPath}/report`);
        await page
          .getByRole("button", { name: /Send|Report/ })
          .last()
          .click();
        await expect(page.getByRole("alert")).toBeVisible();
      },
    ],
    ["skip form", () => page.goto(`${taskPath}/skip`)],
    ["my tasks", () => page.goto("/me")],
    ["account", () => page.goto("/account")],
    ["privacy", () => page.goto("/privacy")],
    ["join", () => page.goto("/join/warmer-homes")],
  ];
  for (const [name, open] of pages) {
    await open();
    expect(await smallTargets(page), `${name}: targets under 24 px`).toEqual([]);
    expect(await overflow(page), `${name} at 360 px`).toEqual([]);
    await page.evaluate(() => (document.documentElement.style.fontSize = "200%"));
    expect(await overflow(page), `${name} at 360 px with text at 200 %`).toEqual([]);
    // Bigger text, not just the same text: the heading grew.
    const grown = await page
      .getByRole("heading", { level: 1 })
      .first()
      .evaluate((h) => parseFloat(getComputedStyle(h).fontSize));
    expect(grown, `${name}: heading size at 200 %`).toBeGreaterThanOrEqual(40);
  }
});
