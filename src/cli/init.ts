/**
 * `init NAME`: a new environment file from eksctl-like flags. Validated exactly like `validate` does
 * (including the rules across environments) before anything is written, and never over an existing file.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblem, loadEnvironmentFile, loadEnvironments } from "../config/load";
import { crossEnvironmentProblems } from "../config/rules";
import type { CommonOptions } from "./commands";

export interface InitFlags {
  /** EKS cluster name (eksctl: --cluster). */
  readonly cluster: string;
  /** Account of the cluster. */
  readonly eksAccount: string;
  /** Region of the cluster (eksctl: --region). */
  readonly region: string;
  /** Account of the repositories. */
  readonly ecrAccount: string;
  /** Region of the repositories. Default: `region`. */
  readonly ecrRegion?: string;
  /** Namespace of the service account (eksctl: --namespace). Default: `default`. */
  readonly namespace?: string;
  /** Service account name (eksctl: --name). */
  readonly serviceAccount: string;
  /** Repository names or `prefix*` patterns (comma-separated or repeated). */
  readonly repositories: readonly string[];
  /** `pull` or `push`. Default: pull. */
  readonly access?: string;
  /** IAM role name (eksctl: --role-name). Default: derived. */
  readonly roleName?: string;
  /** Issuer URL. Default: read from the cluster at plan time. */
  readonly issuerUrl?: string;
  /** `tls`, `none` or comma-separated SHA-1 fingerprints. Default: tls. */
  readonly thumbprints?: string;
  /** ARN of an existing IAM OIDC provider in the ECR account. Default: create one. */
  readonly oidcProviderArn?: string;
  /** Role the eks-account provider assumes. Default: none. */
  readonly eksAssumeRoleArn?: string;
  /** Role the ecr-account provider assumes. Default: none. */
  readonly ecrAssumeRoleArn?: string;
  /** `terraform` or `manifest`. Default: terraform. */
  readonly serviceAccounts?: string;
  /** Also create the namespace (eksctl creates it when missing). Default: false. */
  readonly createNamespace?: boolean;
}

const splitList = (values: readonly string[]) => values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);

/** The file body, with only what the flags set (defaults stay implicit so the schema's defaults apply). */
export function environmentBody(flags: InitFlags): Record<string, unknown> {
  const thumbprints = flags.thumbprints === undefined || flags.thumbprints === "tls" || flags.thumbprints === "none" ? flags.thumbprints : splitList([flags.thumbprints]);
  const oidcProvider = flags.oidcProviderArn ? { existingArn: flags.oidcProviderArn } : { thumbprints: thumbprints ?? "tls" };
  const sa: Record<string, unknown> = {
    namespace: flags.namespace ?? "default",
    name: flags.serviceAccount,
    repositories: splitList(flags.repositories),
    access: flags.access ?? "pull",
  };
  if (flags.roleName) sa.roleName = flags.roleName;
  if (flags.createNamespace) sa.createNamespace = true;
  const body: Record<string, unknown> = {
    $schema: "./schema.json",
    eks: {
      accountId: flags.eksAccount,
      region: flags.region,
      clusterName: flags.cluster,
      ...(flags.eksAssumeRoleArn ? { assumeRoleArn: flags.eksAssumeRoleArn } : {}),
      ...(flags.issuerUrl ? { issuerUrl: flags.issuerUrl } : {}),
    },
    ecr: {
      accountId: flags.ecrAccount,
      region: flags.ecrRegion ?? flags.region,
      ...(flags.ecrAssumeRoleArn ? { assumeRoleArn: flags.ecrAssumeRoleArn } : {}),
      oidcProvider,
    },
    serviceAccounts: [sa],
  };
  if (flags.serviceAccounts) body.kubernetes = { serviceAccounts: flags.serviceAccounts };
  return body;
}

/**
 * Validates `body` as `<dir>/<name>.json`, together with the environments already in `dir` (their own
 * problems are not this command's business). Returns the formatted problems; empty when valid.
 */
export function initProblems(dir: string, name: string, text: string): string[] {
  const file = join(dir, `${name}.json`);
  const result = loadEnvironmentFile(file, text);
  if (!result.environment) return result.problems.map(formatProblem);
  // Without the file itself: an existing file of that name is refused by runInit, not compared with. A folder
  // that does not exist yet loads as no environments (its "cannot list" problem is not this command's business).
  const others = loadEnvironments(dir).environments.filter((e) => e.name !== name);
  return crossEnvironmentProblems([...others, result.environment]).filter((p) => p.file === file).map(formatProblem);
}

export function runInit(opts: CommonOptions & InitFlags & { name: string }): void {
  const file = join(opts.environments, `${opts.name}.json`);
  if (existsSync(file)) {
    process.stderr.write(`error: ${file} already exists; init never overwrites: edit it, or pick another name\n`);
    process.exitCode = 1;
    return;
  }
  const text = `${JSON.stringify(environmentBody(opts), null, 2)}\n`;
  const problems = initProblems(opts.environments, opts.name, text);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`error: ${p}\n`);
    process.stderr.write(`${problems.length} problem(s); ${file} was not written. Fix the flags and run init again.\n`);
    process.exitCode = 1;
    return;
  }
  try {
    // "wx": fails if the file appeared since the check above, so two inits cannot both write it.
    writeFileSync(file, text, { flag: "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" ? "already exists; init never overwrites: edit it, or pick another name" : (e as Error).message;
    process.stderr.write(`error: ${file} ${why}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`wrote ${file}\nnext: npx eks-ecr-access validate && npx eks-ecr-access synth --env ${opts.name}\n`);
}
