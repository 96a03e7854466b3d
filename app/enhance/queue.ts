import { openDB, type DBSchema, type IDBPDatabase } from "idb";

/**
 * Reports saved on the phone while it had no connection, in IndexedDB. Written by the page script
 * (a report sent while offline) and by the service worker (a report whose POST failed on the way);
 * read and emptied by the page script when the connection is back.
 *
 * One entry per task: sending the form again while offline replaces the answers. The idempotency
 * key of a report still waiting is kept, because its first POST may have reached the server even
 * though the answer never came back; with the same key the server records it once.
 */

export type ReportProblem = {
  /** The HTTP status the server answered with. */
  status: number;
  /** What the server said was wrong, as shown on the form. */
  messages: string[];
};

export type QueuedReport = {
  assignmentId: string;
  /** The form's address, e.g. /tasks/abc/report. */
  action: string;
  /** The form's fields as sent, the hidden idempotencyKey included. */
  fields: Array<[string, string]>;
  /** The task's title, for the messages; null when the service worker saved it. */
  title: string | null;
  /** Who was signed in when it was saved; null when the service worker saved it. */
  owner: string | null;
  savedAt: number;
  /** "rejected": the server refused it, and the person is told why until they dismiss it. */
  state: "waiting" | "rejected";
  problem: ReportProblem | null;
};

interface QueueSchema extends DBSchema {
  reports: { key: string; value: QueuedReport };
}

const DB_NAME = "onward-offline";
const IDEMPOTENCY_FIELD = "idempotencyKey";

let opened: Promise<IDBPDatabase<QueueSchema>> | undefined;

function database() {
  opened ??= openDB<QueueSchema>(DB_NAME, 1, {
    upgrade(db) {
      db.createObjectStore("reports", { keyPath: "assignmentId" });
    },
  });
  return opened;
}

export function idempotencyKeyOf(report: Pick<QueuedReport, "fields">) {
  return report.fields.find(([name]) => name === IDEMPOTENCY_FIELD)?.[1] ?? null;
}

/** The text fields of a submitted form, in order (a report form has no files). */
export function formFields(data: FormData): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  data.forEach((value, name) => {
    if (typeof value === "string") fields.push([name, value]);
  });
  return fields;
}

export async function saveReport(
  report: Omit<QueuedReport, "savedAt" | "state" | "problem">,
): Promise<QueuedReport> {
  const db = await database();
  const tx = db.transaction("reports", "readwrite");
  const earlier = await tx.store.get(report.assignmentId);
  const earlierKey = earlier?.state === "waiting" ? idempotencyKeyOf(earlier) : null;
  const fields = earlierKey
    ? report.fields.map(([name, value]): [string, string] =>
        name === IDEMPOTENCY_FIELD ? [name, earlierKey] : [name, value],
      )
    : report.fields;
  const saved: QueuedReport = {
    ...report,
    title: report.title ?? earlier?.title ?? null,
    owner: report.owner ?? earlier?.owner ?? null,
    fields,
    savedAt: Date.now(),
    state: "waiting",
    problem: null,
  };
  await tx.store.put(saved);
  await tx.done;
  return saved;
}

export async function listReports(): Promise<QueuedReport[]> {
  const all = await (await database()).getAll("reports");
  return all.sort((a, b) => a.savedAt - b.savedAt);
}

/** Fills in who saved a report and its title, once a page of that task shows them. */
export async function describeReport(
  assignmentId: string,
  { title, owner }: { title: string; owner: string | null },
) {
  const db = await database();
  const tx = db.transaction("reports", "readwrite");
  const report = await tx.store.get(assignmentId);
  if (report && (report.title === null || report.owner === null)) {
    await tx.store.put({ ...report, title: report.title ?? title, owner: report.owner ?? owner });
  }
  await tx.done;
}

export async function rejectReport(assignmentId: string, problem: ReportProblem) {
  const db = await database();
  const tx = db.transaction("reports", "readwrite");
  const report = await tx.store.get(assignmentId);
  if (report) await tx.store.put({ ...report, state: "rejected", problem });
  await tx.done;
}

export async function removeReport(assignmentId: string) {
  await (await database()).delete("reports", assignmentId);
}
