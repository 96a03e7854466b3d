import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type OrganiserDigestEmailProps = {
  name: string | null;
  organisation: string;
  /** "17 to 23 November". */
  week: string;
  newVolunteers: number;
  reports: number;
  suppressed: number;
  /** The same counts for the week before, to say what changed. */
  lastWeek: { newVolunteers: number; reports: number; suppressed: number };
  campaigns: Array<{
    title: string;
    metricLabel: string;
    target: number;
    total: number;
    thisWeek: number;
    lastWeek: number;
  }>;
  link: string;
  unsubscribeLink: string | null;
};

const number = (value: number) => value.toLocaleString("en-GB");
const plural = (count: number, one: string, many: string) =>
  `${number(count)} ${count === 1 ? one : many}`;

/** "up 12 on last week", "down 3 on last week", "the same as last week". */
export function changeOnLastWeek(now: number, before: number) {
  if (now === before) return "the same as last week";
  return `${now > before ? "up" : "down"} ${number(Math.abs(now - before))} on last week`;
}

export default function OrganiserDigestEmail({
  name,
  organisation,
  week,
  newVolunteers,
  reports,
  suppressed,
  lastWeek,
  campaigns,
  link,
  unsubscribeLink,
}: OrganiserDigestEmailProps) {
  return (
    <EmailLayout
      preview={`${organisation}, ${week}: ${plural(reports, "report", "reports")}, ${plural(newVolunteers, "new volunteer", "new volunteers")}`}
      footerText={`You get this email every Monday because you organise ${organisation} on Onward.`}
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>
        Your week at {organisation} ({week}):
      </Text>
      <Text style={styles.text}>
        {plural(newVolunteers, "new volunteer", "new volunteers")} ·{" "}
        {plural(reports, "report", "reports")} ·{" "}
        {plural(suppressed, "message not sent", "messages not sent")} (opt-outs, limits or bounces)
      </Text>
      <Text style={styles.text}>
        What changed: new volunteers {changeOnLastWeek(newVolunteers, lastWeek.newVolunteers)};
        reports {changeOnLastWeek(reports, lastWeek.reports)}; messages not sent{" "}
        {changeOnLastWeek(suppressed, lastWeek.suppressed)}.
      </Text>
      {campaigns.length === 0 ? (
        <Text style={styles.text}>No campaign is live at the moment.</Text>
      ) : (
        <Section>
          {campaigns.map((campaign) => (
            <Text key={campaign.title} style={styles.text}>
              <strong>{campaign.title}</strong>: {number(campaign.total)} of{" "}
              {number(campaign.target)} {campaign.metricLabel} (
              {campaign.target > 0
                ? `${Math.min(100, Math.floor((campaign.total / campaign.target) * 100))}%`
                : "no target"}
              ), {number(campaign.thisWeek)} this week (
              {changeOnLastWeek(campaign.thisWeek, campaign.lastWeek)}).
            </Text>
          ))}
        </Section>
      )}
      <Button href={link} style={styles.button}>
        Open your campaigns
      </Button>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

OrganiserDigestEmail.PreviewProps = {
  name: "Olu",
  organisation: "Greenfield Community Action",
  week: "16 to 22 November",
  newVolunteers: 12,
  reports: 87,
  suppressed: 3,
  lastWeek: { newVolunteers: 9, reports: 95, suppressed: 3 },
  campaigns: [
    {
      title: "Warmer Homes for Greenfield",
      metricLabel: "doors knocked",
      target: 5000,
      total: 1204,
      thisWeek: 312,
      lastWeek: 280,
    },
  ],
  link: "http://localhost:3000/org",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies OrganiserDigestEmailProps;

export function organiserDigestSubject({
  organisation,
  reports,
  newVolunteers,
}: Pick<OrganiserDigestEmailProps, "organisation" | "reports" | "newVolunteers">) {
  return `Your week at ${organisation}: ${plural(reports, "report", "reports")}, ${plural(newVolunteers, "new volunteer", "new volunteers")}`;
}
