/**
 * Patterns of the AWS and Kubernetes identifiers an environment file holds, each with the sentence an
 * error message uses to say what is allowed. Kept apart from the schema so the generated Terraform
 * module's `validation` blocks can reuse the very same expressions.
 */
export interface Pattern {
  readonly re: RegExp;
  readonly help: string;
}

const pattern = (re: RegExp, help: string): Pattern => ({ re, help });

export const ACCOUNT_ID = pattern(/^\d{12}$/, "must be a 12-digit AWS account id, as a string");

export const AWS_REGION = pattern(
  // ISO partitions (us-iso-*, us-isob-*) are left out: their ARNs (aws-iso*) are not supported here.
  /^[a-z]{2}(-gov)?-[a-z]+-\d{1,2}$/,
  "must be an AWS region such as us-east-1 or eu-central-1",
);

export const IAM_ROLE_NAME = pattern(
  /^[\w+=,.@-]{1,64}$/,
  "must be an IAM role name: 1-64 letters, digits or +=,.@_-",
);

export const IAM_ROLE_ARN = pattern(
  /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/,
  "must be an IAM role ARN, e.g. arn:aws:iam::111111111111:role/terraform",
);

export const IAM_PATH = pattern(
  /^\/([\x21-\x2e\x30-\x7e]+\/)*$/,
  "must be an IAM path: \"/\" or \"/segment/\" (printable ASCII, starting and ending with '/')",
);

export const POLICY_ARN = pattern(
  /^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy\/([\x21-\x7e]*\/)?[\w+=,.@-]{1,128}$/,
  "must be an IAM managed policy ARN, e.g. arn:aws:iam::222222222222:policy/boundary",
);

export const ISSUER_URL = pattern(
  /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~-]+)*$/,
  "must be the cluster's https OIDC issuer URL without a trailing slash, e.g. https://oidc.eks.us-east-1.amazonaws.com/id/ABC123",
);

export const OIDC_PROVIDER_ARN = pattern(
  /^arn:aws(-cn|-us-gov)?:iam::\d{12}:oidc-provider\/[a-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~-]+)*$/,
  "must be an IAM OIDC provider ARN, e.g. arn:aws:iam::222222222222:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123",
);

export const THUMBPRINT = pattern(/^[0-9a-fA-F]{40}$/, "must be a SHA-1 fingerprint: exactly 40 hexadecimal characters");

/** RFC 1123 label: what Kubernetes allows for a namespace. */
export const K8S_DNS_LABEL = pattern(
  /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  "must be a Kubernetes DNS label: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit",
);

/** RFC 1123 subdomain: what Kubernetes allows for a service account name. */
export const K8S_DNS_SUBDOMAIN = pattern(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  "must be a Kubernetes name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253",
);

/**
 * A wildcard service-account name: `*`, or the beginning of a Kubernetes name followed by one trailing `*`.
 * Only valid with the entry's `allowWildcardSubjects` opt-in (enforced in rules.ts); `?` and inner `*` are
 * refused because IAM's StringLike would treat them as wildcards too.
 */
export const K8S_NAME_WILDCARD = pattern(/^(?=.{1,253}$)([a-z0-9][-a-z0-9.]*)?\*$/, "\"*\" or the beginning of a Kubernetes name followed by one \"*\", such as build-*");

/** What a service-account `name` may be: an exact Kubernetes name, or (with `allowWildcardSubjects`) a wildcard. */
export const SERVICE_ACCOUNT_NAME = pattern(
  new RegExp(`${K8S_DNS_SUBDOMAIN.re.source}|${K8S_NAME_WILDCARD.re.source}`),
  `${K8S_DNS_SUBDOMAIN.help}; with "allowWildcardSubjects": true it may instead be ${K8S_NAME_WILDCARD.help}`,
);

/** The repository entry that means "every repository of the account and region"; needs `allowAllRepositories`. */
export const ALL_REPOSITORIES = "*";

/** An ECR repository name, or a prefix of one followed by a single trailing '*'. */
export const ECR_REPOSITORY_PATTERN = pattern(
  /^(?=.{2,256}$)((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*|(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*([a-z0-9]+(?:[._-][a-z0-9]+)*[._/-]?)?\*)$/,
  "must be an ECR repository name (lowercase letters, digits, '.', '_', '-', '/') or a prefix ending in '*', such as team/*",
);

/** A repository entry: a name, a prefix ending in '*', or (with `allowAllRepositories`) a bare "*". */
export const ECR_REPOSITORY_SELECTOR = pattern(
  new RegExp(`${ECR_REPOSITORY_PATTERN.re.source}|^\\*$`),
  `${ECR_REPOSITORY_PATTERN.help}; a bare "*" (every repository) needs "allowAllRepositories": true`,
);

/** Environment names become role names, state keys and Terraform stack names. */
export const ENVIRONMENT_NAME = pattern(
  /^[a-z][a-z0-9-]{0,31}$/,
  "must be 1-32 lowercase letters, digits or '-', starting with a letter (the file name without .json)",
);

export const EKS_CLUSTER_NAME = pattern(
  /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/,
  "must be an EKS cluster name: 1-100 letters, digits, '-' or '_', starting with a letter or digit",
);

/** AWS tag keys and values: letters and digits of any script, spaces, and _.:/=+-@. */
export const TAG_KEY = pattern(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, "tag keys must be 1-128 letters, digits, spaces or _.:/=+-@");
export const TAG_VALUE = pattern(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u, "tag values must be 0-256 letters, digits, spaces or _.:/=+-@");
