import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSmtpCapture } from "../setup/smtp.ts";

/** Where the SMTP capture writes each mail as JSON; fixtures.ts reads it. */
export const MAIL_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../.e2e",
  process.env.E2E_PORT ?? "3123",
  "mail",
);

/**
 * Runs in Playwright's runner process for the whole run: the SMTP server the e2e app sends mail to
 * (SMTP_URL=smtp://127.0.0.1:2526, see start-server.ts). Playwright starts the webServer before
 * global setup, so the app must not need SMTP while it boots.
 */
export default async function globalSetup() {
  rmSync(MAIL_DIR, { recursive: true, force: true });
  const capture = await startSmtpCapture({
    port: Number(process.env.E2E_SMTP_PORT ?? 2526),
    dir: MAIL_DIR,
  });
  return async () => {
    await capture.close();
  };
}
