/**
 * Integration fixture of `verify`: a private moto_server with two accounts, an EKS cluster, repositories
 * and a node role, and an aws-only environment synthesized by the CLI and applied with the real terraform
 * binary; plus helpers that run the compiled `verify` and parse its JSON.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { CreateRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { runCli, runCliSync } from "./project-cli";
import { DUMMY_CREDENTIALS, DUMMY_CREDENTIALS_ENV, Moto, startMoto } from "./moto";
import { locatePluginDir, terraform, terraformInit } from "./terraform";

export const REGION = "us-east-1";
export const EKS_ACCOUNT = "111111111111";
export const ECR_ACCOUNT = "222222222222";
export const THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
export const ROLE = "it-ci-builder";
export const NODE_ROLE = `arn:aws:iam::${EKS_ACCOUNT}:role/nodes`;

export interface Clients {
  iam: IAMClient;
  ecr: ECRClient;
  eks: EKSClient;
}

/** SDK clients acting in `account` on the emulator (sts:AssumeRole, as the stack's providers do). */
async function clientsIn(endpoint: string, account: string): Promise<Clients> {
  const sts = new STSClient({ endpoint, region: REGION, credentials: DUMMY_CREDENTIALS });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/it-admin`, RoleSessionName: "verify-it" }));
  sts.destroy();
  const c = out.Credentials!;
  const config = { endpoint, region: REGION, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken } };
  return { iam: new IAMClient(config), ecr: new ECRClient(config), eks: new EKSClient(config) };
}

export interface Verdict {
  status: number | null;
  /** `<check id> <subject>` of every failed check. */
  failed: string[];
  json: { checks: { id: string; subject: string; status: string; detail: string; fix?: string }[] };
}

export interface VerifyFixture {
  readonly moto: Moto;
  readonly dir: string;
  readonly eks: Clients;
  readonly ecr: Clients;
  readonly issuer: string;
  /** Environment of the child processes: dummy keys only, no colours. */
  env(): Record<string, string | undefined>;
  /** Runs `verify --env it --json` (blocking). */
  verify(...extra: string[]): Verdict;
  /** The same without blocking the event loop: needed when this process also serves a stub server. */
  verifyAsync(...extra: string[]): Promise<Verdict>;
  /** `terraform apply` of the stack again: the fix verify advertises. */
  reapply(): Promise<unknown>;
  /** Stops moto, removes the folder. */
  stop(): Promise<void>;
}

function verdictOf(status: number | null, stdout: string, stderr: string): Verdict {
  let json: Verdict["json"];
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Error(`verify printed no JSON (exit ${status}):\n${stdout}\n${stderr}`);
  }
  return { status, json, failed: json.checks.filter((c) => c.status === "fail").map((c) => `${c.id} ${c.subject}`) };
}

export async function deployVerifyFixture(): Promise<VerifyFixture> {
  const moto = await startMoto();
  const dir = mkdtempSync(join(tmpdir(), "eks-ecr-access-verify-"));
  const env = () => ({ ...DUMMY_CREDENTIALS_ENV, NO_COLOR: "1" });
  const [eks, ecr] = await Promise.all([clientsIn(moto.endpoint, EKS_ACCOUNT), clientsIn(moto.endpoint, ECR_ACCOUNT)]);
  const stop = async () => {
    for (const c of [eks, ecr]) Object.values(c).forEach((client) => client.destroy());
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const args = (extra: string[]) => ["--environments", join(dir, "environments"), "verify", "--env", "it", "--json", ...extra];
  const stackDir = join(dir, "out", "stacks", "it");
  const fixture: VerifyFixture = {
    moto,
    dir,
    eks,
    ecr,
    issuer: "",
    env,
    verify: (...extra) => {
      const r = runCliSync(args(extra), { env: env() });
      return verdictOf(r.code, r.stdout, r.stderr);
    },
    verifyAsync: async (...extra) => {
      const r = await runCli(args(extra), { env: env() });
      return verdictOf(r.code, r.stdout, r.stderr);
    },
    reapply: () => terraform(stackDir, ["apply", "-auto-approve"], { env: env() as Record<string, string> }),
    stop,
  };
  try {
    await eks.eks.send(
      new CreateClusterCommand({ name: "it", roleArn: `arn:aws:iam::${EKS_ACCOUNT}:role/eks`, resourcesVpcConfig: { subnetIds: ["subnet-1"] } }),
    );
    const issuer = (await eks.eks.send(new DescribeClusterCommand({ name: "it" }))).cluster!.identity!.oidc!.issuer!;
    for (const name of ["team/app", "team/base-node"]) await ecr.ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    // The node role the kubelet pulls with (node-role pulls; the stack attaches its identity policy).
    await eks.iam.send(new CreateRoleCommand({ RoleName: "nodes", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [] }) }));

    const endpoints = Object.fromEntries(["sts", "iam", "eks", "ecr"].map((s) => [s, moto.endpoint]));
    const body = {
      eks: { accountId: EKS_ACCOUNT, region: REGION, clusterName: "it", issuerUrl: issuer, assumeRoleArn: `arn:aws:iam::${EKS_ACCOUNT}:role/it-admin`, nodeRoleArns: [NODE_ROLE] },
      imagePulls: { repositories: ["team/base-node"], repositoryPolicies: "owned", nodeRolePolicy: "attach" },
      ecr: { accountId: ECR_ACCOUNT, region: REGION, assumeRoleArn: `arn:aws:iam::${ECR_ACCOUNT}:role/it-admin`, oidcProvider: { thumbprints: [THUMBPRINT] } },
      serviceAccounts: [{ namespace: "ci", name: "builder", roleName: ROLE, repositories: ["team/app", "team/base-*"], access: "push" }],
      kubernetes: { serviceAccounts: "manifest" },
      awsEndpoints: endpoints,
    };
    mkdirSync(join(dir, "environments"));
    writeFileSync(join(dir, "environments", "it.json"), JSON.stringify(body, null, 2));
    const synth = runCliSync(["--environments", join(dir, "environments"), "synth", "--out", join(dir, "out")]);
    if (synth.code !== 0) throw new Error(`synth failed: ${synth.stderr}`);
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    await terraformInit(stackDir, plugins.dir, { env: env() as Record<string, string> });
    await fixture.reapply();
    return { ...fixture, issuer };
  } catch (e) {
    await stop();
    throw e;
  }
}
