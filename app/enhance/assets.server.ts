import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The address of the volunteer pages' script, which scripts/build-sw.mjs names after its content
 * and records in public/build/enhance/manifest.json. Null when it hasn't been built (a plain
 * `remix build`, tests): the pages then simply work without it.
 */
let found: string | null = null;

export function enhanceScriptSrc(): string | null {
  if (found) return found;
  try {
    const manifest = JSON.parse(
      readFileSync(path.resolve("public/build/enhance/manifest.json"), "utf8"),
    ) as { script?: unknown };
    if (typeof manifest.script === "string") found = manifest.script;
  } catch {
    // Not built: look again on the next request.
  }
  return found;
}
