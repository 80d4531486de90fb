/**
 * The registry policy of the ECR account and region, when this environment owns it
 * (`imagePulls.registryPolicy: "owned"`), plus the account setting that makes it apply to pulls.
 *
 * With the default scope V1 a registry policy only covers replication and pull-through cache actions;
 * scope V2 makes it cover repository actions such as BatchGetImage, which is what lets one statement grant
 * pulls on every repository under a prefix (including repositories created later).
 */
import { EcrAccountSetting } from "@cdktf/provider-aws/lib/ecr-account-setting";
import { EcrRegistryPolicy } from "@cdktf/provider-aws/lib/ecr-registry-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { ResourcePolicyDocument } from "./image-pull-policy";

export interface NodePullRegistryPolicyProps {
  /** The ecr-account provider (its region is the registry's region). */
  readonly provider: AwsProvider;
  /** The complete registry policy, from `registryPolicyDocument`. */
  readonly document: ResourcePolicyDocument;
}

export class NodePullRegistryPolicy extends Construct {
  readonly resource: EcrRegistryPolicy;

  constructor(scope: Construct, id: string, props: NodePullRegistryPolicyProps) {
    super(scope, id);
    // Scope V2 is what makes a registry policy grant pulls at all; under V1 the statement is silently ignored.
    const scopeSetting = new EcrAccountSetting(this, "scope", { provider: props.provider, name: "REGISTRY_POLICY_SCOPE", value: "V2" });
    scopeSetting.overrideLogicalId("registry_policy_scope");
    this.resource = new EcrRegistryPolicy(this, "policy", {
      provider: props.provider,
      policy: JSON.stringify(props.document),
      // Written after the scope switch, so there is no moment where the grant exists but is ignored.
      dependsOn: [scopeSetting],
    });
    this.resource.overrideLogicalId("registry_policy");
  }
}
