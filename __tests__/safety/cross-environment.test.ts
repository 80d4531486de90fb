/**
 * Rules across environment files, through the CLI's `main` (in-process): two environments must not create the same OIDC
 * provider, the same role, manage the same service account or share a state location. Each refusal names
 * the file, the field and the fix; each has a control case that is accepted, so the rule is not just
 * refusing everything.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseEnvironment } from "../support/environments";
import { CliResult, runCliInProcess } from "../support/project-cli";

const work = mkdtempSync(join(tmpdir(), "eks-ecr-access-cross-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123";
let counter = 0;

/** Writes the environments into a fresh folder and runs `synth` on them; returns the run and the folder. */
async function synth(envs: Record<string, Record<string, unknown>>): Promise<CliResult & { dir: string; out: string }> {
  const dir = join(work, `case-${counter++}`);
  mkdirSync(join(dir, "envs"), { recursive: true });
  for (const [name, body] of Object.entries(envs)) writeFileSync(join(dir, "envs", `${name}.json`), JSON.stringify(body, null, 2));
  const out = join(dir, "out");
  const run = await runCliInProcess(["--environments", join(dir, "envs"), "synth", "--out", out]);
  return { ...run, dir, out };
}

const errors = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("error: "));

/** A second service account, so two environments of one cluster do not also collide on the first one. */
const otherAccount = [{ namespace: "ci", name: "scanner", repositories: ["team/app"] }];

function expectRefused(run: CliResult & { dir: string; out: string }, file: string, path: string, ...says: string[]): void {
  expect(run.code).toBe(1);
  const line = errors(run.stderr).find((l) => l.startsWith(`error: ${join(run.dir, "envs", file)}: ${path}: `));
  if (!line) throw new Error(`no error for ${file} ${path}:\n${run.stderr}`);
  for (const s of says) expect(line).toContain(s);
  expect(existsSync(run.out)).toBe(false);
}

