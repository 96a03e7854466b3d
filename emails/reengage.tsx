import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type ReengageEmailProps = {
  name: string | null;
  campaign: string;
  /** Reports from everyone in the last 30 days. */
  recentReports: number;
  /** "1,204 of 5,000 doors knocked". */
  progress: string;
  link: string;
  unsubscribeLink: string | null;
};

export default function ReengageEmail({
  name,
  campaign,
  recentReports,
  progress,
  link,
  unsubscribeLink,
}: ReengageEmailProps) {
  return (
    <EmailLayout
      preview={`We miss you at ${campaign}. Here's what's happening.`}
      footerText={`You get this email because you took part in ${campaign}. We send it at most twice.`}
    >
      <Heading style={styles.heading}>{name ? `We miss you, ${name}` : "We miss you"}</Heading>
      <Text style={styles.text}>Here's what's happening in {campaign}:</Text>
      <Text style={styles.text}>
        {recentReports === 0
          ? "It has been quiet this month, so your help would make a real difference."
          : `Volunteers reported back ${recentReports.toLocaleString("en-GB")} ${recentReports === 1 ? "time" : "times"} in the last 30 days.`}{" "}
        So far: {progress}.
      </Text>
      <Text style={styles.text}>
        If you have an hour this week, there's a task waiting for you.
      </Text>
      <Button href={link} style={styles.button}>
        Get a task
      </Button>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

ReengageEmail.PreviewProps = {
  name: "Ben",
  campaign: "Warmer Homes for Greenfield",
  recentReports: 86,
  progress: "1,204 of 5,000 doors knocked",
  link: "http://localhost:3000/join/warmer-homes",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies ReengageEmailProps;

export function reengageSubject({ campaign }: Pick<ReengageEmailProps, "campaign">) {
  return `We miss you at ${campaign}`;
}
