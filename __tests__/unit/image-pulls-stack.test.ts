/**
 * Image pulls in the synthesized stack and the files written beside it: node-role pull resources (which
 * provider, which logical id, which document), KEP-4412 service-account-token pulls (trust audience,
 * annotation, kubelet config, RBAC), and the deliberate check that node roles never get more than pull.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { synthesizeApp } from "../../src/app";
import { baseEnvironment, environmentFrom, synthStack } from "../support/environments";

// Written out on purpose (not imported from src).
const NODE_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const NODE = "arn:aws:iam::111111111111:role/node";
const FARGATE = "arn:aws:iam::111111111111:role/eks/fargate-pod-execution";
const ISSUER_HOST = "oidc.eks.us-east-1.amazonaws.com/id/ABC123";
const repoArn = (r: string) => `arn:aws:ecr:us-east-1:222222222222:repository/${r}`;

function env(imagePulls: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const base = baseEnvironment();
  return environmentFrom(baseEnvironment({ eks: { ...(base.eks as object), nodeRoleArns: [NODE, FARGATE] }, imagePulls, ...extra }));
}
const resources = (tf: any, type: string): Record<string, any> => tf.resource?.[type] ?? {};

describe("node-role pulls in the stack", () => {
  const everything = { repositories: ["team/app", "team/base-*", "shared/tools.v2"], repositoryPolicies: "owned", registryPolicy: "owned", nodeRolePolicy: "attach" };

  test("owned repository policies: one aws_ecr_repository_policy per named repository, in the ECR account, stable ids", () => {
    const { tf } = synthStack(env(everything));
    const policies = resources(tf, "aws_ecr_repository_policy");
    expect(Object.keys(policies).sort()).toEqual(["repository_policy_shared__tools___v2", "repository_policy_team__app"]);
    for (const [id, repository] of [["repository_policy_team__app", "team/app"], ["repository_policy_shared__tools___v2", "shared/tools.v2"]]) {
      expect(policies[id]).toMatchObject({ provider: "aws.ecr", repository });
      expect(JSON.parse(policies[id].policy)).toEqual({
        Version: "2012-10-17",
        Statement: [{ Sid: "EksEcrAccessNodePull", Effect: "Allow", Principal: { AWS: [FARGATE, NODE].sort() }, Action: NODE_PULL }],
      });
    }
  });

  test("owned registry policy: prefixes only (named ones have their own policy), scope V2 set first, ECR account", () => {
    const { tf } = synthStack(env(everything));
    expect(resources(tf, "aws_ecr_account_setting")).toEqual({
      registry_policy_scope: expect.objectContaining({ provider: "aws.ecr", name: "REGISTRY_POLICY_SCOPE", value: "V2" }),
    });
    const registry = resources(tf, "aws_ecr_registry_policy").registry_policy;
    expect(registry).toMatchObject({ provider: "aws.ecr", depends_on: ["aws_ecr_account_setting.registry_policy_scope"] });
    expect(JSON.parse(registry.policy).Statement).toEqual([
      { Sid: "EksEcrAccessNodePull", Effect: "Allow", Principal: { AWS: [FARGATE, NODE].sort() }, Action: NODE_PULL, Resource: [repoArn("team/base-*")] },
    ]);
  });

  test("attach: an inline policy per node role, by role name (path dropped), through the EKS account's provider", () => {
    const { tf } = synthStack(env(everything));
    const inline = Object.values(resources(tf, "aws_iam_role_policy")).filter((p: any) => p.name === "eks-ecr-access-test-image-pull");
    expect(inline.map((p: any) => [p.provider, p.role]).sort()).toEqual([["aws.eks", "fargate-pod-execution"], ["aws.eks", "node"]]);
    expect(JSON.parse((inline[0] as any).policy).Statement).toEqual([
      { Sid: "GetAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      { Sid: "PullImagesFromEcrAccount", Effect: "Allow", Action: NODE_PULL, Resource: ["shared/tools.v2", "team/app", "team/base-*"].map(repoArn) },
    ]);
  });

  test("default (nothing owned, nothing attached): no ECR or node-role resources; the hand-off is an output", () => {
    const { tf } = synthStack(env({ repositories: ["team/app", "team/base-*"] }));
    for (const type of ["aws_ecr_repository_policy", "aws_ecr_registry_policy", "aws_ecr_account_setting"]) expect(resources(tf, type)).toEqual({});
    expect(Object.values(resources(tf, "aws_iam_role_policy")).map((p: any) => p.name)).toEqual(["ecr-pull"]);
    const out = JSON.parse(tf.output.node_image_pulls.value);
    expect(out.handOff.repositories).toEqual(["team/app"]);
    expect(out.handOff.registryStatement.Resource).toEqual([repoArn("team/base-*")]);
    expect(out.nodeRolePolicy.attached).toBe(false);
  });

  test("no node pulls configured: the stack has no trace of them", () => {
    const { tf } = synthStack(environmentFrom(baseEnvironment()));
    expect(tf.output.node_image_pulls).toBeUndefined();
    expect(resources(tf, "aws_ecr_repository_policy")).toEqual({});
  });
});

describe("nothing grants node roles more than pull (deliberate check over every combination)", () => {
  const modes = ["owned", "none"];
  const combos = modes.flatMap((repositoryPolicies) => modes.flatMap((registryPolicy) => ["attach", "none"].map((nodeRolePolicy) => ({ repositoryPolicies, registryPolicy, nodeRolePolicy }))));

  test.each(combos)("%o", (mode) => {
    const kept = { Sid: "CiPush", Effect: "Allow", Principal: { AWS: "arn:aws:iam::222222222222:role/ci" }, Action: ["ecr:PutImage", "ecr:UploadLayerPart"] };
    const e = env({
      repositories: ["team/app", "team/base-*"],
      ...mode,
      ...(mode.repositoryPolicies === "owned" ? { repositoryStatements: { "team/app": [kept] } } : {}),
      ...(mode.registryPolicy === "owned" ? { registryStatements: [{ ...kept, Resource: repoArn("team/app") }] } : {}),
    });
    const { tf } = synthStack(e);
    const documents: any[] = [
      ...Object.values(resources(tf, "aws_ecr_repository_policy")).map((p: any) => JSON.parse(p.policy)),
      ...Object.values(resources(tf, "aws_ecr_registry_policy")).map((p: any) => JSON.parse(p.policy)),
    ];
    const handOff = JSON.parse(tf.output.node_image_pulls.value).handOff;
    documents.push({ Statement: [handOff.repositoryStatement, handOff.registryStatement].filter(Boolean) });
    let checked = 0;
    for (const s of documents.flatMap((d) => d.Statement)) {
      const principals = [s.Principal?.AWS ?? []].flat();
      if (!principals.some((p: string) => p === NODE || p === FARGATE)) continue;
      checked++;
      expect({ effect: s.Effect, actions: [s.Action].flat().sort(), principals: principals.sort(), notKeys: Object.keys(s).filter((k) => k.startsWith("Not")) }).toEqual({
        effect: "Allow", actions: NODE_PULL, principals: [FARGATE, NODE].sort(), notKeys: [],
      });
      for (const r of [s.Resource ?? []].flat()) expect(r).toMatch(/^arn:aws:ecr:us-east-1:222222222222:repository\/[a-z]/);
    }
    expect(checked).toBeGreaterThan(0);
    // The node roles' own side: only the token (on *, where IAM requires it) and pull on repository ARNs.
    const nodeInline = Object.values(resources(tf, "aws_iam_role_policy")).filter((p: any) => p.provider === "aws.eks");
    expect(nodeInline).toHaveLength(mode.nodeRolePolicy === "attach" ? 2 : 0);
    for (const p of nodeInline as any[]) {
      for (const s of JSON.parse(p.policy).Statement) {
        if (s.Resource === "*") expect(s.Action).toBe("ecr:GetAuthorizationToken");
        else expect([s.Action].flat().sort()).toEqual(NODE_PULL);
      }
    }
  });
});

describe("service-account-token pulls (KEP-4412)", () => {
  const sa = (extra: object) => ({ serviceAccounts: [{ namespace: "shop", name: "web", repositories: ["shop/web"], imagePull: true, ...extra }] });
  const trustOf = (tf: any) => tf.data.aws_iam_policy_document.shop__web_trust.statement[0].condition;

  test("default audience: the trust already accepts sts.amazonaws.com; no extra client id; both annotations", () => {
    const e = environmentFrom(baseEnvironment({ ...sa({}), kubernetes: { serviceAccounts: "manifest" } }));
    const { tf } = synthStack(e);
    expect(trustOf(tf)).toEqual([
      { test: "StringEquals", variable: `${ISSUER_HOST}:sub`, values: ["system:serviceaccount:shop:web"] },
      { test: "StringEquals", variable: `${ISSUER_HOST}:aud`, values: ["sts.amazonaws.com"] },
    ]);
    expect(resources(tf, "aws_iam_openid_connect_provider").cluster.client_id_list).toEqual(["sts.amazonaws.com"]);
    const [doc] = parseAllDocuments(tf.output.service_account_manifests.value).map((d) => d.toJS());
    expect(doc.metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": "${aws_iam_role.shop__web.arn}",
      "eks.amazonaws.com/sts-regional-endpoints": "true",
      "eks.amazonaws.com/ecr-role-arn": "${aws_iam_role.shop__web.arn}",
    });
  });

  test("custom audience: trusted (:sub still exact) and accepted by the OIDC provider; other accounts keep sts only", () => {
    const body = baseEnvironment({
      serviceAccounts: [{ namespace: "shop", name: "web", repositories: ["shop/web"], imagePull: true }, { namespace: "ci", name: "builder", repositories: ["a/b"] }],
      imagePulls: { tokenAudience: "ecr-image-pull" },
    });
    const { tf } = synthStack(environmentFrom(body));
    expect(trustOf(tf)[1]).toEqual({ test: "StringEquals", variable: `${ISSUER_HOST}:aud`, values: ["sts.amazonaws.com", "ecr-image-pull"] });
    expect(tf.data.aws_iam_policy_document.ci__builder_trust.statement[0].condition[1].values).toEqual(["sts.amazonaws.com"]);
    expect(resources(tf, "aws_iam_openid_connect_provider").cluster.client_id_list).toEqual(["sts.amazonaws.com", "ecr-image-pull"]);
  });

  test("terraform mode annotates the created ServiceAccount the same way; accounts without imagePull get no ecr-role-arn", () => {
    const body = baseEnvironment({ serviceAccounts: [{ namespace: "shop", name: "web", repositories: ["shop/web"], imagePull: true }, { namespace: "ci", name: "builder", repositories: ["a/b"] }] });
    const { tf } = synthStack(environmentFrom(body));
    const accounts = resources(tf, "kubernetes_service_account_v1");
    expect(accounts.shop__web.metadata.annotations["eks.amazonaws.com/ecr-role-arn"]).toBe("${aws_iam_role.shop__web.arn}");
    expect(accounts.ci__builder.metadata.annotations).not.toHaveProperty("eks.amazonaws.com/ecr-role-arn");
  });

  test("synth writes the kubelet config and RBAC next to the stack, for the configured audience", () => {
    const out = mkdtempSync(join(tmpdir(), "image-pulls-synth-"));
    try {
      const e = environmentFrom(baseEnvironment({ ...sa({}), imagePulls: { tokenAudience: "ecr-image-pull" } }), "shop");
      synthesizeApp([e], out);
      const dir = join(out, "stacks", "shop");
      expect(readdirSync(dir).sort()).toEqual(["cdk.tf.json", "kubelet-credential-provider-config.json", "kubelet-image-pull-rbac.yaml"]);
      const config = JSON.parse(readFileSync(join(dir, "kubelet-credential-provider-config.json"), "utf8"));
      expect(config).toMatchObject({ apiVersion: "kubelet.config.k8s.io/v1", kind: "CredentialProviderConfig" });
      expect(config.providers).toHaveLength(1);
      expect(config.providers[0]).toMatchObject({
        name: "ecr-credential-provider",
        apiVersion: "credentialprovider.kubelet.k8s.io/v1",
        tokenAttributes: {
          serviceAccountTokenAudience: "ecr-image-pull",
          cacheType: "ServiceAccount",
          requireServiceAccount: false,
          optionalServiceAccountAnnotationKeys: ["eks.amazonaws.com/ecr-role-arn"],
        },
      });
      expect(config.providers[0].matchImages).toEqual(expect.arrayContaining(["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn", "public.ecr.aws"]));
      const [role, binding] = parseAllDocuments(readFileSync(join(dir, "kubelet-image-pull-rbac.yaml"), "utf8")).map((d) => d.toJS());
      expect(role).toMatchObject({ kind: "ClusterRole", rules: [{ verbs: ["request-serviceaccounts-token-audience"], apiGroups: [""], resources: ["ecr-image-pull"] }] });
      expect(role.rules[0].resourceNames).toBeUndefined();
      expect(binding).toMatchObject({ kind: "ClusterRoleBinding", roleRef: { kind: "ClusterRole", name: role.metadata.name }, subjects: [{ kind: "Group", name: "system:nodes" }] });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("no imagePull anywhere: no node files", () => {
    const out = mkdtempSync(join(tmpdir(), "image-pulls-synth-"));
    try {
      synthesizeApp([environmentFrom(baseEnvironment(), "plain")], out);
      expect(readdirSync(join(out, "stacks", "plain"))).toEqual(["cdk.tf.json"]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

test("a repository named like an Object.prototype member (\"constructor\") is an ordinary repository", () => {
  const env = environmentFrom(
    baseEnvironment({
      eks: { accountId: "111111111111", region: "us-east-1", clusterName: "c", issuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123", nodeRoleArns: ["arn:aws:iam::111111111111:role/node"] },
      imagePulls: { repositories: ["constructor"], repositoryPolicies: "owned" },
    }),
  );
  const { tf } = synthStack(env);
  const [policy] = Object.values<any>(tf.resource.aws_ecr_repository_policy);
  expect(policy.repository).toBe("constructor");
  expect(JSON.parse(policy.policy).Statement).toHaveLength(1);
});
