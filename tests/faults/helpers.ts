import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inject, onTestFailed } from "vitest";
import { REPO_ROOT } from "../setup/postgres.ts";

/**
 * What the fault tests share: real child processes (the web server, the worker) started, watched
 * and ended; the app built once per run; plain HTTP as a browser without JavaScript sends it.
 * Nothing here imports app code, so a test can point the app's database client elsewhere first.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

export type Child = {
  name: string;
  child: ChildProcess;
  pid: number;
  output: () => string;
  running: () => boolean;
};

/** Every process a test file starts, so that a hook ends them all, also after a failure. */
export class Processes {
  private readonly started: Child[] = [];

  start(
    name: string,
    args: string[],
    { env, cwd = REPO_ROOT }: { env: NodeJS.ProcessEnv; cwd?: string },
  ) {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const started: Child = {
      name,
      child,
      pid: child.pid ?? -1,
      output: () => output,
      running: () => child.exitCode === null && child.signalCode === null,
    };
    this.started.push(started);
    return started;
  }

  /** `npm run worker`: jobs/worker.ts on its own. */
  worker(name: string, env: NodeJS.ProcessEnv) {
    return this.start(name, ["--import", "tsx", "jobs/worker.ts"], {
      env: { ...env, NODE_ENV: "production", RUN_WORKER: "true" },
    });
  }

  /** `npm run web`, serving the build in `appDir` (see buildApp). */
  web(name: string, { appDir, env }: { appDir: string; env: NodeJS.ProcessEnv }) {
    return this.start(name, ["--import", "tsx", path.join(REPO_ROOT, "app/server/index.ts")], {
      cwd: appDir,
      // tsx finds the `~/` alias in tsconfig.json from the working directory; say where it is.
      env: { TSX_TSCONFIG_PATH: path.join(REPO_ROOT, "tsconfig.json"), ...env },
    });
  }

  /**
   * Call inside a test: if it fails, the last lines of each process's output are printed (and
   * with FAULTS_DEBUG_DIR set, each whole output is written to a file there).
   */
  printOutputOnFailure() {
    onTestFailed(() => {
      for (const started of this.started) {
        if (process.env.FAULTS_DEBUG_DIR)
          writeFileSync(
            `${process.env.FAULTS_DEBUG_DIR}/${started.name.replace(/\W/g, "_")}.log`,
            started.output(),
          );
        console.log(
          `[faults] ${started.name} (pid ${started.pid}):\n${started.output().slice(-6000)}`,
        );
      }
    });
  }

  /** SIGKILLs whatever is still running and forgets them all. */
  async killAll() {
    await Promise.all(this.started.splice(0).map((started) => kill(started, "SIGKILL")));
  }
}

/** Sends the signal and resolves when the process has exited, with how it exited. */
export async function kill(started: Child, signal: NodeJS.Signals) {
  const { child } = started;
  if (!started.running()) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, exitSignal) => resolve({ code, signal: exitSignal })),
  );
  child.kill(signal);
  return exited;
}

/** Waits until the process has printed a match of `pattern`; returns the first match. */
export async function waitForOutput(
  started: Child,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  const since = Date.now();
  for (;;) {
    const match = pattern.exec(started.output());
    if (match) return match;
    if (!started.running()) {
      throw new Error(`${started.name} exited (${started.child.exitCode}):\n${started.output()}`);
    }
    if (Date.now() - since > timeoutMs) {
      throw new Error(
        `${started.name}: no ${pattern} within ${timeoutMs} ms:\n${started.output()}`,
      );
    }
    await sleep(50);
  }
}

/** The environment of a web process on 127.0.0.1:port in production mode. */
export function webEnv({
  port,
  databaseUrl,
  smtpUrl,
  runWorker = false,
}: {
  port: number;
  databaseUrl: string;
  smtpUrl?: string;
  runWorker?: boolean;
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    APP_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    RUN_WORKER: String(runWorker),
    OUTBOX_PREVIEW: "false",
    SEED_DEMO: "false",
  };
  if (smtpUrl) env.SMTP_URL = smtpUrl;
  else delete env.SMTP_URL;
  return env;
}

/** Where this run's build lives; tests/faults/global-setup.ts removes it at the end. */
export function appBuildDir(tag = inject("runTag")) {
  return path.join(REPO_ROOT, ".data/faults", `app-${tag}`);
}

/**
 * The production build, made once per `npm run test:faults` (the first test file that needs it
 * builds it; the files run one after another).
 */
export async function buildApp(): Promise<string> {
  const dir = appBuildDir();
  if (existsSync(path.join(dir, "build/index.js"))) return dir;
  const builder = spawn(
    process.execPath,
    ["--import", "tsx", path.join(REPO_ROOT, "tests/faults/build-app.ts"), dir],
    { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: "production" }, stdio: "pipe" },
  );
  let output = "";
  builder.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  builder.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => builder.once("exit", resolve));
  if (code !== 0 || !existsSync(path.join(dir, "build/index.js"))) {
    throw new Error(`The app did not build (exit ${code}):\n${output}`);
  }
  return dir;
}

export type Answer =
  | { ok: true; status: number; location: string | null; body: string; ms: number }
  | { ok: false; error: string; ms: number };

/**
 * One HTTP request as a browser without JavaScript makes it: a form post is urlencoded and
 * carries the app's Origin; redirects are returned, not followed. A request that gets no answer
 * within `timeoutMs` (a hang) comes back as an error saying so.
 */
export async function send(
  url: string,
  {
    method = "GET",
    cookie,
    form,
    origin,
    timeoutMs = 15_000,
  }: {
    method?: "GET" | "POST";
    cookie?: string;
    form?: Record<string, string>;
    origin?: string;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  const started = Date.now();
  const headers: Record<string, string> = { Accept: "text/html,application/json" };
  if (cookie) headers.Cookie = cookie;
  if (origin) headers.Origin = origin;
  if (form) headers["Content-Type"] = "application/x-www-form-urlencoded";
  try {
    const response = await fetch(url, {
      method,
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    return {
      ok: true,
      status: response.status,
      location: response.headers.get("location"),
      body,
      ms: Date.now() - started,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      error instanceof Error && error.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ??
          cause?.message ??
          (error instanceof Error ? error.message : String(error)));
    return { ok: false, error: reason, ms: Date.now() - started };
  }
}

/** Waits until GET /healthz answers 200. */
export async function waitForHealthy(baseUrl: string, started: Child, timeoutMs = 60_000) {
  const since = Date.now();
  for (;;) {
    const answer = await send(`${baseUrl}/healthz`, { timeoutMs: 5_000 });
    if (answer.ok && answer.status === 200) return;
    if (!started.running()) {
      throw new Error(`${started.name} exited (${started.child.exitCode}):\n${started.output()}`);
    }
    if (Date.now() - since > timeoutMs) {
      throw new Error(`${started.name} not healthy within ${timeoutMs} ms:\n${started.output()}`);
    }
    await sleep(200);
  }
}

/** Runs `work` over `items` with at most `limit` at a time; results in item order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
