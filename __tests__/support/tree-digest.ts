/**
 * Test support: a byte-exact fingerprint of a directory tree, to prove a failed run left it untouched.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * Relative path -> `dir`, `link:<target>` or the sha256 of the file's bytes, for every entry (hidden ones
 * too), sorted. Undefined when the folder does not exist.
 */
export function treeDigest(root: string): Record<string, string> | undefined {
  if (!existsSync(root)) return undefined;
  const digest: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) digest[key] = `link:${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        digest[key] = "dir";
        walk(path, key);
      } else digest[key] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(root, "");
  return digest;
}
