import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type OverdueEmailProps = {
  name: string | null;
  campaign: string;
  taskTitle: string;
  link: string;
  skipLink: string;
  unsubscribeLink: string | null;
};

export default function OverdueEmail({
  name,
  campaign,
  taskTitle,
  link,
  skipLink,
  unsubscribeLink,
}: OverdueEmailProps) {
  return (
    <EmailLayout
      preview={`How did it go? Tell us about ${taskTitle}.`}
      footerText={`You get this email because you take part in ${campaign}.`}
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>
        Your task was <strong>{taskTitle}</strong>. How did it go? Even a little counts: tell us
        what you did and we'll add it to the campaign's total.
      </Text>
      <Button href={link} style={styles.button}>
        Report back
      </Button>
      <Text style={styles.small}>
        Didn't get round to it? That's fine.{" "}
        <Link href={skipLink}>Tell us and we'll suggest something that fits better</Link>.
      </Text>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

OverdueEmail.PreviewProps = {
  name: "Amira",
  campaign: "Warmer Homes for Greenfield",
  taskTitle: "Knock on 20 doors",
  link: "http://localhost:3000/tasks/preview/report",
  skipLink: "http://localhost:3000/tasks/preview/skip",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies OverdueEmailProps;

export function overdueSubject({ taskTitle }: Pick<OverdueEmailProps, "taskTitle">) {
  return `How did it go? ${taskTitle}`;
}
