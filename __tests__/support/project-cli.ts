/**
 * Test support: run the project's own command line, two ways.
 *
 * - `runCli` / `runCliSync`: `node dist/src/cli/index.js <args>` as a child process, the way users run it. `npm test`
 *   compiles before jest runs; when a test file is run alone (`npx jest <file>`) and the compiled CLI is missing or
 *   older than the sources, `ensureCliBuilt` rebuilds it first, so the tests never exercise stale code.
 * - `runCliInProcess`: the same `main` (same parser, commands, output and exit code) called inside the test process.
 *   A process costs ~0.15 s before the CLI does anything; the bad-input corpus alone runs it ~100 times. What only a
 *   real process shows (start-up, signals, the working directory, what gets loaded) stays with the spawned runs.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";

export const PROJECT_ROOT = join(__dirname, "..", "..");
export const CLI = join(PROJECT_ROOT, "dist", "src", "cli", "index.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let checked = false;

/** Compiles the project (`tsc -p .`) when the CLI is missing or older than a source file; checks once per test file. */
export function ensureCliBuilt(): void {
  if (checked) return;
  const fresh = existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(PROJECT_ROOT, "src"));
  checked = fresh;
  if (fresh) return;
  try {
    execFileSync(process.execPath, [join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", PROJECT_ROOT], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    throw new Error(`could not build the CLI (tsc -p .):\n${out.stdout ?? ""}${out.stderr ?? ""}`);
  }
  // An incremental build does not rewrite outputs whose source only got a newer mtime (a checkout, an editor
  // save): mark the CLI fresh, or every test file would rebuild again.
  const now = new Date();
  utimesSync(CLI, now, now);
  checked = true;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpawnOptions {
  /** Working directory. Default: the project root. */
  readonly cwd?: string;
  /** Extra environment, merged over the test process's; `undefined` removes a variable. */
  readonly env?: Record<string, string | undefined>;
}

function childEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env as NodeJS.ProcessEnv;
}

/** Runs `node dist/src/cli/index.js <args>`; resolves with the exit code, never rejects on it. */
export function runCli(args: readonly string[], options: SpawnOptions = {}): Promise<CliResult> {
  ensureCliBuilt();
  return new Promise((resolve) => {
    const env = childEnvironment(options.env);
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd ?? PROJECT_ROOT, env, timeout: 60000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `runCli`, blocking: for tests that run the CLI from synchronous helpers. */
export function runCliSync(args: readonly string[], options: SpawnOptions = {}): CliResult {
  ensureCliBuilt();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: childEnvironment(options.env),
    encoding: "utf8",
    timeout: 60000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

type Write = typeof process.stdout.write;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the CLI's `main` on `args` in this process and resolves with its exit code and output. Relative paths
 * resolve against the project root (jest's working directory): pass absolute ones. Calls are queued, because the
 * output capture and `process.exitCode` are process-wide.
 */
export function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  const run = queue.then(() => captureMain(args));
  queue = run.catch(() => undefined);
  return run;
}

async function captureMain(args: readonly string[]): Promise<CliResult> {
  // Loaded on first use, from the sources (jest compiles them): a file that never calls it pays nothing.
  const { main } = require("../../src/cli/index") as typeof import("../../src/cli/index");
  const captured = { stdout: "", stderr: "" };
  const capture = (stream: "stdout" | "stderr"): Write =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    }) as Write;
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write, exitCode: process.exitCode };
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  process.exitCode = undefined;
  try {
    await main(["node", "eks-ecr-access", ...args]);
    return { code: process.exitCode ?? 0, ...captured };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    process.exitCode = saved.exitCode;
  }
}
