import { render } from "@react-email/render";
import nodemailer, { type Transporter } from "nodemailer";
import type { ReactElement } from "react";
import { getEnv } from "~/utils/env.server.ts";

export type RenderedEmail = { html: string; text: string };

/** Renders a React Email template to HTML and its plain-text twin. */
export async function renderEmail(element: ReactElement): Promise<RenderedEmail> {
  const [html, text] = await Promise.all([
    render(element),
    render(element, {
      plainText: true,
      htmlToTextOptions: {
        selectors: [
          { selector: "h1", options: { uppercase: false } },
          { selector: "h2", options: { uppercase: false } },
          { selector: "img", format: "skip" },
        ],
      },
    }),
  ]);
  return { html, text };
}

let transporter: { url: string; transport: Transporter } | undefined;

function smtp(url: string) {
  if (transporter?.url === url) return transporter.transport;
  transporter?.transport.close();
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  transporter = { url, transport };
  return transport;
}

export type EmailResult =
  | { ok: true; transport: "smtp" | "preview"; providerId: string | null }
  | { ok: false; error: string };

/**
 * Sends one email. With SMTP_URL unset nothing leaves the machine: the message stays in the
 * outbox and can be read at /dev/outbox.
 */
export async function sendEmail({
  to,
  subject,
  html,
  text,
  headers,
}: {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
}): Promise<EmailResult> {
  const { SMTP_URL, MAIL_FROM } = getEnv();
  if (!SMTP_URL) return { ok: true, transport: "preview", providerId: null };
  try {
    const info = await smtp(SMTP_URL).sendMail({
      from: MAIL_FROM,
      to,
      subject,
      html,
      text,
      headers,
    });
    return { ok: true, transport: "smtp", providerId: info.messageId ?? null };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Checks the SMTP server answers, for a warning at start-up. */
export async function verifySmtp(): Promise<EmailResult> {
  const { SMTP_URL } = getEnv();
  if (!SMTP_URL) return { ok: true, transport: "preview", providerId: null };
  try {
    await smtp(SMTP_URL).verify();
    return { ok: true, transport: "smtp", providerId: null };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
