import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type ThanksNextEmailProps = {
  name: string | null;
  campaign: string;
  /** The task they just reported on. */
  doneTitle: string;
  nextTitle: string;
  due: string;
  link: string;
  unsubscribeLink: string | null;
};

export default function ThanksNextEmail({
  name,
  campaign,
  doneTitle,
  nextTitle,
  due,
  link,
  unsubscribeLink,
}: ThanksNextEmailProps) {
  return (
    <EmailLayout
      preview={`Thank you! Your next task: ${nextTitle}`}
      footerText={`You get this email because you take part in ${campaign}.`}
    >
      <Heading style={styles.heading}>{name ? `Thank you, ${name}!` : "Thank you!"}</Heading>
      <Text style={styles.text}>
        Your report on <strong>{doneTitle}</strong> is in, and it counts towards {campaign}.
      </Text>
      <Text style={styles.text}>Your next task:</Text>
      <Text style={{ ...styles.text, fontSize: "20px", fontWeight: "bold" }}>{nextTitle}</Text>
      <Text style={styles.text}>{due}.</Text>
      <Button href={link} style={styles.button}>
        Open your next task
      </Button>
      <Text style={styles.small}>
        Or copy this address into your browser: <Link href={link}>{link}</Link>
      </Text>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

ThanksNextEmail.PreviewProps = {
  name: "Amira",
  campaign: "Warmer Homes for Greenfield",
  doneTitle: "Knock on 20 doors",
  nextTitle: "Run a street stall",
  due: "Due by Wednesday 9 December",
  link: "http://localhost:3000/tasks/preview",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies ThanksNextEmailProps;

export function thanksNextSubject({ nextTitle }: Pick<ThanksNextEmailProps, "nextTitle">) {
  return `Thank you! Your next task: ${nextTitle}`;
}
