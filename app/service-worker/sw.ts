import { clientsClaim } from "workbox-core";
import { ExpirationPlugin } from "workbox-expiration";
import { cleanupOutdatedCaches, precacheAndRoute } from "workbox-precaching";
import { registerRoute, setCatchHandler } from "workbox-routing";
import { CacheFirst, NetworkFirst, NetworkOnly } from "workbox-strategies";
import {
  ASSETS_CACHE,
  OFFLINE_PAGE,
  PAGES_CACHE,
  REPORT_ACTION,
  SAVED_PARAM,
  pageKey,
} from "../enhance/protocol.ts";
import { formFields, saveReport } from "../enhance/queue.ts";

/**
 * Onward's service worker, served at /sw.js and bundled by scripts/build-sw.mjs, which fills in
 * the precache list (stylesheets, the page script, icons, the manifest).
 *
 * - Volunteer pages (OFFLINE_PAGE): network first, so a connected phone always gets a fresh page;
 *   the copy kept in the cache answers when there is no connection.
 * - Built files: cache first (their names change with their content).
 * - A report form POST that fails on the way is saved in the offline queue and the form page is
 *   shown again, where the page script says it is saved and sends it later.
 * - Any other page that can't be fetched gets a short "You're offline" page.
 */

type ExtendableMessageEvent = MessageEvent & { waitUntil(promise: Promise<unknown>): void };

declare const self: {
  location: Location;
  registration: ServiceWorkerRegistration;
  __WB_MANIFEST: Array<{ url: string; revision: string | null }>;
  skipWaiting(): Promise<void>;
  addEventListener(
    type: "message" | "activate",
    listener: (event: ExtendableMessageEvent) => void,
  ): void;
};
/** The site's stylesheets, for the offline page (set at build). */
declare const __ONWARD_STYLESHEETS__: string[];

// A new version takes over at once: pages keep working across versions, and stale workers would
// otherwise keep serving an old page script until every tab closed.
void self.skipWaiting();
clientsClaim();

// The page request starts while the worker is still waking up (Workbox's strategies use it), so
// going through the worker costs a navigation next to nothing.
self.addEventListener("activate", (event) => {
  event.waitUntil(self.registration.navigationPreload?.enable() ?? Promise.resolve());
});

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

const keepablePage = {
  cacheKeyWillBeUsed: async ({ request }: { request: Request }) => pageKey(request.url),
  // Only a page as its owner saw it: no redirect (to sign-in, or from a closed task's form), no
  // error page.
  cacheWillUpdate: async ({ response }: { response: Response }) =>
    response.status === 200 &&
    response.type === "basic" &&
    !response.redirected &&
    (response.headers.get("Content-Type") ?? "").startsWith("text/html")
      ? response
      : null,
};

const pages = new NetworkFirst({
  cacheName: PAGES_CACHE,
  plugins: [
    keepablePage,
    new ExpirationPlugin({ maxEntries: 60, maxAgeSeconds: 30 * 24 * 60 * 60 }),
  ],
});

function sameOrigin(url: URL) {
  return url.origin === self.location.origin;
}

registerRoute(
  ({ request, url }) =>
    request.mode === "navigate" && sameOrigin(url) && OFFLINE_PAGE.test(url.pathname),
  pages,
);

registerRoute(
  ({ url }) => sameOrigin(url) && url.pathname.startsWith("/build/"),
  new CacheFirst({
    cacheName: ASSETS_CACHE,
    plugins: [new ExpirationPlugin({ maxEntries: 150, purgeOnQuotaError: true })],
  }),
);

async function forgetTaskPages(assignmentId: string) {
  const cache = await caches.open(PAGES_CACHE);
  const base = `${self.location.origin}/tasks/${assignmentId}`;
  await Promise.all([cache.delete(base), cache.delete(`${base}/report`)]);
}

registerRoute(
  ({ request, url }) =>
    request.mode === "navigate" && sameOrigin(url) && REPORT_ACTION.test(url.pathname),
  async ({ request, url }) => {
    const assignmentId = REPORT_ACTION.exec(url.pathname)?.[1] ?? "";
    const copy = request.clone();
    let response: Response;
    try {
      response = await fetch(request);
    } catch {
      // The connection dropped on the way (one bar of signal, a lift): keep the report.
      try {
        await saveReport({
          assignmentId,
          action: url.pathname,
          fields: formFields(await copy.formData()),
          title: null,
          owner: null,
        });
      } catch {
        return offlinePage({ sending: true });
      }
      const saved = new URL(url.pathname, url);
      saved.searchParams.set(SAVED_PARAM, "1");
      return Response.redirect(saved.href, 303);
    }
    // Recorded (the action redirects to the thanks page): the kept task page and form are stale.
    if (response.type === "opaqueredirect") await forgetTaskPages(assignmentId).catch(() => {});
    return response;
  },
  "POST",
);

// Signing out (or deleting the account) from any page, hydrated or not: the kept pages are that
// person's, and a shared phone must not show them to the next one.
registerRoute(
  ({ url }) => sameOrigin(url) && /^\/(?:sign-out|account\/delete)(?:\.data)?$/.test(url.pathname),
  async ({ request }) => {
    const response = await fetch(request);
    if (response.status < 400) await caches.delete(PAGES_CACHE);
    return response;
  },
  "POST",
);

// Any other page goes to the network, with the offline page when it can't. (Other forms are left
// to the browser: only a report can wait on the phone.)
registerRoute(({ request }) => request.mode === "navigate", new NetworkOnly());

function escapeHtml(text: string) {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function offlinePage({ sending }: { sending: boolean }) {
  const styles = __ONWARD_STYLESHEETS__
    .map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`)
    .join("");
  const body = sending
    ? "<p>You're offline, so what you sent didn't reach us. Go back, and send it again when you have signal.</p>"
    : "<p>This page isn't saved on this phone yet. Pages you've opened before still work.</p>";
  const html = `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>You're offline – Onward</title>${styles}</head><body><header class="site-header"><div class="wrap site-header__inner"><a href="/" class="brand">Onward</a></div></header><main id="main" class="wrap"><h1>You're offline</h1>${body}<p><a href="/me">Your tasks</a></p></main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8" },
  });
}

setCatchHandler(async ({ request }) =>
  request.mode === "navigate"
    ? offlinePage({ sending: request.method !== "GET" })
    : Response.error(),
);

async function keepPages(urls: unknown[], event: ExtendableMessageEvent) {
  const cache = await caches.open(PAGES_CACHE);
  for (const url of urls) {
    if (typeof url !== "string") continue;
    const parsed = new URL(url, self.location.origin);
    if (!sameOrigin(parsed) || !OFFLINE_PAGE.test(parsed.pathname)) continue;
    if (await cache.match(pageKey(parsed))) continue;
    // Through the same strategy, so the same rules (and expiry) apply as to a visited page.
    await pages
      .handle({ request: new Request(parsed.href, { credentials: "same-origin" }), event })
      .catch(() => {});
  }
}

// A page asks for the task pages it links to, so they open without a connection later.
self.addEventListener("message", (event) => {
  const data = event.data as { type?: unknown; urls?: unknown } | null;
  if (data?.type !== "keep-pages" || !Array.isArray(data.urls)) return;
  event.waitUntil(keepPages(data.urls.slice(0, 20), event));
});
