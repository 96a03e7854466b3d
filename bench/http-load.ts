/**
 * The load generator of bench/http.ts, run as a process of its own so that it does not share an
 * event loop with the server it measures: `node --import tsx bench/http-load.ts PLAN.json`.
 *
 * PLAN.json: { url, connections, mode: "get" | "post", targets: [{ assignmentId, cookie }],
 * duration? (seconds, GET), gzip? (ask for compressed pages, as phone browsers do) }. GET asks for each target's task page in turn for `duration`
 * seconds; POST sends one report for each target, once, as a phone's form does (a form body, the
 * page's Origin, a fresh idempotency key), so every POST is a new report. Each request carries an
 * X-Forwarded-For address of its own out of 1,000, as requests behind a load balancer do (the
 * server runs with TRUST_PROXY), so the per-address limits see many phones rather than one.
 *
 * Prints one JSON line: requests, seconds, requests/s and p50/p95/p99/max latency in ms (from
 * every response, not autocannon's bucketed summary, which has no p95), and the status counts.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { reportForm, type Reporter } from "../tests/fixtures/reporter-form.ts";

type Plan = {
  url: string;
  connections: number;
  mode: "get" | "post";
  targets: Array<Pick<Reporter, "assignmentId" | "cookie">>;
  gzip?: boolean;
  duration?: number;
};

const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Plan;
const origin = new URL(plan.url).origin;
let next = 0;
const address = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 3}.${n & 255}`;

const requests: autocannon.Request[] = [
  {
    method: plan.mode === "get" ? "GET" : "POST",
    setupRequest: (request) => {
      const n = next++;
      const target = plan.targets[n % plan.targets.length]!;
      const headers: Record<string, string> = {
        cookie: target.cookie,
        "x-forwarded-for": address(n % 1000),
        accept: "text/html",
      };
      if (plan.gzip) headers["accept-encoding"] = "gzip, deflate, br";
      if (plan.mode === "get") {
        return { ...request, path: `/tasks/${target.assignmentId}`, headers };
      }
      headers.origin = origin;
      headers["content-type"] = "application/x-www-form-urlencoded";
      return {
        ...request,
        path: `/tasks/${target.assignmentId}/report`,
        headers,
        body: new URLSearchParams(reportForm(randomUUID())).toString(),
      };
    },
  },
];

const latencies: number[] = [];
const statuses: Record<string, number> = {};
let finished: (result: autocannon.Result) => void = () => {};
const done = new Promise<autocannon.Result>((resolve) => (finished = resolve));
const instance = autocannon(
  {
    url: plan.url,
    connections: plan.connections,
    ...(plan.mode === "get" ? { duration: plan.duration ?? 10 } : { amount: plan.targets.length }),
    requests,
    timeout: 30,
  },
  (error, result) => {
    if (error) throw error;
    finished(result);
  },
);
instance.on("response", (_client, statusCode, _bytes, responseTime) => {
  latencies.push(responseTime);
  statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
});
const result = await done;

latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
console.log(
  JSON.stringify({
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: latencies.at(-1) ?? NaN,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  }),
);
