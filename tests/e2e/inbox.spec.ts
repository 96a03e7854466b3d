import { expect, test } from "./fixtures";
import {
  joinAndReport,
  livesInDaytime,
  mailWithSubject,
  nameTag,
  organiserAtWarmerHomes,
} from "./helpers";

/**
 * The organiser inbox: a volunteer reports with a note for the organisers; an organiser finds it
 * among the unanswered items and replies; the reply reaches the volunteer by email (through the
 * outbox and the job worker) and on their own page.
 */

test("a volunteer's feedback gets a personal reply, by email and on their page", async ({
  page,
  browser,
  db,
  readMail,
}) => {
  test.slow(true, "two people, and every page load is checked with axe");
  const name = `Ines${nameTag()}`;
  const email = `${name.toLowerCase()}@example.org`;
  const feedback = `The gate on Elm Road is broken (${name}).`;

  // The volunteer, on their phone (or desktop), joins and reports back with a note.
  await joinAndReport(page, name, feedback);
  await livesInDaytime(db, email);

  // An organiser of the campaign's organisation opens the inbox and filters to unanswered.
  const { desk, page: org } = await organiserAtWarmerHomes({ db, browser, readMail });
  await org.getByRole("link", { name: "Open the inbox" }).click();
  await expect(org.getByRole("heading", { level: 1, name: /^Inbox: / })).toBeVisible();
  await org.getByLabel("Waiting for an answer only").check();
  await org.getByRole("button", { name: "Show" }).click();
  await expect(org).toHaveURL(/[?&]unanswered=1/);
  await expect(org.getByText("Waiting for an answer", { exact: true }).first()).toBeVisible();
  const card = org.locator(".card", { hasText: feedback });
  await expect(card).toContainText("Waiting for an answer");
  await card.getByRole("link", { name: /^Open/ }).click();
  await expect(
    org.getByRole("heading", { level: 1, name: "Report: Knock on 20 doors" }),
  ).toBeVisible();

  // An empty reply is refused with a message, and nothing is sent.
  await org.getByRole("button", { name: "Send reply" }).click();
  await expect(org.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(org.getByLabel("Your reply")).toHaveAttribute("aria-invalid", "true");

  const reply = `Thank you ${name}, we've told the council about the gate.`;
  const beforeReply = Date.now();
  await org.getByLabel("Your reply").fill(reply);
  await org.getByRole("button", { name: "Send reply" }).click();
  await expect(org.getByRole("status")).toContainText("Reply sent");
  await expect(org.getByText(reply)).toBeVisible();

  // Answered now: it has left the unanswered view.
  await org.getByRole("link", { name: "Back to the inbox" }).click();
  await expect(org).toHaveURL(/[?&]unanswered=1/);
  await expect(org.locator(".card", { hasText: feedback })).toHaveCount(0);
  await desk.close();

  // The email, sent by the job worker through the contact policy.
  const mail = await mailWithSubject(readMail, email, /replied to you$/, beforeReply);
  expect(mail.text).toContain(reply);
  expect(mail.text).toContain(feedback);
  const link = /(https?:\/\/\S+\/me#replies)/.exec(mail.text)?.[1];
  expect(link).toBeTruthy();

  // The volunteer follows the link and sees the reply on their page.
  const url = new URL(link ?? "");
  await page.goto(url.pathname + url.hash);
  await expect(page.getByRole("heading", { name: "Replies to you" })).toBeVisible();
  await expect(page.getByText(reply)).toBeVisible();
  await expect(page.getByText(`You said: ${feedback}`)).toBeVisible();
});
