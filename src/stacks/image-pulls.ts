/**
 * Wires image pulls into an environment stack, and lists the files they add next to it. Kept out of
 * environment-stack.ts so the stack only makes two calls.
 *
 *   node-role pulls:   ECR account  repository policies / registry policy (owned ones)  <- node roles
 *                      EKS account  inline pull policy on each node role ("attach")
 *   KEP-4412 pulls:    ECR account  role trust accepts imagePulls.tokenAudience
 *                      cluster      ecr-role-arn annotation, kubelet config + RBAC (files)
 */
import { TerraformOutput } from "cdktf";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { Environment } from "../config/environment";
import { STS_AUDIENCE } from "../constructs/issuer-oidc-provider";
import { credentialProviderConfig, credentialProviderRbac } from "../constructs/credential-provider-config";
import { ImagePullPlan, planImagePulls } from "../constructs/image-pull-policy";
import { NodePullRegistryPolicy } from "../constructs/node-pull-registry-policy";
import { NodePullRepositoryPolicy } from "../constructs/node-pull-repository-policy";
import { NodeRoleEcrPullPolicy } from "../constructs/node-role-ecr-pull-policy";

/** The environment's node-pull plan (undefined without node pulls). */
export function imagePullPlan(env: Environment): ImagePullPlan | undefined {
  const { eks, ecr, imagePulls } = env.config;
  return planImagePulls({ partition: env.partition, region: ecr.region, accountId: ecr.accountId }, eks.nodeRoleArns, imagePulls);
}

/** True when any service account opts into KEP-4412 image pulls. */
export const usesTokenPulls = (env: Environment): boolean => env.serviceAccounts.some((sa) => sa.imagePull);

/** Audiences a service account's role trusts: IRSA's always, plus the image-pull audience when it opted in. */
export function trustedAudiences(env: Environment, imagePull: boolean): string[] {
  return imagePull ? [...new Set([STS_AUDIENCE, env.config.imagePulls.tokenAudience])] : [STS_AUDIENCE];
}

/** Client ids the OIDC provider must accept besides sts.amazonaws.com. */
export function extraClientIds(env: Environment): string[] {
  const audience = env.config.imagePulls.tokenAudience;
  return usesTokenPulls(env) && audience !== STS_AUDIENCE ? [audience] : [];
}

export interface ImagePullProviders {
  /** The eks-account provider (node roles). */
  readonly eks: AwsProvider;
  /** The ecr-account provider (repository and registry policies). */
  readonly ecr: AwsProvider;
}

/** Adds the node-pull resources this environment owns, and an output with what it hands to others. */
export function addImagePulls(scope: Construct, env: Environment, providers: ImagePullProviders): void {
  const plan = imagePullPlan(env);
  if (!plan) return;
  for (const { repository, document } of plan.repositoryPolicies) {
    new NodePullRepositoryPolicy(scope, `node-pull-repository-${repository}`.replace(/\//g, "--"), { provider: providers.ecr, repository, document });
  }
  if (plan.registryPolicy) {
    new NodePullRegistryPolicy(scope, "node-pull-registry", { provider: providers.ecr, document: plan.registryPolicy });
  }
  if (plan.attachNodeRolePolicy) {
    new NodeRoleEcrPullPolicy(scope, "node-role-pull", {
      provider: providers.eks,
      nodeRoleArns: plan.nodeRoleArns,
      document: plan.nodeRolePolicy,
      policyName: `eks-ecr-access-${env.name}-image-pull`,
    });
  }
  new TerraformOutput(scope, "node-image-pulls", {
    description: "Node-role image pulls: the node roles' identity policy, and the statements for policies this environment does not own (add them there).",
    value: JSON.stringify(nodePullHandOff(plan)),
  }).overrideLogicalId("node_image_pulls");
}

function nodePullHandOff(plan: ImagePullPlan): object {
  return {
    nodeRoleArns: plan.nodeRoleArns,
    nodeRolePolicy: { attached: plan.attachNodeRolePolicy, document: plan.nodeRolePolicy },
    ownedRepositoryPolicies: plan.repositoryPolicies.map((p) => p.repository),
    ownsRegistryPolicy: plan.registryPolicy !== undefined,
    handOff: plan.handOff,
  };
}

export const NODE_PULLS_FILE = "node-image-pulls.json";
export const CREDENTIAL_PROVIDER_CONFIG_FILE = "kubelet-credential-provider-config.json";
export const CREDENTIAL_PROVIDER_RBAC_FILE = "kubelet-image-pull-rbac.yaml";

/** Files written next to the stack's cdk.tf.json: file name -> content. Empty when image pulls are not used. */
export function imagePullFiles(env: Environment): Record<string, string> {
  const files: Record<string, string> = {};
  const plan = imagePullPlan(env);
  if (plan) files[NODE_PULLS_FILE] = `${JSON.stringify(nodePullHandOff(plan), null, 2)}\n`;
  if (usesTokenPulls(env)) {
    const audience = env.config.imagePulls.tokenAudience;
    files[CREDENTIAL_PROVIDER_CONFIG_FILE] = `${JSON.stringify(credentialProviderConfig(audience), null, 2)}\n`;
    files[CREDENTIAL_PROVIDER_RBAC_FILE] = credentialProviderRbac(audience);
  }
  return files;
}
