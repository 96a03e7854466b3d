/**
 * Builds what `remix build` doesn't: the volunteer pages' script (app/enhance/index.ts) and the
 * service worker (app/service-worker/sw.ts), both with esbuild, into public/build/. Runs after
 * `remix build` (it empties public/build/ and names the stylesheets this precaches).
 *
 *   node scripts/build-sw.mjs
 *
 * - public/build/enhance/enhance-<hash>.js and manifest.json (read by app/enhance/assets.server.ts)
 * - public/build/sw.js, served at /sw.js (app/server/app.ts), with its precache list inlined:
 *   the stylesheets, the page script, the web app manifest and its icons.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const publicDir = path.join(root, "public");
const buildDir = path.join(publicDir, "build");
const enhanceDir = path.join(buildDir, "enhance");

// Phones a few years old: what their browsers have understood since 2020.
const target = "es2020";

function contentHash(contents) {
  return createHash("sha256").update(contents).digest("hex").slice(0, 10);
}

async function bundle(entry, format, define = {}) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format,
    target,
    write: false,
    legalComments: "none",
    define: { "process.env.NODE_ENV": JSON.stringify("production"), ...define },
    logLevel: "warning",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.contents;
}

async function listFiles(dir) {
  return (await readdir(dir, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
}

const started = Date.now();

const enhance = await bundle("app/enhance/index.ts", "esm");
const enhanceName = `enhance-${contentHash(enhance)}.js`;
await rm(enhanceDir, { recursive: true, force: true });
await mkdir(enhanceDir, { recursive: true });
await writeFile(path.join(enhanceDir, enhanceName), enhance);
const enhanceUrl = `/build/enhance/${enhanceName}`;
await writeFile(
  path.join(enhanceDir, "manifest.json"),
  `${JSON.stringify({ script: enhanceUrl }, null, 2)}\n`,
);

const stylesheets = (await listFiles(path.join(buildDir, "_assets")))
  .filter((name) => name.endsWith(".css"))
  .map((name) => `/build/_assets/${name}`);
if (stylesheets.length === 0) {
  throw new Error("No stylesheets in public/build/_assets: run `remix build` first.");
}
// The offline page wears the site's own stylesheet (app/styles/app.css).
const siteStylesheets = stylesheets.filter((href) => path.basename(href).startsWith("app-"));

// Files with a hash in their name need no revision; the others get one from their content.
const unversioned = [
  "/manifest.webmanifest",
  "/favicon.svg",
  ...(await listFiles(path.join(publicDir, "icons"))).map((name) => `/icons/${name}`),
];
const precache = [
  ...[...stylesheets, enhanceUrl].map((url) => ({ url, revision: null })),
  ...(await Promise.all(
    unversioned.map(async (url) => ({
      url,
      revision: contentHash(await readFile(path.join(publicDir, url))),
    })),
  )),
];

const worker = await bundle("app/service-worker/sw.ts", "iife", {
  "self.__WB_MANIFEST": JSON.stringify(precache),
  __ONWARD_STYLESHEETS__: JSON.stringify(siteStylesheets.length ? siteStylesheets : stylesheets),
});
await writeFile(path.join(buildDir, "sw.js"), worker);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(
  `[build-sw] ${enhanceUrl} (${kb(enhance.length)}), /sw.js (${kb(worker.length)}, ` +
    `${precache.length} files precached) in ${Date.now() - started} ms`,
);
