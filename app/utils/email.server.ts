import { randomBytes } from "node:crypto";
import { plainTextSelectors } from "@react-email/render";
import { compile } from "html-to-text";
import nodemailer, { type Transporter } from "nodemailer";
import { encode as base64Encode, wrap as base64Wrap } from "nodemailer/lib/base64";
import MailComposer from "nodemailer/lib/mail-composer";
import { foldLines, hasLongerLines, isPlainText } from "nodemailer/lib/mime-funcs";
import type MimeNode from "nodemailer/lib/mime-node";
import { encode as qpEncode, wrap as qpWrap } from "nodemailer/lib/qp";
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

/**
 * The message a MIME tree from MailComposer stands for, byte for byte what its `build()` streams,
 * built in one synchronous pass: nodemailer's own headers (buildHeaders) and encoders (qp, base64)
 * applied to the whole body at once. Its streamed build runs every part through a chain of
 * transform streams, which cost more than everything else in a send. Null for a tree it doesn't
 * cover (content that is not a string: a file, a stream, a URL), which then goes the streamed way.
 */
export function serializeMime(root: MimeNode): Buffer | null {
  // Stream stages this pass doesn't apply: a newline conversion, transforms, DKIM and the like.
  const staged = root as unknown as { _transforms?: unknown[]; _processFuncs?: unknown[] };
  if (root.newline || staged._transforms?.length || staged._processFuncs?.length) return null;
  const parts: string[] = [];
  const walk = (node: MimeNode): boolean => {
    const content = node.content;
    if (content !== undefined && typeof content !== "string") return false;
    if ((node as unknown as { _raw?: unknown })._raw) return false;
    const encoding = node.getTransferEncoding();
    parts.push(node.buildHeaders(), "\r\n\r\n");
    if (content) {
      if (encoding === "quoted-printable") {
        if (!/^text\//i.test(node.contentType ?? "")) return false;
        parts.push(qpWrap(qpEncode(content), 76));
      } else if (encoding === "base64") {
        parts.push(base64Wrap(base64Encode(content), 76));
      } else {
        parts.push(content);
      }
    }
    if (node.multipart && node.boundary) {
      for (const [i, child] of node.childNodes.entries()) {
        parts.push(`${i > 0 ? "\r\n" : ""}--${node.boundary}\r\n`);
        if (!walk(child)) return false;
      }
      parts.push(`\r\n--${node.boundary}--\r\n`);
    }
    return true;
  };
  if (!walk(root)) return null;
  const message = parts.join("");
  // As the stream's last stage (LastNewline) does: the message ends with a line break.
  const ending = message.endsWith("\n") ? "" : message.endsWith("\r") ? "\n" : "\r\n";
  return Buffer.from(message + ending, "utf8");
}

/** A plain address nodemailer writes as it is: lower-case ASCII, no name, no quoting. */
const PLAIN_ADDRESS = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
/** Header text nodemailer writes as it is (folded): printable ASCII, no quote, no "=?". */
const isPlainHeaderText = (value: string) =>
  /^[\x20-\x7e]*$/.test(value) &&
  value.trim() !== "" &&
  !value.includes('"') &&
  !value.includes("=?");

/** The From header and envelope sender, as nodemailer writes them, per MAIL_FROM. */
const senders = new Map<string, { header: string; address: string; domain: string }>();
function sender(from: string) {
  let found = senders.get(from);
  if (!found) {
    const node = new MailComposer({ from, to: "x@example.org", text: "x" }).compile();
    const header = /^From: .*(?:\r\n[ \t].*)*/m.exec(node.buildHeaders())?.[0] ?? "";
    const address = node.getEnvelope().from || "";
    found = { header, address, domain: address.split("@").pop() || "localhost" };
    senders.set(from, found);
  }
  return found;
}

/** A part's body as nodemailer encodes it, with its transfer encoding. */
function encodePart(content: string): { encoding: string; body: string } {
  if (isPlainText(content) && !hasLongerLines(content, 76))
    return { encoding: "7bit", body: content };
  // nodemailer's choice: quoted-printable when Latin letters outnumber other characters.
  let latin = 0;
  let other = 0;
  for (let i = 0; i < content.length; i++) {
    const code = content.charCodeAt(i);
    if (
      code <= 0x08 ||
      code === 0x0b ||
      code === 0x0c ||
      (code >= 0x0e && code <= 0x1f) ||
      code >= 0x80
    ) {
      other++;
    } else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) {
      latin++;
    }
  }
  return other < latin
    ? { encoding: "quoted-printable", body: qpWrap(qpEncode(content), 76) }
    : { encoding: "base64", body: base64Wrap(base64Encode(content), 76) };
}

/**
 * A nudge (text and HTML alternatives, a plain recipient, a plain-text subject and headers) as
 * MailComposer makes it, byte for byte, without building its MIME tree: the tree's header
 * handling (normalising, parsing and encoding every header on every access) was most of what a
 * send cost the worker. Null when the message is not that simple; MailComposer builds it then.
 * `messageId`, `date` and `baseBoundary` are for tests comparing the two.
 */
export function composeSimpleEmail(mail: {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
  messageId?: string;
  date?: Date;
  baseBoundary?: string;
}): { raw: Buffer; envelope: { from: string; to: string[] }; messageId: string } | null {
  const headers = Object.entries(mail.headers ?? {});
  if (
    !mail.text ||
    !mail.html ||
    !PLAIN_ADDRESS.test(mail.to) ||
    !isPlainHeaderText(mail.subject) ||
    headers.some(
      ([key, value]) => !/^[A-Za-z][A-Za-z0-9-]*$/.test(key) || !isPlainHeaderText(value),
    )
  ) {
    return null;
  }
  const from = sender(mail.from);
  if (!from.header || !from.address) return null;
  const id = randomBytes(16).toString("hex");
  const messageId =
    mail.messageId ??
    `<${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}@${from.domain}>`;
  const boundary = `--_NmP-${mail.baseBoundary ?? randomBytes(8).toString("hex")}-Part_1`;
  const text = encodePart(mail.text);
  const html = encodePart(mail.html);
  const lines = [
    ...headers.map(([key, value]) => foldLines(`${key}: ${value}`, 76)),
    from.header,
    `To: ${mail.to}`,
    foldLines(`Subject: ${mail.subject}`, 76),
    `Message-ID: ${messageId}`,
    `Date: ${(mail.date ?? new Date()).toUTCString().replace(/GMT/, "+0000")}`,
    "MIME-Version: 1.0",
    foldLines(`Content-Type: multipart/alternative; boundary="${boundary}"`, 76),
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    `Content-Transfer-Encoding: ${text.encoding}`,
    "",
    text.body,
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    `Content-Transfer-Encoding: ${html.encoding}`,
    "",
    html.body,
    `--${boundary}--`,
    "",
  ];
  return {
    raw: Buffer.from(lines.join("\r\n"), "utf8"),
    envelope: { from: from.address, to: [mail.to] },
    messageId,
  };
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
    // Built whole before it goes, in one pass (serializeMime): the pool then writes one buffer
    // instead of a stream of small MIME chunks (a socket write each).
    const simple = composeSimpleEmail({ from: MAIL_FROM, to, subject, text, html, headers });
    if (simple) {
      await smtp(SMTP_URL).sendMail({ envelope: simple.envelope, raw: simple.raw });
      return { ok: true, transport: "smtp", providerId: simple.messageId };
    }
    const compiled = new MailComposer({
      from: MAIL_FROM,
      to,
      subject,
      html,
      text,
      headers,
    }).compile();
    const raw = serializeMime(compiled) ?? (await compiled.build());
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
