/**
 * Replace a whole output directory or nothing: the new content is written beside it and swapped in with
 * renames, so a failure at any point leaves the previous directory exactly as it was.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface ReplaceOptions {
  /** Paths (relative to the directory) to carry from the old content into the new, e.g. `stacks/dev/.terraform`. */
  readonly keep?: (oldDir: string, newDir: string) => void;
}

export function replaceDirectory(target: string, write: (tmpDir: string) => void, options: ReplaceOptions = {}): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = join(parent, `.${basename(target)}.new-${stamp}`);
  const old = join(parent, `.${basename(target)}.old-${stamp}`);
  try {
    write(tmp);
    if (existsSync(target) && options.keep) options.keep(target, tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const hadTarget = existsSync(target);
  if (hadTarget) renameSync(target, old);
  try {
    renameSync(tmp, target);
  } catch (e) {
    if (hadTarget) renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (hadTarget) rmSync(old, { recursive: true, force: true });
}
