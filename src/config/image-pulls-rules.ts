/**
 * Rules for `eks.nodeRoleArns` and `imagePulls` that relate fields to each other or environments to each
 * other (the ownership of ECR resource policies). Called from rules.ts; each problem says what to do.
 */
import { RESERVED_SID_PREFIX, statementPrincipals } from "../constructs/image-pull-policy";
import type { Environment } from "./environment";
import { partitionOf } from "./environment";
import type { Problem } from "./load";
import type { EnvironmentFile } from "./schema";

type FieldProblem = Omit<Problem, "file">;

export function imagePullProblems(config: EnvironmentFile): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { eks, imagePulls: pulls } = config;
  const nodeRoles = eks.nodeRoleArns;
  const repositories = pulls.repositories ?? [];
  const partition = partitionOf(config.ecr.region);

  nodeRoles.forEach((arn, i) => {
    const path = `eks.nodeRoleArns[${i}]`;
    const [, arnPartition, , , account] = arn.split(":");
    if (account !== eks.accountId) {
      problems.push({ path, message: `is in account ${account} but eks.accountId is ${eks.accountId}; node roles are roles of the cluster's account (got "${arn}")` });
    }
    if (arnPartition !== partition) problems.push({ path, message: `uses partition ${arnPartition} but the regions are in ${partition} (got "${arn}")` });
    if (nodeRoles.indexOf(arn) !== i) problems.push({ path, message: `repeats "${arn}"; list each node role once` });
  });

  if (repositories.length > 0 && nodeRoles.length === 0) {
    problems.push({ path: "imagePulls.repositories", message: "needs the roles that pull: list the node roles (and Fargate pod execution roles) in eks.nodeRoleArns" });
  }
  if (nodeRoles.length > 0 && repositories.length === 0) {
    problems.push({ path: "eks.nodeRoleArns", message: "is only used for node-role image pulls: list the repositories they pull in imagePulls.repositories, or remove eks.nodeRoleArns" });
  }
  repositories.forEach((repo, i) => {
    if (repositories.indexOf(repo) !== i) problems.push({ path: `imagePulls.repositories[${i}]`, message: `repeats "${repo}"; list each repository once` });
  });
  if (repositories.length === 0) {
    for (const field of ["repositoryPolicies", "registryPolicy"] as const) {
      if (pulls[field] === "owned") problems.push({ path: `imagePulls.${field}`, message: "is \"owned\" but imagePulls.repositories is empty: list the repositories, or set it to \"none\"" });
    }
    if (pulls.nodeRolePolicy === "attach") problems.push({ path: "imagePulls.nodeRolePolicy", message: "is \"attach\" but imagePulls.repositories is empty: list the repositories, or set it to \"none\"" });
  }

  // Statements for others only make sense inside a policy this environment writes.
  const extraRepos = Object.keys(pulls.repositoryStatements);
  if (extraRepos.length > 0 && pulls.repositoryPolicies !== "owned") {
    problems.push({ path: "imagePulls.repositoryStatements", message: "is only written with \"repositoryPolicies\": \"owned\"; set that, or remove the statements" });
  }
  for (const repo of extraRepos) {
    if (repo.endsWith("*") || !repositories.includes(repo)) {
      problems.push({
        path: `imagePulls.repositoryStatements.${repo}`,
        message: `names "${repo}", which is not a repository name listed in imagePulls.repositories; statements belong to the policy of a listed repository (prefixes have no repository policy)`,
      });
    }
  }
  if (pulls.registryStatements.length > 0 && pulls.registryPolicy !== "owned") {
    problems.push({ path: "imagePulls.registryStatements", message: "is only written with \"registryPolicy\": \"owned\"; set that, or remove the statements" });
  }

  const checkStatements = (path: string, statements: readonly { Sid: string; Principal?: unknown }[]) => {
    const seen = new Set<string>();
    statements.forEach((s, i) => {
      const at = `${path}[${i}]`;
      if (s.Sid.startsWith(RESERVED_SID_PREFIX)) {
        problems.push({ path: `${at}.Sid`, message: `"${s.Sid}" starts with "${RESERVED_SID_PREFIX}", which is reserved for the statements this tool writes; rename it` });
      }
      if (seen.has(s.Sid)) problems.push({ path: `${at}.Sid`, message: `repeats Sid "${s.Sid}" in the same policy; give each statement its own Sid` });
      seen.add(s.Sid);
      // Node roles are shared by every pod on the node: they get pull and nothing else, from one statement.
      const named = statementPrincipals(s as never).filter((p) => nodeRoles.includes(p));
      if (named.length > 0) {
        problems.push({ path: `${at}.Principal`, message: `names node role ${named.join(", ")}; node roles get only the generated pull statement, remove them here` });
      }
    });
  };
  for (const repo of extraRepos) checkStatements(`imagePulls.repositoryStatements.${repo}`, pulls.repositoryStatements[repo]);
  checkStatements("imagePulls.registryStatements", pulls.registryStatements);
  return problems;
}

/**
 * Two environments must not both own one policy document: each apply would replace the other's. The
 * repository policy key is account + region + name; the registry policy key is account + region.
 */
export function imagePullCrossEnvironmentProblems(envs: readonly Environment[]): Problem[] {
  const problems: Problem[] = [];
  const owners = new Map<string, Environment>();
  const claim = (key: string, env: Environment, path: string, what: string, fix: string) => {
    const other = owners.get(key);
    if (other) problems.push({ file: env.file, path, message: `${what} is also owned by ${other.file}; one environment must own it: ${fix}` });
    else owners.set(key, env);
  };
  for (const env of envs) {
    const { ecr, imagePulls: pulls } = env.config;
    if (pulls.repositoryPolicies === "owned") {
      for (const repo of pulls.repositories ?? []) {
        if (repo.endsWith("*")) continue;
        claim(`repository ${ecr.accountId} ${ecr.region} ${repo}`, env, "imagePulls.repositoryPolicies", `the repository policy of "${repo}" in account ${ecr.accountId}`,
          "keep \"owned\" there and add this environment's node roles as a statement in its repositoryStatements, or use the registry policy here");
      }
    }
    if (pulls.registryPolicy === "owned") {
      claim(`registry ${ecr.accountId} ${ecr.region}`, env, "imagePulls.registryPolicy", `the registry policy of account ${ecr.accountId} in ${ecr.region}`,
        "keep \"owned\" there and add this environment's node roles as a statement in its registryStatements, or set \"none\" here");
    }
  }
  return problems;
}
