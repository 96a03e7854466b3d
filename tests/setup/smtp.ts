import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server on 127.0.0.1 that accepts every message (no auth required, no TLS), parses
 * it and keeps it. With `dir`, each message is also written there as JSON (see CapturedMailJson)
 * so that another process, such as a Playwright test worker, can read it.
 */

/** What is written to `dir` for each message. Addresses in `to` are lower-case. */
export type CapturedMailJson = {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  receivedAt: string;
};

export type SmtpCapture = {
  port: number;
  /** smtp://127.0.0.1:PORT, ready for SMTP_URL. */
  url: string;
  /** Every message received so far, oldest first. */
  messages: ParsedMail[];
  /**
   * Resolves with the oldest message to `to` (To, Cc or envelope recipient, case-insensitive)
   * that no earlier waitForMail call for that address returned, waiting for one if needed.
   */
  waitForMail(to: string, options?: { timeoutMs?: number }): Promise<ParsedMail>;
  close(): Promise<void>;
};

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const objects = Array.isArray(field) ? field : [field];
  const out: string[] = [];
  const walk = (entries: AddressObject["value"]) => {
    for (const entry of entries) {
      if (entry.address) out.push(entry.address.toLowerCase());
      if (entry.group) walk(entry.group);
    }
  };
  for (const object of objects) walk(object.value);
  return out;
}

export async function startSmtpCapture({
  port = 0,
  dir,
}: { port?: number; dir?: string } = {}): Promise<SmtpCapture> {
  const messages: ParsedMail[] = [];
  const recipients = new Map<ParsedMail, string[]>();
  /** Per message, the addresses a waitForMail call has already returned it for. */
  const taken = new Map<ParsedMail, Set<string>>();
  const waiters = new Set<() => void>();
  let sequence = 0;

  if (dir) mkdirSync(dir, { recursive: true });

  const record = (mail: ParsedMail, envelopeTo: string[]) => {
    const to = [
      ...new Set([
        ...addressesOf(mail.to),
        ...addressesOf(mail.cc),
        ...addressesOf(mail.bcc),
        ...envelopeTo,
      ]),
    ];
    messages.push(mail);
    recipients.set(mail, to);
    if (dir) {
      const headers: Record<string, string> = {};
      for (const { key, line } of mail.headerLines) {
        const value = line
          .slice(line.indexOf(":") + 1)
          .replace(/\r?\n[ \t]+/g, " ")
          .trim();
        headers[key] = headers[key] === undefined ? value : `${headers[key]}\n${value}`;
      }
      const json: CapturedMailJson = {
        to,
        from: mail.from?.text ?? "",
        subject: mail.subject ?? "",
        text: mail.text ?? "",
        html: typeof mail.html === "string" ? mail.html : null,
        headers,
        receivedAt: new Date().toISOString(),
      };
      const base = `${Date.now()}-${String(++sequence).padStart(6, "0")}`;
      const file = path.join(dir, `${base}.json`);
      // Written under another name first, so a reader never sees half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(json, null, 2));
      renameSync(`${file}.tmp`, file);
    }
    for (const wake of waiters) wake();
  };

  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ["STARTTLS"],
    logger: false,
    size: 25 * 1024 * 1024,
    onData(stream, session, callback) {
      const envelopeTo = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
      simpleParser(stream).then(
        (mail) => {
          record(mail, envelopeTo);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  // A client that drops its connection must not bring the test process down.
  server.on("error", () => {});
  const actualPort = (server.server.address() as AddressInfo).port;

  const findUntaken = (to: string) =>
    messages.find((mail) => !taken.get(mail)?.has(to) && recipients.get(mail)?.includes(to));

  return {
    port: actualPort,
    url: `smtp://127.0.0.1:${actualPort}`,
    messages,
    waitForMail(to, { timeoutMs = 10_000 } = {}) {
      const address = to.toLowerCase();
      return new Promise<ParsedMail>((resolve, reject) => {
        const check = () => {
          const mail = findUntaken(address);
          if (!mail) return false;
          taken.set(mail, (taken.get(mail) ?? new Set()).add(address));
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(mail);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const seen =
            messages.map((mail) => recipients.get(mail)?.join(", ")).join("; ") || "none";
          reject(
            new Error(`No mail to ${to} within ${timeoutMs} ms (mail received for: ${seen}).`),
          );
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
