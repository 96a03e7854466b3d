import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type FeedbackReplyEmailProps = {
  name: string | null;
  organisation: string;
  campaign: string;
  taskTitle: string;
  /** What the person wrote (their feedback or skip reason), shortened. */
  theirWords: string;
  reply: string;
  link: string;
  unsubscribeLink: string | null;
};

const quote = {
  ...styles.text,
  borderLeft: "4px solid #cccccc",
  paddingLeft: "12px",
  color: "#444444",
};

/** An organiser's personal answer to what a volunteer told them. */
export default function FeedbackReplyEmail({
  name,
  organisation,
  campaign,
  taskTitle,
  theirWords,
  reply,
  link,
  unsubscribeLink,
}: FeedbackReplyEmailProps) {
  return (
    <EmailLayout
      preview={`${organisation} replied to you about ${taskTitle}.`}
      footerText={`You get this email because you wrote to ${organisation} in ${campaign}.`}
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>
        {organisation} read what you said about <strong>{taskTitle}</strong> and replied.
      </Text>
      <Text style={styles.small}>You wrote:</Text>
      <Text style={quote}>{theirWords}</Text>
      <Text style={styles.small}>Their reply:</Text>
      <Section>
        {reply.split(/\n+/).map((paragraph, index) => (
          <Text key={index} style={styles.text}>
            {paragraph}
          </Text>
        ))}
      </Section>
      <Button href={link} style={styles.button}>
        See it on your page
      </Button>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

FeedbackReplyEmail.PreviewProps = {
  name: "Amira",
  organisation: "Greenfield Council",
  campaign: "Warmer Homes for Greenfield",
  taskTitle: "Knock on 20 doors",
  theirWords: "We ran out of leaflets halfway down Elm Street.",
  reply: "Thank you for telling us. We've put a box of 200 in the library for you to collect.",
  link: "http://localhost:3000/me#replies",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies FeedbackReplyEmailProps;

export function feedbackReplySubject({
  organisation,
}: Pick<FeedbackReplyEmailProps, "organisation">) {
  return `${organisation} replied to you`;
}
