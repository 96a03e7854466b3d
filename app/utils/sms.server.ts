import { findUserByPhone } from "~/models/user.server.ts";
import { suppressAddress } from "~/models/opt-out.server.ts";
import { getEnv, type Env } from "~/utils/env.server.ts";
import { SUPPRESSING_ERROR_CODES, twilioProvider } from "~/utils/sms/twilio.server.ts";

export type SmsResult =
  | { ok: true; transport: string; providerId: string | null }
  | {
      ok: false;
      error: string;
      /** True when sending the same message again will fail again (a job should not retry). */
      permanent?: boolean;
      /** The provider's error code, e.g. Twilio's "21610". */
      code?: string;
    };

/** What every SMS provider driver offers. */
export interface SmsProvider {
  readonly name: string;
  send(message: { to: string; body: string }): Promise<SmsResult>;
}

/** Sends nothing: the message stays in the outbox and can be read at /dev/outbox. */
const previewProvider: SmsProvider = {
  name: "preview",
  send: async () => ({ ok: true, transport: "preview", providerId: null }),
};

/** The path Twilio posts delivery reports to. */
export const TWILIO_STATUS_PATH = "/webhooks/sms/twilio/status";

function twilioFromEnv(env: Env): SmsProvider {
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN } = env;
  // parseEnv refuses to start without these; this only narrows the types.
  if (!TWILIO_ACCOUNT_SID || !TWILIO_AUTH_TOKEN) {
    throw new Error("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.");
  }
  return twilioProvider({
    accountSid: TWILIO_ACCOUNT_SID,
    authToken: TWILIO_AUTH_TOKEN,
    from: env.TWILIO_FROM,
    messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
    apiBase: env.TWILIO_API_BASE,
    statusCallback: `${env.APP_URL}${TWILIO_STATUS_PATH}`,
  });
}

export function smsProvider(): SmsProvider {
  const env = getEnv();
  switch (env.SMS_PROVIDER) {
    case "preview":
      return previewProvider;
    case "twilio":
      return twilioFromEnv(env);
  }
}

/**
 * Sends one text. A refusal that means the number must not be texted again (the person replied
 * STOP, or it is not a mobile) suppresses the number at once, so nothing else is tried on it.
 */
export async function sendSms(message: { to: string; body: string }): Promise<SmsResult> {
  const result = await smsProvider().send(message);
  if (!result.ok && result.code) {
    const reason = SUPPRESSING_ERROR_CODES[result.code];
    if (reason) {
      const user = await findUserByPhone({ phone: message.to });
      await suppressAddress({
        channel: "SMS",
        address: message.to,
        userId: user?.id ?? null,
        reason,
        detail: result.error,
        consent: null,
      });
    }
  }
  return result;
}
