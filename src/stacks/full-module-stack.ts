/**
 * `generated/modules/eks-ecr-access`: the whole recipe as a child module. It reads the issuer from the
 * cluster (aws.eks), pins the issuer's root thumbprint (tls), creates the ECR-account side by calling the
 * sibling `eks-ecr-access-iam` module with aws.ecr (one implementation of the IAM side, not two), and
 * creates the annotated service accounts in the cluster (kubernetes).
 */
import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { DataTlsCertificate } from "@cdktf/provider-tls/lib/data-tls-certificate";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { TerraformHclModule, TerraformIterator, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { EKS_CLUSTER_NAME } from "../config/patterns";
import { MANAGED_BY_LABEL, serviceAccountAnnotations } from "../constructs/service-account-manifest";
import { MODULE_PROVIDERS, makeChildModule } from "../module/child-module";
import { matchesExpr, sentence } from "../module/hcl";
import { defineModuleVariables } from "../module/variables";
import { IAM_MODULE_NAME } from "./iam-module-stack";

export const FULL_MODULE_NAME = "eks-ecr-access";

export class FullModuleStack extends TerraformStack {
  constructor(scope: Construct, id = FULL_MODULE_NAME) {
    super(scope, id);
    // Provider constructs only make cdktf record the requirements; makeChildModule drops their configuration.
    const eks = new AwsProvider(this, "aws-eks", { alias: "eks" });
    const ecr = new AwsProvider(this, "aws-ecr", { alias: "ecr" });
    const tls = new TlsProvider(this, "tls");
    const kubernetes = new KubernetesProvider(this, "kubernetes");

    const clusterName = new TerraformVariable(this, "cluster_name", {
      type: "string",
      description: "Name of the EKS cluster (in the aws.eks account) whose service accounts get ECR access.",
      nullable: false,
      validation: [{ condition: `\${${matchesExpr(EKS_CLUSTER_NAME, "var.cluster_name")}}`, errorMessage: sentence("cluster_name", EKS_CLUSTER_NAME.help) }],
    });
    clusterName.overrideLogicalId("cluster_name");
    defineModuleVariables(this, { issuerUrlOptional: true, thumbprintsFromTls: true });
    const createServiceAccounts = new TerraformVariable(this, "create_service_accounts", {
      type: "bool",
      description: "Create the annotated service accounts (and namespaces with create_namespace) through the kubernetes provider. Set false to apply the service_account_manifests output yourself (GitOps).",
      default: true,
      nullable: false,
    });
    createServiceAccounts.overrideLogicalId("create_service_accounts");

    const cluster = new DataAwsEksCluster(this, "cluster", {
      provider: eks,
      count: Token.asNumber("${var.issuer_url == null ? 1 : 0}"),
      name: clusterName.stringValue,
    });
    cluster.overrideLogicalId("cluster");
    new TerraformLocal(this, "issuer-url-local", "${var.issuer_url != null ? var.issuer_url : one(data.aws_eks_cluster.cluster[*].identity[0].oidc[0].issuer)}").overrideLogicalId(
      "issuer_url",
    );
    const chain = new DataTlsCertificate(this, "issuer", {
      provider: tls,
      count: Token.asNumber("${var.create_oidc_provider && var.thumbprints == null ? 1 : 0}"),
      url: "${local.issuer_url}",
    });
    chain.overrideLogicalId("issuer");

    const iam = new TerraformHclModule(this, "iam", {
      source: `../${IAM_MODULE_NAME}`,
      // The sibling folder is referenced as it is, never copied into a cdktf asset.
      skipAssetCreationFromLocalModules: true,
      variables: {
        issuer_url: "${local.issuer_url}",
        // The chain is listed root first; the root is what IAM checks a thumbprint against.
        thumbprints: "${var.thumbprints != null ? var.thumbprints : [for c in data.tls_certificate.issuer : c.certificates[0].sha1_fingerprint]}",
        create_oidc_provider: "${var.create_oidc_provider}",
        oidc_provider_arn: "${var.oidc_provider_arn}",
        service_accounts: "${var.service_accounts}",
        name_prefix: "${var.name_prefix}",
        tags: "${var.tags}",
      },
    });

    // cdktf would write the module's provider key as "aws.aws"; the caller-side form is { aws = aws.ecr }.
    iam.addOverride("providers", { aws: `aws.${ecr.alias}` });

    new NamespaceV1(this, "namespace", {
      provider: kubernetes,
      // A map, not a list: cdktf wraps a list iterator in toset(), which would nest interpolations here.
      forEach: TerraformIterator.fromMap(
        Token.asAnyMap("${{ for ns in distinct([for k, sa in var.service_accounts : sa.namespace if sa.create_namespace]) : ns => ns if var.create_service_accounts }}"),
      ),
      metadata: { name: "${each.value}", labels: { ...MANAGED_BY_LABEL } },
    }).overrideLogicalId("namespace");
    const accounts = TerraformIterator.fromMap(Token.asAnyMap("${{ for k, sa in var.service_accounts : k => sa if var.create_service_accounts }}"));
    new ServiceAccountV1(this, "service-account", {
      provider: kubernetes,
      forEach: accounts,
      metadata: {
        name: accounts.getString("name"),
        // Through the namespace resource when the module creates it, so the account waits for it.
        namespace: "${try(kubernetes_namespace_v1.namespace[each.value.namespace].metadata[0].name, each.value.namespace)}",
        labels: { ...MANAGED_BY_LABEL },
        annotations: serviceAccountAnnotations("${module.iam.role_arns[each.key]}"),
      },
    }).overrideLogicalId("service_account");

    const output = (name: string, description: string, value: string) =>
      new TerraformOutput(this, `output-${name}`, { description, value }).overrideLogicalId(name);
    output("issuer_url", "The cluster's OIDC issuer URL.", "${local.issuer_url}");
    output("oidc_provider_arn", "ARN of the IAM OIDC provider (in the ECR account) that the roles trust.", iam.getString("oidc_provider_arn"));
    output("role_arns", "Role ARN of each service account, keyed like service_accounts.", "${module.iam.role_arns}");
    output("role_names", "Role name of each service account, keyed like service_accounts.", "${module.iam.role_names}");
    output(
      "service_account_manifests",
      "Annotated ServiceAccount (and requested Namespace) YAML, for create_service_accounts = false (kubectl apply -f, or GitOps).",
      "${module.iam.service_account_manifests}",
    );

    makeChildModule(this, {
      aws: { ...MODULE_PROVIDERS.aws, configurationAliases: ["aws.eks", "aws.ecr"] },
      tls: MODULE_PROVIDERS.tls,
      kubernetes: MODULE_PROVIDERS.kubernetes,
    });
  }
}
