/**
 * What the server, the volunteer pages' script (app/enhance/) and the service worker
 * (app/service-worker/) agree on. No imports: the route modules, the page script and the worker
 * all bundle this file.
 */

/** Marks a report POST replayed from the phone's offline queue, so it is stored as OFFLINE_SYNC. */
export const OFFLINE_SYNC_HEADER = "X-Onward-Offline-Sync";

/** The Cache Storage cache holding volunteer pages for offline use. */
export const PAGES_CACHE = "onward-pages-v1";

/** Built files (hashed names, so never stale) fetched at run time rather than precached. */
export const ASSETS_CACHE = "onward-assets-v1";

/**
 * The volunteer pages worth keeping on the phone: home, "Your tasks", and a task with its report
 * form and thanks page. Skipping a task needs a connection, so its form is not kept (it would only
 * fail when sent).
 */
export const OFFLINE_PAGE = /^\/(?:me|tasks\/[^/]+(?:\/(?:report|thanks))?)?$/;

/** The report form's address; the task's id is the first group. */
export const REPORT_ACTION = /^\/tasks\/([^/]+)\/report$/;

/** The page a task's report leads to when the server has recorded it. */
export const THANKS_PAGE = /^\/tasks\/([^/]+)\/thanks$/;

/** Added to the report form's address when the service worker saved a report the network lost. */
export const SAVED_PARAM = "saved";

/** The cache key of a page: search parameters (like ?welcome=1) only change a notice on it. */
export function pageKey(url: string | URL) {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
