import { adviceFor, fallbackMessage, needsReasons, syncOutcome } from "./outcome.ts";
import {
  OFFLINE_PAGE,
  OFFLINE_SYNC_HEADER,
  PAGES_CACHE,
  REPORT_ACTION,
  SAVED_PARAM,
  THANKS_PAGE,
  pageKey,
} from "./protocol.ts";
import {
  describeReport,
  formFields,
  listReports,
  rejectReport,
  removeReport,
  saveReport,
  type QueuedReport,
} from "./queue.ts";

/**
 * The one script volunteer pages load (they don't hydrate React; see docs/decisions/011). Every
 * page works without it; it adds:
 * - focus on a form's error summary, so screen readers announce it;
 * - the service worker, which keeps the volunteer's task pages and report forms on the phone;
 * - the offline report queue: a report sent without a connection is saved in IndexedDB and sent,
 *   with its idempotency key, when the connection is back (or on the next visit), and a report the
 *   server refuses is shown with what to do.
 */

type Sent = { assignmentId: string; title: string | null; thanksPath: string };
type Waiting = "sending" | "sign-in" | "later";

const owner = document.body.dataset.user || null;
const main = document.getElementById("main");
const reportForm = document.querySelector<HTMLFormElement>("form[data-offline-report]");
const formTask = reportForm ? REPORT_ACTION.exec(new URL(reportForm.action).pathname)?.[1] : null;
const thanksTask = THANKS_PAGE.exec(location.pathname)?.[1] ?? null;
const canQueue = "indexedDB" in window;

const sent: Sent[] = [];
const waiting = new Map<string, Waiting>();
let justSaved = new URLSearchParams(location.search).has(SAVED_PARAM);

document.querySelector<HTMLElement>(".error-summary")?.focus();

const region = document.createElement("div");
region.className = "offline-status";
region.setAttribute("aria-live", "polite");
main?.prepend(region);

