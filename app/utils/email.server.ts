import { plainTextSelectors } from "@react-email/render";
import { compile } from "html-to-text";
import nodemailer, { type Transporter } from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { getEnv } from "~/utils/env.server.ts";

export type RenderedEmail = { html: string; text: string };

/**
 * HTML → plain text, with React Email's own plain-text rules (what `render(…, { plainText: true })`
 * applies) compiled once: compiling the selectors on every call cost more than the conversion.
 */
const toText = compile({
  wordwrap: false,
  selectors: [
    ...plainTextSelectors,
    { selector: "h1", options: { uppercase: false } },
    { selector: "h2", options: { uppercase: false } },
    { selector: "img", format: "skip" },
  ],
});

const DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/**
 * Renders a React Email template once, to HTML and its plain-text twin. Our templates are
 * synchronous, so React's static renderer gives what React Email's streaming `render` gives (less
 * its Suspense comment markers) in a fifth of the time; the text comes from that same HTML.
 */
export async function renderEmail(element: ReactElement): Promise<RenderedEmail> {
  const html = DOCTYPE + renderToStaticMarkup(element).replace(/<!DOCTYPE.*?>/, "");
  return { html, text: toText(html) };
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
    // Built whole before it goes: the pool then writes one buffer instead of a stream of small
    // MIME chunks (a socket write each), which was the largest cost of a send.
    const compiled = new MailComposer({
      from: MAIL_FROM,
      to,
      subject,
      html,
      text,
      headers,
    }).compile();
    const raw = await compiled.build();
    await smtp(SMTP_URL).sendMail({ envelope: compiled.getEnvelope(), raw });
    return { ok: true, transport: "smtp", providerId: compiled.messageId() };
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
