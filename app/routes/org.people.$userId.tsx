import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { recordPersonViewed } from "~/models/audit.server.ts";
import { listVolunteerMessages } from "~/models/message.server.ts";
import { formatDateTime } from "~/utils/format";
import { clientIp } from "~/utils/request.server.ts";
import { requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data ? `Messages to ${data.person.name ?? "a volunteer"} – Onward` : "Messages – Onward",
  },
];

const KIND_WORDS: Record<string, string> = {
  TASK_ASSIGNED: "Your task",
  THANKS_NEXT: "Thank you and next task",
  REMINDER: "Reminder before the due date",
  OVERDUE: "How did it go? (after the due date)",
  LADDER_COMPLETE: "Thank you, campaign finished",
  REENGAGE: "We miss you",
  ORGANISER_DIGEST: "Weekly digest",
  TEAM_NUDGE: "A message from their team lead",
};

function kindWords(kind: string) {
  return KIND_WORDS[kind] ?? kind.toLowerCase().replaceAll("_", " ");
}

function statusWords(
  message: { status: string; sendAfter: Date; sentAt: Date | null },
  timeZone: string | null,
) {
  switch (message.status) {
    case "QUEUED":
      return "Waiting to go";
    case "HELD":
      return `Held until ${formatDateTime(message.sendAfter, timeZone)}`;
    case "SENDING":
      return "Sending";
    case "SENT":
      return message.sentAt ? `Sent ${formatDateTime(message.sentAt, timeZone)}` : "Sent";
    case "DELIVERED":
      return "Delivered";
    case "FAILED":
      return "Failed";
    case "SUPPRESSED":
      return "Not sent";
    default:
      return message.status.toLowerCase();
  }
}

/** Every message to one volunteer, for the organisers of their organisations (404 for others). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const found = await listVolunteerMessages({ actorId: user.id, userId: params.userId ?? "" });
  if (!found) throw new Response("Not found", { status: 404 });
  await recordPersonViewed({
    actorId: user.id,
    userId: found.person.id,
    organisationIds: found.organisations.map((organisation) => organisation.id),
    ip: clientIp(request),
  });
  // The clock of the first organisation the organiser shares with this person.
  const zone = found.organisations[0]?.timezone ?? null;
  return {
    person: found.person,
    organisations: found.organisations,
    messages: found.messages.map((message) => ({
      id: message.id,
      written: formatDateTime(message.createdAt, zone),
      channel: message.channel === "EMAIL" ? "Email" : "Text",
      kind: kindWords(message.kind),
      status: statusWords(message, zone),
      reason: message.statusReason,
    })),
  };
}

export default function VolunteerMessages() {
  const { person, organisations, messages } = useLoaderData<typeof loader>();
  return (
    <>
      <p>
        <Link to={organisations[0] ? `/org/people?org=${organisations[0].id}` : "/org/people"}>
          Back to people
        </Link>
      </p>
      <h1>Messages to {person.name ?? "this volunteer"}</h1>
      <p>
        Everything Onward wrote to them for {organisations.map((o) => o.name).join(" and ")}, newest
        first, with what became of it. A message can wait for the morning (quiet hours), wait for a
        free slot (at most a few nudges a week), or not be sent at all (opted out, unsubscribed, or
        no longer needed).
      </p>
      {messages.length === 0 ? (
        <p>No messages yet.</p>
      ) : (
        <div className="table-wrap" role="region" aria-label="Messages, newest first" tabIndex={0}>
          <table>
            <caption className="visually-hidden">Messages, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Written</th>
                <th scope="col">By</th>
                <th scope="col">What</th>
                <th scope="col">Status</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <tr key={message.id}>
                  <td>{message.written}</td>
                  <td>{message.channel}</td>
                  <td>{message.kind}</td>
                  <td>{message.status}</td>
                  <td>{message.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
