/**
 * "Nothing lost": a synth or generate that fails at any point leaves the previous `cdktf.out/` and
 * `generated/` byte for byte as they were. Failures are injected with the documented test hook
 * EKS_ECR_ACCESS_INJECT_FAULT (src/output/fault-injection.ts), at three points, in two ways:
 *   - throw: the command's own error path runs (exit 2);
 *   - crash: the process SIGKILLs itself, no cleanup code runs at all.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAULT_ENV, FaultPoint } from "../../src/output/fault-injection";
import { recoverInterrupted } from "../../src/output/atomic-directory";
import { CLI, PROJECT_ROOT, ensureCliBuilt } from "../support/project-cli";
import { treeDigest } from "../support/tree-digest";

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], cwd: string, fault?: string): Promise<Run> {
  const env = { ...process.env };
  if (fault) env[FAULT_ENV] = fault;
  else delete env[FAULT_ENV];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env, timeout: 120000 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}

const POINTS: readonly FaultPoint[] = ["synth-mid-way", "before-swap", "between-renames"];
const work = mkdtempSync(join(tmpdir(), "eks-ecr-access-atomic-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => ensureCliBuilt(), 180000);

/** A project folder with the example environments; `edit` changes one so a new output would differ. */
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(PROJECT_ROOT, "environments"), join(dir, "environments"), { recursive: true });
  return dir;
}

function editEnvironments(dir: string): void {
  const file = join(dir, "environments", "dev.json");
  const env = JSON.parse(readFileSync(file, "utf8"));
  env.tags = { ...env.tags, changed: "yes" };
  writeFileSync(file, JSON.stringify(env, null, 2));
}

const leftovers = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(`.${name}.`));

describe.each([
  { command: "synth", out: "cdktf.out" },
  { command: "generate", out: "generated" },
])("$command into $out/", ({ command, out }) => {
  let dir: string;
  let before: Record<string, string> | undefined;

  beforeAll(async () => {
    dir = project(command);
    const first = await run([command, "--out", out], dir);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    // What `terraform init` leaves in a stack folder must survive too (synth carries it over on success).
    mkdirSync(join(dir, out, "stacks", "dev", ".terraform", "providers"), { recursive: true });
    writeFileSync(join(dir, out, "stacks", "dev", ".terraform", "providers", "marker"), "init\n");
    before = treeDigest(join(dir, out));
    expect(Object.keys(before!).length).toBeGreaterThan(5);
    editEnvironments(dir);
  }, 120000);

  test.each(POINTS)("a thrown failure at %s leaves the previous output byte for byte, and no temporary folder", async (point) => {
    const failed = await run([command, "--out", out], dir, point);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`injected fault at ${point}`);
    expect(treeDigest(join(dir, out))).toEqual(before);
    expect(leftovers(dir, out)).toEqual([]);
  }, 120000);

  test.each(POINTS)("a crash (SIGKILL) at %s loses nothing; the next run cleans up", async (point) => {
    const crashed = await run([command, "--out", out], dir, `${point}:crash`);
    expect(crashed.signal).toBe("SIGKILL");
    const left = leftovers(dir, out);
    if (point === "between-renames") {
      // Killed between the two renames: the previous output sits complete beside the target (and the new one too).
      expect(existsSync(join(dir, out))).toBe(false);
      const old = left.find((f) => /\.old-\d+-\d+$/.test(f))!;
      const fresh = left.find((f) => /\.new-\d+-\d+$/.test(f))!;
      expect(left.sort()).toEqual([fresh, old].sort());
      expect(treeDigest(join(dir, old))).toEqual(before);
      expect(recoverInterrupted(join(dir, out)).sort()).toEqual([`removed ${fresh}`, `restored ${join(dir, out)} from ${old}`]);
    } else {
      expect(left).toHaveLength(1);
      expect(left[0]).toMatch(/\.new-\d+-\d+$/);
      expect(recoverInterrupted(join(dir, out))).toEqual([`removed ${left[0]}`]);
    }
    expect(treeDigest(join(dir, out))).toEqual(before);
    expect(leftovers(dir, out)).toEqual([]);
  }, 120000);

  test("the next run after a crash recovers on its own and then replaces the output", async () => {
    const crashed = await run([command, "--out", out], dir, "between-renames:crash");
    expect(crashed.signal).toBe("SIGKILL");
    expect(existsSync(join(dir, out))).toBe(false);
    const next = await run([command, "--out", out], dir);
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/note: interrupted earlier run: restored .* from \.[a-z.]+\.old-\d+-\d+/);
    expect(leftovers(dir, out)).toEqual([]);
    const after = treeDigest(join(dir, out))!;
    expect(after).not.toEqual(before);
    expect(readFileSync(join(dir, out, "stacks", "dev", "cdk.tf.json"), "utf8")).toContain('"changed": "yes"');
    if (command === "synth") expect(after["stacks/dev/.terraform/providers/marker"]).toBe(before!["stacks/dev/.terraform/providers/marker"]);
  }, 120000);
});

test("the hook is inert without the variable and for unknown point names", async () => {
  const dir = project("inert");
  const ok = await run(["synth", "--out", "cdktf.out"], dir, "no-such-point");
  expect(ok.code).toBe(0);
  expect(existsSync(join(dir, "cdktf.out", "stacks", "dev", "cdk.tf.json"))).toBe(true);
}, 120000);
