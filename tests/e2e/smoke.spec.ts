import { expect, test } from "./fixtures.ts";

test.describe("smoke", () => {
  test("the home page loads", async ({ page }) => {
    const response = await page.goto("/");
    expect(response?.ok(), `GET / answered ${response?.status()}`).toBe(true);
    await expect(page).toHaveTitle(/\S/);
    await expect(page.getByRole("heading").first()).toBeVisible();
  });

  test("/healthz reports the app and its database up", async ({ request }) => {
    const response = await request.get("/healthz");
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toContain("application/json");
    expect(await response.json()).toMatchObject({ ok: true, db: "up" });
  });

  test("a missing page answers 404 with a heading", async ({ page }) => {
    const response = await page.goto(`/no-such-page-${Date.now()}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading").first()).toBeVisible();
  });
});
