/**
 * The trust chain of one environment as a Mermaid flowchart: the EKS account (cluster, namespaces,
 * service accounts) beside the ECR account (OIDC provider, roles, repositories), with one arrow per
 * link a request follows. One renderer, so the CLI's `diagram`, the README and generated module docs
 * never drift apart.
 *
 * The input is a plain object (not an `Environment`) so callers that have no environment file, such as
 * module documentation, can use it too; `diagramInputOf` adapts an `Environment`.
 */
import type { Environment } from "../config/environment";

export interface TrustChainServiceAccount {
  /** Kubernetes namespace of the service account. */
  readonly namespace: string;
  /** Kubernetes service account name. */
  readonly name: string;
  /** IAM role (in the ECR account) the service account is annotated with. */
  readonly roleName: string;
  /** Access the role grants, e.g. `pull` or `push`; shown on the role -> repository arrows. */
  readonly access: string;
  /** Repository names or `prefix*` patterns the role may use. */
  readonly repositories: readonly string[];
}

export interface TrustChainInput {
  /** Account A: where the cluster and its service accounts live. */
  readonly eks: { readonly accountId: string; readonly clusterName: string };
  /** Account B: where the OIDC provider, the roles and the repositories live. */
  readonly ecr: { readonly accountId: string };
  /** Whether the stack creates the IAM OIDC provider or uses one that already exists. */
  readonly oidcProvider: "create" | "existing";
  /** Service accounts in the order of the environment file; at least one gives a useful picture. */
  readonly serviceAccounts: readonly TrustChainServiceAccount[];
  /**
   * Node-role image pulls (the kubelet pulls with the node's role, granted by the ECR account's resource
   * policies). Default: none, nothing drawn.
   */
  readonly nodePulls?: { readonly nodeRoleArns: readonly string[]; readonly repositories: readonly string[] };
}

/**
 * Mermaid quoted labels end at the first `"`, and `<`/`>` may be read as HTML; entity codes keep any
 * name (they are validated elsewhere, but the renderer must not produce broken source regardless).
 */
function label(...lines: string[]): string {
  const escape = (text: string) => text.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  return `"${lines.map(escape).join("<br/>")}"`;
}

/** Mermaid source (no code fences) of the trust chain; identical input gives identical output. */
export function renderTrustChainMermaid(input: TrustChainInput): string {
  // Node ids are positional (sa0, role0, repo0...) so that arbitrary names never need escaping in ids.
  const nodeRoles = input.nodePulls?.nodeRoleArns ?? [];
  const nodeRepos = nodeRoles.length ? [...new Set(input.nodePulls?.repositories ?? [])].sort() : [];
  const repositories = [...new Set([...input.serviceAccounts.flatMap((sa) => sa.repositories), ...nodeRepos])].sort();
  const repoId = new Map(repositories.map((r, i) => [r, `repo${i}`]));
  const namespaces = [...new Set(input.serviceAccounts.map((sa) => sa.namespace))];
  const lines: string[] = ["flowchart LR"];

  lines.push(`  subgraph eksAccount[${label(`EKS account ${input.eks.accountId}`)}]`);
  lines.push("    direction TB");
  lines.push(`    cluster[${label(`EKS cluster ${input.eks.clusterName}`)}]`);
  namespaces.forEach((ns, n) => {
    lines.push(`    subgraph ns${n}[${label(`namespace ${ns}`)}]`);
    input.serviceAccounts.forEach((sa, i) => {
      if (sa.namespace === ns) lines.push(`      sa${i}([${label(`ServiceAccount ${sa.name}`)}])`);
    });
    lines.push("    end");
  });
  nodeRoles.forEach((arn, i) => lines.push(`    node${i}[${label(`node role ${arn.slice(arn.lastIndexOf("/") + 1)}`)}]`));
  lines.push("  end");

  const provider = input.oidcProvider === "create" ? "IAM OIDC provider (created)" : "IAM OIDC provider (existing)";
  lines.push(`  subgraph ecrAccount[${label(`ECR account ${input.ecr.accountId}`)}]`);
  lines.push("    direction TB");
  lines.push(`    oidc{{${label(provider, "audience sts.amazonaws.com")}}}`);
  input.serviceAccounts.forEach((sa, i) => lines.push(`    role${i}[${label(`IAM role ${sa.roleName}`)}]`));
  repositories.forEach((r) => lines.push(`    ${repoId.get(r)}[(${label(`ECR ${r}`)})]`));
  lines.push("  end");

  // The arrows follow a request: the provider trusts the cluster's issuer, the role trusts the provider
  // for exactly one subject, the pod (via the annotation) assumes the role, the role reaches repositories.
  lines.push(`  oidc -. ${label("trusts issuer of")} .-> cluster`);
  input.serviceAccounts.forEach((sa, i) => {
    lines.push(`  sa${i} -- ${label("annotation eks.amazonaws.com/role-arn")} --> role${i}`);
    lines.push(`  role${i} -- ${label(`trust: sub=system:serviceaccount:${sa.namespace}:${sa.name}, aud`)} --> oidc`);
    for (const r of [...new Set(sa.repositories)].sort()) lines.push(`  role${i} -- ${label(sa.access)} --> ${repoId.get(r)}`);
  });
  nodeRoles.forEach((_, i) => {
    for (const r of nodeRepos) lines.push(`  node${i} -- ${label("kubelet pull (resource policy)")} --> ${repoId.get(r)}`);
  });
  return `${lines.join("\n")}\n`;
}

/** The diagram input of a resolved environment (role names already derived). */
export function diagramInputOf(env: Environment): TrustChainInput {
  return {
    eks: { accountId: env.config.eks.accountId, clusterName: env.config.eks.clusterName },
    ecr: { accountId: env.config.ecr.accountId },
    oidcProvider: env.oidcProvider.kind,
    serviceAccounts: env.serviceAccounts.map((sa) => ({
      namespace: sa.namespace,
      name: sa.name,
      roleName: sa.roleName,
      access: sa.access,
      repositories: [...sa.repositories],
    })),
    nodePulls: env.config.eks.nodeRoleArns.length
      ? { nodeRoleArns: [...env.config.eks.nodeRoleArns], repositories: [...(env.config.imagePulls.repositories ?? [])] }
      : undefined,
  };
}
