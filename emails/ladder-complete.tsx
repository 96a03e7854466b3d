import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type LadderCompleteEmailProps = {
  name: string | null;
  campaign: string;
  /** The organisers' closing words for the last task, or the default. */
  endMessage: string;
  link: string;
  unsubscribeLink: string | null;
};

export default function LadderCompleteEmail({
  name,
  campaign,
  endMessage,
  link,
  unsubscribeLink,
}: LadderCompleteEmailProps) {
  return (
    <EmailLayout
      preview={`Thank you from ${campaign}`}
      footerText={`You get this email because you take part in ${campaign}.`}
    >
      <Heading style={styles.heading}>{name ? `Thank you, ${name}!` : "Thank you!"}</Heading>
      <Text style={styles.text}>{endMessage}</Text>
      <Text style={styles.text}>
        You've done every task in {campaign}. Everything you reported is part of the total.
      </Text>
      <Button href={link} style={styles.button}>
        See what you did
      </Button>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

LadderCompleteEmail.PreviewProps = {
  name: "Amira",
  campaign: "Warmer Homes for Greenfield",
  endMessage: "You've finished every task in this campaign. Thank you!",
  link: "http://localhost:3000/me",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies LadderCompleteEmailProps;

export function ladderCompleteSubject({ campaign }: Pick<LadderCompleteEmailProps, "campaign">) {
  return `Thank you from ${campaign}`;
}
