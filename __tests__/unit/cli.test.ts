/**
 * The CLI: synth of the example environments, determinism, no machine paths, atomic output, selection of
 * environments, validate and schema. Runs in-process (`runCliInProcess`, same `main`) except where the working
 * directory is the point, which needs a real process.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PROJECT_ROOT, runCli, runCliInProcess as cli } from "../support/project-cli";

const EXAMPLES = join(PROJECT_ROOT, "environments");
let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "eks-ecr-access-cli-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, relative path -> content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

test("synth writes one stack per example environment, plus manifest-mode YAML", async () => {
  const out = join(work, "out");
  const r = await cli(["synth", "--out", out]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(Object.keys(tree(out))).toEqual([
    "manifest.json",
    "stacks/dev/cdk.tf.json",
    "stacks/prod/cdk.tf.json",
    // prod uses image pulls (docs/image-pulls.md): kubelet config, node RBAC, node-pull hand-off.
    "stacks/prod/kubelet-credential-provider-config.json",
    "stacks/prod/kubelet-image-pull-rbac.yaml",
    "stacks/prod/node-image-pulls.json",
    "stacks/staging/cdk.tf.json",
    "stacks/staging/service-accounts.yaml",
  ]);
  expect(r.stdout).toContain("synthesized staging");
});

test("two synths from different working folders give byte-identical output with no machine path", async () => {
  const a = join(work, "a");
  const b = join(work, "b");
  const copy = join(work, "project-copy");
  cpSync(EXAMPLES, join(copy, "environments"), { recursive: true });
  expect((await cli(["synth", "--out", a])).code).toBe(0);
  expect((await runCli(["-d", join(copy, "environments"), "synth", "--out", b], { cwd: copy })).code).toBe(0);
  const first = tree(a);
  expect(tree(b)).toEqual(first);
  const all = Object.values(first).join("\n");
  for (const machinePath of [PROJECT_ROOT, work, tmpdir(), process.env.HOME ?? "/root"]) {
    expect(all).not.toContain(machinePath);
  }
});

test("--env selects environments; an unknown one is an error and writes nothing", async () => {
  const out = join(work, "out");
  expect((await cli(["synth", "--env", "dev", "--out", out])).code).toBe(0);
  expect(readdirSync(join(out, "stacks"))).toEqual(["dev"]);
  const before = tree(out);
  const r = await cli(["synth", "--env", "dev", "nope", "--out", out]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/environments\/nope\.json: no such environment; known: dev, prod, staging/);
  expect(tree(out)).toEqual(before);
});

test("invalid input: all problems printed, exit 1, previous output untouched", async () => {
  const envs = join(work, "environments");
  cpSync(EXAMPLES, envs, { recursive: true });
  const out = join(work, "out");
  expect((await cli(["-d", envs, "synth", "--out", out])).code).toBe(0);
  const before = tree(out);
  const dev = JSON.parse(readFileSync(join(envs, "dev.json"), "utf8"));
  dev.eks.accountId = "1234";
  dev.serviceAccounts[0].access = "admin";
  writeFileSync(join(envs, "dev.json"), JSON.stringify(dev));
  const r = await cli(["-d", envs, "synth", "--out", out]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`${join(envs, "dev.json")}: eks.accountId: must be a 12-digit AWS account id`);
  expect(r.stderr).toContain(`${join(envs, "dev.json")}: serviceAccounts[0].access:`);
  expect(r.stderr).toContain("2 problem(s) found; nothing was written.");
  expect(tree(out)).toEqual(before);
  const v = await cli(["-d", envs, "validate"]);
  expect(v.code).toBe(1);
  expect(v.stderr).toContain("2 problem(s) found");
});

test("re-synth keeps terraform's working files of each stack (no forced re-init)", async () => {
  const out = join(work, "out");
  expect((await cli(["synth", "--out", out])).code).toBe(0);
  writeFileSync(join(out, "stacks", "dev", ".terraform.lock.hcl"), "# lock\n");
  expect((await cli(["synth", "--out", out])).code).toBe(0);
  expect(readFileSync(join(out, "stacks", "dev", ".terraform.lock.hcl"), "utf8")).toBe("# lock\n");
});

test("validate accepts the examples; schema --check passes on the committed schema", async () => {
  const v = await cli(["validate"]);
  expect(v.stdout).toBe("ok: 3 environment(s) valid: dev, prod, staging\n");
  expect(v.code).toBe(0);
  expect((await cli(["schema", "--check"])).code).toBe(0);
});

test("cross-environment conflicts are refused with a fix", async () => {
  const envs = join(work, "environments");
  cpSync(EXAMPLES, envs, { recursive: true });
  const dev = JSON.parse(readFileSync(join(envs, "dev.json"), "utf8"));
  writeFileSync(join(envs, "dev2.json"), JSON.stringify({ ...dev, eks: { ...dev.eks, clusterName: "platform-dev-2" } }));
  const r = await cli(["-d", envs, "validate"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/dev2\.json: ecr\.oidcProvider: .*dev\.json already creates the OIDC provider .* set "existingArn"/);
});

test("--out never replaces what is not earlier output: the inputs, a file, a foreign folder, the working directory", async () => {
  const envs = join(work, "environments");
  cpSync(EXAMPLES, envs, { recursive: true });
  const before = tree(envs);
  const intoInputs = await cli(["-d", envs, "synth", "--out", envs]);
  expect(intoInputs.code).toBe(2);
  expect(intoInputs.stderr).toMatch(/refusing to replace .*environments: it holds .*environments; choose another output folder/);
  expect(tree(envs)).toEqual(before);

  writeFileSync(join(work, "notes.txt"), "mine\n");
  expect((await cli(["-d", envs, "synth", "--out", join(work, "notes.txt")])).stderr).toMatch(/it is a file, not an output folder/);
  expect(readFileSync(join(work, "notes.txt"), "utf8")).toBe("mine\n");

  const foreign = join(work, "docs");
  cpSync(join(PROJECT_ROOT, "docs"), foreign, { recursive: true });
  const g = await cli(["-d", envs, "generate", "--out", foreign]);
  expect(g.code).toBe(2);
  expect(g.stderr).toMatch(/does not look like earlier output of this command/);
  expect((await runCli(["-d", envs, "synth", "--out", "."], { cwd: work })).stderr).toMatch(/it holds the working directory/);
});

test("local state lives beside the output folder, and synth says where", async () => {
  const r = await cli(["synth", "--env", "dev", "--out", join(work, "build", "out")]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`synthesized dev -> ${join(work, "build", "out", "stacks", "dev", "cdk.tf.json")} (local state: ${join(work, "build", "state", "dev.tfstate")})\n`);
});

test("usage errors exit 1 with the usage, --help exits 0, and main never ends the process itself", async () => {
  const bad = await cli(["synth", "--bogus"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/unknown option '--bogus'/);
  expect(bad.stderr).toContain("Usage: eks-ecr-access synth");
  const help = await cli(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("Usage: eks-ecr-access [options] [command]");
});
