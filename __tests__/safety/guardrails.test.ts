/**
 * Secure defaults with explicit opt-ins (docs/safety.md): what each opt-in changes in the synthesized
 * Terraform, what it never changes, and that the constructs refuse the risky input on their own too.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ecrAccessPolicy } from "../../src/constructs/ecr-policy";
import { EcrAccessRole } from "../../src/constructs/ecr-access-role";
import { serviceAccountManifests } from "../../src/constructs/service-account-manifest";
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { baseEnvironment, environmentFrom, problemsOf, synthStack } from "../support/environments";

const HOST = "oidc.eks.us-east-1.amazonaws.com/id/ABC123";
const SCOPE = { partition: "aws", region: "us-east-1", accountId: "222222222222" };

type Condition = { test: string; variable: string; values: string[] };
const trustConditions = (tf: any, key: string): Condition[] => tf.data.aws_iam_policy_document[`${key}_trust`].statement[0].condition;
const rolePolicy = (tf: any, key: string) => JSON.parse(tf.resource.aws_iam_role_policy[`${key}_ecr`].policy);

const wildcard = { namespace: "ci", name: "build-*", repositories: ["team/app"], allowWildcardSubjects: true };
const exact = { namespace: "ci", name: "scanner", repositories: ["team/app"] };

describe("allowWildcardSubjects", () => {
  test("a wildcard name is refused without the opt-in, accepted with it", () => {
    expect(problemsOf(baseEnvironment({ serviceAccounts: [{ ...wildcard, allowWildcardSubjects: undefined }] })).join("\n")).toContain(
      'serviceAccounts[0].name: "build-*" is a wildcard',
    );
    expect(problemsOf(baseEnvironment({ serviceAccounts: [wildcard] }))).toEqual([]);
  });

  test("trust: StringLike on :sub with the namespace fixed, :aud still StringEquals", () => {
    const { tf } = synthStack(environmentFrom(baseEnvironment({ serviceAccounts: [wildcard, exact] })));
    expect(trustConditions(tf, "ci__build-WILDCARD")).toEqual([
      { test: "StringLike", variable: `${HOST}:sub`, values: ["system:serviceaccount:ci:build-*"] },
      { test: "StringEquals", variable: `${HOST}:aud`, values: ["sts.amazonaws.com"] },
    ]);
    // The opt-in on one entry loosens nothing else.
    expect(trustConditions(tf, "ci__scanner").map((c) => c.test)).toEqual(["StringEquals", "StringEquals"]);
  });

  test("the opt-in on an exact name changes nothing (still StringEquals)", () => {
    const { tf } = synthStack(environmentFrom(baseEnvironment({ serviceAccounts: [{ ...exact, allowWildcardSubjects: true }] })));
    expect(trustConditions(tf, "ci__scanner").map((c) => c.test)).toEqual(["StringEquals", "StringEquals"]);
  });

  test("a role with a derived name, but no ServiceAccount object, in terraform mode", () => {
    const env = environmentFrom(baseEnvironment({ serviceAccounts: [wildcard, exact] }));
    expect(env.serviceAccounts[0].roleName).toBe("test-ci-build-wildcard");
    const { tf } = synthStack(env);
    expect(tf.resource.aws_iam_role["ci__build-WILDCARD"].name).toBe("test-ci-build-wildcard");
    expect(Object.keys(tf.resource.kubernetes_service_account_v1)).toEqual(["ci__scanner"]);
    expect(Object.keys(tf.output.role_arns.value)).toEqual(["ci/build-*", "ci/scanner"]);
  });

  test("no ServiceAccount object in manifest mode either", () => {
    const env = environmentFrom(baseEnvironment({ serviceAccounts: [wildcard, exact], kubernetes: { serviceAccounts: "manifest" } }));
    const docs = parseAllDocuments(serviceAccountManifests(env.serviceAccounts)).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual(["ServiceAccount scanner"]);
  });

  test("the construct refuses a wildcard without the opt-in, and a wildcard namespace always", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const provider = new AwsProvider(stack, "aws", { region: "us-east-1", alias: "ecr" });
    const props = {
      provider,
      oidcProviderArn: "arn:aws:iam::222222222222:oidc-provider/x",
      issuerHost: HOST,
      namespace: "ci",
      serviceAccountName: "*",
      roleName: "r",
      repositories: ["team/app"],
      repositoryScope: SCOPE,
      access: "pull" as const,
      logicalId: "r",
    };
    expect(() => new EcrAccessRole(stack, "a", props)).toThrow(/needs allowWildcardSubject: true/);
    expect(() => new EcrAccessRole(stack, "b", { ...props, namespace: "*", allowWildcardSubject: true })).toThrow(/namespace must be exact/);
  });
});

describe("allowAllRepositories", () => {
  const all = { namespace: "ci", name: "scanner", repositories: ["*"] };

  test('a bare "*" is refused without the opt-in, accepted with it', () => {
    expect(problemsOf(baseEnvironment({ serviceAccounts: [all] })).join("\n")).toContain('serviceAccounts[0].repositories[0]: "*" grants pull');
    expect(problemsOf(baseEnvironment({ serviceAccounts: [{ ...all, allowAllRepositories: true }] }))).toEqual([]);
  });

  test("it becomes repository/* of the ECR account and region, never Resource \"*\" for repository actions", () => {
    const { tf } = synthStack(environmentFrom(baseEnvironment({ serviceAccounts: [{ ...all, allowAllRepositories: true, access: "push" }] })));
    const [token, images] = rolePolicy(tf, "ci__scanner").Statement;
    expect(token).toEqual({ Sid: "GetAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" });
    expect(images.Resource).toEqual(["arn:aws:ecr:us-east-1:222222222222:repository/*"]);
  });

  test("the policy function refuses \"*\" without the opt-in", () => {
    expect(() => ecrAccessPolicy(SCOPE, ["*"], "pull")).toThrow(/needs allowAllRepositories: true/);
    expect(ecrAccessPolicy(SCOPE, ["*"], "pull", { allowAllRepositories: true }).Statement[1].Resource).toEqual([
      "arn:aws:ecr:us-east-1:222222222222:repository/*",
    ]);
  });
});

/** Every IAM action the synthesized JSON grants: policy-document `actions` and `Action` of JSON policy strings. */
function grantedActions(value: unknown, found: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.startsWith("{") && value.includes('"Statement"')) grantedActions(JSON.parse(value), found);
  } else if (Array.isArray(value)) value.forEach((v) => grantedActions(v, found));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "actions" || k === "Action" || k === "NotAction") found.push(...(Array.isArray(v) ? v : [v]).map(String));
      else grantedActions(v, found);
    }
  }
  return found;
}