describe("one OIDC provider per issuer and ECR account", () => {
  test("two environments with the same issuerUrl that both create it are refused, with the existingArn to use", async () => {
    const run = await synth({ a: baseEnvironment(), b: baseEnvironment({ serviceAccounts: otherAccount }) });
    expectRefused(run, "b.json", "ecr.oidcProvider", "already creates the OIDC provider for", `"existingArn": "arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123"`);
    expect(errors(run.stderr)).toHaveLength(1);
  });

  test("following the advice (existingArn) is accepted", async () => {
    const reuse = baseEnvironment({ serviceAccounts: otherAccount });
    (reuse.ecr as Record<string, unknown>).oidcProvider = { existingArn: "arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123" };
    const run = await synth({ a: baseEnvironment(), b: reuse });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("the same issuer in two different ECR accounts is fine", async () => {
    const other = baseEnvironment({ serviceAccounts: otherAccount });
    (other.ecr as Record<string, unknown>).accountId = "333333333333";
    const run = await synth({ a: baseEnvironment(), b: other });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("without issuerUrl the issuer is unknown until plan, but the same cluster means the same issuer: refused", async () => {
    const noIssuer = () => {
      const env = baseEnvironment();
      delete (env.eks as Record<string, unknown>).issuerUrl;
      return env;
    };
    const run = await synth({ a: noIssuer(), b: { ...noIssuer(), serviceAccounts: otherAccount } });
    expectRefused(run, "b.json", "ecr.oidcProvider", "the issuer of cluster 111111111111/us-east-1/platform", "aws eks describe-cluster --name platform");
  });

  test("one with issuerUrl, one without, same cluster: refused with the known issuer's ARN", async () => {
    const noIssuer = baseEnvironment({ serviceAccounts: otherAccount });
    delete (noIssuer.eks as Record<string, unknown>).issuerUrl;
    const run = await synth({ a: baseEnvironment(), b: noIssuer });
    expectRefused(run, "b.json", "ecr.oidcProvider", `${ISSUER} in account 222222222222`, "oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123");
  });

  test("different clusters without issuerUrl are not compared (their issuers differ)", async () => {
    const env = (cluster: string) => {
      const e = baseEnvironment({ serviceAccounts: [{ namespace: cluster, name: "builder", repositories: ["team/app"] }] });
      delete (e.eks as Record<string, unknown>).issuerUrl;
      (e.eks as Record<string, unknown>).clusterName = cluster;
      return e;
    };
    const run = await synth({ a: env("one"), b: env("two") });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });
});

describe("one role name per account", () => {
  test("an explicit roleName used by two environments in one ECR account is refused", async () => {
    const role = (ns: string) => [{ namespace: ns, name: "builder", repositories: ["team/app"], roleName: "shared-role" }];
    const b = baseEnvironment({ serviceAccounts: role("web") });
    (b.ecr as Record<string, unknown>).oidcProvider = { existingArn: "arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123" };
    const run = await synth({ a: baseEnvironment({ serviceAccounts: role("ci") }), b });
    expectRefused(run, "b.json", "serviceAccounts[0].roleName", `role "shared-role" in account 222222222222 is also created by ${join(run.dir, "envs", "a.json")}`, "another \"roleName\"");
  });

  test("derived names collide too (a + b-c/d and a-b + c/d both give a-b-c-d)", async () => {
    const b = baseEnvironment({ serviceAccounts: [{ namespace: "c", name: "d", repositories: ["team/app"] }] });
    (b.ecr as Record<string, unknown>).oidcProvider = { existingArn: "arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123" };
    (b.eks as Record<string, unknown>).clusterName = "other";
    const run = await synth({ a: baseEnvironment({ serviceAccounts: [{ namespace: "b-c", name: "d", repositories: ["team/app"] }] }), "a-b": b });
    // Files are read in sorted order ("a-b.json" < "a.json"), so the second one is refused.
    expectRefused(run, "a.json", "serviceAccounts[0].roleName", `role "a-b-c-d" (derived from <environment>-<namespace>-<name>)`, "another \"roleName\"");
  });
});

describe("one owner per service account", () => {
  test("the same service account of the same cluster in two environments is refused", async () => {
    const b = baseEnvironment();
    (b.ecr as Record<string, unknown>).accountId = "333333333333";
    const run = await synth({ a: baseEnvironment(), b });
    expectRefused(run, "b.json", "serviceAccounts[0]", "service account ci/image-builder of cluster platform is also managed by", "keep it in one environment");
  });
});

describe("one state location per environment", () => {
  const s3 = (key?: string) => ({ type: "s3", bucket: "state-bucket", region: "us-east-1", ...(key ? { key } : {}) });
  const apart = (n: number, backend: Record<string, unknown>) => {
    const e = baseEnvironment({ serviceAccounts: [{ namespace: `ns${n}`, name: "builder", repositories: ["team/app"] }], backend });
    (e.ecr as Record<string, unknown>).accountId = `${n}`.repeat(12);
    return e;
  };

  test("two environments with the same S3 bucket and key are refused", async () => {
    const run = await synth({ a: apart(3, s3("shared.tfstate")), b: apart(4, s3("shared.tfstate")) });
    expectRefused(run, "b.json", "backend", "shares its state location (s3://state-bucket/shared.tfstate)", "its own key or workspace");
  });

  test("the same bucket with the default (per-environment) keys is fine", async () => {
    const run = await synth({ a: apart(3, s3()), b: apart(4, s3()) });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("two environments on one Terraform Cloud workspace are refused", async () => {
    const cloud = { type: "cloud", organization: "acme", workspace: "eks-ecr" };
    const run = await synth({ a: apart(3, cloud), b: apart(4, cloud) });
    expectRefused(run, "b.json", "backend", "cloud:app.terraform.io/acme/eks-ecr");
  });
});
