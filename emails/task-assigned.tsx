import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";
import { UnsubscribeLine } from "./_components/unsubscribe-line.tsx";

export type TaskAssignedEmailProps = {
  name: string | null;
  campaign: string;
  taskTitle: string;
  /** "Due by Wednesday 2 December", in the volunteer's timezone. */
  due: string;
  location: string | null;
  link: string;
  unsubscribeLink: string | null;
};

export default function TaskAssignedEmail({
  name,
  campaign,
  taskTitle,
  due,
  location,
  link,
  unsubscribeLink,
}: TaskAssignedEmailProps) {
  return (
    <EmailLayout
      preview={`Your task for ${campaign}: ${taskTitle}`}
      footerText={`You get this email because you take part in ${campaign}.`}
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>Here is your task for {campaign}:</Text>
      <Text style={{ ...styles.text, fontSize: "20px", fontWeight: "bold" }}>{taskTitle}</Text>
      <Text style={styles.text}>
        {due}.{location ? ` Where: ${location}.` : ""}
      </Text>
      <Button href={link} style={styles.button}>
        Open your task
      </Button>
      <Text style={styles.small}>
        When you've done it, report back from the same page. Or copy this address into your browser:{" "}
        <Link href={link}>{link}</Link>
      </Text>
      <UnsubscribeLine href={unsubscribeLink} />
    </EmailLayout>
  );
}

TaskAssignedEmail.PreviewProps = {
  name: "Amira",
  campaign: "Warmer Homes for Greenfield",
  taskTitle: "Knock on 20 doors",
  due: "Due by Wednesday 2 December",
  location: "Your own street",
  link: "http://localhost:3000/tasks/preview",
  unsubscribeLink: "http://localhost:3000/unsubscribe/preview",
} satisfies TaskAssignedEmailProps;

export function taskAssignedSubject({ taskTitle }: Pick<TaskAssignedEmailProps, "taskTitle">) {
  return `Your next task: ${taskTitle}`;
}
