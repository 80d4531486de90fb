/**
 * The example each module README shows, as data: the HCL usage block and the trust-chain diagram are both
 * rendered from it, so the picture always matches the code a user copies.
 */
import { deriveRoleName } from "../config/environment";
import type { TrustChainInput } from "../diagram/mermaid";

export interface ExampleServiceAccount {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly repositories: readonly string[];
  readonly access: "pull" | "push";
  readonly createNamespace?: boolean;
}

export const EXAMPLE = {
  environment: "dev",
  clusterName: "platform-dev",
  region: "us-east-1",
  eksAccountId: "111122223333",
  ecrAccountId: "444455556666",
  issuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
  serviceAccounts: [
    { key: "image-builder", namespace: "ci", name: "image-builder", repositories: ["team/app", "team/base-*"], access: "push", createNamespace: true },
    { key: "image-updater", namespace: "argocd", name: "argocd-image-updater", repositories: ["team/*"], access: "pull" },
  ] as readonly ExampleServiceAccount[],
};

const quote = (s: string) => JSON.stringify(s);

function serviceAccountsHcl(withNamespaces: boolean): string {
  const lines = EXAMPLE.serviceAccounts.map((sa) => {
    const fields = [
      `namespace = ${quote(sa.namespace)}`,
      `name = ${quote(sa.name)}`,
      `repositories = [${sa.repositories.map(quote).join(", ")}]`,
      `access = ${quote(sa.access)}`,
    ];
    if (withNamespaces && sa.createNamespace) fields.push("create_namespace = true");
    return `    ${quote(sa.key)} = { ${fields.join(", ")} }`;
  });
  return `  service_accounts = {\n${lines.join("\n")}\n  }`;
}

function awsProvider(alias: string, accountId: string, what: string): string {
  return [
    `# ${what}.`,
    `# Give it credentials that act in account ${accountId}, here by assuming a role there.`,
    `provider "aws" {`,
    `  alias               = ${quote(alias)}`,
    `  region              = ${quote(EXAMPLE.region)}`,
    `  allowed_account_ids = [${quote(accountId)}]`,
    `  assume_role {`,
    `    role_arn = "arn:aws:iam::${accountId}:role/terraform"`,
    `  }`,
    `}`,
  ].join("\n");
}

export function iamModuleUsage(source: string): string {
  return [
    awsProvider("ecr", EXAMPLE.ecrAccountId, "The ECR account (account B): the OIDC provider and the roles are created here"),
    "",
    `module "ecr_access" {`,
    `  source    = ${quote(source)}`,
    `  providers = { aws = aws.ecr }`,
    "",
    `  # aws eks describe-cluster --name ${EXAMPLE.clusterName} --query cluster.identity.oidc.issuer --output text`,
    `  issuer_url  = ${quote(EXAMPLE.issuerUrl)}`,
    `  name_prefix = "${EXAMPLE.environment}-"`,
    serviceAccountsHcl(false),
    `  tags = { team = "platform" }`,
    `}`,
    "",
    `output "role_arns" {`,
    `  value = module.ecr_access.role_arns`,
    `}`,
    "",
    `# Annotated ServiceAccount YAML to apply in the cluster (kubectl apply -f, or GitOps).`,
    `output "service_account_manifests" {`,
    `  value = module.ecr_access.service_account_manifests`,
    `}`,
    "",
  ].join("\n");
}

export function fullModuleUsage(source: string): string {
  return [
    awsProvider("eks", EXAMPLE.eksAccountId, "The EKS account (account A): the cluster is read here"),
    "",
    awsProvider("ecr", EXAMPLE.ecrAccountId, "The ECR account (account B): the OIDC provider and the roles are created here"),
    "",
    `data "aws_eks_cluster" "this" {`,
    `  provider = aws.eks`,
    `  name     = ${quote(EXAMPLE.clusterName)}`,
    `}`,
    "",
    `# The cluster's API, authenticated with aws eks get-token (no token in state).`,
    `provider "kubernetes" {`,
    `  host                   = data.aws_eks_cluster.this.endpoint`,
    `  cluster_ca_certificate = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)`,
    `  exec {`,
    `    api_version = "client.authentication.k8s.io/v1beta1"`,
    `    command     = "aws"`,
    `    args        = ["eks", "get-token", "--cluster-name", data.aws_eks_cluster.this.name, "--region", ${quote(EXAMPLE.region)}, "--role-arn", "arn:aws:iam::${EXAMPLE.eksAccountId}:role/terraform"]`,
    `  }`,
    `}`,
    "",
    `module "ecr_access" {`,
    `  source = ${quote(source)}`,
    `  # tls and kubernetes are passed implicitly (the default configurations).`,
    `  providers = {`,
    `    aws.eks = aws.eks`,
    `    aws.ecr = aws.ecr`,
    `  }`,
    "",
    `  cluster_name = data.aws_eks_cluster.this.name`,
    `  name_prefix  = "${EXAMPLE.environment}-"`,
    serviceAccountsHcl(true),
    `  tags = { team = "platform" }`,
    `}`,
    "",
    `output "role_arns" {`,
    `  value = module.ecr_access.role_arns`,
    `}`,
    "",
  ].join("\n");
}

/** The diagram input of the example; account ids are shown as the provider that reaches each account. */
export function exampleTrustChain(eksLabel: string, ecrLabel: string): TrustChainInput {
  return {
    eks: { accountId: eksLabel, clusterName: EXAMPLE.clusterName },
    ecr: { accountId: ecrLabel },
    oidcProvider: "create",
    serviceAccounts: EXAMPLE.serviceAccounts.map((sa) => ({
      namespace: sa.namespace,
      name: sa.name,
      roleName: deriveRoleName(EXAMPLE.environment, sa.namespace, sa.name),
      access: sa.access,
      repositories: sa.repositories,
    })),
  };
}
