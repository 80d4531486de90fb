/**
 * The identity side of node-role pulls, in the EKS account: an inline policy on each node role allowing
 * `ecr:GetAuthorizationToken` (only an identity policy can grant it) and the three pull actions on the
 * ECR account's repositories. Created only with `imagePulls.nodeRolePolicy: "attach"`: the node roles
 * belong to whoever runs the cluster. An inline policy is its own named object on the role, so adding it
 * leaves the role's other policies alone (unless the role's owner manages inline policies exclusively).
 */
import { createHash } from "node:crypto";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { PolicyDocument } from "./ecr-policy";

export interface NodeRoleEcrPullPolicyProps {
  /** The eks-account provider. */
  readonly provider: AwsProvider;
  /** Node role ARNs (EKS account). The roles must exist. */
  readonly nodeRoleArns: readonly string[];
  /** The identity policy, from `nodeRoleIdentityPolicy`. */
  readonly document: PolicyDocument;
  /** Inline policy name, unique per environment so two environments never overwrite each other's. */
  readonly policyName: string;
}

/** The role name is the ARN's last path segment (`arn:aws:iam::1:role/path/name` -> `name`). */
export const roleNameOf = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);

/** A Terraform identifier per role; a hash is added only when characters had to be replaced, so ids stay stable and distinct. */
export function nodeRoleLogicalId(roleName: string): string {
  const safe = roleName.replace(/[^A-Za-z0-9_-]/g, "_");
  const suffix = safe === roleName ? "" : `_${createHash("sha256").update(roleName).digest("hex").slice(0, 8)}`;
  return `node_role_pull_${safe}${suffix}`;
}

export class NodeRoleEcrPullPolicy extends Construct {
  readonly policies: IamRolePolicy[];

  constructor(scope: Construct, id: string, props: NodeRoleEcrPullPolicyProps) {
    super(scope, id);
    this.policies = [...new Set(props.nodeRoleArns)].sort().map((arn) => {
      const roleName = roleNameOf(arn);
      const logicalId = nodeRoleLogicalId(roleName);
      const policy = new IamRolePolicy(this, logicalId, {
        provider: props.provider,
        role: roleName,
        name: props.policyName,
        policy: JSON.stringify(props.document),
      });
      policy.overrideLogicalId(logicalId);
      return policy;
    });
  }
}
