import type { ActionFunctionArgs } from "@remix-run/node";
import { InboundSmsSchema, paramsObject } from "~/schemas/twilio.ts";
import { handleInboundSms } from "~/utils/sms-inbound.server.ts";
import { checkWebhookRefusals, countWebhookRefusal } from "~/utils/rate-limit.server.ts";
import {
  readTwilioWebhook,
  twimlResponse,
  webhookRefusal,
} from "~/utils/sms/twilio-webhook.server.ts";

/** Texts people send to our Twilio number. Twilio signs each request; anything else gets 403. */
export async function action({ request }: ActionFunctionArgs) {
  const refusedBefore = await checkWebhookRefusals(request);
  if (refusedBefore) return refusedBefore;
  const webhook = await readTwilioWebhook(request);
  if (!webhook.ok) {
    await countWebhookRefusal(request);
    return webhookRefusal(webhook);
  }
  const parsed = InboundSmsSchema.safeParse(paramsObject(webhook.params));
  // Signed by Twilio but not a message we understand: nothing to do, and no reply.
  if (!parsed.success) return twimlResponse(null);
  const { reply } = await handleInboundSms({
    messageSid: parsed.data.MessageSid,
    from: parsed.data.From,
    to: parsed.data.To,
    body: parsed.data.Body,
  });
  return twimlResponse(reply);
}

export function loader() {
  return new Response("Use POST.", { status: 405, headers: { Allow: "POST" } });
}
