/**
 * Replace a whole output directory or nothing: the new content is written beside it and swapped in with
 * renames, so a failure at any point leaves the previous directory exactly as it was.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { injectFault } from "./fault-injection";

export interface ReplaceOptions {
  /** Paths (relative to the directory) to carry from the old content into the new, e.g. `stacks/dev/.terraform`. */
  readonly keep?: (oldDir: string, newDir: string) => void;
  /**
   * Whether an existing, non-empty target is earlier output of the same command (and so may be replaced).
   * Default: anything may be replaced.
   */
  readonly isEarlierOutput?: (dir: string) => boolean;
  /** Paths that must survive: a target that is one of them or contains one is refused. Default: none. */
  readonly protect?: readonly string[];
}

/**
 * Refuses a target whose replacement would delete something that is not ours: a file, a folder holding
 * other content (`--out environments`), or a folder that contains the working directory or the inputs.
 */
function checkReplaceable(target: string, options: ReplaceOptions): void {
  const full = resolve(target);
  for (const path of [process.cwd(), ...(options.protect ?? [])]) {
    const kept = resolve(path);
    if (kept === full || kept.startsWith(full + sep)) {
      throw new Error(`refusing to replace ${target}: it holds ${path === process.cwd() ? "the working directory" : path}; choose another output folder`);
    }
  }
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new Error(`refusing to replace ${target}: it is a file, not an output folder; choose another output folder`);
  if (options.isEarlierOutput && readdirSync(target).length > 0 && !options.isEarlierOutput(target)) {
    throw new Error(`refusing to replace ${target}: it is not empty and does not look like earlier output of this command; choose another output folder or remove it`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Cleans up after a run that was killed (SIGKILL, power loss) before it could clean up itself: temporary
 * `.<name>.new-<pid>-<ms>` folders of dead processes are deleted; a `.<name>.old-*` folder of a dead process
 * is put back when the target is missing (killed between the two renames), deleted otherwise. Folders of
 * live processes (a concurrent run) are left alone. Returns what it did, for messages and tests.
 */
export function recoverInterrupted(target: string): string[] {
  const parent = dirname(target);
  if (!existsSync(parent)) return [];
  const done: string[] = [];
  const leftover = new RegExp(`^\\.${basename(target).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(new|old)-(\\d+)-(\\d+)$`);
  const found = readdirSync(parent)
    .map((name) => ({ name, m: leftover.exec(name) }))
    .filter((f) => f.m && Number(f.m[2]) !== process.pid && !isAlive(Number(f.m[2])))
    .sort((a, b) => Number(b.m![3]) - Number(a.m![3]));
  for (const { name, m } of found) {
    const path = join(parent, name);
    if (m![1] === "old" && !existsSync(target)) {
      renameSync(path, target);
      done.push(`restored ${target} from ${name}`);
    } else {
      rmSync(path, { recursive: true, force: true });
      done.push(`removed ${name}`);
    }
  }
  return done;
}

export function replaceDirectory(target: string, write: (tmpDir: string) => void, options: ReplaceOptions = {}): void {
  checkReplaceable(target, options);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  for (const line of recoverInterrupted(target)) process.stderr.write(`note: interrupted earlier run: ${line}\n`);
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = join(parent, `.${basename(target)}.new-${stamp}`);
  const old = join(parent, `.${basename(target)}.old-${stamp}`);
  try {
    write(tmp);
    if (existsSync(target) && options.keep) options.keep(target, tmp);
    injectFault("before-swap");
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const hadTarget = existsSync(target);
  if (hadTarget) renameSync(target, old);
  try {
    injectFault("between-renames");
    renameSync(tmp, target);
  } catch (e) {
    if (hadTarget) renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (hadTarget) rmSync(old, { recursive: true, force: true });
}
