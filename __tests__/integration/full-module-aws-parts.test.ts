/**
 * Integration tier: the aws-only parts of the committed `generated/modules/eks-ecr-access` (cluster lookup
 * through aws.eks, the IAM side through the sibling iam module with aws.ecr, the outputs).
 *
 * The tls and kubernetes provider binaries are not in the offline mirror of this kind of machine, so the
 * module cannot be initialized as it is. The test strips exactly the tls/kubernetes blocks (and the one
 * expression that reads the tls data source, replaced by `var.thumbprints`), fails if anything else still
 * refers to them, then applies (which validates first) against moto_server with a cluster in the EKS account, checks IAM
 * in both accounts, and destroys.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateClusterCommand, DeleteClusterCommand, DescribeClusterCommand } from "@aws-sdk/client-eks";
import { GetRoleCommand, ListOpenIDConnectProvidersCommand, ListRolesCommand, IAMClient } from "@aws-sdk/client-iam";
import { AccountClients, DUMMY_CREDENTIALS_ENV, Moto, accountClients, startMoto } from "../support/moto";
import { canonicalStatements } from "../support/policy-documents";
import { locatePluginDir, terraform, terraformInit } from "../support/terraform";
import { INTEGRATION_TIER, integrationTier, tierDescribe } from "../support/tiers";

jest.setTimeout(300000);

const MODULES = join(__dirname, "..", "..", "generated", "modules");
const EKS_ACCOUNT = "111111111111";
const ECR_ACCOUNT = "222222222222";
const run = randomBytes(3).toString("hex");
const prefix = `full${run}-`;
const cluster = `platform-${run}`;

/** The full module without what needs the tls or kubernetes providers. */
function awsOnlyParts(moduleJson: string): string {
  const tf = JSON.parse(moduleJson);
  const dropped = (type: string) => type.startsWith("tls_") || type.startsWith("kubernetes_");
  delete tf.terraform.required_providers.tls;
  delete tf.terraform.required_providers.kubernetes;
  for (const section of ["data", "resource"]) {
    for (const type of Object.keys(tf[section] ?? {})) if (dropped(type)) delete tf[section][type];
    // Terraform refuses an empty "resource": {} block.
    if (tf[section] && Object.keys(tf[section]).length === 0) delete tf[section];
  }
  expect(tf.module.iam.thumbprints).toContain("data.tls_certificate.issuer");
  tf.module.iam.thumbprints = "${var.thumbprints != null ? var.thumbprints : []}";
  const text = JSON.stringify(tf, null, 2);
  // No expression may still refer to a dropped data source or resource.
  expect(text).not.toMatch(/data\.tls_|kubernetes_[a-z0-9_]+\./);
  return text;
}

async function roleNames(iam: IAMClient): Promise<string[]> {
  return ((await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []).map((r) => r.RoleName!).filter((n) => n.startsWith(prefix)).sort();
}
async function providerUrls(iam: IAMClient): Promise<string[]> {
  return ((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((p) => p.Arn!.replace(/^.*:oidc-provider\//, ""));
}

tierDescribe(INTEGRATION_TIER, integrationTier())("integration: aws-only parts of the generated eks-ecr-access module", () => {
  let moto: Moto | undefined;
  let eks: AccountClients;
  let ecr: AccountClients;
  let work: string;
  let applied = false;
  const dir = () => join(work, "consumer");
  const tf = (args: string[]) => terraform(dir(), args, { env: DUMMY_CREDENTIALS_ENV });

  beforeAll(async () => {
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    process.stderr.write(
      "NOTE: eks-ecr-access module: tls and kubernetes providers are not in the offline mirror; only its aws-only parts are validated and applied.\n",
    );
    work = mkdtempSync(join(tmpdir(), "eks-ecr-access-full-module-"));
    cpSync(MODULES, join(work, "modules"), { recursive: true });
    const full = join(work, "modules", "eks-ecr-access", "main.tf.json");
    writeFileSync(full, awsOnlyParts(readFileSync(full, "utf8")));

    moto = await startMoto();
    [eks, ecr] = await Promise.all([EKS_ACCOUNT, ECR_ACCOUNT].map((accountId) => accountClients({ endpoint: moto!.endpoint, accountId })));
    await eks.eks.send(
      new CreateClusterCommand({ name: cluster, roleArn: `arn:aws:iam::${EKS_ACCOUNT}:role/eks`, resourcesVpcConfig: { subnetIds: [] } }),
    );

    const provider = (alias: string, account: string) => `provider "aws" {
  alias                   = "${alias}"
  region                  = "us-east-1"
  allowed_account_ids     = ["${account}"]
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${account}:role/terraform"
  }
  endpoints {
    sts = "${moto!.endpoint}"
    iam = "${moto!.endpoint}"
    eks = "${moto!.endpoint}"
  }
}
`;
    mkdirSync(dir());
    writeFileSync(
      join(dir(), "main.tf"),
      `${provider("eks", EKS_ACCOUNT)}
${provider("ecr", ECR_ACCOUNT)}
module "ecr_access" {
  source = "../modules/eks-ecr-access"
  providers = {
    aws.eks = aws.eks
    aws.ecr = aws.ecr
  }
  cluster_name            = "${cluster}"
  name_prefix             = "${prefix}"
  thumbprints             = []
  create_service_accounts = false
  service_accounts = {
    builder = { namespace = "ci", name = "image-builder", repositories = ["team/app"], access = "push" }
  }
}

output "issuer_url" {
  value = module.ecr_access.issuer_url
}

output "role_arns" {
  value = module.ecr_access.role_arns
}
`,
    );
    await terraformInit(dir(), plugins.dir, { env: DUMMY_CREDENTIALS_ENV });
  });

  afterAll(async () => {
    if (applied) await tf(["destroy", "-auto-approve"]).catch(() => undefined);
    await eks?.eks.send(new DeleteClusterCommand({ name: cluster })).catch(() => undefined);
    eks?.destroy();
    ecr?.destroy();
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // No separate `terraform validate`: apply validates first, and each terraform command costs seconds of CPU.
  it("with aws.eks and aws.ecr passed by the caller, reads the issuer in the EKS account and creates the provider and role in the ECR account only", async () => {
    await tf(["apply", "-auto-approve"]);
    applied = true;
    const issuer = (await eks.eks.send(new DescribeClusterCommand({ name: cluster }))).cluster!.identity!.oidc!.issuer!;
    const outputs = JSON.parse((await tf(["output", "-json"])).stdout);
    expect(outputs.issuer_url.value).toBe(issuer);
    const host = issuer.replace("https://", "");
    expect(await providerUrls(ecr.iam)).toEqual([host]);
    expect(await roleNames(ecr.iam)).toEqual([`${prefix}ci-image-builder`]);
    expect(await roleNames(eks.iam)).toEqual([]);
    expect(await providerUrls(eks.iam)).toEqual([]);
    const role = (await ecr.iam.send(new GetRoleCommand({ RoleName: `${prefix}ci-image-builder` }))).Role!;
    expect(outputs.role_arns.value.builder).toBe(role.Arn);
    expect(canonicalStatements(role.AssumeRolePolicyDocument)[0].Condition).toEqual({
      StringEquals: { [`${host}:aud`]: ["sts.amazonaws.com"], [`${host}:sub`]: ["system:serviceaccount:ci:image-builder"] },
    });
  });

  it("destroys what it created", async () => {
    await tf(["destroy", "-auto-approve"]);
    applied = false;
    expect(await roleNames(ecr.iam)).toEqual([]);
    expect(await providerUrls(ecr.iam)).toEqual([]);
  });
});
