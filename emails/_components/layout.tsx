import { Body } from "@react-email/body";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Html } from "@react-email/html";
import { Preview } from "@react-email/preview";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import type { ReactNode } from "react";

const body = {
  backgroundColor: "#f6f6f4",
  fontFamily: "Arial, Helvetica, sans-serif",
  color: "#1b1b1b",
};
const container = {
  backgroundColor: "#ffffff",
  margin: "24px auto",
  padding: "24px",
  maxWidth: "520px",
};
const footer = { color: "#555555", fontSize: "13px", lineHeight: "20px" };

export function EmailLayout({
  preview,
  children,
  footerText,
}: {
  preview: string;
  children: ReactNode;
  footerText?: string;
}) {
  return (
    <Html lang="en">
      <Head />
      <Preview>{preview}</Preview>
      <Body style={body}>
        <Container style={container}>
          {children}
          <Section>
            <Text style={footer}>
              {footerText ?? "Sent by Onward for the campaigns you take part in."}
            </Text>
          </Section>
        </Container>
      </Body>
    </Html>
  );
}

export const styles = {
  heading: { fontSize: "22px", lineHeight: "28px", margin: "0 0 16px" },
  text: { fontSize: "16px", lineHeight: "24px", margin: "0 0 16px" },
  button: {
    backgroundColor: "#0b5c3b",
    color: "#ffffff",
    padding: "12px 20px",
    borderRadius: "4px",
    fontSize: "16px",
    fontWeight: "bold",
    textDecoration: "none",
    display: "inline-block",
  },
  small: { fontSize: "14px", lineHeight: "20px", color: "#555555", margin: "16px 0 0" },
};
