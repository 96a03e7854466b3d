import { THANKS_PAGE } from "./protocol.ts";

/**
 * What the server's answer to a replayed report means for the report waiting on the phone. The
 * report form's action answers a recorded report (a first one, or a repeat with the same
 * idempotency key) with a redirect to the thanks page; a form it refuses comes back as the form
 * page with the reasons (400 for answers it can't take, 409 for a clash); a task that was closed
 * meanwhile (reported or skipped on another device) ends on the task's own page, because the form
 * page sends a closed task's visitors there; a signed-out request is sent to the sign-in page.
 */
export type SyncOutcome =
  /** Recorded once on the server: forget it on the phone, and point to the thanks page. */
  | { kind: "sent"; thanksPath: string }
  /** Not signed in on this phone any more: keep it until the person signs in again. */
  | { kind: "sign-in" }
  /** The server is busy or broken: keep it and try again on the next visit or reconnection. */
  | { kind: "retry" }
  /** Refused for good: show why and what to do, until the person dismisses it. */
  | { kind: "rejected"; status: number; messages: string[] };

export type SyncAnswer = {
  status: number;
  /** The address of the final answer, after redirects. */
  url: string;
  /** The task's page, e.g. /tasks/abc. */
  taskPath: string;
  /** What the page that came back says is wrong (see needsReasons). */
  messages: string[];
};

/** Whether the page that came back says why the report was refused, so is worth reading. */
export function needsReasons(answer: Omit<SyncAnswer, "messages">) {
  return (
    answer.status === 400 ||
    answer.status === 409 ||
    (answer.status === 200 && new URL(answer.url).pathname === answer.taskPath)
  );
}

const SIGN_IN = /^\/sign-in(?:\/|$)/;

export function syncOutcome(answer: SyncAnswer): SyncOutcome {
  const path = new URL(answer.url).pathname;
  if (answer.status === 200 && THANKS_PAGE.test(path)) return { kind: "sent", thanksPath: path };
  if (answer.status === 200 && SIGN_IN.test(path)) return { kind: "sign-in" };
  if (answer.status === 200 && path === answer.taskPath) {
    return { kind: "rejected", status: 409, messages: answer.messages };
  }
  if (
    answer.status === 400 ||
    answer.status === 403 ||
    answer.status === 404 ||
    answer.status === 409
  ) {
    return { kind: "rejected", status: answer.status, messages: answer.messages };
  }
  return { kind: "retry" };
}

/** What the person can do about a refused report, in plain words. */
export function adviceFor(status: number, taskPath: string): { text: string; link: string | null } {
  switch (status) {
    case 400:
      return {
        text: "Open the report form, check your answers and send it again.",
        link: `${taskPath}/report`,
      };
    case 409:
      return {
        text: "If you already reported back another way, there's nothing more to do. If something is wrong, tell your organiser.",
        link: taskPath,
      };
    default:
      return {
        text: "This task isn't open to you any more. If you think that's wrong, tell your organiser.",
        link: "/me",
      };
  }
}

/** When the page that came back shows no reasons, say what the status means. */
export function fallbackMessage(status: number) {
  switch (status) {
    case 400:
      return "Some answers couldn't be used.";
    case 409:
      return "This task was already closed.";
    default:
      return "We can't find that task.";
  }
}
