/**
 * Test support: run the project's own command line (`dist/src/cli/index.js`) the way users do.
 *
 * `npm test` compiles before jest runs. When a test file is run alone (`npx jest <file>`), the compiled CLI
 * may be missing or older than the sources; it is then rebuilt first, so the tests never exercise stale code.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
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

/** Compiles the project (`tsc -p .`) when the CLI is missing or older than a source file. */
export function ensureCliBuilt(): void {
  const fresh = existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(PROJECT_ROOT, "src"));
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
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/src/cli/index.js <args>` in `cwd`; resolves with the exit code, never rejects on it. */
export function runCli(args: readonly string[], cwd: string = PROJECT_ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 60000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
