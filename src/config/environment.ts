/**
 * The validated, resolved model of one environment: the file's content with defaults applied and every
 * derived value (role names, issuer host, repository ARNs) computed once, so constructs only read.
 */
import { createHash } from "node:crypto";
import type { EnvironmentFile, ServiceAccountConfig } from "./schema";

export interface ResolvedServiceAccount extends ServiceAccountConfig {
  /** IAM role name: the configured one, or derived from environment, namespace and name. */
  readonly roleName: string;
  /**
 * `<namespace>__<name>` with '.' as '_': unique (DNS names hold no '_', and '__' only comes from the
 * separator), readable, and a valid Terraform identifier (a leading digit gets a '_' in front).
 */
  readonly key: string;
  /** ARN the role will have; known before apply because account, path and name are all static. */
  readonly roleArn: string;
}

/** Where the role's trusted OIDC provider comes from. */
export type OidcProviderSource =
  | { readonly kind: "create"; readonly thumbprints: "tls" | "none" | readonly string[] }
  | { readonly kind: "existing"; readonly arn: string };

export interface Environment {
  /** Environment name: the file name without `.json`. */
  readonly name: string;
  /** Path of the file as given (relative to the working directory), for messages. */
  readonly file: string;
  readonly config: EnvironmentFile;
  readonly serviceAccounts: readonly ResolvedServiceAccount[];
  readonly oidcProvider: OidcProviderSource;
  /** `aws`, `aws-cn` or `aws-us-gov`, from the ECR region. */
  readonly partition: string;
}

export const MAX_ROLE_NAME = 64;

/**
 * `<env>-<namespace>-<name>`; past 64 characters it is cut and given an 8-hex hash of the full name, so
 * two long names that share a beginning still differ, and the same input always gives the same name.
 * A wildcard name's trailing `*` (not allowed in role names) becomes `wildcard`: `dev-ci-build-wildcard`.
 */
export function deriveRoleName(environment: string, namespace: string, name: string): string {
  const full = `${environment}-${namespace}-${name.replace(/\*$/, "wildcard")}`;
  if (full.length <= MAX_ROLE_NAME) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, MAX_ROLE_NAME - hash.length - 1).replace(/[-.]+$/, "")}-${hash}`;
}

/** State object key of an environment on an S3 backend without an explicit `key`. */
export function defaultS3Key(environment: string): string {
  return `eks-ecr-access/${environment}.tfstate`;
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function serviceAccountKey(namespace: string, name: string): string {
  // A wildcard's `*` becomes upper-case WILDCARD: Kubernetes names are lower-case, so no real name collides.
  const key = `${namespace}__${name.replace(/\./g, "_").replace(/\*$/, "WILDCARD")}`;
  return /^[0-9]/.test(key) ? `_${key}` : key;
}

export function resolveEnvironment(name: string, file: string, config: EnvironmentFile): Environment {
  const partition = partitionOf(config.ecr.region);
  const serviceAccounts = config.serviceAccounts.map((sa) => {
    const roleName = sa.roleName ?? deriveRoleName(name, sa.namespace, sa.name);
    return {
      ...sa,
      roleName,
      key: serviceAccountKey(sa.namespace, sa.name),
      roleArn: `arn:${partition}:iam::${config.ecr.accountId}:role${sa.path}${roleName}`,
    };
  });
  const { existingArn, thumbprints } = config.ecr.oidcProvider;
  const oidcProvider: OidcProviderSource = existingArn
    ? { kind: "existing", arn: existingArn }
    : { kind: "create", thumbprints: Array.isArray(thumbprints) ? thumbprints.map((t) => t.toLowerCase()) : (thumbprints ?? "tls") };
  return { name, file, config, serviceAccounts, oidcProvider, partition };
}

/** `https://oidc.eks.r.amazonaws.com/id/X` -> `oidc.eks.r.amazonaws.com/id/X`: the IAM condition-key prefix. */
export function issuerHost(issuerUrl: string): string {
  return issuerUrl.replace(/^https:\/\//, "");
}
