/**
 * A scratch copy of the project laid out the way `cdktf init --template=typescript` does it: `cdktf.json`'s app
 * is `npx ts-node main.ts`, so every `cdktf synth` type-checks and compiles the TypeScript app in memory.
 *
 * ts-node is not a dependency of this project (the fast path is `tsc` once, then plain `node`), so it is
 * installed with npm into a cache folder outside the project, and the scratch copy's `node_modules` is made of
 * symlinks to that install and to the project's own packages. Nothing in the project changes.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The ts-node the cdktf TypeScript template pins (`^10.9.x`). */
export const TS_NODE_VERSION = "10.9.2";
/** What the copy holds besides `node_modules`: exactly what the app needs to run. */
const COPIED = ["main.ts", "src", "environments", "tsconfig.json", "package.json"];

export type TemplateCopy = { readonly dir: string } | { readonly skipped: string };

function versionOf(projectRoot: string, pkg: string): string {
  return JSON.parse(readFileSync(join(projectRoot, "node_modules", pkg, "package.json"), "utf8")).version;
}

/**
 * Installs ts-node (with the project's own TypeScript and @types/node versions, so both paths compile the same
 * code with the same compiler) once per machine; later runs reuse it.
 */
function installTsNode(projectRoot: string): { modules: string } | { skipped: string } {
  const typescript = versionOf(projectRoot, "typescript");
  const typesNode = versionOf(projectRoot, "@types/node");
  const prefix = join(tmpdir(), "eks-ecr-access-bench-tools", `ts-node-${TS_NODE_VERSION}-typescript-${typescript}`);
  const modules = join(prefix, "node_modules");
  if (existsSync(join(modules, ".bin", "ts-node"))) return { modules };
  mkdirSync(prefix, { recursive: true });
  const specs = [`ts-node@${TS_NODE_VERSION}`, `typescript@${typescript}`, `@types/node@${typesNode}`];
  const npm = spawnSync("npm", ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", ...specs], {
    encoding: "utf8",
    timeout: 180_000,
  });
  if (npm.status !== 0 || !existsSync(join(modules, ".bin", "ts-node"))) {
    rmSync(prefix, { recursive: true, force: true });
    const why = (npm.stderr || npm.error?.message || "").trim().split("\n").slice(-3).join(" ");
    return { skipped: `could not install ${specs.join(" ")} with npm (is the npm registry reachable?): ${why}` };
  }
  return { modules };
}

/** Symlinks every package of `from` into `to` unless `to` already has it; scoped folders are merged. */
function linkPackages(from: string, to: string): void {
  mkdirSync(join(to, ".bin"), { recursive: true });
  for (const name of readdirSync(from)) {
    if (name === ".bin" || name.startsWith(".")) continue;
    if (name.startsWith("@")) {
      mkdirSync(join(to, name), { recursive: true });
      for (const child of readdirSync(join(from, name))) {
        if (!existsSync(join(to, name, child))) symlinkSync(join(from, name, child), join(to, name, child));
      }
    } else if (!existsSync(join(to, name))) {
      symlinkSync(join(from, name), join(to, name));
    }
  }
  const bin = join(from, ".bin");
  if (!existsSync(bin)) return;
  for (const name of readdirSync(bin)) {
    const target = join(to, ".bin", name);
    // npm's .bin entries are relative symlinks; point at their real file so they work from the new folder.
    if (!existsSync(target) && lstatSync(join(bin, name)).isSymbolicLink()) symlinkSync(realpathSync(join(bin, name)), target);
  }
}

/** Builds (afresh) the template-style copy of `projectRoot` in `dir`. */
export function prepareTemplateCopy(projectRoot: string, dir: string): TemplateCopy {
  const tsNode = installTsNode(projectRoot);
  if ("skipped" in tsNode) return tsNode;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const item of COPIED) cpSync(join(projectRoot, item), join(dir, item), { recursive: true });
  const cdktfJson = JSON.parse(readFileSync(join(projectRoot, "cdktf.json"), "utf8"));
  writeFileSync(join(dir, "cdktf.json"), `${JSON.stringify({ ...cdktfJson, app: "npx ts-node main.ts" }, null, 2)}\n`);
  // ts-node's install first: its dependencies are not in the project (typescript and @types/node are the same versions).
  linkPackages(tsNode.modules, join(dir, "node_modules"));
  linkPackages(join(projectRoot, "node_modules"), join(dir, "node_modules"));
  return { dir };
}
