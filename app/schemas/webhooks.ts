import { z } from "zod";

/** The events an organisation's webhook can ask for (ADR 018). "ping" is only ever sent on request. */
export const WEBHOOK_EVENTS = ["volunteer.joined", "report.created", "feedback.answered"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const PING_EVENT = "ping";

export const EVENT_WORDS: Record<WebhookEvent, { label: string; hint: string }> = {
  "volunteer.joined": {
    label: "Someone joins a campaign",
    hint: "volunteer.joined: the campaign, their first name and first task",
  },
  "report.created": {
    label: "Someone reports back",
    hint: "report.created: the task, their answers and feedback",
  },
  "feedback.answered": {
    label: "Your team answers a contribution",
    hint: "feedback.answered: a reply, or marked actioned or no action",
  },
};

export const MAX_URL_LENGTH = 2000;
/** Endpoints an organisation may have at once. */
export const MAX_ENDPOINTS = 10;
/** Deliveries a page of an endpoint's log shows. */
export const DELIVERY_PAGE_SIZE = 50;

const URL_EXAMPLE = "https://example.org/onward-webhooks";

/** True for a host that names this machine or a private network, written as a name or an IP. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || /\.(localhost|local|internal)$/.test(host)) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a = 0, b = 0] = v4.slice(1).map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  if (host.includes(":")) {
    return (
      host === "::" ||
      host === "::1" ||
      /^f[cd]/.test(host) ||
      /^fe[89ab]/.test(host) ||
      host.startsWith("::ffff:")
    );
  }
  return false;
}

/**
 * Why an address can't take webhooks, in words for the form, or null when it can. Only http and
 * https; no user name or password in it (the signature is the proof); and where `requireHttps`
 * (a deployment), https only and not an address on this machine or a private network.
 */
export function endpointUrlProblem(
  value: string,
  { requireHttps }: { requireHttps: boolean },
): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `Enter a full web address, like ${URL_EXAMPLE}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `The address must start with https://, like ${URL_EXAMPLE}`;
  }
  if (requireHttps && url.protocol !== "https:") {
    return "The address must start with https://, so that what we send is encrypted";
  }
  if (url.username || url.password) {
    return "Leave the user name and password out of the address. Check the signature instead";
  }
  if (requireHttps && isPrivateHost(url.hostname)) {
    return "That address is on a private network. Enter one that the internet can reach";
  }
  return null;
}

const urlField = z.preprocess(
  (value) => (typeof value === "string" ? value.trim() : value),
  z
    .string({ message: "Enter the address we should send events to" })
    .min(1, { message: "Enter the address we should send events to" })
    .max(MAX_URL_LENGTH, { message: "Keep the address under 2,000 characters" })
    .superRefine((value, ctx) => {
      const problem = endpointUrlProblem(value, { requireHttps: false });
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
);

const eventsField = z
  .array(z.enum(WEBHOOK_EVENTS, { message: "Choose events from the list" }), {
    message: "Choose at least one event",
  })
  .min(1, { message: "Choose at least one event" })
  .transform((chosen) => WEBHOOK_EVENTS.filter((event) => chosen.includes(event)));

/** The form that adds an endpoint (/org/settings/webhooks). */
export const CreateEndpointSchema = z.object({
  intent: z.literal("create", { message: "Choose what to do" }),
  url: urlField,
  events: eventsField,
});
export type CreateEndpointInput = z.output<typeof CreateEndpointSchema>;

/** The forms on an endpoint's page (/org/settings/webhooks/<id>); `intent` says which. */
export const EndpointActionSchema = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("update"), url: urlField, events: eventsField }),
    z.object({ intent: z.literal("disable") }),
    z.object({ intent: z.literal("enable") }),
    z.object({ intent: z.literal("delete") }),
    z.object({ intent: z.literal("roll-secret") }),
    z.object({ intent: z.literal("ping") }),
    z.object({
      intent: z.literal("retry"),
      deliveryId: z
        .string({ message: "Choose a delivery to send again" })
        .min(1, { message: "Choose a delivery to send again" })
        .max(64, { message: "Choose a delivery to send again" }),
    }),
  ],
  { message: "Choose what to do" },
);
export type EndpointAction = z.output<typeof EndpointActionSchema>;
export type EndpointIntent = EndpointAction["intent"];
