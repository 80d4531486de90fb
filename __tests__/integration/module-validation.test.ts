/**
 * The modules' `validation` blocks, evaluated by real Terraform: the RE2 translations of the environment-file
 * patterns accept and refuse exactly what the JavaScript patterns do, the derived role names equal
 * `deriveRoleName`, and a bad input fails `terraform validate` with the message written for it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { deriveRoleName } from "../../src/config/environment";
import * as P from "../../src/config/patterns";
import { moduleJson } from "../../src/module/child-module";
import { hclString, matchesExpr } from "../../src/module/hcl";
import { NAME_PREFIX, roleNameExpr } from "../../src/module/variables";
import { IamModuleStack } from "../../src/stacks/iam-module-stack";
import { evaluateHcl, locatePluginDir, terraform, terraformInit } from "../support/terraform";
import { integrationTier, tierDescribe } from "../support/tiers";

jest.setTimeout(120000);

const a = (n: number, c = "a") => c.repeat(n);
const SAMPLES: [string, P.Pattern, string[]][] = [
  ["ISSUER_URL", P.ISSUER_URL, ["https://oidc.eks.us-east-1.amazonaws.com/id/ABC123", "https://issuer.example.com:8443/a/b", "http://oidc.example.com", "https://oidc.example.com/id/", "https://UPPER.example.com", ""]],
  ["THUMBPRINT", P.THUMBPRINT, [a(40, "f"), "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280", a(39, "f"), a(41, "f"), a(40, "g")]],
  ["OIDC_PROVIDER_ARN", P.OIDC_PROVIDER_ARN, ["arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", "arn:aws-cn:iam::123456789012:oidc-provider/x.cn", "arn:aws:iam::12345:oidc-provider/x", "arn:aws:iam::123456789012:role/x"]],
  ["K8S_DNS_LABEL", P.K8S_DNS_LABEL, ["ci", "a-1", a(63), a(64), "-ci", "ci-", "Ci", "c.i", ""]],
  ["K8S_DNS_SUBDOMAIN", P.K8S_DNS_SUBDOMAIN, ["image-builder", "a.b-c.d", a(253), a(254), "a..b", ".a", "A", "a_b"]],
  ["ECR_REPOSITORY_PATTERN", P.ECR_REPOSITORY_PATTERN, ["team/app", "team/base-*", "team/*", "ab", a(256), "a", a(257), "*", "Team/app", "team//app", "team/app/", "team/*/x", "te*am"]],
  ["IAM_ROLE_NAME", P.IAM_ROLE_NAME, ["dev-ci", a(64), "a+=,.@_-", a(65), "a b", ""]],
  ["IAM_PATH", P.IAM_PATH, ["/", "/a/b/", "/eks-ecr-access/", "a/", "/a", "//"]],
  ["POLICY_ARN", P.POLICY_ARN, ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::123456789012:policy/x/y", "arn:aws:iam::123:policy/x", "arn:aws:iam::123456789012:role/x"]],
  ["EKS_CLUSTER_NAME", P.EKS_CLUSTER_NAME, ["platform-dev", "a_b", "1abc", a(100), "-x", a(101), "a.b"]],
  ["TAG_KEY", P.TAG_KEY, ["team", "Team Name", "ümlaut", "日本語", "a:b/c=d+e-f@g_h.i", a(128), "", a(129), "a!b", "tab\t"]],
  ["TAG_VALUE", P.TAG_VALUE, ["", "platform", "Ünïcode 値", a(256), a(257), "a,b", "line\nbreak"]],
  ["NAME_PREFIX", NAME_PREFIX, ["", "dev-", a(32), a(33), "dev prefix"]],
];

const evaluate = evaluateHcl;

