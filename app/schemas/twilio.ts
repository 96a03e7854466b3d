import { z } from "zod";

/**
 * What Twilio posts to our webhooks (only the parameters we use; Twilio sends many more).
 * https://www.twilio.com/docs/messaging/guides/webhook-request
 */

const MessageSid = z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, { message: "not a message id" });

/** Twilio never sends a NUL character, and PostgreSQL text can't hold one. */
const text = () => z.string().refine((value) => !value.includes("\0"), { message: "not text" });

export const InboundSmsSchema = z.object({
  MessageSid,
  From: text().min(1).max(40),
  To: text().min(1).max(40),
  // Twilio sends Body even when it is empty; 1,600 characters is the most one message can hold.
  Body: text().max(1600).default(""),
});
export type InboundSmsParams = z.output<typeof InboundSmsSchema>;

export const SmsStatusSchema = z.object({
  MessageSid,
  MessageStatus: text().min(1).max(40),
  To: text().min(1).max(40).optional(),
  ErrorCode: z
    .string()
    .regex(/^\d{1,10}$/)
    .optional(),
});
export type SmsStatusParams = z.output<typeof SmsStatusSchema>;

/** Parameters as an object for zod: a repeated name keeps its first value, blanks are dropped. */
export function paramsObject(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) {
    if (!(name in out) && value !== "") out[name] = value;
  }
  return out;
}
