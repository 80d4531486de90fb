/**
 * The whole repository policy of one ECR repository whose policy this environment owns
 * (`imagePulls.repositoryPolicies: "owned"`): the node-pull statement plus the statements the file keeps
 * for others. `aws_ecr_repository_policy` replaces the entire document on apply, which is why this is
 * only ever created for repositories the environment declared as its own.
 */
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { ResourcePolicyDocument } from "./image-pull-policy";

export interface NodePullRepositoryPolicyProps {
  /** The ecr-account provider. */
  readonly provider: AwsProvider;
  /** Repository name (not a prefix) in the ECR account. The repository must already exist. */
  readonly repository: string;
  /** The complete policy document, from `repositoryPolicyDocument`. */
  readonly document: ResourcePolicyDocument;
}

/**
 * `team/app-x.y` -> `team__app-x___y`: '/' becomes "__" and '.' becomes "___"; ECR names never hold two
 * separators in a row, so the mapping is one-to-one and each repository keeps its id when others change.
 */
export function repositoryLogicalId(repository: string): string {
  return `repository_policy_${repository.replace(/\//g, "__").replace(/\./g, "___")}`;
}

export class NodePullRepositoryPolicy extends Construct {
  readonly resource: EcrRepositoryPolicy;

  constructor(scope: Construct, id: string, props: NodePullRepositoryPolicyProps) {
    super(scope, id);
    if (props.repository.endsWith("*")) {
      throw new Error(`NodePullRepositoryPolicy: "${props.repository}" is a prefix; prefixes can only be granted by the registry policy`);
    }
    this.resource = new EcrRepositoryPolicy(this, "policy", {
      provider: props.provider,
      repository: props.repository,
      policy: JSON.stringify(props.document),
    });
    this.resource.overrideLogicalId(repositoryLogicalId(props.repository));
  }
}
