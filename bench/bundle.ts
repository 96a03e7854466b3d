/**
 * What a first visit to each volunteer page loads, against the targets of issue 7: JavaScript at
 * most 30 KB gzipped, CSS at most 20 KB gzipped. The service worker, installed in the background
 * after the first visit, is counted apart. Also checks that no web font blocks text and that every
 * image is sized.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:bundle [-- --skip-build]
 *
 * DATABASE_URL is an admin connection. The bench builds the app (`npm run build`, unless
 * --skip-build, which reads the existing build/ and public/build/), creates a scratch database
 * onward_bench_<random> (migrated, demo campaign seeded, dropped at the end), and serves the built
 * app in this process (app/server/app.ts, the production Express app) on a free loopback port. A
 * volunteer then joins the demo campaign and reports once, over HTTP as a browser would, so every
 * page is seen as its visitor sees it. For each page it reads the HTML's script, modulepreload and
 * stylesheet links (and inline scripts), fetches each file from the server and gzips it (zlib
 * level 6, what the server's compression middleware sends). Prints a table and writes
 * bench/results/bundle.md. Asserts nothing.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { ServerBuild } from "@remix-run/node";
import { runMigrations } from "graphile-worker";
import { migrate } from "../prisma/migrator.ts";
import { createDatabase, dropDatabase, withDatabase } from "../tests/setup/postgres.ts";

const { values: args } = parseArgs({
  options: { "skip-build": { type: "boolean", default: false } },
});

const JS_TARGET = 30 * 1024;
const CSS_TARGET = 20 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const database = `onward_bench_${randomBytes(4).toString("hex")}`;
const url = withDatabase(adminUrl, database);

type Asset = { url: string; kind: "js" | "css"; raw: number; gzip: number };
type PageResult = {
  name: string;
  path: string;
  status: number;
  assets: Asset[];
  inlineJs: { raw: number; gzip: number };
  unsizedImages: string[];
  images: number;
};

function gz(buffer: Buffer | string) {
  return gzipSync(buffer, { level: 6 }).length;
}

function kb(bytes: number) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function attr(tag: string, name: string) {
  return new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag)?.[1] ?? null;
}

if (!args["skip-build"]) {
  console.log("building (npm run build)…");
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

await createDatabase(adminUrl, database);
let exitCode = 0;
try {
  await migrate({ connectionString: url });
  await runMigrations({ connectionString: url });

  process.env.DATABASE_URL = url;
  process.env.SESSION_SECRET ??= "bench-session-secret-0123456789abcdef0123";
  process.env.NODE_ENV = "production";
  process.env.RUN_WORKER = "false";
  process.env.OUTBOX_PREVIEW = "false";

  const { createApp } = await import("../app/server/app.ts");
  const build = (await import(
    pathToFileURL(path.join(root, "build/index.js")).href
  )) as ServerBuild;
  // The app's own address is only known once it listens; links in messages use APP_URL.
  const server = createApp({
    build,
    publicDir: path.join(root, "public"),
    trustProxy: false,
    appUrl: "http://127.0.0.1",
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.APP_URL = base;

  const { seedDemoIfEmpty } = await import("../prisma/seed-demo.ts");
  await seedDemoIfEmpty({ log: () => {} });
  const { db, pool } = await import("../app/utils/db.server.ts");
  const { startUserSession } = await import("../app/utils/session.server.ts");
  const { makeUnsubscribeToken } = await import("../app/utils/unsubscribe.server.ts");

  const cookieOf = (response: Response) =>
    response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(";")[0])
      .join("; ");
  const post = (pathname: string, form: Record<string, string>, cookie = "") =>
    fetch(`${base}${pathname}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        Origin: base,
        Cookie: cookie,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(form),
    });
  const get = (pathname: string, cookie = "") =>
    fetch(`${base}${pathname}`, { redirect: "manual", headers: { Cookie: cookie } });

  // A volunteer joins the demo campaign and reports on the first task, as a browser would.
  const email = `bench-${randomBytes(4).toString("hex")}@example.org`;
  const joined = await post("/join/warmer-homes", {
    name: "Bench",
    email,
    postcode: "LS6 1AA",
    channel: "EMAIL",
  });
  const volunteer = cookieOf(joined);
  const first = /\/tasks\/([^/?]+)/.exec(joined.headers.get("Location") ?? "")?.[1];
  if (!first) throw new Error(`Joining did not lead to a task (${joined.status})`);
  const form = await (await get(`/tasks/${first}/report`, volunteer)).text();
  const key = /name="idempotencyKey" value="([^"]+)"/.exec(form)?.[1] ?? "";
  const reported = await post(
    `/tasks/${first}/report`,
    { doors: "22", outcome: "It went well", would_lead: "no", idempotencyKey: key },
    volunteer,
  );
  if (!reported.headers.get("Location")?.endsWith("/thanks")) {
    throw new Error(`The report was not taken (${reported.status})`);
  }
  const next = await db.assignment.findFirstOrThrow({
    select: { id: true, userId: true },
    where: { previousId: first },
  });
  const signInByText = await post("/sign-in", { identifier: "07400 900123" });
  const pendingPhone = cookieOf(signInByText);
  const owner = await db.user.findUniqueOrThrow({
    select: { id: true },
    where: { email: "owner@example.org" },
  });
  const organiser = cookieOf(
    await startUserSession({ request: new Request(base), userId: owner.id, redirectTo: "/" }),
  );

  const pages: Array<{ name: string; path: string; cookie?: string }> = [
    { name: "home", path: "/" },
    { name: "join", path: "/join/warmer-homes" },
    { name: "sign in", path: "/sign-in" },
    { name: "sign in: email sent", path: `/sign-in/sent?to=${encodeURIComponent(email)}` },
    { name: "sign in: code", path: "/sign-in/code", cookie: pendingPhone },
    { name: "sign in: link", path: "/auth/verify?token=bench" },
    {
      name: "unsubscribe",
      path: `/unsubscribe/${makeUnsubscribeToken({ userId: next.userId, channel: "EMAIL" })}`,
    },
    { name: "your tasks (/me)", path: "/me", cookie: volunteer },
    { name: "task", path: `/tasks/${next.id}`, cookie: volunteer },
    { name: "report form", path: `/tasks/${next.id}/report`, cookie: volunteer },
    { name: "skip form", path: `/tasks/${next.id}/skip`, cookie: volunteer },
    { name: "thanks", path: `/tasks/${first}/thanks`, cookie: volunteer },
  ];
  const comparison = [{ name: "organiser: campaigns (hydrates)", path: "/org", cookie: organiser }];

  const assetCache = new Map<string, { raw: number; gzip: number; text: string }>();
  async function asset(href: string) {
    let found = assetCache.get(href);
    if (!found) {
      const response = await fetch(new URL(href, base));
      if (!response.ok) throw new Error(`${href} answered ${response.status}`);
      const buffer = Buffer.from(await response.arrayBuffer());
      found = { raw: buffer.length, gzip: gz(buffer), text: buffer.toString("utf8") };
      assetCache.set(href, found);
    }
    return found;
  }

  async function measure(page: { name: string; path: string; cookie?: string }) {
    const response = await get(page.path, page.cookie);
    const html = await response.text();
    const assets: Asset[] = [];
    const seen = new Set<string>();
    const add = async (href: string | null, kind: Asset["kind"]) => {
      if (!href || seen.has(href)) return;
      seen.add(href);
      const { raw, gzip } = await asset(href);
      assets.push({ url: href, kind, raw, gzip });
    };
    let inline = "";
    for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      const tag = match[1] ?? "";
      if (attr(` ${tag}`, "src")) await add(attr(` ${tag}`, "src"), "js");
      else inline += match[2] ?? "";
    }
    for (const match of html.matchAll(/<link\b[^>]*>/gi)) {
      const tag = match[0];
      const rel = attr(tag, "rel");
      if (rel === "modulepreload") await add(attr(tag, "href"), "js");
      if (rel === "stylesheet") await add(attr(tag, "href"), "css");
    }
    const images = [...html.matchAll(/<img\b[^>]*>/gi)].map((m) => m[0]);
    return {
      name: page.name,
      path: page.path.replace(/[?].*$/, "").replace(/\/(tasks|unsubscribe)\/[^/]+/, "/$1/…"),
      status: response.status,
      assets,
      inlineJs: { raw: Buffer.byteLength(inline), gzip: inline ? gz(inline) : 0 },
      images: images.length,
      unsizedImages: images.filter((tag) => !attr(tag, "width") || !attr(tag, "height")),
    } satisfies PageResult;
  }

  const results: PageResult[] = [];
  for (const page of pages) results.push(await measure(page));
  const compared: PageResult[] = [];
  for (const page of comparison) compared.push(await measure(page));

  const sum = (page: PageResult, kind: Asset["kind"], field: "raw" | "gzip") =>
    page.assets.filter((a) => a.kind === kind).reduce((total, a) => total + a[field], 0) +
    (kind === "js" ? page.inlineJs[field] : 0);

  // Web fonts: an @font-face in any stylesheet, or a preloaded font, would be fetched before text
  // shows unless it says font-display: swap/optional/fallback.
  const stylesheets = [...assetCache.entries()].filter(([href]) => href.endsWith(".css"));
  const fontFaces = stylesheets.flatMap(([href, file]) =>
    [...file.text.matchAll(/@font-face\s*{[^}]*}/g)].map((m) => ({ href, rule: m[0] })),
  );
  const blockingFonts = fontFaces.filter(
    (face) => !/font-display\s*:\s*(swap|optional|fallback)/.test(face.rule),
  );

  const sw = await asset("/sw.js");
  const swSource = sw.text;
  const precached = [...swSource.matchAll(/\{url:"([^"]+)",revision:/g)].map((m) => m[1] ?? "");
  let precacheGzip = 0;
  for (const href of precached) precacheGzip += (await asset(href)).gzip;

  const row = (page: PageResult) => {
    const js = sum(page, "js", "gzip");
    const css = sum(page, "css", "gzip");
    const files = page.assets.filter((a) => a.kind === "js").length;
    return {
      line: `| ${page.name} | \`${page.path}\` | ${page.status} | ${files} | ${kb(js)} | ${kb(css)} | ${
        js <= JS_TARGET && css <= CSS_TARGET ? "yes" : "**no**"
      } |`,
      ok: js <= JS_TARGET && css <= CSS_TARGET,
      js,
      css,
    };
  };
  const rows = results.map(row);
  const allOk =
    rows.every((r) => r.ok) && results.every((r) => r.status === 200 || r.status === 400);
  const maxJs = Math.max(...rows.map((r) => r.js));
  const maxCss = Math.max(...rows.map((r) => r.css));
  const totalImages = results.reduce((n, r) => n + r.images, 0);
  const unsized = results.flatMap((r) => r.unsizedImages.map((tag) => `${r.path}: ${tag}`));
  const enhanceFile = results.flatMap((r) => r.assets).find((a) => a.url.includes("/enhance/"));

  const header = [
    "| page | path | status | JS files | JS gzip | CSS gzip | within targets |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- |",
  ];
  const table = [...header, ...rows.map((r) => r.line)].join("\n");
  // The targets are for volunteer pages; an organiser page is shown only to compare.
  const comparisonTable = [
    ...header,
    ...compared.map((p) => row(p).line.replace(/\| [^|]* \|$/, "| (not a volunteer page) |")),
  ].join("\n");
  const machine = `\`nproc\` = ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;

  const report = `# bundle: what a first visit to each volunteer page loads

## How to rerun

\`\`\`sh
DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:bundle   # builds first
DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:bundle -- --skip-build
\`\`\`

\`bench/bundle.ts\` serves the production build in-process (app/server/app.ts) over a scratch
database with the demo campaign; a volunteer joins and reports once over HTTP, so each page is the
one its visitor gets (signed in where the page needs it). For each page it sums the files the HTML
links to (\`<script src>\`, \`<link rel="modulepreload">\`, \`<link rel="stylesheet">\`) plus inline
scripts, each gzipped at level 6 (what the server's compression middleware sends).

## Machine

${machine}, ${new Date().toISOString().slice(0, 10)}. Sizes do not depend on the machine.

## Result: every volunteer page within the targets: ${allOk ? "yes" : "**no**"}

Targets: JavaScript ≤ 30 KB gzipped, CSS ≤ 20 KB gzipped. Largest: JavaScript ${kb(maxJs)}, CSS ${kb(maxCss)}.

${table}

Every volunteer page loads one script, \`${enhanceFile?.url.replace(/-[0-9a-f]+\.js$/, "-<hash>.js") ?? "(none)"}\`
(${enhanceFile ? `${kb(enhanceFile.gzip)} gzipped, ${kb(enhanceFile.raw)} raw` : "not built"}): the
offline report queue, the service worker's registration and error-summary focus. No page hydrates
React. The join page also has the small inline script that fills in the browser's timezone.

For comparison, an organiser page, which hydrates React and Remix as before:

${comparisonTable}

## Service worker (counted apart)

\`/sw.js\`: ${kb(sw.gzip)} gzipped (${kb(sw.raw)} raw), installed in the background from the first
page a signed-in volunteer opens, then checked for a new version on later visits. It precaches ${precached.length}
files, ${kb(precacheGzip)} gzipped in all: ${precached.map((href) => `\`${href.replace(/-[0-9A-Za-z]+\.(css|js)$/, "-<hash>.$1")}\``).join(", ")}.

## Checks

- Web fonts: ${fontFaces.length === 0 ? "none (the system font stack); nothing blocks text" : `${fontFaces.length} @font-face rules, ${blockingFonts.length} without font-display swap/optional/fallback`}.
- Images: ${totalImages} \`<img>\` on these pages; ${unsized.length === 0 ? "all sized (width and height)" : `unsized: ${unsized.join("; ")}`}. Icons are inline SVG or CSS.
`;
  writeFileSync(path.join(root, "bench/results/bundle.md"), report);

  console.log(`\n${table}\n\nfor comparison:\n${comparisonTable}\n`);
  console.log(
    `service worker: ${kb(sw.gzip)} gzipped; precache ${precached.length} files, ${kb(precacheGzip)} gzipped`,
  );
  console.log(
    `web fonts: ${fontFaces.length} (${blockingFonts.length} blocking); images: ${totalImages}, unsized ${unsized.length}`,
  );
  console.log(`within targets: ${allOk ? "yes" : "no"} — written to bench/results/bundle.md`);

  await new Promise((resolve) => server.close(resolve));
  await db.$disconnect();
  await pool.end();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await dropDatabase(adminUrl, database).catch(() => {});
}
process.exit(exitCode);
