/**
 * The AWS-side checks of `verify`, one function each. Every function returns results (never throws for
 * a finding) and says, for anything that is not a pass, what to do about it.
 */
import { DescribeClusterCommand } from "@aws-sdk/client-eks";
import { DescribeRepositoriesCommand, RepositoryNotFoundException, paginateDescribeRepositories } from "@aws-sdk/client-ecr";
import {
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { Environment, ResolvedServiceAccount } from "../config/environment";
import { issuerHost } from "../config/environment";
import { STS_AUDIENCE } from "../constructs/issuer-oidc-provider";
import { extraClientIds, trustedAudiences } from "../stacks/image-pulls";
import { AccountAccess, errorText, isAccessDenied, isUnreachable } from "./clients";
import { ecrExpectedGrants, expectedProviderArn, repositoryScopeOf, subjectOf } from "./expectations";
import { PolicyDocument, parsePolicy } from "./iam-eval";
import { judgePermissions, judgeTrust } from "./policy-checks";
import type { CheckResult } from "./report";

/** `npx cdktf deploy <env>`: the fix for anything the stack creates that is missing or has drifted. */
export const redeploy = (env: Environment) =>
  `re-apply the stack: npx cdktf deploy ${env.name} (or terraform apply in cdktf.out/stacks/${env.name}); terraform plan shows the drift`;

/**
 * A result for an unexpected AWS error (not-found cases are handled by each check as failures): the check
 * could not run (`error`, exit 2), whether the endpoint, the credentials or a missing read permission is
 * to blame; the fix names the permission for AccessDenied.
 */
export function callFailed(id: string, subject: string, e: unknown, fix: string): CheckResult {
  const why = isUnreachable(e) ? "endpoint or credentials unusable" : isAccessDenied(e) ? "the verify caller may not read this" : "unexpected error";
  return { id, subject, status: "error", detail: `${why}: ${errorText(e)}`, fix };
}

/** The caller reaches `side`'s account with the configured role; anything else makes the rest meaningless. */
export async function checkAccount(env: Environment, side: "eks" | "ecr", access: AccountAccess): Promise<CheckResult> {
  const { accountId, assumeRoleArn } = env.config[side];
  const id = `account.${side}`;
  const how = assumeRoleArn ? `assuming ${assumeRoleArn}` : "with your default credentials";
  try {
    const me = await access.sts.send(new GetCallerIdentityCommand({}));
    if (me.Account !== accountId) {
      return {
        id,
        subject: accountId,
        status: "error",
        detail: `${how}, calls act in account ${me.Account} (${me.Arn}), not ${accountId}`,
        fix: `use credentials of account ${accountId}, or set ${side}.assumeRoleArn to a role there`,
      };
    }
    return { id, subject: accountId, status: "pass", detail: `reached ${how} as ${me.Arn}` };
  } catch (e) {
    return {
      id,
      subject: accountId,
      status: "error",
      detail: `cannot reach the ${side} account ${how}: ${errorText(e)}`,
      fix: `provide credentials (AWS_PROFILE, environment, SSO) that may ${assumeRoleArn ? `assume ${assumeRoleArn}` : `act in ${accountId}`}`,
    };
  }
}

/**
 * The cluster's live issuer, compared with `eks.issuerUrl` when the file pins one. Returns the issuer to
 * check the rest against: the live one when readable, else the configured one.
 */
export async function checkIssuer(env: Environment, eks: AccountAccess | undefined): Promise<{ result: CheckResult; issuerUrl?: string; endpoint?: string }> {
  const { clusterName, issuerUrl: configured, region } = env.config.eks;
  const id = "cluster.issuer";
  if (!eks) {
    return {
      issuerUrl: configured,
      result: { id, subject: clusterName, status: configured ? "skip" : "error", detail: "eks account not reachable", fix: "fix account.eks first" },
    };
  }
  try {
    const out = await eks.eks.send(new DescribeClusterCommand({ name: clusterName }));
    const live = out.cluster?.identity?.oidc?.issuer;
    const endpoint = out.cluster?.endpoint;
    if (!live) return { endpoint, issuerUrl: configured, result: { id, subject: clusterName, status: "fail", detail: "the cluster reports no OIDC issuer", fix: "the cluster has no OIDC issuer; check that it is an EKS cluster in a healthy state" } };
    if (configured && configured !== live) {
      return {
        endpoint,
        issuerUrl: live,
        result: { id, subject: clusterName, status: "fail", detail: `eks.issuerUrl is ${configured} but the cluster's issuer is ${live}`, fix: `set eks.issuerUrl to "${live}" (or remove it to read it from the cluster), then re-deploy` },
      };
    }
    return { endpoint, issuerUrl: live, result: { id, subject: clusterName, status: "pass", detail: live } };
  } catch (e) {
    const fix = `check eks.clusterName "${clusterName}", eks.region "${region}" and eks.accountId ${env.config.eks.accountId}`;
    if ((e as Error).name === "ResourceNotFoundException") {
      return { issuerUrl: configured, result: { id, subject: clusterName, status: "fail", detail: `no cluster ${clusterName} in ${env.config.eks.accountId} ${region}`, fix } };
    }
    return { issuerUrl: configured, result: callFailed(id, clusterName, e, fix) };
  }
}

export interface ProviderState {
  readonly arn: string;
  readonly exists: boolean;
  readonly thumbprints: string[];
}

/** The IAM OIDC provider for exactly this issuer, in the ECR account, with audience sts.amazonaws.com. */
export async function checkProvider(env: Environment, ecr: AccountAccess, issuerUrl: string): Promise<{ results: CheckResult[]; state?: ProviderState }> {
  const arn = expectedProviderArn(env, issuerUrl);
  // Subject: the account (the ARN is long and goes into the detail, keeping the table readable).
  const account = env.config.ecr.accountId;
  const existing = env.oidcProvider.kind === "existing";
  const missingFix = existing
    ? `ecr.oidcProvider.existingArn names no provider for ${issuerUrl}: create one in account ${env.config.ecr.accountId}, or fix the ARN`
    : redeploy(env);
  try {
    const out = await ecr.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    const results: CheckResult[] = [];
    const url = (out.Url ?? "").replace(/^https:\/\//, "");
    results.push(
      url === issuerHost(issuerUrl)
        ? { id: "oidc.provider", subject: account, status: "pass", detail: `${arn} exists` }
        : { id: "oidc.provider", subject: account, status: "fail", detail: `${arn}: provider URL is ${url}, the issuer is ${issuerHost(issuerUrl)}`, fix: missingFix },
    );
    const audiences = out.ClientIDList ?? [];
    // IRSA's audience always; the kubelet's token audience too when service accounts use image pulls.
    const missing = [STS_AUDIENCE, ...extraClientIds(env)].filter((a) => !audiences.includes(a));
    results.push(
      missing.length === 0
        ? { id: "oidc.audience", subject: account, status: "pass", detail: `client ids: ${audiences.join(", ")}` }
        : {
            id: "oidc.audience",
            subject: account,
            status: "fail",
            detail: `audience ${missing.join(", ")} missing (client ids: ${audiences.join(", ") || "none"})`,
            fix: existing
              ? missing.map((a) => `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${arn} --client-id ${a}`).join("; ")
              : redeploy(env),
          },
    );
    return { results, state: { arn, exists: true, thumbprints: (out.ThumbprintList ?? []).map((t) => t.toLowerCase()) } };
  } catch (e) {
    if ((e as Error).name === "NoSuchEntityException" || (e as Error).name === "NoSuchEntity") {
      return {
        results: [{ id: "oidc.provider", subject: account, status: "fail", detail: `no IAM OIDC provider ${arn} (issuer ${issuerUrl})`, fix: missingFix }],
        state: { arn, exists: false, thumbprints: [] },
      };
    }
    return { results: [callFailed("oidc.provider", account, e, "check that the ecr-account credentials may call iam:GetOpenIDConnectProvider")] };
  }
}

/** Every permission document of a role: inline policies and attached managed policies (default versions). */
export async function permissionDocuments(ecr: AccountAccess, roleName: string): Promise<PolicyDocument[]> {
  const docs: PolicyDocument[] = [];
  const inline = await ecr.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  for (const name of inline.PolicyNames ?? []) {
    const p = await ecr.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
    docs.push(parsePolicy(p.PolicyDocument ?? ""));
  }
  const attached = await ecr.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  for (const a of attached.AttachedPolicies ?? []) {
    const policy = await ecr.iam.send(new GetPolicyCommand({ PolicyArn: a.PolicyArn }));
    const version = await ecr.iam.send(new GetPolicyVersionCommand({ PolicyArn: a.PolicyArn, VersionId: policy.Policy?.DefaultVersionId }));
    docs.push(parsePolicy(version.PolicyVersion?.Document ?? ""));
  }
  return docs;
}

/** The role of one service account: exists with the expected ARN, trusts exactly this subject, allows exactly the configuration. */
export async function checkRole(env: Environment, ecr: AccountAccess, sa: ResolvedServiceAccount, issuerUrl: string | undefined): Promise<CheckResult[]> {
  const subject = `${sa.namespace}/${sa.name}`;
  let roleArn: string | undefined;
  let trust: PolicyDocument;
  try {
    const out = await ecr.iam.send(new GetRoleCommand({ RoleName: sa.roleName }));
    roleArn = out.Role?.Arn;
    trust = parsePolicy(out.Role?.AssumeRolePolicyDocument ?? "");
  } catch (e) {
    if ((e as Error).name === "NoSuchEntityException") {
      return [{ id: "role.exists", subject, status: "fail", detail: `no role ${sa.roleName} in account ${env.config.ecr.accountId}`, fix: redeploy(env) }];
    }
    return [callFailed("role.exists", subject, e, "check that the ecr-account credentials may call iam:GetRole")];
  }
  const results: CheckResult[] = [
    roleArn === sa.roleArn
      ? { id: "role.exists", subject, status: "pass", detail: sa.roleArn }
      : { id: "role.exists", subject, status: "fail", detail: `role is ${roleArn}, the annotation expects ${sa.roleArn}`, fix: redeploy(env) },
  ];
  if (issuerUrl) {
    const t = judgeTrust(trust, expectedProviderArn(env, issuerUrl), issuerHost(issuerUrl), subjectOf(sa), trustedAudiences(env, sa.imagePull ?? false));
    for (const [key, finding] of [["provider", t.provider], ["sub", t.sub], ["aud", t.aud]] as const) {
      results.push({ id: `role.trust.${key}`, subject, status: finding.ok ? "pass" : "fail", detail: finding.detail, fix: finding.ok ? undefined : redeploy(env) });
    }
  } else {
    results.push({ id: "role.trust", subject, status: "skip", detail: "issuer unknown", fix: "fix cluster.issuer first" });
  }
  try {
    const docs = await permissionDocuments(ecr, sa.roleName);
    const p = judgePermissions(docs, ecrExpectedGrants(repositoryScopeOf(env), sa.repositories, sa.access));
    results.push({ id: "role.permissions", subject, status: p.complete.ok ? "pass" : "fail", detail: p.complete.detail, fix: p.complete.ok ? undefined : redeploy(env) });
    results.push({
      id: "role.least-privilege",
      subject,
      status: p.leastPrivilege.ok ? "pass" : "fail",
      detail: p.leastPrivilege.detail,
      fix: p.leastPrivilege.ok ? undefined : `remove the extra grants from role ${sa.roleName} (policies attached outside this stack), then ${redeploy(env)}`,
    });
  } catch (e) {
    results.push(callFailed("role.permissions", subject, e, "check that the ecr-account credentials may read the role's policies (iam:GetRolePolicy, iam:GetPolicyVersion)"));
  }
  return results;
}

/** Each configured repository exists; a prefix warns when nothing matches it yet. */
export async function checkRepositories(env: Environment, ecr: AccountAccess): Promise<CheckResult[]> {
  const { accountId, region } = env.config.ecr;
  const wanted = [...new Set(env.serviceAccounts.flatMap((sa) => sa.repositories))].sort();
  const results: CheckResult[] = [];
  let all: string[] | undefined;
  for (const repo of wanted) {
    const createFix = `create it: aws ecr create-repository --repository-name ${repo.replace(/\*$/, "<name>")} --region ${region} (in account ${accountId}), or remove it from the environment file`;
    try {
      if (!repo.endsWith("*")) {
        await ecr.ecr.send(new DescribeRepositoriesCommand({ registryId: accountId, repositoryNames: [repo] }));
        results.push({ id: "repository.exists", subject: repo, status: "pass", detail: `exists in ${accountId} ${region}` });
        continue;
      }
      if (!all) {
        all = [];
        for await (const page of paginateDescribeRepositories({ client: ecr.ecr }, { registryId: accountId })) {
          all.push(...(page.repositories ?? []).map((r) => r.repositoryName ?? ""));
        }
      }
      const prefix = repo.slice(0, -1);
      const n = all.filter((r) => r.startsWith(prefix)).length;
      results.push(
        n > 0
          ? { id: "repository.exists", subject: repo, status: "pass", detail: `${n} repositor${n === 1 ? "y matches" : "ies match"}` }
          : { id: "repository.exists", subject: repo, status: "warn", detail: "no repository matches this prefix yet", fix: createFix },
      );
    } catch (e) {
      if (e instanceof RepositoryNotFoundException || (e as Error).name === "RepositoryNotFoundException") {
        results.push({ id: "repository.exists", subject: repo, status: "fail", detail: `no repository ${repo} in ${accountId} ${region}`, fix: createFix });
      } else results.push(callFailed("repository.exists", repo, e, "check that the ecr-account credentials may call ecr:DescribeRepositories"));
    }
  }
  return results;
}
