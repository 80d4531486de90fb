import { diagramInputOf, renderTrustChainMermaid, TrustChainInput } from "../../src/diagram/mermaid";
import { baseEnvironment, environmentFrom } from "../support/environments";

const input: TrustChainInput = {
  eks: { accountId: "111111111111", clusterName: "platform" },
  ecr: { accountId: "222222222222" },
  oidcProvider: "create",
  serviceAccounts: [
    { namespace: "ci", name: "image-builder", roleName: "dev-ci-image-builder", access: "push", repositories: ["team/app", "team/base-*"] },
    { namespace: "argocd", name: "updater", roleName: "dev-argocd-updater", access: "pull", repositories: ["team/app"] },
  ],
};

describe("renderTrustChainMermaid", () => {
  const out = renderTrustChainMermaid(input);

  it("is a flowchart with one subgraph per account, closed properly", () => {
    expect(out.split("\n")[0]).toBe("flowchart LR");
    expect(out).toContain('subgraph eksAccount["EKS account 111111111111"]');
    expect(out).toContain('subgraph ecrAccount["ECR account 222222222222"]');
    const opens = out.split("\n").filter((l) => /^\s*subgraph /.test(l)).length;
    const ends = out.split("\n").filter((l) => /^\s*end$/.test(l)).length;
    expect(opens).toBe(ends);
    expect(opens).toBe(4); // two accounts, two namespaces
    expect(out).not.toContain("```");
  });

  it("shows every role, service account and each repository once", () => {
    expect(out.match(/IAM role dev-ci-image-builder/g)).toHaveLength(1);
    expect(out.match(/IAM role dev-argocd-updater/g)).toHaveLength(1);
    expect(out.match(/\[\("ECR team\/app"\)\]/g)).toHaveLength(1);
    expect(out).toContain("ServiceAccount image-builder");
    expect(out).toContain('oidc{{"IAM OIDC provider (created)<br/>audience sts.amazonaws.com"}}');
  });

  it("draws annotation, trust and access arrows per service account", () => {
    expect(out).toContain('sa0 -- "annotation eks.amazonaws.com/role-arn" --> role0');
    expect(out).toContain('role0 -- "trust: sub=system:serviceaccount:ci:image-builder, aud" --> oidc');
    expect(out).toContain('role1 -- "trust: sub=system:serviceaccount:argocd:updater, aud" --> oidc');
    // repositories sorted: team/app = repo0, team/base-* = repo1; both roles reach team/app
    expect(out).toContain('role0 -- "push" --> repo0');
    expect(out).toContain('role0 -- "push" --> repo1');
    expect(out).toContain('role1 -- "pull" --> repo0');
    expect(out).not.toContain('role1 -- "pull" --> repo1');
  });

  it("marks an existing provider and escapes quotes in names", () => {
    const other = renderTrustChainMermaid({ ...input, oidcProvider: "existing", eks: { accountId: "1", clusterName: 'a"b' } });
    expect(other).toContain("IAM OIDC provider (existing)");
    expect(other).toContain('"EKS cluster a#quot;b"');
    const tricky = renderTrustChainMermaid({ ...input, eks: { accountId: "1", clusterName: "<b>&" } });
    expect(tricky).toContain('"EKS cluster #lt;b#gt;#amp;"');
  });

  it("is deterministic", () => {
    expect(renderTrustChainMermaid(input)).toBe(out);
  });
});

describe("diagramInputOf", () => {
  it("takes derived role names and the provider kind from the environment", () => {
    const env = environmentFrom(baseEnvironment(), "dev");
    const d = diagramInputOf(env);
    expect(d.serviceAccounts[0].roleName).toBe("dev-ci-image-builder");
    expect(d.oidcProvider).toBe("create");
    expect(renderTrustChainMermaid(d)).toContain("IAM role dev-ci-image-builder");
  });
});

describe("node-role pulls in the diagram", () => {
  it("draws each node role in the EKS account with kubelet-pull arrows to its repositories, shared repositories once", () => {
    const out = renderTrustChainMermaid({ ...input, nodePulls: { nodeRoleArns: ["arn:aws:iam::111111111111:role/eks/nodes"], repositories: ["team/app", "base/*"] } });
    expect(out).toContain('node0["node role nodes"]');
    expect(out.match(/\[\("ECR team\/app"\)\]/g)).toHaveLength(1);
    // sorted: base/* = repo0, team/app = repo1
    expect(out).toContain('node0 -- "kubelet pull (resource policy)" --> repo0');
    expect(out).toContain('node0 -- "kubelet pull (resource policy)" --> repo1');
    const eks = out.slice(out.indexOf("subgraph eksAccount"), out.indexOf("subgraph ecrAccount"));
    expect(eks).toContain("node0[");
  });

  it("draws nothing for node pulls without node roles", () => {
    expect(renderTrustChainMermaid({ ...input, nodePulls: { nodeRoleArns: [], repositories: ["x/y"] } })).toBe(renderTrustChainMermaid(input));
  });
});