function h(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

function taskPath(report: QueuedReport) {
  return `/tasks/${report.assignmentId}`;
}

function onThisTask(assignmentId: string) {
  return (
    location.pathname === `/tasks/${assignmentId}` ||
    location.pathname.startsWith(`/tasks/${assignmentId}/`)
  );
}

/** "your report on “Knock on 20 doors”", or just "your report" where the title is unknown. */
function reportWords(title: string | null) {
  return title ? `your report on “${title}”` : "your report";
}

function capital(text: string) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function waitingNotice(report: QueuedReport): HTMLElement {
  const state = waiting.get(report.assignmentId);
  const saved = onThisTask(report.assignmentId)
    ? "Saved on this phone."
    : `${capital(reportWords(report.title))} is saved on this phone.`;
  if (navigator.onLine && state === "sign-in") {
    const signIn = `/sign-in?redirectTo=${encodeURIComponent(location.pathname)}`;
    return h(
      "p",
      { class: "notice" },
      `${saved} `,
      h("a", { href: signIn }, "Sign in to send it"),
      ".",
    );
  }
  if (navigator.onLine && state === "sending") {
    return h("p", { class: "notice" }, `${saved} Sending it now…`);
  }
  if (navigator.onLine && state === "later") {
    return h(
      "p",
      { class: "notice" },
      `${saved} We couldn't send it just now, so we'll try again next time you open Onward.`,
    );
  }
  return h(
    "p",
    { class: "notice", tabindex: "-1", "data-saved": report.assignmentId },
    `${saved} It will be sent when you're back online.`,
  );
}

function rejectedNotice(report: QueuedReport): HTMLElement {
  const status = report.problem?.status ?? 409;
  const messages = report.problem?.messages.length
    ? report.problem.messages
    : [fallbackMessage(status)];
  const advice = adviceFor(status, taskPath(report));
  const remove = h(
    "button",
    { type: "button", class: "button button--secondary" },
    "Remove it from this phone",
  );
  remove.addEventListener("click", () => {
    void removeReport(report.assignmentId).then(() => render());
  });
  return h(
    "div",
    { class: "notice notice--problem" },
    h("p", {}, h("strong", {}, `We couldn't send ${reportWords(report.title)}.`)),
    ...messages.map((message) => h("p", {}, message)),
    h(
      "p",
      {},
      `${advice.text} `,
      ...(advice.link
        ? [
            h(
              "a",
              { href: advice.link },
              advice.link.endsWith("/report")
                ? "Open the report form"
                : advice.link === "/me"
                  ? "See your tasks"
                  : "Open the task",
            ),
          ]
        : []),
    ),
    remove,
  );
}

function sentNotice(report: Sent): HTMLElement {
  return h(
    "p",
    { class: "notice" },
    `${capital(reportWords(report.title))} was sent. Thank you! `,
    h("a", { href: report.thanksPath }, "See what's next"),
  );
}

function fillForm(form: HTMLFormElement, fields: QueuedReport["fields"]) {
  for (const [name, value] of fields) {
    if (name === "idempotencyKey") continue;
    const control = form.elements.namedItem(name);
    if (control instanceof RadioNodeList) {
      for (const input of Array.from(control)) {
        if (input instanceof HTMLInputElement) input.checked = input.value === value;
      }
    } else if (control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement) {
      control.value = value;
    }
  }
}

/** The reports this person may see: their own, and any the service worker saved for whoever. */
function visible(report: QueuedReport) {
  return !owner || report.owner === null || report.owner === owner;
}

async function render() {
  const reports = canQueue ? (await listReports()).filter(visible) : [];
  const notices: HTMLElement[] = [];
  if (!navigator.onLine) {
    notices.push(
      h(
        "p",
        { class: "notice" },
        "You're offline. Pages you've opened before still work, and you can still send your report.",
      ),
    );
  }
  for (const report of reports) {
    notices.push(report.state === "waiting" ? waitingNotice(report) : rejectedNotice(report));
  }
  notices.push(...sent.map(sentNotice));
  region.replaceChildren(...notices);

  if (reportForm && formTask) {
    const queued = reports.find((r) => r.assignmentId === formTask);
    reportForm.hidden =
      queued?.state === "waiting" || sent.some((s) => s.assignmentId === formTask);
    if (
      queued?.state === "rejected" &&
      queued.problem?.status === 400 &&
      !document.querySelector(".error-summary")
    ) {
      fillForm(reportForm, queued.fields);
    }
  }
  if (justSaved) {
    justSaved = false;
    region.querySelector<HTMLElement>("[data-saved]")?.focus();
  }
}

/**
 * Why the server refused a report, in its own words: the error summary of the form page, or what
 * the task's page says about a task that is closed.
 */
function reasonsIn(html: string) {
  const page = new DOMParser().parseFromString(html, "text/html");
  return Array.from(page.querySelectorAll(".error-summary li, [data-task-state]"), (item) =>
    (item.textContent ?? "").trim(),
  ).filter(Boolean);
}

async function forgetPages(assignmentId: string) {
  if (!("caches" in window)) return;
  const cache = await caches.open(PAGES_CACHE);
  const base = `${location.origin}/tasks/${assignmentId}`;
  await Promise.all([cache.delete(base), cache.delete(`${base}/report`)]);
}

async function send(report: QueuedReport): Promise<"stop" | "next"> {
  waiting.set(report.assignmentId, "sending");
  let response: Response;
  try {
    response = await fetch(report.action, {
      method: "POST",
      body: new URLSearchParams(report.fields),
      credentials: "same-origin",
      headers: { [OFFLINE_SYNC_HEADER]: "1" },
    });
  } catch {
    // Still no way through: wait for the next "online" or visit.
    waiting.delete(report.assignmentId);
    return "stop";
  }
  const answer = { status: response.status, url: response.url, taskPath: taskPath(report) };
  const outcome = syncOutcome({
    ...answer,
    messages: needsReasons(answer) ? reasonsIn(await response.text()) : [],
  });
  switch (outcome.kind) {
    case "sent":
      await removeReport(report.assignmentId);
      waiting.delete(report.assignmentId);
      sent.push({
        assignmentId: report.assignmentId,
        title: report.title,
        thanksPath: outcome.thanksPath,
      });
      await forgetPages(report.assignmentId).catch(() => {});
      return "next";
    case "rejected":
      await rejectReport(report.assignmentId, {
        status: outcome.status,
        messages: outcome.messages,
      });
      waiting.delete(report.assignmentId);
      return "next";
    case "sign-in":
      waiting.set(report.assignmentId, "sign-in");
      return "next";
    case "retry":
      waiting.set(report.assignmentId, "later");
      return "stop";
  }
}

let syncing = false;

async function sync() {
  if (!canQueue || !navigator.onLine || syncing) return;
  syncing = true;
  try {
    const run = async () => {
      for (const report of await listReports()) {
        if (report.state !== "waiting" || !visible(report)) continue;
        if (!owner) {
          waiting.set(report.assignmentId, "sign-in");
          continue;
        }
        await render();
        if ((await send(report)) === "stop") break;
      }
    };
    // Two open tabs would both send; the server would record each once, but one sender is kinder.
    if (navigator.locks) await navigator.locks.request("onward-offline-sync", run);
    else await run();
  } finally {
    syncing = false;
  }
  await render();
}

reportForm?.addEventListener("submit", (event) => {
  if (navigator.onLine || !canQueue || !formTask) return;
  event.preventDefault();
  const form = reportForm;
  saveReport({
    assignmentId: formTask,
    action: new URL(form.action).pathname,
    fields: formFields(new FormData(form)),
    title: form.dataset.taskTitle ?? null,
    owner,
  })
    .then(() => {
      justSaved = true;
      return render();
    })
    // Storage refused (private browsing, a full disk): the service worker or the browser's own
    // offline page takes it from here.
    .catch(() => form.submit());
});

async function start() {
  if (canQueue) {
    if (reportForm && formTask && reportForm.dataset.taskTitle) {
      await describeReport(formTask, { title: reportForm.dataset.taskTitle, owner });
    }
    if (thanksTask) {
      const done = (await listReports()).find((r) => r.assignmentId === thanksTask);
      if (done?.state === "rejected") await removeReport(thanksTask);
    }
  }
  await render();
  await sync();
}

function keepPagesOffline() {
  if (!owner) {
    // Signed out: what someone saw on this phone must not stay on it for the next person. Nothing
    // is kept for someone who isn't signed in, so the service worker waits until they are.
    if ("caches" in window) void caches.delete(PAGES_CACHE);
    return;
  }
  if (!("serviceWorker" in navigator)) return;
  const urls = new Set<string>();
  if (OFFLINE_PAGE.test(location.pathname)) urls.add(pageKey(location.href));
  for (const element of document.querySelectorAll<HTMLElement>("[data-offline-url]")) {
    for (const path of (element.dataset.offlineUrl ?? "").split(/\s+/).filter(Boolean)) {
      urls.add(pageKey(new URL(path, location.href)));
    }
  }
  navigator.serviceWorker
    .register("/sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      registration.active?.postMessage({ type: "keep-pages", urls: [...urls] });
    })
    .catch(() => {});
}

window.addEventListener("online", () => void sync());
window.addEventListener("offline", () => void render());
void start().catch(() => {});
keepPagesOffline();
