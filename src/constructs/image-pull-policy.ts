/**
 * Policy documents for node-role image pulls (the kubelet pulls with the node's IAM role, not the pod's),
 * as pure functions: what each ECR resource policy and the node roles' identity policy contain, and which
 * of them this environment writes. Tests, `verify` and the constructs all read the same documents.
 *
 * Ownership (docs/image-pulls.md): a repository policy and a registry policy are each ONE document. This
 * environment writes one only when the file says it owns it ("owned"), and then writes the node-pull
 * statement plus the statements the file lists for others. Everything it does not own is handed off:
 * the statement is emitted for whoever owns that policy.
 */
import type { ImagePullsConfig, ResourcePolicyStatement } from "../config/image-pulls-schema";
import { PULL_ACTIONS, PolicyDocument, RepositoryScope, authTokenStatement, repositoryArn } from "./ecr-policy";

/**
 * What the kubelet needs to pull an image (besides GetAuthorizationToken): the three layer/manifest reads.
 * No Describe/List: node roles never get more than pull, and they are shared by every pod on the node.
 */
export const NODE_PULL_ACTIONS = PULL_ACTIONS.filter((a) =>
  ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"].includes(a),
);

/** Sid of the statement this tool owns inside a resource policy; file statements may not use the prefix. */
export const NODE_PULL_SID = "EksEcrAccessNodePull";
export const RESERVED_SID_PREFIX = "EksEcrAccess";

export interface ResourcePolicyDocument {
  Version: "2012-10-17";
  Statement: ResourcePolicyStatement[];
}

export const isPrefix = (repository: string): boolean => repository.endsWith("*");

/** The node-pull grant for a resource policy; `resources` only in a registry policy (a repository policy's resource is implicit). */
export function nodePullStatement(nodeRoleArns: readonly string[], resources?: readonly string[]): ResourcePolicyStatement {
  if (nodeRoleArns.length === 0) throw new Error("nodePullStatement: give at least one node role ARN");
  return {
    Sid: NODE_PULL_SID,
    Effect: "Allow",
    Principal: { AWS: [...new Set(nodeRoleArns)].sort() },
    Action: [...NODE_PULL_ACTIONS],
    ...(resources ? { Resource: [...new Set(resources)].sort() } : {}),
  };
}

/** A whole repository policy: the node-pull statement first, then the statements others need, as given. */
export function repositoryPolicyDocument(nodeRoleArns: readonly string[], others: readonly ResourcePolicyStatement[] = []): ResourcePolicyDocument {
  return { Version: "2012-10-17", Statement: [nodePullStatement(nodeRoleArns), ...others] };
}

/** A whole registry policy (scope V2): node pulls on the given repositories and prefixes, then the others. */
export function registryPolicyDocument(
  scope: RepositoryScope,
  nodeRoleArns: readonly string[],
  repositories: readonly string[],
  others: readonly ResourcePolicyStatement[] = [],
): ResourcePolicyDocument {
  const resources = repositories.map((r) => repositoryArn(scope, r));
  return { Version: "2012-10-17", Statement: [nodePullStatement(nodeRoleArns, resources), ...others] };
}

/**
 * The identity policy the node roles need in the EKS account. Cross-account access needs both sides to
 * allow it, and `ecr:GetAuthorizationToken` can only come from an identity policy, on `*`.
 */
export function nodeRoleIdentityPolicy(scope: RepositoryScope, repositories: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      authTokenStatement(),
      {
        Sid: "PullImagesFromEcrAccount",
        Effect: "Allow",
        Action: [...NODE_PULL_ACTIONS],
        Resource: [...new Set(repositories)].sort().map((r) => repositoryArn(scope, r)),
      },
    ],
  };
}

