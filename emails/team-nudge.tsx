import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type TeamNudgeEmailProps = {
  /** The member's first name, or null. */
  name: string | null;
  /** The team lead's first name. */
  leadName: string;
  team: string;
  campaign: string;
  organisation: string;
  /** What the team lead wrote, as typed; shown as plain text. */
  message: string;
  link: string;
  unsubscribeLink: string | null;
};

const quote = {
  ...styles.text,
  borderLeft: "4px solid #0b5c3b",
  paddingLeft: "12px",
};

/** A team lead's short message to everyone in their team. */
export default function TeamNudgeEmail({
  name,
  leadName,
  team,
  campaign,
  organisation,
  message,
  link,
  unsubscribeLink,
}: TeamNudgeEmailProps) {
  return (
    <EmailLayout
      preview={`${leadName} sent your team a message.`}
      footerText={`You get this email because you are in the team ${team} for ${campaign} with ${organisation}.`}
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>
        {leadName}, who leads your team <strong>{team}</strong>, sent everyone in it a message:
      </Text>
      <Section>
        {message
          .split(/\n+/)
          .map((line) => line.trim())
          .filter(Boolean)
          .map((line, index) => (
            <Text key={index} style={quote}>
              {line}
            </Text>
          ))}
      </Section>
      <Button href={link} style={styles.button}>
        See your tasks
      </Button>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

TeamNudgeEmail.PreviewProps = {
  name: "Amira",
  leadName: "Tariq",
  team: "Elm Street knockers",
  campaign: "Warmer Homes for Greenfield",
  organisation: "Greenfield Residents",
  message: "Shall we do Elm Street together on Saturday at 10? Meet at the library.",
  link: "http://localhost:3000/me",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies TeamNudgeEmailProps;

export function teamNudgeSubject({
  leadName,
  team,
}: Pick<TeamNudgeEmailProps, "leadName" | "team">) {
  return `${leadName} from ${team} sent you a message`;
}
