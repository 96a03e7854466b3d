import { Button } from "@react-email/button";
import { Heading } from "@react-email/heading";
import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { EmailLayout, styles } from "./_components/layout.tsx";

export type SignInLinkEmailProps = { name: string | null; link: string; minutes: number };

export default function SignInLinkEmail({ name, link, minutes }: SignInLinkEmailProps) {
  return (
    <EmailLayout
      preview={`Your link to sign in to Onward. It works for ${minutes} minutes.`}
      footerText="You get this email because someone asked to sign in to Onward with this address. If it wasn't you, you can ignore it: nobody can sign in without this link."
    >
      <Heading style={styles.heading}>{name ? `Hello ${name},` : "Hello,"}</Heading>
      <Text style={styles.text}>
        Use this button to sign in to Onward. It works once, for {minutes} minutes.
      </Text>
      <Button href={link} style={styles.button}>
        Sign in to Onward
      </Button>
      <Text style={styles.small}>
        Or copy this address into your browser: <Link href={link}>{link}</Link>
      </Text>
    </EmailLayout>
  );
}

SignInLinkEmail.PreviewProps = {
  name: "Sam",
  link: "http://localhost:3000/auth/verify?token=preview",
  minutes: 15,
} satisfies SignInLinkEmailProps;

export function signInLinkSubject() {
  return "Your link to sign in to Onward";
}
