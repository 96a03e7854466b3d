import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * `node --import tsx tests/faults/build-app.ts OUT_DIR`: the production build of the app (what
 * `remix build` makes) written to OUT_DIR/build and OUT_DIR/public/build instead of the working
 * tree's build/, so a fault test never races another run (an end-to-end test, a developer's own
 * build) writing the same files. Uses the Remix compiler's own modules, as its CLI does; the
 * CLI has no option for the output paths.
 */

type RemixConfig = { serverBuildPath: string; assetsBuildDirectory: string };

const [outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("Usage: build-app.ts OUT_DIR");
  process.exit(2);
}
const root = process.cwd();
const devModule = async <T>(file: string) =>
  (await import(
    pathToFileURL(path.join(root, "node_modules/@remix-run/dev/dist", file)).href
  )) as T;

const { readConfig } = await devModule<{ readConfig(root: string): Promise<RemixConfig> }>(
  "config.js",
);
const { build } = await devModule<{ build(args: Record<string, unknown>): Promise<void> }>(
  "compiler/build.js",
);
const { createFileWatchCache } = await devModule<{ createFileWatchCache(): unknown }>(
  "compiler/fileWatchCache.js",
);
const { logger } = await devModule<{ logger: unknown }>("tux/logger.js");

const config = await readConfig(root);
config.serverBuildPath = path.resolve(outDir, "build/index.js");
config.assetsBuildDirectory = path.resolve(outDir, "public/build");
try {
  await build({
    config,
    options: { mode: "production", sourcemap: false },
    fileWatchCache: createFileWatchCache(),
    logger,
  });
} catch (error) {
  console.error(error);
  process.exit(1);
}
// The compiler keeps esbuild's service alive; the build is written, so leave.
process.exit(0);
