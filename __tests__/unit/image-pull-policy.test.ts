/**
 * Node-role image pulls as pure documents and configuration rules: what each policy grants, which
 * environment writes which document, and what the file may and may not ask for.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImagePullsSchema } from "../../src/config/image-pulls-schema";
import { loadEnvironments } from "../../src/config/load";
import {
  foreignStatements,
  nodePullStatement,
  nodeRoleIdentityPolicy,
  planImagePulls,
  registryPolicyDocument,
  repositoryPolicyDocument,
} from "../../src/constructs/image-pull-policy";
import { repositoryLogicalId } from "../../src/constructs/node-pull-repository-policy";
import { nodeRoleLogicalId, roleNameOf } from "../../src/constructs/node-role-ecr-pull-policy";
import { baseEnvironment, problemsOf } from "../support/environments";

// Written out on purpose (not imported): if the generator ever grants node roles more, these tests fail.
const NODE_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const SCOPE = { partition: "aws", region: "us-east-1", accountId: "222222222222" };
const NODE = "arn:aws:iam::111111111111:role/node";
const FARGATE = "arn:aws:iam::111111111111:role/fargate-pod-execution";
const repoArn = (r: string) => `arn:aws:ecr:us-east-1:222222222222:repository/${r}`;
const pulls = (body: Record<string, unknown>) => ImagePullsSchema.parse(body);

describe("policy documents", () => {
  test("node-pull statement: the node roles (sorted, once each) may run the three pull actions, nothing else", () => {
    expect(nodePullStatement([NODE, FARGATE, NODE])).toEqual({
      Sid: "EksEcrAccessNodePull",
      Effect: "Allow",
      Principal: { AWS: [FARGATE, NODE] },
      Action: NODE_PULL,
    });
    expect(() => nodePullStatement([])).toThrow(/at least one node role/);
  });

  test("repository policy: node-pull statement without Resource, then the kept statements unchanged", () => {
    const other = { Sid: "CiPush", Effect: "Allow" as const, Principal: { AWS: "arn:aws:iam::222222222222:role/ci" }, Action: ["ecr:PutImage"] };
    const doc = repositoryPolicyDocument([NODE], [other]);
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "EksEcrAccessNodePull", Effect: "Allow", Principal: { AWS: [NODE] }, Action: NODE_PULL }, other],
    });
  });

  test("registry policy: node pulls on exactly the given repository ARNs and prefixes", () => {
    const doc = registryPolicyDocument(SCOPE, [NODE], ["team/base-*", "team/app"]);
    expect(doc.Statement).toEqual([
      { Sid: "EksEcrAccessNodePull", Effect: "Allow", Principal: { AWS: [NODE] }, Action: NODE_PULL, Resource: [repoArn("team/app"), repoArn("team/base-*")] },
    ]);
  });

  test("node-role identity policy: GetAuthorizationToken on * (IAM allows nothing narrower), pull on the ECR account's repositories", () => {
    expect(nodeRoleIdentityPolicy(SCOPE, ["team/app", "team/base-*"])).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "GetAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        { Sid: "PullImagesFromEcrAccount", Effect: "Allow", Action: NODE_PULL, Resource: [repoArn("team/app"), repoArn("team/base-*")] },
      ],
    });
  });
});

describe("logical ids", () => {
  test("repository ids are valid Terraform identifiers and distinct for names that differ only in separators", () => {
    const names = ["a/b-c", "a/b.c", "a/b_c", "a-b/c", "a.b/c", "a/b/c"];
    const ids = names.map(repositoryLogicalId);
    expect(new Set(ids).size).toBe(names.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_-]*$/);
  });

  test("node role ids: the name when it is a valid identifier, else sanitized plus a hash of the real name", () => {
    expect(nodeRoleLogicalId("eks-node")).toBe("node_role_pull_eks-node");
    const [a, b] = [nodeRoleLogicalId("node+a"), nodeRoleLogicalId("node=a")];
    expect(a).toMatch(/^node_role_pull_node_a_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(roleNameOf("arn:aws:iam::111111111111:role/eks/nodes/ng-1")).toBe("ng-1");
  });
});

describe("who writes which document (ownership)", () => {
  const plan = (body: Record<string, unknown>) => planImagePulls(SCOPE, [NODE], pulls({ repositories: ["team/app", "team/base-*"], ...body }))!;

  test("default (nothing owned): nothing is written, both statements are handed off to the policies' owners", () => {
    const p = plan({});
    expect(p.repositoryPolicies).toEqual([]);
    expect(p.registryPolicy).toBeUndefined();
    expect(p.handOff).toEqual({
      repositories: ["team/app"],
      repositoryStatement: nodePullStatement([NODE]),
      registryStatement: nodePullStatement([NODE], [repoArn("team/base-*")]),
    });
    expect(p.attachNodeRolePolicy).toBe(false);
  });

  test("repository policies owned: named repositories get whole documents, the prefix is still handed off", () => {
    const p = plan({ repositoryPolicies: "owned", repositoryStatements: { "team/app": [{ Sid: "Keep", Effect: "Allow", Principal: "*", Action: "ecr:ListImages" }] } });
    expect(p.repositoryPolicies.map((r) => [r.repository, r.document.Statement.map((s) => s.Sid)])).toEqual([["team/app", ["EksEcrAccessNodePull", "Keep"]]]);
    expect(p.registryPolicy).toBeUndefined();
    expect(p.handOff.repositories).toEqual([]);
    expect(p.handOff.registryStatement?.Resource).toEqual([repoArn("team/base-*")]);
  });

  test("registry policy owned: it covers prefixes and, when repository policies are not owned, the named ones too", () => {
    expect(plan({ registryPolicy: "owned" }).registryPolicy?.Statement[0].Resource).toEqual([repoArn("team/app"), repoArn("team/base-*")]);
    const both = plan({ registryPolicy: "owned", repositoryPolicies: "owned" });
    expect(both.registryPolicy?.Statement[0].Resource).toEqual([repoArn("team/base-*")]);
    expect(both.repositoryPolicies.map((r) => r.repository)).toEqual(["team/app"]);
    expect(both.handOff).toEqual({ repositories: [], repositoryStatement: undefined, registryStatement: undefined });
  });

  test("no repositories or no node roles: no plan", () => {
    expect(planImagePulls(SCOPE, [NODE], pulls({}))).toBeUndefined();
    expect(planImagePulls(SCOPE, [], pulls({ repositories: ["a/b"] }))).toBeUndefined();
  });
});

describe("foreign statements: what taking over a live policy would drop", () => {
  const wanted = repositoryPolicyDocument([NODE], [{ Sid: "Declared", Effect: "Allow", Principal: "*", Action: "ecr:ListImages" }]);
  const live = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

  test("no live policy, or only our own and declared statements: nothing foreign", () => {
    expect(foreignStatements(undefined, wanted)).toEqual([]);
    expect(foreignStatements(live({ Sid: "EksEcrAccessNodePull", Effect: "Allow", Principal: { AWS: "x" }, Action: "ecr:BatchGetImage" }, { Sid: "Declared", Effect: "Allow" }), wanted)).toEqual([]);
  });

  test("an undeclared statement (with or without Sid) is foreign; a single Statement object is handled", () => {
    const theirs = { Sid: "TeamBRead", Effect: "Allow", Principal: { AWS: "arn:aws:iam::333333333333:root" }, Action: "ecr:BatchGetImage" };
    const anonymous = { Effect: "Deny", Principal: "*", Action: "ecr:DeleteRepository" };
    expect(foreignStatements(live(theirs, anonymous), wanted)).toEqual([theirs, anonymous]);
    expect(foreignStatements(JSON.stringify({ Version: "2012-10-17", Statement: theirs }), wanted)).toEqual([theirs]);
  });
});

describe("configuration rules", () => {
  const withPulls = (eks: Record<string, unknown>, imagePulls: Record<string, unknown>) => {
    const base = baseEnvironment();
    return baseEnvironment({ eks: { ...(base.eks as object), ...eks }, imagePulls });
  };
  const ok = withPulls({ nodeRoleArns: [NODE] }, { repositories: ["team/app"] });

  test("a minimal node-pull environment is valid", () => {
    expect(problemsOf(ok)).toEqual([]);
  });

  test.each([
    ["node role of another account", withPulls({ nodeRoleArns: ["arn:aws:iam::999999999999:role/node"] }, { repositories: ["a/b"] }), "eks.nodeRoleArns[0]: is in account 999999999999"],
    ["repeated node role", withPulls({ nodeRoleArns: [NODE, NODE] }, { repositories: ["a/b"] }), "eks.nodeRoleArns[1]: repeats"],
    ["repositories without node roles", withPulls({}, { repositories: ["a/b"] }), "imagePulls.repositories: needs the roles that pull"],
    ["node roles without repositories", withPulls({ nodeRoleArns: [NODE] }, {}), "eks.nodeRoleArns: is only used for node-role image pulls"],
    ["owned with nothing to own", withPulls({}, { registryPolicy: "owned" }), "imagePulls.registryPolicy: is \"owned\" but imagePulls.repositories is empty"],
    ["statements for a policy not owned", withPulls({ nodeRoleArns: [NODE] }, { repositories: ["a/b"], repositoryStatements: { "a/b": [] } }), "imagePulls.repositoryStatements: is only written with"],
    ["statements for an unlisted repository", withPulls({ nodeRoleArns: [NODE] }, { repositories: ["a/b"], repositoryPolicies: "owned", repositoryStatements: { "c/d": [] } }), "imagePulls.repositoryStatements.c/d: names \"c/d\""],
    ["reserved Sid", withPulls({ nodeRoleArns: [NODE] }, { repositories: ["a/b"], registryPolicy: "owned", registryStatements: [{ Sid: "EksEcrAccessMine", Effect: "Allow" }] }), "imagePulls.registryStatements[0].Sid: \"EksEcrAccessMine\" starts with"],
    ["duplicate Sid", withPulls({ nodeRoleArns: [NODE] }, { repositories: ["a/b"], registryPolicy: "owned", registryStatements: [{ Sid: "A", Effect: "Allow" }, { Sid: "A", Effect: "Deny" }] }), "imagePulls.registryStatements[1].Sid: repeats Sid \"A\""],
    ["kept statement granting a node role more", withPulls({ nodeRoleArns: [NODE] }, { repositories: ["a/b"], repositoryPolicies: "owned", repositoryStatements: { "a/b": [{ Sid: "Push", Effect: "Allow", Principal: { AWS: [NODE] }, Action: "ecr:PutImage" }] } }), "imagePulls.repositoryStatements.a/b[0].Principal: names node role"],
    ["Sid with punctuation", withPulls({ nodeRoleArns: [NODE] }, { repositories: ["a/b"], registryPolicy: "owned", registryStatements: [{ Sid: "a-b", Effect: "Allow" }] }), "Sid must be 1-100 letters or digits"],
    ["bad audience", withPulls({}, { tokenAudience: "has space" }), "imagePulls.tokenAudience: must be 1-255"],
  ])("%s is refused with a message that says what to do", (_, body, expected) => {
    expect(problemsOf(body)).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });

  test("two environments owning one repository policy or the registry policy are refused; hand-off is not a claim", () => {
    const dir = mkdtempSync(join(tmpdir(), "image-pulls-"));
    try {
      const env = (cluster: string, imagePulls: object) => {
        const base = baseEnvironment();
        return { ...base, eks: { ...(base.eks as object), clusterName: cluster, issuerUrl: `https://oidc.eks.us-east-1.amazonaws.com/id/${cluster.toUpperCase()}`, nodeRoleArns: [NODE] }, imagePulls, serviceAccounts: [{ namespace: cluster, name: "sa", repositories: ["x/y"] }] };
      };
      const owned = { repositories: ["team/app"], repositoryPolicies: "owned", registryPolicy: "owned" };
      writeFileSync(join(dir, "one.json"), JSON.stringify(env("one", owned)));
      writeFileSync(join(dir, "two.json"), JSON.stringify(env("two", owned)));
      writeFileSync(join(dir, "three.json"), JSON.stringify(env("three", { repositories: ["team/app"] })));
      const messages = loadEnvironments(dir).problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
      expect(messages).toEqual([
        expect.stringMatching(/two\.json: imagePulls\.repositoryPolicies: the repository policy of "team\/app" in account 222222222222 is also owned by .*one\.json/),
        expect.stringMatching(/two\.json: imagePulls\.registryPolicy: the registry policy of account 222222222222 in us-east-1 is also owned by .*one\.json/),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
