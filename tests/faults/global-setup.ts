import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, runTag } from "../setup/postgres.ts";

const FAULTS_DIR = path.join(REPO_ROOT, ".data/faults");

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes what fault test runs left under .data/faults: this run's, and those of dead runs. */
function removeLeftovers(ownTag: string) {
  let entries: string[] = [];
  try {
    entries = readdirSync(FAULTS_DIR);
  } catch {
    return;
  }
  for (const entry of entries) {
    const tag = /-(p\d+)$/.exec(entry)?.[1];
    if (tag && (tag === ownTag || !isAlive(Number(tag.slice(1))))) {
      rmSync(path.join(FAULTS_DIR, entry), { recursive: true, force: true });
    }
  }
}

/**
 * The fault tests' own global setup, beside tests/setup/global-setup.ts (the databases): the
 * app build that tests/faults/helpers.ts makes for this run is removed when the run ends.
 */
export default function setup() {
  const tag = runTag();
  removeLeftovers(tag);
  return () => removeLeftovers(tag);
}
