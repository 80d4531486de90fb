/**
 * The input variables the generated modules share, with `validation` blocks that apply the environment
 * file's rules (the same patterns from `src/config/patterns.ts`, translated to RE2) so a bad value fails at
 * `terraform plan` with a message that says what is allowed, instead of at the AWS API half-way through apply.
 */
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { MAX_ROLE_NAME } from "../config/environment";
import {
  ECR_REPOSITORY_PATTERN,
  IAM_PATH,
  IAM_ROLE_NAME,
  ISSUER_URL,
  K8S_DNS_LABEL,
  K8S_DNS_SUBDOMAIN,
  OIDC_PROVIDER_ARN,
  POLICY_ARN,
  Pattern,
  TAG_KEY,
  TAG_VALUE,
  THUMBPRINT,
} from "../config/patterns";
import { matchesExpr, sentence } from "./hcl";

/** The characters of an IAM role name, up to a length that leaves room for `<namespace>-<name>`. */
export const NAME_PREFIX: Pattern = {
  re: /^[\w+=,.@-]{0,32}$/,
  help: "must be at most 32 letters, digits or +=,.@_- (it starts every derived role name)",
};

/** The `service_accounts` element type; `create_namespace` is only used by the full module and the manifests. */
export const SERVICE_ACCOUNT_TYPE = `map(object({
    namespace                = string,
    name                     = string,
    repositories             = list(string),
    access                   = optional(string, "pull"),
    role_name                = optional(string),
    path                     = optional(string, "/"),
    permissions_boundary_arn = optional(string),
    max_session_duration     = optional(number, 3600),
    create_namespace         = optional(bool, false),
  }))`;

/**
 * The role name of one service account, as an HCL expression: the given one, or `<prefix><namespace>-<name>`
 * cut with an 8-hex sha256 suffix past 64 characters, exactly like `deriveRoleName` (environment `dev` is
 * prefix `dev-`), so the module and the environment stacks name roles alike.
 */
export function roleNameExpr(sa: string, prefix: string): string {
  const full = `"\${${prefix}}\${${sa}.namespace}-\${${sa}.name}"`;
  const cut = MAX_ROLE_NAME - 9;
  return (
    `${sa}.role_name != null ? ${sa}.role_name : (length(${full}) <= ${MAX_ROLE_NAME} ? ${full} : ` +
    `"\${replace(substr(${full}, 0, ${cut}), "/[-.]+$/", "")}-\${substr(sha256(${full}), 0, 8)}")`
  );
}

/** One validation over every entry of `var.service_accounts`: names the failing keys in its message. */
function eachServiceAccount(check: string, message: string) {
  const failing = `[for k, sa in var.service_accounts : k if !(${check})]`;
  return {
    condition: `\${alltrue([for k, sa in var.service_accounts : ${check}])}`,
    errorMessage: `service_accounts\${jsonencode(${failing})}: ${message}`,
  };
}

export interface ModuleVariables {
  readonly issuerUrl: TerraformVariable;
  readonly thumbprints: TerraformVariable;
  readonly createOidcProvider: TerraformVariable;
  readonly oidcProviderArn: TerraformVariable;
  readonly serviceAccounts: TerraformVariable;
  readonly namePrefix: TerraformVariable;
  readonly tags: TerraformVariable;
}

export interface ModuleVariablesProps {
  /** The issuer is read from the cluster when not given (full module). Default: required. */
  readonly issuerUrlOptional?: boolean;
  /** `null` thumbprints mean "read them from the issuer's TLS chain" (full module). Default: `[]` (IAM's own root CAs). */
  readonly thumbprintsFromTls?: boolean;
}

function variable(scope: Construct, name: string, config: ConstructorParameters<typeof TerraformVariable>[2]): TerraformVariable {
  const { default: value, ...rest } = config ?? {};
  const v = new TerraformVariable(scope, name, value === null ? rest : { ...rest, default: value });
  v.overrideLogicalId(name);
  // cdktf cannot render a null default itself; `default = null` is what makes such an input optional.
  if (value === null) v.addOverride("default", null);
  return v;
}

