import { expect, test } from "./fixtures";
import {
  joinAndReport,
  livesInDaytime,
  mailWithSubject,
  nameTag,
  organiserAtWarmerHomes,
} from "./helpers";

/**
 * Champions and teams: an organiser makes a volunteer a team lead from the champions list and puts
 * another volunteer in the team; the team lead (still signed in from joining) finds the team from
 * their page and sends a nudge, which reaches the member by email through the outbox, the worker
 * and the contact policy. The lead's page shows first names only.
 */

test("an organiser makes a champion team lead, who nudges their team by email", async ({
  page,
  browser,
  db,
  readMail,
}) => {
  test.slow(true, "three people, and every page load is checked with axe");
  const tag = nameTag();
  const leadName = `Lena${tag}`;
  const memberName = `Milo${tag}`;
  const memberEmail = `${memberName.toLowerCase()}@example.org`;
  const teamName = `Elm Street ${tag}`;

  await joinAndReport(page, leadName);
  const memberContext = await browser.newContext();
  const member = await memberContext.newPage();
  await joinAndReport(member, memberName);
  await memberContext.close();
  await livesInDaytime(db, memberEmail);

  const { campaignId, desk, page: org } = await organiserAtWarmerHomes({ db, browser, readMail });
  await org.getByRole("link", { name: "Find your champions" }).click();
  await expect(org.getByRole("heading", { level: 1, name: "Champions" })).toBeVisible();
  // Each has one report: rank everyone with at least one.
  await org.getByLabel("At least this many reports").selectOption("1");
  await org.getByRole("button", { name: "Show" }).click();
  await expect(org.getByRole("table")).toBeVisible();
  // Other specs' volunteers share the campaign, so the lead may be on a later page: their row's
  // "Make team lead" link is the page's address with ?promote=<them>.
  const lead = await db.query(`SELECT id FROM "User" WHERE email = $1`, [
    `${leadName.toLowerCase()}@example.org`,
  ]);
  await org.goto(
    `/org/campaigns/${campaignId}/champions?sort=on-time&min=1&promote=${String(lead.rows[0]?.id)}`,
  );
  await expect(
    org.getByRole("heading", { level: 2, name: `Make ${leadName} a team lead` }),
  ).toBeVisible();
  await org.getByLabel("Team name").fill(teamName);
  await org.getByRole("button", { name: "Make team lead" }).click();
  await expect(org.getByRole("heading", { level: 1, name: "Teams" })).toBeVisible();
  await expect(org.getByRole("status")).toContainText("Team created");
  const team = org.getByRole("region", { name: teamName });
  await team
    .getByLabel("Add someone taking part")
    .selectOption({ label: `${memberName} (LS6) · 1 report` });
  await team.getByRole("button", { name: `Add to ${teamName}` }).click();
  await expect(org.getByRole("status")).toContainText("Added to the team");
  await expect(org.getByRole("link", { name: memberName })).toBeVisible();
  await desk.close();

  // The new team lead, still signed in from joining, finds their team from their page.
  await page.goto("/me");
  await page.getByRole("link", { name: "See your team and send them a nudge" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your team" })).toBeVisible();
  await page.getByRole("link", { name: teamName }).click();
  await expect(page.getByRole("heading", { level: 1, name: teamName })).toBeVisible();
  const members = page.getByRole("table");
  await expect(members.getByRole("rowheader", { name: memberName })).toBeVisible();
  await expect(page.getByText(memberEmail)).toHaveCount(0);

  const message = `Shall we do Elm Street together on Saturday? (${tag})`;
  const beforeSend = Date.now();
  await page.getByLabel("Your message").fill(message);
  await page.getByRole("button", { name: "Send to your team" }).click();
  await expect(page.getByRole("status")).toContainText("Your nudge is on its way to 1 person");

  const mail = await mailWithSubject(readMail, memberEmail, /sent you a message$/, beforeSend);
  expect(mail.text).toContain(message);
  expect(mail.text).toContain(`Hello ${memberName},`);
});
