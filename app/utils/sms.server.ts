import { getEnv } from "~/utils/env.server.ts";

export type SmsResult =
  { ok: true; transport: string; providerId: string | null } | { ok: false; error: string };

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

export function smsProvider(): SmsProvider {
  switch (getEnv().SMS_PROVIDER) {
    case "preview":
      return previewProvider;
  }
}

export function sendSms(message: { to: string; body: string }): Promise<SmsResult> {
  return smsProvider().send(message);
}
