/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`) by where self time goes: per npm package,
 * per project file, node internals, GC and idle. Used for bench/results/nudges.md.
 *
 *   node --import tsx bench/cpuprofile-summary.ts PROFILE.cpuprofile [top=25]
 */
import { readFileSync } from "node:fs";

type Node = { id: number; callFrame: { functionName: string; url: string }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: cpuprofile-summary.ts PROFILE [top]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

function bucket(node: Node): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith("(") ? functionName : "(native) " + functionName;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return "pkg " + (rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]);
  }
  if (url.startsWith("node:")) return "node " + url.slice(5).split("/")[0];
  const m = /\/work\/[^/]+\/(.*)$/.exec(url.replace("file://", ""));
  return m ? "src " + m[1] : url;
}

const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const key = bucket(byId.get(id)!);
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const busy = total - (self.get("(idle)") ?? 0);
console.log(`total ${(total / 1000).toFixed(0)} ms, not idle ${(busy / 1000).toFixed(0)} ms`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) {
  console.log(
    `${(us / 1000).toFixed(0).padStart(8)} ms  ${((100 * us) / busy).toFixed(1).padStart(5)} % of busy  ${key}`,
  );
}

// Native and node-internal time, charged to the nearest caller in a package or project file (who
// caused the socket writes, the stream work, …).
const parent = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);
const charged = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const own = bucket(byId.get(id)!);
  if (!own.startsWith("(native)") && !own.startsWith("node ")) return;
  let at: number | undefined = id;
  let owner = "(no caller in a package)";
  while (at !== undefined) {
    const key = bucket(byId.get(at)!);
    if (key.startsWith("pkg ") || key.startsWith("src ")) {
      owner = key;
      break;
    }
    at = parent.get(at);
  }
  charged.set(owner, (charged.get(owner) ?? 0) + dt);
});
console.log("\nnative and node-internal time by nearest caller:");
for (const [key, us] of [...charged].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  console.log(
    `${(us / 1000).toFixed(0).padStart(8)} ms  ${((100 * us) / busy).toFixed(1).padStart(5)} % of busy  ${key}`,
  );
}