/** Everything node-role pulls need for one environment, split by who writes it. */
export interface ImagePullPlan {
  /** Repository policies this environment writes (whole documents), by repository name, sorted. */
  readonly repositoryPolicies: readonly { readonly repository: string; readonly document: ResourcePolicyDocument }[];
  /** The registry policy this environment writes (whole document), when it owns it. */
  readonly registryPolicy?: ResourcePolicyDocument;
  /** Statements for policies this environment does not own: to be added by their owners. */
  readonly handOff: {
    /** Add to the repository policy of each of these repositories. */
    readonly repositories: readonly string[];
    readonly repositoryStatement?: ResourcePolicyStatement;
    /** Add to the registry policy (scope V2) of the ECR account and region. */
    readonly registryStatement?: ResourcePolicyStatement;
  };
  /** What the node roles need on their side; attached when `attach` is true. */
  readonly nodeRolePolicy: PolicyDocument;
  readonly attachNodeRolePolicy: boolean;
  readonly nodeRoleArns: readonly string[];
}

/**
 * Decides which document covers each repository: a named repository goes into its own repository policy
 * when those are owned, else into the registry policy when that is owned; a prefix can only be covered
 * by the registry policy. Whatever is not covered is handed off. Undefined when there are no node pulls.
 */
export function planImagePulls(scope: RepositoryScope, nodeRoleArns: readonly string[], pulls: ImagePullsConfig): ImagePullPlan | undefined {
  const repositories = [...new Set(pulls.repositories ?? [])].sort();
  if (repositories.length === 0 || nodeRoleArns.length === 0) return undefined;
  const names = repositories.filter((r) => !isPrefix(r));
  const prefixes = repositories.filter(isPrefix);
  const ownRepositories = pulls.repositoryPolicies === "owned";
  const ownRegistry = pulls.registryPolicy === "owned";

  const inRepositoryPolicies = ownRepositories ? names : [];
  const inRegistryPolicy = ownRegistry ? [...prefixes, ...(ownRepositories ? [] : names)].sort() : [];
  const handOffNames = ownRepositories || ownRegistry ? [] : names;
  const handOffPrefixes = ownRegistry ? [] : prefixes;

  return {
    repositoryPolicies: inRepositoryPolicies.map((repository) => ({
      repository,
      document: repositoryPolicyDocument(nodeRoleArns, Object.hasOwn(pulls.repositoryStatements, repository) ? pulls.repositoryStatements[repository] : []),
    })),
    registryPolicy:
      inRegistryPolicy.length > 0 || (ownRegistry && pulls.registryStatements.length > 0)
        ? registryPolicyDocument(scope, nodeRoleArns, inRegistryPolicy, pulls.registryStatements)
        : undefined,
    handOff: {
      repositories: handOffNames,
      repositoryStatement: handOffNames.length > 0 ? nodePullStatement(nodeRoleArns) : undefined,
      registryStatement:
        handOffPrefixes.length > 0 ? nodePullStatement(nodeRoleArns, handOffPrefixes.map((r) => repositoryArn(scope, r))) : undefined,
    },
    nodeRolePolicy: nodeRoleIdentityPolicy(scope, repositories),
    attachNodeRolePolicy: pulls.nodeRolePolicy === "attach",
    nodeRoleArns: [...new Set(nodeRoleArns)].sort(),
  };
}

/**
 * Statements of a live policy that the wanted document would drop: neither this tool's own statement nor
 * one the file lists (matched by Sid; a statement without Sid can only match an identical one). Used to
 * refuse to take over a policy whose other statements nobody declared.
 */
export function foreignStatements(livePolicyText: string | undefined, wanted: ResourcePolicyDocument): ResourcePolicyStatement[] {
  if (!livePolicyText) return [];
  const live = JSON.parse(livePolicyText) as { Statement?: ResourcePolicyStatement | ResourcePolicyStatement[] };
  const statements = Array.isArray(live.Statement) ? live.Statement : live.Statement ? [live.Statement] : [];
  const wantedSids = new Set(wanted.Statement.map((s) => s.Sid).filter(Boolean));
  const wantedText = new Set(wanted.Statement.map((s) => JSON.stringify(s)));
  return statements.filter((s) => !(s.Sid && (wantedSids.has(s.Sid) || s.Sid === NODE_PULL_SID)) && !wantedText.has(JSON.stringify(s)));
}

/** Every principal ARN a statement names (for the rule that node roles get nothing but pull). */
export function statementPrincipals(statement: ResourcePolicyStatement): string[] {
  const p = statement.Principal;
  if (!p || p === "*") return p === "*" ? ["*"] : [];
  return Object.values(p).flatMap((v) => (Array.isArray(v) ? v : [v]));
}
