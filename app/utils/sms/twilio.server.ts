import type { SuppressionReason } from "~/generated/prisma/client.ts";
import type { SmsProvider, SmsResult } from "~/utils/sms.server.ts";

/**
 * Twilio's Programmable Messaging REST API, spoken directly with fetch: one POST per message.
 * https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 */

export type TwilioConfig = {
  accountSid: string;
  authToken: string;
  /** A number (E.164) or sender name; ignored when messagingServiceSid is set. */
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  /** https://api.twilio.com, or a local fake in tests. */
  apiBase: string;
  /** Where Twilio reports delivery (see app/routes/webhooks.sms.twilio_.status.ts). */
  statusCallback?: string | undefined;
  timeoutMs?: number;
};

/**
 * Error codes after which sending to that number again is pointless, and how the number is then
 * suppressed. Codes come from the API's answer (21xxx) or from delivery status callbacks (30xxx).
 * Others (30003 handset off, 30004 blocked, 30007 carrier filtering, 30008 unknown) may pass, so
 * they fail the one message and suppress nothing. See docs/decisions/006-sms-and-unsubscribe.md.
 */
export const SUPPRESSING_ERROR_CODES: Readonly<Record<string, SuppressionReason>> = {
  // The person replied STOP to our number: Twilio refuses to send until they reply START.
  "21610": "SMS_STOP",
  // Not a number that can take texts: invalid, a landline, or unknown to the network.
  "21211": "BOUNCE",
  "21614": "BOUNCE",
  "30005": "BOUNCE",
  "30006": "BOUNCE",
};

const DEFAULT_TIMEOUT_MS = 10_000;

type TwilioError = { code?: number | string; message?: string };

function describeError(status: number, body: TwilioError | null) {
  const code = body?.code !== undefined ? String(body.code) : null;
  const text = body?.message ?? `HTTP ${status}`;
  return { code, error: code ? `Twilio error ${code}: ${text}` : `Twilio answered ${text}` };
}

/**
 * Will the same request fail again? A 4xx describes the request itself (a bad or unsubscribed
 * number), except for rate limits, timeouts and authentication, which a later try (or a fixed
 * configuration) can pass.
 */
function isPermanent(status: number) {
  return status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

export function twilioProvider(config: TwilioConfig): SmsProvider {
  const url = `${config.apiBase.replace(/\/$/, "")}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64")}`;
  return {
    name: "twilio",
    async send({ to, body }): Promise<SmsResult> {
      const form = new URLSearchParams({ To: to, Body: body });
      if (config.messagingServiceSid) form.set("MessagingServiceSid", config.messagingServiceSid);
      else if (config.from) form.set("From", config.from);
      if (config.statusCallback) form.set("StatusCallback", config.statusCallback);
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: {
            Authorization: authorization,
            "Content-Type": "application/x-www-form-urlencoded",
            Accept: "application/json",
          },
          body: form,
          signal: AbortSignal.timeout(config.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
      } catch (error) {
        const reason =
          error instanceof Error && error.name === "TimeoutError"
            ? "no answer in time"
            : error instanceof Error
              ? error.message
              : String(error);
        return { ok: false, error: `Could not reach Twilio: ${reason}`, permanent: false };
      }
      const json = await readJson(response);
      if (response.ok) {
        const sid =
          json && typeof json === "object" && "sid" in json && typeof json.sid === "string"
            ? json.sid
            : null;
        if (!sid) {
          return { ok: false, error: "Twilio's answer had no message id", permanent: false };
        }
        return { ok: true, transport: "twilio", providerId: sid };
      }
      const { code, error } = describeError(
        response.status,
        json && typeof json === "object" ? (json as TwilioError) : null,
      );
      return {
        ok: false,
        error,
        permanent: isPermanent(response.status),
        ...(code ? { code } : {}),
      };
    },
  };
}
