import type { ActionFunctionArgs } from "@remix-run/node";
import { paramsObject, SmsStatusSchema } from "~/schemas/twilio.ts";
import { handleSmsStatus } from "~/utils/sms-inbound.server.ts";
import { checkWebhookRefusals, countWebhookRefusal } from "~/utils/rate-limit.server.ts";
import { readTwilioWebhook, webhookRefusal } from "~/utils/sms/twilio-webhook.server.ts";

/** Twilio's delivery reports on texts we sent (the StatusCallback of each message). */
export async function action({ request }: ActionFunctionArgs) {
  const refusedBefore = await checkWebhookRefusals(request);
  if (refusedBefore) return refusedBefore;
  const webhook = await readTwilioWebhook(request);
  if (!webhook.ok) {
    await countWebhookRefusal(request);
    return webhookRefusal(webhook);
  }
  const parsed = SmsStatusSchema.safeParse(paramsObject(webhook.params));
  if (parsed.success) {
    await handleSmsStatus({
      messageSid: parsed.data.MessageSid,
      status: parsed.data.MessageStatus,
      errorCode: parsed.data.ErrorCode ?? null,
      to: parsed.data.To ?? null,
      unknown: "defer",
    });
  }
  // Twilio only needs to know we have it; a report we can't use is not worth a retry.
  return new Response(null, { status: 204 });
}

export function loader() {
  return new Response("Use POST.", { status: 405, headers: { Allow: "POST" } });
}
