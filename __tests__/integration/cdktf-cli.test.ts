/**
 * The cdktf CLI path (`cdktf synth`, and so `cdktf diff/deploy <env>`) runs the same compiled entry as
 * the project's own CLI and produces the same Terraform JSON.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, runCliSync } from "../support/project-cli";

jest.setTimeout(120_000);

const CDKTF = join(PROJECT_ROOT, "node_modules", ".bin", "cdktf");
const describeIfCdktf = existsSync(CDKTF) ? describe : describe.skip;
if (!existsSync(CDKTF)) process.stderr.write(`SKIPPED: cdktf CLI tier: ${CDKTF} is missing (run npm ci)\n`);

describeIfCdktf("cdktf CLI", () => {
  let work: string;
  beforeAll(() => {
    // A scratch copy, so the test never touches the project's own cdktf.out/.
    work = mkdtempSync(join(tmpdir(), "eks-ecr-access-cdktf-"));
    for (const item of ["cdktf.json", "package.json", "dist", "environments"]) cpSync(join(PROJECT_ROOT, item), join(work, item), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(work, "node_modules"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("`cdktf synth` uses the compiled app and writes the same stacks as `eks-ecr-access synth`", () => {
    const r = spawnSync(CDKTF, ["synth"], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0" },
    });
    expect({ status: r.status, out: r.stdout.slice(-500) }).toEqual({ status: 0, out: expect.stringContaining("dev, prod, staging") });
    const ours = join(work, "ours");
    expect(runCliSync(["synth", "--out", ours], { cwd: work }).code).toBe(0);
    for (const env of ["dev", "staging", "prod"]) {
      const file = join("stacks", env, "cdk.tf.json");
      expect(readFileSync(join(work, "cdktf.out", file), "utf8")).toBe(readFileSync(join(ours, file), "utf8"));
    }
    expect(readFileSync(join(work, "cdktf.out", "stacks", "staging", "service-accounts.yaml"), "utf8")).toContain("eks.amazonaws.com/role-arn");
  });
});
