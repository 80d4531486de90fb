/**
 * The ECR-account resources of the modules, written with `for_each` over `var.service_accounts`: the IAM
 * OIDC provider (unless an existing one is given) and, per service account, a role trusted only by that
 * service account's tokens (`:sub` and `:aud` pinned) with least-privilege ECR access.
 *
 * The same facts as the environment stacks' constructs (action lists, audience, annotations) come from the
 * same modules; what differs is that every per-account value here is a Terraform expression, not a literal.
 */
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformIterator, TerraformLocal, TerraformOutput, Token } from "cdktf";
import { Construct } from "constructs";
import { AUTH_TOKEN_ACTION, accessSid, authTokenStatement, ecrActions, repositoryArn } from "../constructs/ecr-policy";
import { STS_AUDIENCE } from "../constructs/issuer-oidc-provider";
import { MANAGED_BY_LABEL, serviceAccountAnnotations } from "../constructs/service-account-manifest";
import { HclExpression, hclString, hclValue } from "./hcl";
import { ModuleVariables, roleNameExpr } from "./variables";

export interface ServiceAccountRolesProps {
  /** The ECR-account aws provider (the module's default `aws`). */
  readonly provider: AwsProvider;
  /** The module's input variables. */
  readonly vars: ModuleVariables;
}

/** Terraform addresses the expressions below refer to; the constructs get the same logical ids. */
const ROLE = "aws_iam_role.service_account";
const TRUST = "data.aws_iam_policy_document.trust";
const ECR_POLICY = "data.aws_iam_policy_document.ecr";

/** The annotated ServiceAccount (and requested Namespace) YAML stream, as one HCL expression. */
export function manifestsExpr(roleArnOf: (key: string) => string): string {
  const namespaces = "distinct([for k, sa in var.service_accounts : sa.namespace if sa.create_namespace])";
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: new HclExpression("ns"), labels: MANAGED_BY_LABEL } };
  const account = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name: new HclExpression("sa.name"),
      namespace: new HclExpression("sa.namespace"),
      labels: MANAGED_BY_LABEL,
      annotations: serviceAccountAnnotations(roleArnOf("k")),
    },
  };
  return (
    `join("---\\n", concat([for ns in ${namespaces} : yamlencode(${hclValue(namespace)})], ` +
    `[for k, sa in var.service_accounts : yamlencode(${hclValue(account)})]))`
  );
}

