/**
 * Runs one command and measures it: wall time, and peak resident memory two ways.
 *
 * - `maxRssKiB`: the kernel's figure. `/usr/bin/time -f %M` reports `ru_maxrss` from `wait4()` of the command,
 *   which is the peak RSS of the LARGEST single process of the command's process tree (the kernel folds the
 *   peaks of waited-for descendants into their parent's rusage as a maximum, not a sum).
 * - `treeRssKiB`: the peak of the SUM of RSS over the whole process tree, sampled from `/proc` every
 *   `SAMPLE_MS`. This is the honest figure for `cdktf synth`, where the CLI (one node process) stays resident
 *   while it runs the app (another node process, under `npx` and a shell). Sampling can miss a short spike,
 *   so it may read a little low; it never reads high.
 *
 * Linux only for memory (`/proc`, GNU time); elsewhere both memory figures are undefined and say so.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How often the process tree is sampled. Fine enough for runs of a few hundred ms, cheap on 2 cores. */
export const SAMPLE_MS = 20;
const GNU_TIME = "/usr/bin/time";
const PAGE_KIB = 4; // Linux page size on x86-64/arm64 default kernels; statm counts pages.

export interface Measurement {
  /** Wall time from spawn to exit, in milliseconds. */
  readonly wallMs: number;
  /** Kernel peak RSS of the largest process in the tree (KiB), from wait4 rusage via GNU time; undefined if unavailable. */
  readonly maxRssKiB?: number;
  /** Sampled peak of the summed RSS of the whole process tree (KiB); undefined without /proc. */
  readonly treeRssKiB?: number;
}

export interface RunOptions {
  readonly cwd: string;
  /** Added to (not replacing) the current environment. */
  readonly env?: Record<string, string>;
}

/** Which memory measurements this machine supports, for the report. */
export function memoryMethods(): { kernel: boolean; tree: boolean } {
  return { kernel: existsSync(GNU_TIME) && process.platform === "linux", tree: existsSync("/proc/self/task") };
}

function readChildren(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // exited between samples
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ")) if (c) out.push(Number(c));
    } catch {
      /* thread or process gone */
    }
  }
  return out;
}

function rssKiB(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE_KIB;
  } catch {
    return 0;
  }
}

/** Sum of RSS of `root`'s descendants (and of `root` itself unless `excludeRoot`, e.g. the GNU time wrapper). */
function treeRss(root: number, excludeRoot: boolean): number {
  let sum = excludeRoot ? 0 : rssKiB(root);
  const stack = readChildren(root);
  while (stack.length > 0) {
    const pid = stack.pop()!;
    sum += rssKiB(pid);
    stack.push(...readChildren(pid));
  }
  return sum;
}

/** Runs `command args` to completion; rejects (with its stderr) if it exits non-zero, since a failed run measures nothing. */
export function measure(command: string, args: readonly string[], options: RunOptions): Promise<Measurement> {
  const methods = memoryMethods();
  const scratch = mkdtempSync(join(tmpdir(), "eks-ecr-access-measure-"));
  const timeFile = join(scratch, "maxrss");
  const [file, argv] = methods.kernel ? [GNU_TIME, ["-f", "%M", "-o", timeFile, command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let peakTree = 0;
    const sample = () => {
      if (child.pid !== undefined) peakTree = Math.max(peakTree, treeRss(child.pid, methods.kernel));
    };
    const timer = methods.tree ? setInterval(sample, SAMPLE_MS) : undefined;
    if (methods.tree) setImmediate(sample);
    child.on("error", (e) => {
      if (timer) clearInterval(timer);
      rmSync(scratch, { recursive: true, force: true });
      reject(e);
    });
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (timer) clearInterval(timer);
      let maxRssKiB: number | undefined;
      if (methods.kernel && existsSync(timeFile)) {
        // GNU time writes "Command exited with non-zero status N" before the figure on failure: take the last line.
        const last = readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "";
        maxRssKiB = /^\d+$/.test(last) ? Number(last) : undefined;
      }
      rmSync(scratch, { recursive: true, force: true });
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ wallMs, maxRssKiB, treeRssKiB: methods.tree ? Math.max(peakTree, maxRssKiB ?? 0) : undefined });
    });
  });
}
