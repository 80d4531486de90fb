/**
 * Integration tier: the committed `generated/modules/eks-ecr-access-iam`, used from plain Terraform.
 *
 *   consumer  the hand-written root in __tests__/fixtures/iam-module-consumer (aliased provider, two module
 *             calls: one creates the OIDC provider, one reuses it): init offline, apply (which validates first), check
 *             through the AWS API, plan is empty, destroy leaves nothing behind
 *   readme    the README's HCL example copied as it is, with only an override file that points the
 *             provider at the emulator: it applies and creates the roles it names
 *
 * moto does not evaluate trust or permission policies, so the documents IAM stored are compared exactly.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import { parseAllDocuments } from "yaml";
import { AccountClients, DUMMY_CREDENTIALS_ENV, Moto, accountClients, startMoto } from "../support/moto";
import { canonicalStatements } from "../support/policy-documents";
import { locatePluginDir, terraform, terraformInit } from "../support/terraform";
import { INTEGRATION_TIER, integrationTier, tierDescribe } from "../support/tiers";

jest.setTimeout(300000);

const ROOT = join(__dirname, "..", "..");
const MODULES = join(ROOT, "generated", "modules");
const FIXTURE = join(ROOT, "__tests__", "fixtures", "iam-module-consumer");
const ECR_ACCOUNT = "222222222222";
const OTHER_ACCOUNT = "111111111111";
const REGION = "us-east-1";
const ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/IAMMODULETEST0000000000000000001";
const HOST = ISSUER.replace("https://", "");
// Written out here on purpose, not imported from src: a module that grants more must fail this test.
const PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer", "ecr:ListImages"];
const PUSH = [...PULL, "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"].sort();

const run = randomBytes(3).toString("hex");
const prefix = `it${run}-`;
const repos = `it-${run}`;

async function roleNames(iam: IAMClient, start: string): Promise<string[]> {
  const roles = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? [];
  return roles.map((r) => r.RoleName!).filter((n) => n.startsWith(start)).sort();
}
async function providerArns(iam: IAMClient): Promise<string[]> {
  return ((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((p) => p.Arn!).sort();
}

function trustOf(providerArn: string, namespace: string, name: string) {
  return [
    {
      Effect: "Allow",
      Action: ["sts:AssumeRoleWithWebIdentity"],
      Principal: { Federated: [providerArn] },
      Condition: { StringEquals: { [`${HOST}:aud`]: ["sts.amazonaws.com"], [`${HOST}:sub`]: [`system:serviceaccount:${namespace}:${name}`] } },
    },
  ];
}
function ecrPolicyOf(actions: string[], repositories: string[]) {
  const arns = repositories.map((r) => `arn:aws:ecr:${REGION}:${ECR_ACCOUNT}:repository/${r}`).sort();
  return [
    { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
    { Effect: "Allow", Action: [...actions].sort(), Resource: arns },
  ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

tierDescribe(INTEGRATION_TIER, integrationTier())("integration: the generated eks-ecr-access-iam module from plain Terraform", () => {
  let moto: Moto | undefined;
  let ecr: AccountClients;
  let other: AccountClients;
  let work: string;
  let pluginDir: string;
  const consumer = () => join(work, "consumer");
  const env = () => ({
    ...DUMMY_CREDENTIALS_ENV,
    TF_VAR_endpoint: moto!.endpoint,
    TF_VAR_ecr_account_id: ECR_ACCOUNT,
    TF_VAR_issuer_url: ISSUER,
    TF_VAR_name_prefix: prefix,
    TF_VAR_repository_prefix: repos,
  });
  const tf = (dir: string, args: string[], okCodes?: number[]) => terraform(dir, args, { env: env(), okCodes });
  let applied = false;

  beforeAll(async () => {
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    pluginDir = plugins.dir;
    work = mkdtempSync(join(tmpdir(), "eks-ecr-access-iam-module-"));
    // The committed module (the generated-sync test proves it equals a fresh generation), as a sibling folder.
    cpSync(MODULES, join(work, "modules"), { recursive: true });
    cpSync(FIXTURE, consumer(), { recursive: true });
    moto = await startMoto();
    [ecr, other] = await Promise.all([
      accountClients({ endpoint: moto.endpoint, accountId: ECR_ACCOUNT }),
      accountClients({ endpoint: moto.endpoint, accountId: OTHER_ACCOUNT }),
    ]);
  });

  afterAll(async () => {
    // Best effort: a failed step must not leave state behind in the emulator's accounts for the next step.
    if (applied) await tf(consumer(), ["destroy", "-auto-approve"]).catch(() => undefined);
    ecr?.destroy();
    other?.destroy();
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // No separate `terraform validate`: apply validates first (module-validation.test.ts validates every module alone).
  it("initializes offline from the provider mirror", async () => {
    const out = await terraformInit(consumer(), pluginDir, { env: env() });
    expect(out.stdout).toContain("Terraform has been successfully initialized");
  });

  it("applies, and IAM in the ECR account holds exactly the provider, roles, trusts and policies asked for", async () => {
    await tf(consumer(), ["apply", "-auto-approve"]);
    applied = true;
    const outputs = JSON.parse((await tf(consumer(), ["output", "-json"])).stdout);

    const [providerArn] = await providerArns(ecr.iam);
    expect(await providerArns(ecr.iam)).toEqual([`arn:aws:iam::${ECR_ACCOUNT}:oidc-provider/${HOST}`]);
    expect(outputs.oidc_provider_arn.value).toBe(providerArn);
    const provider = await ecr.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }));
    expect(provider.ClientIDList).toEqual(["sts.amazonaws.com"]);

    const expected = [
      { key: "builder", role: `${prefix}ci-image-builder`, ns: "ci", sa: "image-builder", path: "/eks-ecr-access/", duration: 7200, policy: "ecr-push", actions: PUSH, repositories: [`${repos}/app`, `${repos}/base-*`] },
      { key: "updater", role: `${prefix}argocd-argocd-image-updater`, ns: "argocd", sa: "argocd-image-updater", path: "/", duration: 3600, policy: "ecr-pull", actions: PULL, repositories: [`${repos}/*`] },
      { key: "scanner", role: `${prefix}reuse-security-image-scanner`, ns: "security", sa: "image-scanner", path: "/", duration: 3600, policy: "ecr-pull", actions: PULL, repositories: [`${repos}/app`] },
    ];
    expect(await roleNames(ecr.iam, prefix)).toEqual(expected.map((e) => e.role).sort());
    for (const e of expected) {
      const role = (await ecr.iam.send(new GetRoleCommand({ RoleName: e.role }))).Role!;
      expect(role.Arn).toBe(`arn:aws:iam::${ECR_ACCOUNT}:role${e.path}${e.role}`);
      expect(outputs.role_arns.value[e.key]).toBe(role.Arn);
      expect(role.MaxSessionDuration).toBe(e.duration);
      // Both calls trust the one provider: the second reused it by ARN.
      expect(canonicalStatements(role.AssumeRolePolicyDocument)).toEqual(trustOf(providerArn, e.ns, e.sa));
      expect((await ecr.iam.send(new ListRolePoliciesCommand({ RoleName: e.role }))).PolicyNames).toEqual([e.policy]);
      const policy = await ecr.iam.send(new GetRolePolicyCommand({ RoleName: e.role, PolicyName: e.policy }));
      expect(canonicalStatements(policy.PolicyDocument)).toEqual(ecrPolicyOf(e.actions, e.repositories));
    }

    // The aliased provider acted in the ECR account only.
    expect(await roleNames(other.iam, prefix)).toEqual([]);
    expect(await providerArns(other.iam)).toEqual([]);

    // The manifests annotate each service account with its role, and create the namespace that asked for it.
    const docs = parseAllDocuments(outputs.service_account_manifests.value).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind} ${d.metadata.namespace ?? ""}/${d.metadata.name}`).sort()).toEqual(
      ["Namespace /ci", "ServiceAccount argocd/argocd-image-updater", "ServiceAccount ci/image-builder"].sort(),
    );
    const builder = docs.find((d) => d.kind === "ServiceAccount" && d.metadata.name === "image-builder");
    expect(builder.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(outputs.role_arns.value.builder);
  });

  it("plans no changes right after apply", async () => {
    const plan = await tf(consumer(), ["plan", "-detailed-exitcode"], [0, 2]);
    expect([plan.code, plan.stdout.match(/^.*(will be|must be).*$/gm)]).toEqual([0, null]);
  });

  it("refuses create_oidc_provider = false without oidc_provider_arn at plan time, naming the fix", async () => {
    const dir = join(work, "missing-arn");
    mkdirSync(dir);
    const main = readFileSync(join(consumer(), "main.tf"), "utf8").replace("oidc_provider_arn    = module.ecr_access.oidc_provider_arn\n", "");
    writeFileSync(join(dir, "main.tf"), main);
    await terraformInit(dir, pluginDir, { env: env() });
    const plan = await tf(dir, ["plan"], [1]);
    expect(plan.stderr.replace(/\s+/g, " ")).toContain("oidc_provider_arn is required when create_oidc_provider is false");
  });

  it("destroys everything it created", async () => {
    await tf(consumer(), ["destroy", "-auto-approve"]);
    applied = false;
    expect(await roleNames(ecr.iam, prefix)).toEqual([]);
    expect(await providerArns(ecr.iam)).toEqual([]);
  });

  it("applies the README's usage example as it is written, given only an override pointing at the emulator", async () => {
    const readme = readFileSync(join(MODULES, "eks-ecr-access-iam", "README.md"), "utf8");
    const example = /```hcl\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('source    = "./generated/modules/eks-ecr-access-iam"');
    const dir = join(work, "readme");
    mkdirSync(dir);
    writeFileSync(join(dir, "main.tf"), example!.replace("./generated/modules/eks-ecr-access-iam", "../modules/eks-ecr-access-iam"));
    // Terraform merges *_override.tf into the provider block of the same alias: only the endpoints change.
    const e = moto!.endpoint;
    writeFileSync(
      join(dir, "emulator_override.tf"),
      `provider "aws" {\n  alias = "ecr"\n  skip_metadata_api_check = true\n  endpoints {\n    sts = "${e}"\n    iam = "${e}"\n  }\n}\n`,
    );
    const account = /allowed_account_ids = \["(\d{12})"\]/.exec(example!)![1];
    const iam = await accountClients({ endpoint: e, accountId: account });
    try {
      await terraformInit(dir, pluginDir, { env: env() });
      await tf(dir, ["apply", "-auto-approve"]);
      const roles = JSON.parse((await tf(dir, ["output", "-json"])).stdout).role_arns.value as Record<string, string>;
      expect(Object.keys(roles).sort()).toEqual(["image-builder", "image-updater"]);
      expect(await roleNames(iam.iam, "dev-")).toEqual(["dev-argocd-argocd-image-updater", "dev-ci-image-builder"]);
      // No destroy: the consumer above proves the module destroys cleanly, and this emulator ends with the file.
    } finally {
      iam.destroy();
    }
  });
});
