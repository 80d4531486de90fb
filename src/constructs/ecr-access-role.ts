/**
 * One IAM role in the ECR account for one Kubernetes service account: trusted only by that service
 * account's tokens (both `:sub` and `:aud` pinned), allowed only the configured ECR actions on the
 * configured repositories.
 */
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import { Access, RepositoryScope, ecrAccessPolicy } from "./ecr-policy";
import { STS_AUDIENCE } from "./issuer-oidc-provider";

export interface EcrAccessRoleProps {
  /** The ecr-account provider. */
  readonly provider: AwsProvider;
  /** ARN of the OIDC provider (in the same account) that the role trusts. */
  readonly oidcProviderArn: string;
  /** Issuer URL without `https://`, the prefix of the condition keys. May be a token. */
  readonly issuerHost: string;
  /** Service account namespace. */
  readonly namespace: string;
  /**
   * Service account name; `*` or `prefix*` only together with `allowWildcardSubject`, and then the trust
   * matches `:sub` with StringLike (`:aud` stays StringEquals).
   */
  readonly serviceAccountName: string;
  /** Explicit opt-in for a wildcard `serviceAccountName` (docs/safety.md). Default: false, a wildcard throws. */
  readonly allowWildcardSubject?: boolean;
  /** Explicit opt-in for the repository `*` (every repository of the account and region). Default: false, `*` throws. */
  readonly allowAllRepositories?: boolean;
  /** Role name. */
  readonly roleName: string;
  /** Role path. Default: `/`. */
  readonly path?: string;
  /** Permissions boundary policy ARN. Default: none. */
  readonly permissionsBoundaryArn?: string;
  /** Maximum session duration in seconds. Default: 3600. */
  readonly maxSessionDuration?: number;
  /** Repository names or `prefix*` patterns in the ECR account. */
  readonly repositories: readonly string[];
  /** Where the repositories live. */
  readonly repositoryScope: RepositoryScope;
  /** `pull` or `push`. */
  readonly access: Access;
  /** Logical-id stem for the role's resources; must be a valid Terraform identifier. */
  readonly logicalId: string;
  /** Tags of the role. Default: none. */
  readonly tags?: Record<string, string>;
  /**
   * Token audiences the trust accepts (`:aud`, any of them). Default: `["sts.amazonaws.com"]`, IRSA's.
   * KEP-4412 image pulls add the kubelet's token audience when it differs.
   */
  readonly audiences?: readonly string[];
}

export class EcrAccessRole extends Construct {
  readonly role: IamRole;
  readonly trustPolicy: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: EcrAccessRoleProps) {
    super(scope, id);
    if (props.repositories.length === 0) {
      throw new Error(`EcrAccessRole ${props.namespace}/${props.serviceAccountName}: give at least one repository`);
    }
    // Defence in depth: the config rules already refuse these, but the construct must be safe on its own too.
    const wildcard = props.serviceAccountName.includes("*");
    if (wildcard && !props.allowWildcardSubject) {
      throw new Error(`EcrAccessRole ${props.namespace}/${props.serviceAccountName}: a wildcard service account name needs allowWildcardSubject: true`);
    }
    if (props.namespace.includes("*") || props.namespace.includes("?") || props.serviceAccountName.includes("?")) {
      throw new Error(`EcrAccessRole ${props.namespace}/${props.serviceAccountName}: the namespace must be exact and '?' is never allowed`);
    }
    // aws_iam_policy_document, not jsonencode: the condition keys hold the issuer host, a computed value
    // when the issuer is read from the cluster, and cdktf renders computed object keys incorrectly.
    this.trustPolicy = new DataAwsIamPolicyDocument(this, "trust", {
      provider: props.provider,
      statement: [
        {
          sid: "ServiceAccountWebIdentity",
          effect: "Allow",
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: [props.oidcProviderArn] }],
          condition: [
            {
              // StringLike only for an opted-in wildcard name; the namespace part of the subject stays literal.
              test: wildcard ? "StringLike" : "StringEquals",
              variable: `${props.issuerHost}:sub`,
              values: [`system:serviceaccount:${props.namespace}:${props.serviceAccountName}`],
            },
            { test: "StringEquals", variable: `${props.issuerHost}:aud`, values: [...new Set(props.audiences ?? [STS_AUDIENCE])] },
          ],
        },
      ],
    });
    this.trustPolicy.overrideLogicalId(`${props.logicalId}_trust`);

    this.role = new IamRole(this, "role", {
      provider: props.provider,
      name: props.roleName,
      path: props.path ?? "/",
      description: `ECR access for Kubernetes service account ${props.namespace}/${props.serviceAccountName} (managed by eks-ecr-access)`,
      assumeRolePolicy: this.trustPolicy.json,
      permissionsBoundary: props.permissionsBoundaryArn,
      maxSessionDuration: props.maxSessionDuration ?? 3600,
      tags: props.tags,
    });
    this.role.overrideLogicalId(props.logicalId);

    const policy = new IamRolePolicy(this, "ecr", {
      provider: props.provider,
      name: `ecr-${props.access}`,
      role: this.role.id,
      policy: JSON.stringify(
        ecrAccessPolicy(props.repositoryScope, props.repositories, props.access, { allowAllRepositories: props.allowAllRepositories }),
      ),
    });
    policy.overrideLogicalId(`${props.logicalId}_ecr`);
  }
}