export function defineModuleVariables(scope: Construct, props: ModuleVariablesProps = {}): ModuleVariables {
  const issuerUrl = variable(scope, "issuer_url", {
    type: "string",
    description: props.issuerUrlOptional
      ? "The cluster's OIDC issuer URL (https://...). Default: read from the cluster through the aws.eks provider."
      : "The cluster's OIDC issuer URL, e.g. https://oidc.eks.us-east-1.amazonaws.com/id/ABC123 (aws eks describe-cluster --query cluster.identity.oidc.issuer).",
    default: props.issuerUrlOptional ? null : undefined,
    validation: [
      {
        condition: `\${${props.issuerUrlOptional ? "var.issuer_url == null || " : ""}${matchesExpr(ISSUER_URL, "var.issuer_url")}}`,
        errorMessage: sentence("issuer_url", ISSUER_URL.help),
      },
    ],
  });
  const thumbprints = variable(scope, "thumbprints", {
    type: "list(string)",
    description: props.thumbprintsFromTls
      ? "SHA-1 fingerprints (40 hex) of the issuer's certificate chain, at most 5. Default (null): the root certificate's, read with data tls_certificate; [] lets IAM trust its own root CAs."
      : "SHA-1 fingerprints (40 hex) of the issuer's certificate chain, at most 5. Default: none; IAM then trusts the issuer through its own root CAs (right for EKS).",
    default: props.thumbprintsFromTls ? null : [],
    validation: [
      {
        condition: `\${${props.thumbprintsFromTls ? "var.thumbprints == null || " : ""}try(length(var.thumbprints) <= 5 && alltrue([for t in var.thumbprints : ${matchesExpr(THUMBPRINT, "t")}]), false)}`,
        errorMessage: sentence("thumbprints: IAM accepts at most 5, and each", THUMBPRINT.help),
      },
    ],
  });
  const createOidcProvider = variable(scope, "create_oidc_provider", {
    type: "bool",
    description: "Create the IAM OIDC provider for the issuer in the ECR account. Set false and give oidc_provider_arn when one already exists (IAM allows one per issuer per account).",
    default: true,
    nullable: false,
  });
  const oidcProviderArn = variable(scope, "oidc_provider_arn", {
    type: "string",
    description: "ARN of an existing IAM OIDC provider for this issuer in the ECR account; required when create_oidc_provider is false, ignored otherwise.",
    default: null,
    validation: [
      {
        condition: `\${var.oidc_provider_arn == null || ${matchesExpr(OIDC_PROVIDER_ARN, "var.oidc_provider_arn")}}`,
        errorMessage: sentence("oidc_provider_arn", OIDC_PROVIDER_ARN.help),
      },
      {
        condition: "${var.create_oidc_provider || var.oidc_provider_arn != null}",
        errorMessage: "oidc_provider_arn is required when create_oidc_provider is false: give the ARN of the provider that already exists for this issuer.",
      },
    ],
  });
  const namePrefix = variable(scope, "name_prefix", {
    type: "string",
    description: "Start of every derived role name: <name_prefix><namespace>-<name> (e.g. \"dev-\" gives dev-ci-image-builder); longer than 64 characters it is cut and given a stable hash suffix.",
    nullable: false,
    validation: [{ condition: `\${${matchesExpr(NAME_PREFIX, "var.name_prefix")}}`, errorMessage: sentence("name_prefix", NAME_PREFIX.help) }],
  });
  const roleName = roleNameExpr("sa", "var.name_prefix");
  const serviceAccounts = variable(scope, "service_accounts", {
    type: SERVICE_ACCOUNT_TYPE,
    description:
      "Service accounts that get a role in the ECR account, keyed by any stable name (the key of role_arns). access is \"pull\" (default) or \"push\"; repositories are names or prefixes ending in '*' in the ECR provider's account and region.",
    nullable: false,
    validation: [
      { condition: "${length(var.service_accounts) > 0}", errorMessage: "service_accounts: list at least one service account." },
      eachServiceAccount(matchesExpr(K8S_DNS_LABEL, "sa.namespace"), sentence("namespace", K8S_DNS_LABEL.help)),
      eachServiceAccount(matchesExpr(K8S_DNS_SUBDOMAIN, "sa.name"), sentence("name", K8S_DNS_SUBDOMAIN.help)),
      eachServiceAccount(
        `length(sa.repositories) > 0 && alltrue([for r in sa.repositories : ${matchesExpr(ECR_REPOSITORY_PATTERN, "r")}])`,
        sentence("repositories: list at least one; each", ECR_REPOSITORY_PATTERN.help),
      ),
      eachServiceAccount("length(distinct(sa.repositories)) == length(sa.repositories)", "repositories: list each repository once."),
      eachServiceAccount(`contains(["pull", "push"], sa.access)`, "access must be \"pull\" or \"push\"."),
      eachServiceAccount(`sa.role_name == null || ${matchesExpr(IAM_ROLE_NAME, "sa.role_name")}`, sentence("role_name", IAM_ROLE_NAME.help)),
      eachServiceAccount(matchesExpr(IAM_PATH, "sa.path"), sentence("path", IAM_PATH.help)),
      eachServiceAccount(
        `sa.permissions_boundary_arn == null || ${matchesExpr(POLICY_ARN, "sa.permissions_boundary_arn")}`,
        sentence("permissions_boundary_arn", POLICY_ARN.help),
      ),
      eachServiceAccount(
        "floor(sa.max_session_duration) == sa.max_session_duration && sa.max_session_duration >= 3600 && sa.max_session_duration <= 43200",
        "max_session_duration must be a whole number of seconds from 3600 to 43200.",
      ),
      {
        condition: "${length(distinct([for sa in values(var.service_accounts) : \"${sa.namespace}/${sa.name}\"])) == length(var.service_accounts)}",
        errorMessage: "service_accounts: two entries name the same namespace/name; merge their repositories into one entry (a service account can be annotated with one role only).",
      },
      {
        condition: `\${length(distinct([for sa in values(var.service_accounts) : ${roleName}])) == length(var.service_accounts)}`,
        errorMessage: "service_accounts: two entries get the same role name; give one of them a different role_name.",
      },
    ],
  });
  const tags = variable(scope, "tags", {
    type: "map(string)",
    description: "Tags for the OIDC provider and the roles.",
    default: {},
    nullable: false,
    validation: [
      {
        condition: `\${alltrue([for k, v in var.tags : ${matchesExpr(TAG_KEY, "k")} && ${matchesExpr(TAG_VALUE, "v")}])}`,
        errorMessage: `tags \${jsonencode([for k, v in var.tags : k if !(${matchesExpr(TAG_KEY, "k")} && ${matchesExpr(TAG_VALUE, "v")})])}: ${TAG_KEY.help}, and ${TAG_VALUE.help}.`,
      },
    ],
  });
  return { issuerUrl, thumbprints, createOidcProvider, oidcProviderArn, serviceAccounts, namePrefix, tags };
}
