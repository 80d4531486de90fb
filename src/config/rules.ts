/**
 * Rules that relate fields to each other (within one file) or environments to each other. Each rule
 * returns problems with a message that says how to fix it; none of them throws.
 */
import { Environment, defaultS3Key, issuerHost, partitionOf } from "./environment";
import type { Problem } from "./load";
import { ALL_REPOSITORIES } from "./patterns";
import type { EnvironmentFile } from "./schema";
import { imagePullCrossEnvironmentProblems, imagePullProblems } from "./image-pulls-rules";

type FieldProblem = Omit<Problem, "file">;

const arnAccount = (arn: string): string | undefined => arn.split(":")[4] || undefined;
const arnPartition = (arn: string): string => arn.split(":")[1];

export function fileProblems(config: EnvironmentFile): FieldProblem[] {
  // eks.nodeRoleArns and imagePulls have their own rules, beside their schema (image-pulls-rules.ts).
  const problems: FieldProblem[] = [...imagePullProblems(config)];
  const partition = partitionOf(config.ecr.region);

  if (partitionOf(config.eks.region) !== partition) {
    problems.push({
      path: "ecr.region",
      message: `is in partition ${partition} but eks.region "${config.eks.region}" is in ${partitionOf(config.eks.region)}; IAM trust cannot cross partitions`,
    });
  }
  if (config.eks.accountId === config.ecr.accountId) {
    problems.push({
      path: "ecr.accountId",
      message: "equals eks.accountId; this tool is for two accounts (same-account IRSA needs no second OIDC provider, use the cluster's own)",
    });
  }

  const checkArn = (path: string, arn: string | undefined, account: string, side: string, noun = "a role") => {
    if (!arn) return;
    if (arnAccount(arn) !== account) {
      problems.push({ path, message: `is in account ${arnAccount(arn)} but ${side} is ${account}; use ${noun} of that account (got "${arn}")` });
    }
    if (arnPartition(arn) !== partition) {
      problems.push({ path, message: `uses partition ${arnPartition(arn)} but the regions are in ${partition} (got "${arn}")` });
    }
  };
  checkArn("eks.assumeRoleArn", config.eks.assumeRoleArn, config.eks.accountId, "eks.accountId");
  checkArn("ecr.assumeRoleArn", config.ecr.assumeRoleArn, config.ecr.accountId, "ecr.accountId");

  const { existingArn, thumbprints } = config.ecr.oidcProvider;
  if (existingArn) {
    if (thumbprints !== undefined) {
      problems.push({ path: "ecr.oidcProvider", message: "set either \"thumbprints\" (create the provider) or \"existingArn\" (reuse one), not both" });
    }
    checkArn("ecr.oidcProvider.existingArn", existingArn, config.ecr.accountId, "ecr.accountId (the roles must live beside the provider they trust)", "an OIDC provider");
    const host = existingArn.replace(/^[^/]*\//, "");
    if (config.eks.issuerUrl && host !== issuerHost(config.eks.issuerUrl)) {
      problems.push({
        path: "ecr.oidcProvider.existingArn",
        message: `names issuer "${host}" but eks.issuerUrl is "${config.eks.issuerUrl}"; they must be the same issuer`,
      });
    }
  }
  if (Array.isArray(thumbprints)) {
    const lower = thumbprints.map((t) => t.toLowerCase());
    lower.forEach((t, i) => {
      if (lower.indexOf(t) !== i) problems.push({ path: `ecr.oidcProvider.thumbprints[${i}]`, message: `repeats thumbprint "${t}"; list each once` });
    });
  }

  const seenAccounts = new Map<string, number>();
  config.serviceAccounts.forEach((sa, i) => {
    const id = `${sa.namespace}/${sa.name}`;
    if (seenAccounts.has(id)) {
      problems.push({ path: `serviceAccounts[${i}]`, message: `repeats service account ${id} of serviceAccounts[${seenAccounts.get(id)}]; merge their repositories into one entry` });
    } else seenAccounts.set(id, i);
    sa.repositories.forEach((repo, j) => {
      if (sa.repositories.indexOf(repo) !== j) {
        problems.push({ path: `serviceAccounts[${i}].repositories[${j}]`, message: `repeats "${repo}"; list each repository once` });
      }
    });
    problems.push(...guardrailProblems(config, sa, i));
    if (sa.permissionsBoundaryArn) {
      const account = arnAccount(sa.permissionsBoundaryArn);
      if (account !== "aws" && account !== config.ecr.accountId) {
        problems.push({
          path: `serviceAccounts[${i}].permissionsBoundaryArn`,
          message: `is in account ${account}; a boundary must be an AWS managed policy or a policy of ecr.accountId ${config.ecr.accountId}`,
        });
      }
    }
  });
  return problems;
}

/**
 * The opt-in guardrails (docs/safety.md): a wildcard subject or the all-repositories entry is refused
 * unless the entry says, in so many words, that it accepts the risk.
 */
function guardrailProblems(config: EnvironmentFile, sa: EnvironmentFile["serviceAccounts"][number], i: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (sa.name.includes("*") && !sa.allowWildcardSubjects) {
    problems.push({
      path: `serviceAccounts[${i}].name`,
      message:
        `"${sa.name}" is a wildcard: the role would trust every service account of namespace "${sa.namespace}" whose name matches it; ` +
        `give the exact service account name, or set "allowWildcardSubjects": true on this entry to accept that risk (see docs/safety.md)`,
    });
  }
  const all = sa.repositories.indexOf(ALL_REPOSITORIES);
  if (all >= 0 && !sa.allowAllRepositories) {
    problems.push({
      path: `serviceAccounts[${i}].repositories[${all}]`,
      message:
        `"*" grants ${sa.access} on every repository of account ${config.ecr.accountId} in ${config.ecr.region}, including ones created later; ` +
        `list repositories or prefixes such as "team/*", or set "allowAllRepositories": true on this entry to accept that risk (see docs/safety.md)`,
    });
  }
  if (all >= 0 && sa.repositories.length > 1) {
    problems.push({
      path: `serviceAccounts[${i}].repositories`,
      message: `lists "*" and other entries; "*" already covers every repository, so list only "*" (or drop it)`,
    });
  }
  return problems;
}

/** Where an environment's state lives, as a comparable string. */
function stateLocation(env: Environment): string {
  const b = env.config.backend;
  switch (b.type) {
    case "local":
      return `local:state/${env.name}.tfstate`;
    case "s3":
      return `s3://${b.bucket}/${b.key ?? defaultS3Key(env.name)}`;
    case "cloud":
      return `cloud:${b.hostname ?? "app.terraform.io"}/${b.organization}/${b.workspace}`;
  }
}

/** Rules across files: two environments must not create the same thing or share state. */
export function crossEnvironmentProblems(envs: readonly Environment[]): Problem[] {
  const problems: Problem[] = [];
  const claim = (owners: Map<string, Environment>, key: string, env: Environment, path: string, message: (other: Environment) => string) => {
    const other = owners.get(key);
    if (other) problems.push({ file: env.file, path, message: message(other) });
    else owners.set(key, env);
  };

  const providers = new Map<string, Environment>();
  const roles = new Map<string, Environment>();
  const accounts = new Map<string, Environment>();
  const states = new Map<string, Environment>();
  for (const env of envs) {
    const { eks, ecr } = env.config;
    if (env.oidcProvider.kind === "create") {
      // An environment without issuerUrl reads the issuer from the cluster at plan time, so it cannot be
      // compared by URL here. A cluster has exactly one issuer, though: the same cluster (account, region,
      // name) means the same issuer, so environments are compared by cluster as well as by URL.
      const cluster = `${eks.accountId}/${eks.region}/${eks.clusterName}`;
      const keys = [`${ecr.accountId} cluster ${cluster}`, ...(eks.issuerUrl ? [`${ecr.accountId} issuer ${eks.issuerUrl}`] : [])];
      const other = keys.map((k) => providers.get(k)).find((o) => o !== undefined);
      if (other) {
        const issuer = eks.issuerUrl ?? other.config.eks.issuerUrl;
        const arn = issuer
          ? `"arn:${env.partition}:iam::${ecr.accountId}:oidc-provider/${issuerHost(issuer)}"`
          : `the ARN of that provider (arn:${env.partition}:iam::${ecr.accountId}:oidc-provider/<issuer without https://>; ` +
            `aws eks describe-cluster --name ${eks.clusterName} --region ${eks.region} --query cluster.identity.oidc.issuer)`;
        problems.push({
          file: env.file,
          path: "ecr.oidcProvider",
          message:
            `${other.file} already creates the OIDC provider for ${issuer ?? `the issuer of cluster ${cluster}`} in account ${ecr.accountId} ` +
            `(IAM allows one per issuer and account); set "existingArn": ${arn} here instead`,
        });
      } else for (const k of keys) providers.set(k, env);
    }
    env.serviceAccounts.forEach((sa, i) => {
      claim(roles, `${ecr.accountId} ${sa.roleName}`, env, `serviceAccounts[${i}].roleName`, (other) =>
        `role "${sa.roleName}"${env.config.serviceAccounts[i].roleName ? "" : " (derived from <environment>-<namespace>-<name>)"} in account ${ecr.accountId} ` +
        `is also created by ${other === env ? "another service account of this file" : other.file}; give one of them another "roleName"`,
      );
      claim(accounts, `${eks.accountId} ${eks.region} ${eks.clusterName} ${sa.namespace}/${sa.name}`, env, `serviceAccounts[${i}]`, (other) =>
        `service account ${sa.namespace}/${sa.name} of cluster ${eks.clusterName} is also managed by ${other.file}; keep it in one environment and list all its repositories there`,
      );
    });
    claim(states, stateLocation(env), env, "backend", (other) =>
      `shares its state location (${stateLocation(env)}) with ${other.file}; give each environment its own key or workspace`,
    );
  }
  problems.push(...imagePullCrossEnvironmentProblems(envs));
  return problems;
}