export class ServiceAccountRoles extends Construct {
  constructor(scope: Construct, id: string, props: ServiceAccountRolesProps) {
    super(scope, id);
    const { provider, vars } = props;
    const named = <T extends { overrideLogicalId(id: string): void }>(c: T, logicalId: string): T => {
      c.overrideLogicalId(logicalId);
      return c;
    };

    named(new DataAwsPartition(this, "partition", { provider }), "current");
    named(new DataAwsRegion(this, "region", { provider }), "current");
    named(new DataAwsCallerIdentity(this, "account", { provider }), "current");
    // The repositories are in the provider's account and region: the role is only useful there anyway.
    const scopeRefs = {
      partition: "${data.aws_partition.current.partition}",
      region: "${data.aws_region.current.name}",
      accountId: "${data.aws_caller_identity.current.account_id}",
    };

    named(
      new IamOpenidConnectProvider(this, "oidc-provider", {
        provider,
        count: Token.asNumber("${var.create_oidc_provider ? 1 : 0}"),
        url: vars.issuerUrl.stringValue,
        clientIdList: [STS_AUDIENCE],
        // IAM trusts the issuer through its own root CAs when no thumbprint is given (aws provider >= 5.x).
        thumbprintList: Token.asList("${length(var.thumbprints) > 0 ? var.thumbprints : null}"),
        tags: vars.tags.value,
      }),
      "cluster",
    );
    named(
      new TerraformLocal(this, "oidc-provider-arn", "${var.create_oidc_provider ? one(aws_iam_openid_connect_provider.cluster[*].arn) : var.oidc_provider_arn}"),
      "oidc_provider_arn",
    );
    // The condition-key prefix: the issuer URL without https://.
    named(new TerraformLocal(this, "issuer-host", "${trimprefix(var.issuer_url, \"https://\")}"), "issuer_host");
    named(
      new TerraformLocal(this, "role-names", `\${{ for k, sa in var.service_accounts : k => ${roleNameExpr("sa", "var.name_prefix")} }}`),
      "role_names",
    );

    const each = TerraformIterator.fromMap(vars.serviceAccounts.value);
    // aws_iam_policy_document, not jsonencode: the condition keys are computed from the issuer.
    named(
      new DataAwsIamPolicyDocument(this, "trust", {
        provider,
        forEach: each,
        statement: [
          {
            sid: "ServiceAccountWebIdentity",
            effect: "Allow",
            actions: ["sts:AssumeRoleWithWebIdentity"],
            principals: [{ type: "Federated", identifiers: ["${local.oidc_provider_arn}"] }],
            condition: [
              {
                test: "StringEquals",
                variable: "${local.issuer_host}:sub",
                values: ["system:serviceaccount:${each.value.namespace}:${each.value.name}"],
              },
              { test: "StringEquals", variable: "${local.issuer_host}:aud", values: [STS_AUDIENCE] },
            ],
          },
        ],
      }),
      "trust",
    );
    named(
      new DataAwsIamPolicyDocument(this, "ecr", {
        provider,
        forEach: each,
        statement: [
          // The one ECR action IAM cannot scope to a repository.
          { sid: authTokenStatement().Sid, effect: "Allow", actions: [AUTH_TOKEN_ACTION], resources: ["*"] },
          {
            sid: `\${each.value.access == "push" ? "${accessSid("push")}" : "${accessSid("pull")}"}`,
            effect: "Allow",
            actions: Token.asList(`\${each.value.access == "push" ? ${hclValue(ecrActions("push"))} : ${hclValue(ecrActions("pull"))}}`),
            resources: Token.asList(`\${sort([for r in each.value.repositories : ${hclString(repositoryArn(scopeRefs, "${r}"))}])}`),
          },
        ],
      }),
      "ecr",
    );
    named(
      new IamRole(this, "role", {
        provider,
        forEach: each,
        name: "${local.role_names[each.key]}",
        path: each.getString("path"),
        description: "ECR access for Kubernetes service account ${each.value.namespace}/${each.value.name} (managed by eks-ecr-access)",
        assumeRolePolicy: `\${${TRUST}[each.key].json}`,
        permissionsBoundary: each.getString("permissions_boundary_arn"),
        maxSessionDuration: each.getNumber("max_session_duration"),
        tags: vars.tags.value,
      }),
      "service_account",
    );
    named(
      new IamRolePolicy(this, "ecr-policy", {
        provider,
        forEach: each,
        name: "ecr-${each.value.access}",
        role: `\${${ROLE}[each.key].id}`,
        policy: `\${${ECR_POLICY}[each.key].json}`,
      }),
      "ecr",
    );

    const output = (name: string, description: string, value: string) =>
      named(new TerraformOutput(this, name, { description, value }), name);
    output("oidc_provider_arn", "ARN of the IAM OIDC provider (in the ECR account) that the roles trust.", "${local.oidc_provider_arn}");
    output("role_arns", "Role ARN of each service account, keyed like service_accounts.", `\${{ for k, r in ${ROLE} : k => r.arn }}`);
    output("role_names", "Role name of each service account, keyed like service_accounts.", `\${{ for k, r in ${ROLE} : k => r.name }}`);
    output(
      "service_account_manifests",
      "Annotated ServiceAccount (and requested Namespace) YAML for the cluster: kubectl apply -f, or commit it to your GitOps repository.",
      `\${${manifestsExpr((k) => `\${${ROLE}[${k}].arn}`)}}`,
    );
  }
}
