/**
 * Node-role image pulls (`eks.nodeRoleArns` + `imagePulls.repositories`): the kubelet pulls with the
 * node's role, so both sides must allow it: the ECR account's repository or registry policy must grant the
 * node roles the pull actions, and the node roles' own identity policies must allow them too (plus
 * GetAuthorizationToken, which only an identity policy can grant).
 */
import { GetRegistryPolicyCommand, GetRepositoryPolicyCommand } from "@aws-sdk/client-ecr";
import type { Environment } from "../config/environment";
import { AUTH_TOKEN_ACTION, repositoryArn } from "../constructs/ecr-policy";
import { NODE_PULL_ACTIONS, isPrefix } from "../constructs/image-pull-policy";
import { NODE_PULLS_FILE, imagePullPlan } from "../stacks/image-pulls";
import { AccountAccess } from "./clients";
import { callFailed, permissionDocuments, redeploy } from "./checks";
import { repositoryScopeOf } from "./expectations";
import { PolicyDocument, Statement, evaluate, parsePolicy, statementsOf } from "./iam-eval";
import type { CheckResult } from "./report";

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Whether a resource-policy statement's Principal covers `roleArn` (the role, its account, or anyone). */
export function principalCovers(principal: unknown, roleArn: string): boolean {
  if (principal === "*") return true;
  const account = roleArn.split(":")[4];
  const aws = list((principal as { AWS?: unknown } | undefined)?.AWS);
  return aws.some((p) => p === "*" || p === roleArn || p === account || p === `arn:${roleArn.split(":")[1]}:iam::${account}:root`);
}

/**
 * The statements of resource policies that apply to `roleArn`, as identity-style statements: a
 * repository policy's statements have no Resource (it is the repository itself), so it is filled in.
 */
export function statementsFor(docs: readonly { doc: PolicyDocument; resource?: string }[], roleArn: string): PolicyDocument[] {
  return docs.map(({ doc, resource }) => ({
    Statement: statementsOf(doc)
      .filter((s) => principalCovers(s.Principal, roleArn))
      .map((s): Statement => (s.Resource === undefined && s.NotResource === undefined && resource ? { ...s, Resource: resource } : s)),
  }));
}

/** Pull actions `roleArn` is NOT granted on `resource` by the given documents. */
export function missingPulls(docs: readonly PolicyDocument[], resource: string): string[] {
  return NODE_PULL_ACTIONS.filter((a) => evaluate(docs, a, resource) !== "allowed");
}

async function readPolicy(fetch: () => Promise<string | undefined>, notFound: string): Promise<PolicyDocument | undefined> {
  try {
    const text = await fetch();
    return text ? parsePolicy(text) : undefined;
  } catch (e) {
    if ((e as Error).name === notFound) return undefined;
    throw e;
  }
}

export async function checkNodePulls(env: Environment, ecr: AccountAccess, eks: AccountAccess | undefined): Promise<CheckResult[]> {
  const plan = imagePullPlan(env);
  if (!plan) return [];
  const scope = repositoryScopeOf(env);
  const repositories = [...new Set(env.config.imagePulls.repositories ?? [])].sort();
  const handOff = `add the statement from cdktf.out/stacks/${env.name}/${NODE_PULLS_FILE} ("handOff") to that policy`;
  const owned = new Set(plan.repositoryPolicies.map((p) => p.repository));
  const results: CheckResult[] = [];
  let registry: PolicyDocument | undefined;
  try {
    registry = await readPolicy(async () => (await ecr.ecr.send(new GetRegistryPolicyCommand({}))).policyText, "RegistryPolicyNotFoundException");
  } catch (e) {
    return [callFailed("node-pull.ecr", env.config.ecr.accountId, e, "check that the ecr-account credentials may call ecr:GetRegistryPolicy")];
  }
  for (const repo of repositories) {
    const arn = repositoryArn(scope, repo);
    const sources: { doc: PolicyDocument; resource?: string }[] = registry ? [{ doc: registry }] : [];
    try {
      if (!isPrefix(repo)) {
        const doc = await readPolicy(
          async () => (await ecr.ecr.send(new GetRepositoryPolicyCommand({ registryId: env.config.ecr.accountId, repositoryName: repo }))).policyText,
          "RepositoryPolicyNotFoundException",
        );
        if (doc) sources.push({ doc, resource: arn });
      }
    } catch (e) {
      results.push(
        (e as Error).name === "RepositoryNotFoundException"
          ? { id: "node-pull.ecr", subject: repo, status: "fail", detail: `no repository ${repo} in ${scope.accountId} ${scope.region}`, fix: "create it, or remove it from imagePulls.repositories" }
          : callFailed("node-pull.ecr", repo, e, "check that the ecr-account credentials may call ecr:GetRepositoryPolicy"),
      );
      continue;
    }
    const gaps = plan.nodeRoleArns
      .map((role) => ({ role, missing: missingPulls(statementsFor(sources, role), arn) }))
      .filter((g) => g.missing.length > 0);
    // The stack writes this grant when it owns the repository policy or the registry policy (planImagePulls).
    const ownedHere = owned.has(repo) || plan.registryPolicy !== undefined;
    results.push(
      gaps.length === 0
        ? { id: "node-pull.ecr", subject: repo, status: "pass", detail: `${plan.nodeRoleArns.length} node role(s) may pull` }
        : {
            id: "node-pull.ecr",
            subject: repo,
            status: "fail",
            detail: gaps.map((g) => `${g.role} lacks ${g.missing.join(", ")}`).join("; "),
            fix: ownedHere ? redeploy(env) : handOff,
          },
    );
  }
  if (!eks) {
    results.push({ id: "node-pull.node-role", subject: env.config.eks.accountId, status: "skip", detail: "eks account not reachable", fix: "fix account.eks first" });
    return results;
  }
  for (const role of plan.nodeRoleArns) {
    const name = role.slice(role.lastIndexOf("/") + 1);
    try {
      const docs = await permissionDocuments(eks, name);
      const missing = [
        ...(evaluate(docs, AUTH_TOKEN_ACTION, "*") === "allowed" ? [] : [`${AUTH_TOKEN_ACTION} on *`]),
        ...repositories.flatMap((r) => {
          const m = NODE_PULL_ACTIONS.filter((a) => evaluate(docs, a, repositoryArn(scope, r)) !== "allowed");
          return m.length ? [`${r}: ${m.join(", ")}`] : [];
        }),
      ];
      results.push(
        missing.length === 0
          ? { id: "node-pull.node-role", subject: role, status: "pass", detail: "identity policy allows pulls from every configured repository" }
          : {
              id: "node-pull.node-role",
              subject: role,
              status: "fail",
              detail: `not allowed: ${missing.join("; ")}`,
              fix: plan.attachNodeRolePolicy
                ? redeploy(env)
                : `attach AmazonEC2ContainerRegistryPullOnly to ${name}, or the nodeRolePolicy document of cdktf.out/stacks/${env.name}/${NODE_PULLS_FILE} (or set imagePulls.nodeRolePolicy "attach")`,
            },
      );
    } catch (e) {
      results.push(
        (e as Error).name === "NoSuchEntityException"
          ? { id: "node-pull.node-role", subject: role, status: "fail", detail: `no role ${name} in account ${env.config.eks.accountId}`, fix: "fix eks.nodeRoleArns" }
          : callFailed("node-pull.node-role", role, e, "check that the eks-account credentials may read the node role's policies"),
      );
    }
  }
  return results;
}