tierDescribe("terraform tier (module validation rules)", integrationTier({ needsMoto: false }))("module validation rules in Terraform", () => {
  it("RE2 translations accept and refuse exactly what the environment-file patterns do", () => {
    const expr = `{ ${SAMPLES.map(([name, p, samples]) => `${name} = [${samples.map((s) => matchesExpr(p, hclString(s))).join(", ")}]`).join(", ")} }`;
    const terraformSays = evaluate(expr) as Record<string, boolean[]>;
    const javascriptSays = Object.fromEntries(SAMPLES.map(([name, p, samples]) => [name, samples.map((s) => p.re.test(s))]));
    expect(terraformSays).toEqual(javascriptSays);
    // The samples are meant to hit both outcomes for every pattern.
    for (const [name, results] of Object.entries(javascriptSays)) expect([name, new Set(results).size]).toEqual([name, 2]);
  });

  it("derives the same role names as the environment stacks, including the hashed cut past 64 characters", () => {
    const cases = [
      ["ci", "image-builder"],
      ["argocd", "argocd-image-updater"],
      [a(40, "n"), a(40, "s")],
      ["team-a", `${a(50, "x")}.y.z`],
      [a(55, "n"), "b"],
    ];
    const objects = cases.map(([ns, name]) => `{ role_name = null, namespace = ${hclString(ns)}, name = ${hclString(name)} }`);
    const got = evaluate(`[for sa in [${objects.join(", ")}] : ${roleNameExpr("sa", hclString("dev-"))}]`);
    expect(got).toEqual(cases.map(([ns, name]) => deriveRoleName("dev", ns, name)));
    expect(evaluate(`[for sa in [{ role_name = "given", namespace = "a", name = "b" }] : ${roleNameExpr("sa", '"dev-"')}]`)).toEqual(["given"]);
  });

  describe("terraform validate of a consumer with bad inputs", () => {
    let root: string;
    const base = `issuer_url = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123"\n  name_prefix = "dev-"`;
    const sa = (fields: string) => `service_accounts = { builder = { namespace = "ci", name = "image-builder", repositories = ["team/app"]${fields} } }`;
    const calls: Record<string, string> = {
      good: `${base}\n  ${sa(', access = "push", create_namespace = true')}`,
      bad_namespace: `${base}\n  service_accounts = { builder = { namespace = "CI", name = "image-builder", repositories = ["team/app"] } }`,
      bad_repository: `${base}\n  ${sa("").replace('["team/app"]', '["Team/App"]')}`,
      no_repository: `${base}\n  ${sa("").replace('["team/app"]', "[]")}`,
      bad_access: `${base}\n  ${sa(', access = "admin"')}`,
      bad_duration: `${base}\n  ${sa(", max_session_duration = 60")}`,
      duplicate_account: `${base}\n  service_accounts = {\n    a = { namespace = "ci", name = "x", repositories = ["r1"] }\n    b = { namespace = "ci", name = "x", repositories = ["r2"] }\n  }`,
      bad_issuer: `issuer_url = "https://oidc.example.com/"\n  name_prefix = "dev-"\n  ${sa("")}`,
      bad_tags: `${base}\n  ${sa("")}\n  tags = { "ok" = "fine", "bad!" = "x" }`,
      too_many_thumbprints: `${base}\n  thumbprints = ${JSON.stringify(Array.from({ length: 6 }, (_, i) => String(i).repeat(40)))}\n  ${sa("")}`,
    };
    const expected: Record<string, RegExp> = {
      bad_namespace: /service_accounts\["builder"\]: namespace must be a Kubernetes DNS label/,
      bad_repository: /service_accounts\["builder"\]: repositories: list at least one; each must be an ECR repository name/,
      no_repository: /service_accounts\["builder"\]: repositories: list at least one/,
      bad_access: /service_accounts\["builder"\]: access must be "pull" or "push"/,
      bad_duration: /max_session_duration must be a whole number of seconds from 3600 to 43200/,
      duplicate_account: /two entries name the same namespace\/name/,
      bad_issuer: /issuer_url must be the cluster's https OIDC issuer URL/,
      too_many_thumbprints: /thumbprints: IAM accepts at most 5/,
      bad_tags: /tags \["bad!"\]: tag keys must be 1-128 letters/,
    };

    beforeAll(async () => {
      const plugins = locatePluginDir();
      if ("problem" in plugins) throw new Error(plugins.problem);
      root = mkdtempSync(join(tmpdir(), "eks-ecr-access-validate-"));
      mkdirSync(join(root, "module"));
      writeFileSync(join(root, "module", "main.tf.json"), moduleJson(new IamModuleStack(Testing.app({ stackTraces: false }))));
      mkdirSync(join(root, "consumer"));
      const modules = Object.entries(calls).map(([name, body]) => `module "${name}" {\n  source = "../module"\n  ${body}\n}\n`);
      writeFileSync(join(root, "consumer", "main.tf"), `provider "aws" {\n  region = "us-east-1"\n}\n\n${modules.join("\n")}`);
      await terraformInit(join(root, "consumer"), plugins.dir, { backend: false });
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it("reports each bad module call with the message written for its rule, and nothing for the good one", async () => {
      const result = await terraform(join(root, "consumer"), ["validate", "-json"], { okCodes: [0, 1] });
      const diagnostics = (JSON.parse(result.stdout) as { diagnostics: { detail: string; snippet?: { context?: string } }[] }).diagnostics;
      const byModule = new Map<string, string[]>();
      for (const d of diagnostics) {
        const name = /module "([a-z_]+)"/.exec(d.snippet?.context ?? "")?.[1] ?? "?";
        byModule.set(name, [...(byModule.get(name) ?? []), d.detail.replace(/\s+/g, " ")]);
      }
      expect(byModule.get("good")).toBeUndefined();
      for (const [name, message] of Object.entries(expected)) {
        expect([name, byModule.get(name)]).toEqual([name, expect.arrayContaining([expect.stringMatching(message)])]);
      }
      expect(result.code).toBe(1);
    });
  });
});
