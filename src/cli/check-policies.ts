/**
 * `eks-ecr-access check-policies --env NAME`: before an apply, read the live ECR resource policies this
 * environment owns ("owned" in imagePulls) and refuse when applying would drop a statement the file does
 * not declare. Terraform cannot do this itself: the aws provider has no data source for a repository's
 * policy, and `aws_ecr_repository_policy` silently replaces the whole document on create.
 *
 * Exit codes: 0 nothing would be dropped, 1 refused (a foreign statement, or a repository that is
 * missing), 2 could not run (credentials, endpoint).
 */
import { ECRClient, GetRegistryPolicyCommand, GetRepositoryPolicyCommand } from "@aws-sdk/client-ecr";
import type { Environment } from "../config/environment";
import { ResourcePolicyDocument, foreignStatements } from "../constructs/image-pull-policy";
import { AccountAccess, errorText, isUnreachable } from "../verify/clients";
import { imagePullPlan } from "../stacks/image-pulls";
import type { CommonOptions } from "./commands";
import { loadNamedEnvironment } from "./problems";

export interface OwnershipFinding {
  /** `repository <name>` or `registry`. */
  readonly policy: string;
  readonly ok: boolean;
  /** What was found, and what to do when not ok. */
  readonly detail: string;
  /** Sids (or JSON, for statements without one) that applying would drop. */
  readonly foreign: readonly string[];
}

const label = (s: { Sid?: string }) => s.Sid ?? JSON.stringify(s);

/** `undefined` when the policy does not exist; throws on anything else (access, endpoint). */
async function livePolicy(read: () => Promise<{ policyText?: string }>, notFound: RegExp): Promise<string | undefined> {
  try {
    return (await read()).policyText;
  } catch (e) {
    if (e instanceof Error && notFound.test(e.name)) return undefined;
    throw e;
  }
}

function finding(policy: string, live: string | undefined, wanted: ResourcePolicyDocument, keepIn: string): OwnershipFinding {
  const foreign = foreignStatements(live, wanted).map(label);
  if (foreign.length === 0) {
    return { policy, ok: true, detail: live ? "only statements this file writes or declares" : "no policy yet", foreign };
  }
  return {
    policy,
    ok: false,
    foreign,
    detail:
      `holds statement(s) ${foreign.join(", ")} that this file does not declare; applying would delete them. ` +
      `Keep them by adding them to ${keepIn}, or remove them from the live policy first if they must go`,
  };
}

/** Reads every policy the environment owns in the ECR account and compares it with what it would write. */
export async function checkPolicyOwnership(env: Environment, ecr: ECRClient): Promise<OwnershipFinding[]> {
  const plan = imagePullPlan(env);
  if (!plan) return [];
  const registryId = env.config.ecr.accountId;
  const findings: OwnershipFinding[] = [];
  for (const { repository, document } of plan.repositoryPolicies) {
    const policy = `repository ${repository}`;
    try {
      const live = await livePolicy(
        () => ecr.send(new GetRepositoryPolicyCommand({ registryId, repositoryName: repository })),
        /RepositoryPolicyNotFoundException/,
      );
      findings.push(finding(policy, live, document, `imagePulls.repositoryStatements["${repository}"]`));
    } catch (e) {
      if (!(e instanceof Error && /RepositoryNotFoundException/.test(e.name))) throw e;
      findings.push({ policy, ok: false, foreign: [], detail: `repository does not exist in account ${registryId}: create it (or remove it from imagePulls.repositories) before applying` });
    }
  }
  if (plan.registryPolicy) {
    const live = await livePolicy(() => ecr.send(new GetRegistryPolicyCommand({})), /RegistryPolicyNotFoundException/);
    findings.push(finding("registry", live, plan.registryPolicy, "imagePulls.registryStatements"));
  }
  return findings;
}

export async function runCheckPolicies(opts: CommonOptions & { env: string }): Promise<void> {
  const env = loadNamedEnvironment(opts.environments, opts.env, "nothing was checked", 2);
  if (!env) return;
  const { ecr, awsEndpoints } = env.config;
  const access = new AccountAccess({ region: ecr.region, assumeRoleArn: ecr.assumeRoleArn, sessionName: `eks-ecr-access-${env.name}-check`, endpoints: awsEndpoints });
  try {
    const findings = await checkPolicyOwnership(env, access.ecr);
    if (findings.length === 0) process.stdout.write(`${env.name}: owns no ECR resource policies (imagePulls: nothing "owned"); nothing to check\n`);
    for (const f of findings) process.stdout.write(`${f.ok ? "ok     " : "REFUSED"} ${env.name}: ${f.policy}: ${f.detail}\n`);
    process.exitCode = findings.every((f) => f.ok) ? 0 : 1;
  } catch (e) {
    process.stderr.write(`error: ${env.name}: could not read the ECR account's policies${isUnreachable(e) ? " (credentials or endpoint)" : ""}: ${errorText(e)}\n`);
    process.exitCode = 2;
  } finally {
    access.destroy();
  }
}
