/**
 * What a correctly deployed environment looks like, derived from the same functions that generate it, so
 * `verify` and the stack can never disagree about the expected ARNs, subjects and actions.
 */
import * as ecr from "@aws-sdk/client-ecr";
import { Environment, ResolvedServiceAccount, issuerHost } from "../config/environment";
import { AUTH_TOKEN_ACTION, Access, RepositoryScope, ecrActions, repositoryArn } from "../constructs/ecr-policy";
import type { ExpectedGrants } from "./iam-eval";

/**
 * Every ECR action IAM knows: the API operations of the installed SDK (one action per operation) plus
 * the permission-only actions that have no API call of their own.
 */
export const ECR_ACTION_CATALOGUE: readonly string[] = [
  ...Object.keys(ecr)
    .filter((k) => k.endsWith("Command") && k !== "Command" && k !== "$Command")
    .map((k) => `ecr:${k.slice(0, -"Command".length)}`),
  "ecr:BatchImportUpstreamImage",
  "ecr:ReplicateImage",
].sort();

export function ecrExpectedGrants(scope: RepositoryScope, repositories: readonly string[], access: Access): ExpectedGrants {
  return {
    catalogue: ECR_ACTION_CATALOGUE,
    service: "ecr",
    anyResourceActions: [AUTH_TOKEN_ACTION],
    scopedActions: ecrActions(access),
    resources: repositories.map((r) => repositoryArn(scope, r)),
  };
}

export function repositoryScopeOf(env: Environment): RepositoryScope {
  return { partition: env.partition, region: env.config.ecr.region, accountId: env.config.ecr.accountId };
}

/** ARN the OIDC provider has (or must have) in the ECR account for `issuerUrl`. */
export function expectedProviderArn(env: Environment, issuerUrl: string): string {
  if (env.oidcProvider.kind === "existing") return env.oidcProvider.arn;
  return `arn:${env.partition}:iam::${env.config.ecr.accountId}:oidc-provider/${issuerHost(issuerUrl)}`;
}

export const subjectOf = (sa: Pick<ResolvedServiceAccount, "namespace" | "name">): string => `system:serviceaccount:${sa.namespace}:${sa.name}`;