describe("never a * action", () => {
  const examples = join(__dirname, "..", "..", "environments");
  const envs = [
    ...readdirSync(examples)
      .filter((f) => f.endsWith(".json") && f !== "schema.json")
      .map((f) => environmentFrom(JSON.parse(readFileSync(join(examples, f), "utf8")), f.replace(/\.json$/, ""))),
    environmentFrom(baseEnvironment({ serviceAccounts: [{ ...wildcard, repositories: ["*"], allowAllRepositories: true, access: "push" }] }), "optins"),
  ];

  test.each(envs.map((e) => [e.name, e] as const))("%s: every granted action is named exactly", (_name, env) => {
    const actions = grantedActions(synthStack(env).tf);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
  });

  test("every trust policy conditions on both :sub and :aud", () => {
    for (const env of envs) {
      const { tf } = synthStack(env);
      for (const [name, doc] of Object.entries<any>(tf.data.aws_iam_policy_document ?? {})) {
        for (const st of doc.statement ?? []) {
          if (!(st.actions ?? []).includes("sts:AssumeRoleWithWebIdentity")) continue;
          const vars = (st.condition as Condition[]).map((c) => c.variable.replace(/^.*:/, ""));
          expect({ name, vars: [...new Set(vars)].sort() }).toEqual({ name, vars: ["aud", "sub"] });
          const aud = (st.condition as Condition[]).filter((c) => c.variable.endsWith(":aud"));
          expect(aud.every((c) => c.test === "StringEquals")).toBe(true);
        }
      }
    }
  });
});
