import { expect, test } from "./fixtures";
import {
  joinAndReport,
  livesInDaytime,
  mailWithSubject,
  nameTag,
  organiserAtWarmerHomes,
} from "./helpers";

/**
 * "You said, we did": an organiser writes an update that links one volunteer's report; it goes to
 * that volunteer only (by email, through the outbox, the worker and the contact policy) and shows
 * on their page; another volunteer of the campaign who also reported gets nothing.
 */

test("a 'you said, we did' update reaches only the volunteer whose report it links", async ({
  page,
  browser,
  db,
  readMail,
}) => {
  test.slow(true, "three people, and every page load is checked with axe");
  const tag = nameTag();
  const name = `Una${tag}`;
  const email = `${name.toLowerCase()}@example.org`;
  const feedback = `The bus stop on Elm Road has no shelter (${name}).`;
  const otherName = `Otto${tag}`;
  const otherFeedback = `We need more leaflets (${otherName}).`;

  await joinAndReport(page, name, feedback);
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await joinAndReport(other, otherName, otherFeedback);
  await livesInDaytime(db, email);
  await livesInDaytime(db, `${otherName.toLowerCase()}@example.org`);

  const { desk, page: org } = await organiserAtWarmerHomes({ db, browser, readMail });
  await org.getByRole("link", { name: "Send an update" }).click();
  await expect(org.getByRole("heading", { level: 1, name: /^Updates: / })).toBeVisible();
  await org.getByRole("link", { name: "Write an update" }).click();
  await expect(org.getByRole("heading", { level: 1, name: /^New update: / })).toBeVisible();

  // Sending without a title is refused, with the problem listed at the top.
  await org.getByRole("button", { name: "See who gets it" }).click();
  await expect(org.getByRole("heading", { name: "There is a problem" })).toBeVisible();
  await expect(org.getByLabel("Title")).toHaveAttribute("aria-invalid", "true");

  const title = `A shelter for Elm Road ${tag}`;
  await org.getByLabel("Title").fill(title);
  await org.getByLabel("What you want to tell people").fill("The council puts it up in **March**.");
  await org.getByLabel(/^You said, we did/).check();
  await org.getByLabel("Search what they said").fill(name);
  await org.getByRole("button", { name: "Find contributions" }).click();
  await expect(org.getByText(/^1 contribution,/)).toBeVisible();
  await org.getByRole("checkbox", { name: new RegExp(feedback.replace(/[()]/g, "\\$&")) }).check();
  await org.getByRole("button", { name: "See who gets it" }).click();

  await expect(org.getByRole("heading", { level: 1, name: "Check before you send" })).toBeVisible();
  await expect(org.getByRole("status")).toContainText("1 person");
  const sample = org.getByRole("list", { name: "Some of them" });
  await expect(sample.getByRole("listitem")).toHaveCount(1);
  await expect(sample).toContainText(`${name}, LS6`);
  const beforeSend = Date.now();
  await org.getByRole("button", { name: "Send to 1 person" }).click();
  await expect(org.getByRole("status")).toContainText("Update sent to 1 person");
  await expect(org.getByRole("heading", { level: 3, name: title })).toBeVisible();
  await desk.close();

  // The email, sent by the job worker through the contact policy.
  const mail = await mailWithSubject(readMail, email, new RegExp(`${title}$`), beforeSend);
  expect(mail.text).toContain(feedback);
  // The email carries the words as typed; /me renders their Markdown.
  // Formatted on the page, plain words in the email.
  expect(mail.text).toContain("The council puts it up in March.");
  expect(mail.text).not.toContain("**");

  // The volunteer sees it on their page, with what they said.
  await page.goto("/me");
  await expect(page.getByRole("heading", { level: 2, name: "Updates" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 3, name: title })).toBeVisible();
  await expect(page.getByText(`You said (Knock on 20 doors): ${feedback}`)).toBeVisible();

  // The other volunteer has no update, and nothing was queued for them.
  await other.goto("/me");
  await expect(other.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(other.getByText(title)).toHaveCount(0);
  const queued = await db.query(
    `SELECT count(*)::int AS n FROM "Message" m JOIN "User" u ON u.id = m."userId"
     WHERE m.kind = 'CAMPAIGN_UPDATE' AND u.email = $1`,
    [`${otherName.toLowerCase()}@example.org`],
  );
  expect(queued.rows[0]?.n).toBe(0);
  await otherContext.close();
});
