import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type CampaignUpdateEmailProps = {
  /** The person's first name, or "there". */
  name: string;
  organisation: string;
  campaign: string;
  title: string;
  /** The update's words as plain text (its Markdown flattened), in paragraphs. */
  body: string;
  /** For a "you said, we did" update: what the person told the organisers, shortened. */
  theySaid: string | null;
  link: string;
  unsubscribeLink: string | null;
};

const quote = {
  ...styles.text,
  borderLeft: "4px solid #cccccc",
  paddingLeft: "12px",
  color: "#444444",
};

export default function CampaignUpdateEmail({
  name,
  organisation,
  campaign,
  title,
  body,
  theySaid,
  link,
  unsubscribeLink,
}: CampaignUpdateEmailProps) {
  return (
    <EmailLayout
      preview={`${campaign}: ${title}`}
      footerText={`You get this email because you take part in ${campaign} with ${organisation}.`}
    >
      <Text style={styles.text}>Hello {name},</Text>
      <Heading style={styles.heading}>{title}</Heading>
      {theySaid ? (
        <>
          <Text style={styles.small}>You told us:</Text>
          <Text style={quote}>{theySaid}</Text>
          <Text style={styles.text}>Here is what we did:</Text>
        </>
      ) : null}
      <Section>
        {body
          .split(/\n\s*\n/)
          .map((paragraph) => paragraph.trim())
          .filter(Boolean)
          .map((paragraph, index) => (
            <Text key={index} style={styles.text}>
              {paragraph}
            </Text>
          ))}
      </Section>
      <Button href={link} style={styles.button}>
        See your updates
      </Button>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

CampaignUpdateEmail.PreviewProps = {
  name: "Amira",
  organisation: "Greenfield Residents",
  campaign: "Warmer Homes for Greenfield",
  title: "You said, we did: the bus stop",
  body: "We took your notes to the council.\n\nThe shelter goes up in March.",
  theySaid: "The bus stop on Elm Road has no shelter.",
  link: "http://localhost:3000/me#updates",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies CampaignUpdateEmailProps;

export function campaignUpdateSubject({
  campaign,
  title,
}: Pick<CampaignUpdateEmailProps, "campaign" | "title">) {
  return `${campaign}: ${title}`;
}
