import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type ReminderEmailProps = {
  name: string | null;
  campaign: string;
  taskTitle: string;
  /** "Due tomorrow (Thursday 26 November)". */
  due: string;
  link: string;
  skipLink: string;
  unsubscribeLink: string | null;
};

export default function ReminderEmail({
  name,
  campaign,
  taskTitle,
  due,
  link,
  skipLink,
  unsubscribeLink,
}: ReminderEmailProps) {
  return (
    <EmailLayout
      preview={`A reminder: ${taskTitle}. ${due}.`}
      footerText={`You get this email because you take part in ${campaign}.`}
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>
        A quick reminder about your task for {campaign}: <strong>{taskTitle}</strong>. {due}.
      </Text>
      <Button href={link} style={styles.button}>
        Open your task
      </Button>
      <Text style={styles.small}>
        Done it already? Report back on the same page. Can't do it?{" "}
        <Link href={skipLink}>Tell us and we'll suggest something else</Link>.
      </Text>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

ReminderEmail.PreviewProps = {
  name: "Amira",
  campaign: "Warmer Homes for Greenfield",
  taskTitle: "Knock on 20 doors",
  due: "Due tomorrow (Wednesday 2 December)",
  link: "http://localhost:3000/tasks/preview",
  skipLink: "http://localhost:3000/tasks/preview/skip",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies ReminderEmailProps;

export function reminderSubject({ taskTitle }: Pick<ReminderEmailProps, "taskTitle">) {
  return `Reminder: ${taskTitle}`;
}
