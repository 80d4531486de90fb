/**
 * Guard on what synthesis loads at run time (the static scan in provider-imports.test.ts sees only our own
 * import lines): neither the CLI's `synth` nor the cdktf app (`dist/main.js`) may load a provider package's
 * barrel, the AWS SDK or the Kubernetes client, and `validate` loads no cdktf at all. Start-up is most of a synth's cost (docs/benchmarks.md): the aws
 * barrel alone costs seconds and ~500 MiB, the SDK ~0.1 s CPU and ~12 MiB on every CI run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { CLI, PROJECT_ROOT, ensureCliBuilt } from "../support/project-cli";

/** Modules synthesis must not load, with why. */
const FORBIDDEN: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/node_modules\/@(?:cdktf|cdktn)\/provider-[^/]+\/lib\/index\.js$/, "a provider barrel (import the class's own module)"],
  [/\/node_modules\/@aws-sdk\//, "the AWS SDK (load it only in the commands that call AWS)"],
  [/\/node_modules\/@kubernetes\/client-node\//, "the Kubernetes client (load it only in the commands that call a cluster)"],
];

/**
 * Preloaded with `node --require`: at exit, writes every loaded module with the first file outside node_modules
 * on its chain of parents, i.e. the project file whose import brought it in.
 */
const PRELOAD = `
const { writeFileSync } = require("node:fs");
process.on("exit", () => {
  const loaded = Object.values(require.cache).map((m) => {
    let via = m;
    while (via && via.filename.includes("/node_modules/")) via = via.parent;
    return { file: m.filename, via: via ? via.filename : "(entry)" };
  });
  writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(loaded));
});
`;

interface Loaded {
  readonly file: string;
  readonly via: string;
}

let dir: string;
beforeAll(() => {
  ensureCliBuilt();
  dir = mkdtempSync(join(tmpdir(), "synth-startup-"));
  writeFileSync(join(dir, "preload.js"), PRELOAD);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedBy(args: string[]): Loaded[] {
  const file = join(dir, "loaded.json");
  rmSync(file, { force: true });
  execFileSync(process.execPath, ["--require", join(dir, "preload.js"), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LOADED_MODULES_FILE: file, CDKTF_OUTDIR: join(dir, "app-out") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(readFileSync(file, "utf8"));
}

function violations(loaded: readonly Loaded[]): string {
  return loaded
    .flatMap((m) => FORBIDDEN.filter(([re]) => re.test(m.file)).map(([, why]) => `${relative(PROJECT_ROOT, m.file)}: ${why}; loaded via ${relative(PROJECT_ROOT, m.via)}`))
    .slice(0, 10)
    .join("\n");
}

describe("what synthesis loads", () => {
  it("the CLI's synth loads the provider classes it uses, and nothing forbidden", () => {
    const loaded = loadedBy([CLI, "synth", "--out", join(dir, "out")]);
    // The preload must have seen the real work, or an empty list would pass vacuously.
    expect(loaded.some((m) => m.file.endsWith("/@cdktf/provider-aws/lib/iam-role/index.js"))).toBe(true);
    expect(violations(loaded)).toBe("");
  });

  it("the cdktf app (dist/main.js) loads nothing forbidden", () => {
    const loaded = loadedBy([join(PROJECT_ROOT, "dist", "main.js")]);
    expect(loaded.some((m) => m.file.endsWith("/cdktf/lib/index.js"))).toBe(true);
    expect(violations(loaded)).toBe("");
  });

  it("validate answers without loading cdktf at all (so do rejected files: synth loads it only after validation)", () => {
    const loaded = loadedBy([CLI, "validate"]);
    expect(loaded.some((m) => m.file.includes("/node_modules/zod/"))).toBe(true);
    const cdktf = loaded.filter((m) => /\/node_modules\/(cdktf|@cdktf)\//.test(m.file)).map((m) => `${relative(PROJECT_ROOT, m.file)} via ${relative(PROJECT_ROOT, m.via)}`);
    expect(cdktf.slice(0, 5)).toEqual([]);
    expect(violations(loaded)).toBe("");
  });

  it("names the module and the project file that loaded it", () => {
    const loaded = [{ file: join(PROJECT_ROOT, "node_modules/@aws-sdk/client-sts/dist-cjs/index.js"), via: join(PROJECT_ROOT, "dist/src/cli/day2.js") }];
    expect(violations(loaded)).toBe("node_modules/@aws-sdk/client-sts/dist-cjs/index.js: the AWS SDK (load it only in the commands that call AWS); loaded via dist/src/cli/day2.js");
  });
});
