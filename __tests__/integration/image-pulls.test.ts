/**
 * Integration tier: node-role and service-account-token image pulls, applied by terraform against two
 * emulated accounts and read back through the AWS API. Ownership of the ECR repository policies is tested
 * case by case: an undeclared foreign statement is refused by `check-policies` before anything is written,
 * a declared one is kept by the apply, and one added later is reported (and shows as a plan diff).
 *
 * The registry policy (scope V2) is applied only on targets that implement it: moto 5.2.1 accepts only
 * replication actions in a registry policy (V1 behaviour) and has no PutAccountSetting, so on moto the
 * registry environment is planned, and its apply is reported as SKIPPED.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRepositoryCommand, DeleteRepositoryCommand, GetRegistryPolicyCommand, GetRepositoryPolicyCommand, SetRepositoryPolicyCommand } from "@aws-sdk/client-ecr";
import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetOpenIDConnectProviderCommand, GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { integrationTargetStatus, openTarget, planTarget, Target } from "../support/it-target";
import { canonicalStatement, canonicalStatements } from "../support/policy-documents";
import { ensureCliBuilt, runCli } from "../support/project-cli";
import { locatePluginDir, terraform, terraformInit } from "../support/terraform";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

// Written out on purpose, not imported from src: a generator that grants node roles more must fail here.
const NODE_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const run = randomBytes(3).toString("hex");
const repo = (n: string) => `img-${run}/${n}`;
const audience = `ecr-pull-${run}`;
const status = integrationTargetStatus();
const onMoto = "plan" in planTarget() && (planTarget() as { plan: { kind: string } }).plan.kind === "moto";
const registryApply = status.available && onMoto ? { available: false as const, reason: "moto 5.2.1 accepts only ecr:CreateRepository/ecr:ReplicateImage in a registry policy (scope V1) and has no PutAccountSetting; the registry environment is planned instead" } : status;

tierDescribe(INTEGRATION_TIER, status)("integration: image pulls (node roles, ECR policy ownership, KEP-4412 trust)", () => {
  let target: Target;
  let work: string;
  let envDir: string;
  let out: string;
  const nodeRoles: string[] = [];
  const createdRepos: string[] = [];
  const applied: string[] = [];
  const theirs = { Sid: "TeamBRead", Effect: "Allow", Principal: { AWS: "arn:aws:iam::333333333333:root" }, Action: ["ecr:BatchGetImage"] };
  const done = new Set<string>();
  const need = (step: string) => {
    if (!done.has(step)) throw new Error(`not run: the "${step}" step failed earlier (see its error above)`);
  };
  const stackDir = (name: string) => join(out, "stacks", name);
  const tf = (name: string, args: string[], okCodes?: number[]) => terraform(stackDir(name), args, { env: target.terraformEnv, okCodes });
  const pulls = `pulls-${run}`;
  const registry = `registry-${run}`;

  const file = (name: string, imagePulls: object, serviceAccounts: object[]) => {
    const e = target.endpoint;
    return {
      eks: {
        accountId: target.eks.accountId, region: target.region, clusterName: name, assumeRoleArn: target.roles.eks,
        issuerUrl: `https://oidc.eks.${target.region}.amazonaws.com/id/${name.toUpperCase().replace(/-/g, "")}`, nodeRoleArns: nodeRoles,
      },
      ecr: { accountId: target.ecr.accountId, region: target.region, assumeRoleArn: target.roles.ecr, oidcProvider: { thumbprints: ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"] } },
      serviceAccounts,
      imagePulls,
      kubernetes: { serviceAccounts: "manifest" },
      ...(e ? { awsEndpoints: { sts: e, iam: e, eks: e, ecr: e, s3: e } } : {}),
    };
  };
  const pullsFile = (declareTheirs: boolean) =>
    file(pulls, {
      repositories: [repo("app"), repo("shared"), repo("base-*")],
      repositoryPolicies: "owned",
      ...(declareTheirs ? { repositoryStatements: { [repo("shared")]: [theirs] } } : {}),
      nodeRolePolicy: "attach",
      tokenAudience: audience,
    }, [{ namespace: "shop", name: "web", repositories: [repo("app")], imagePull: true }]);
  const writeEnv = (name: string, body: object) => writeFileSync(join(envDir, `${name}.json`), JSON.stringify(body, null, 2));
  const livePolicy = async (name: string) => (await target.ecr.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: name }))).policyText;

  beforeAll(async () => {
    const plan = planTarget();
    if ("problem" in plan) throw new Error(plan.problem);
    work = mkdtempSync(join(tmpdir(), "eks-ecr-access-pulls-"));
    envDir = join(work, "environments");
    out = join(work, "out");
    mkdirSync(envDir, { recursive: true });
    target = await openTarget(plan.plan);
    for (const n of ["node", "fargate"]) {
      const role = await target.eks.iam.send(new CreateRoleCommand({
        RoleName: `img-${run}-${n}`,
        AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      }));
      nodeRoles.push(role.Role!.Arn!);
    }
    for (const n of ["app", "shared", "base-node"]) {
      await target.ecr.ecr.send(new CreateRepositoryCommand({ repositoryName: repo(n) }));
      createdRepos.push(repo(n));
    }
    // Another team's grant, already in the policy before this tool ever runs.
    await target.ecr.ecr.send(new SetRepositoryPolicyCommand({ repositoryName: repo("shared"), policyText: JSON.stringify({ Version: "2012-10-17", Statement: [theirs] }) }));
    ensureCliBuilt();
  }, 120000);

  afterAll(async () => {
    const problems: string[] = [];
    const attempt = (p: Promise<unknown>) => p.catch((e) => problems.push(String(e)));
    try {
      if (target && target.kind !== "moto") {
        for (const name of applied) await attempt(tf(name, ["destroy", "-auto-approve"]));
        for (const name of createdRepos) await attempt(target.ecr.ecr.send(new DeleteRepositoryCommand({ repositoryName: name, force: true })));
        for (const arn of nodeRoles) {
          const RoleName = arn.split("/").pop()!;
          const inline = await target.eks.iam.send(new ListRolePoliciesCommand({ RoleName })).catch(() => ({ PolicyNames: [] as string[] }));
          for (const PolicyName of inline.PolicyNames ?? []) await attempt(target.eks.iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })));
          await attempt(target.eks.iam.send(new DeleteRoleCommand({ RoleName })));
        }
      }
    } finally {
      await target?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    }
    if (problems.length > 0) throw new Error(`cleanup left things behind:\n${problems.join("\n")}`);
  }, 300000);

  it("check-policies refuses to take over a repository policy holding a statement the file does not declare", async () => {
    writeEnv(pulls, pullsFile(false));
    const r = await runCli(["--environments", envDir, "check-policies", "--env", pulls], { env: target.terraformEnv });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: "" });
    expect(r.stdout).toContain(`REFUSED ${pulls}: repository ${repo("shared")}: holds statement(s) TeamBRead that this file does not declare`);
    expect(r.stdout).toContain(`ok      ${pulls}: repository ${repo("app")}: no policy yet`);
    // Refusing wrote nothing: their statement is still the whole policy.
    expect(canonicalStatements(await livePolicy(repo("shared")))).toEqual([canonicalStatement(theirs)]);
  });

  it("declaring the statement (repositoryStatements) makes the check pass; synth and init", async () => {
    writeEnv(pulls, pullsFile(true));
    writeEnv(registry, file(registry, { repositories: [repo("base-*")], registryPolicy: "owned" }, [{ namespace: "ci", name: "builder", repositories: [repo("app")] }]));
    const r = await runCli(["--environments", envDir, "check-policies", "--env", pulls], { env: target.terraformEnv });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const synth = await runCli(["--environments", envDir, "synth", "--out", out]);
    if (synth.code !== 0) throw new Error(`synth failed (exit ${synth.code}):\n${synth.stderr}${synth.stdout}`);
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    // No separate `terraform validate`: the apply and plan below validate first.
    await Promise.all([pulls, registry].map((name) => terraformInit(stackDir(name), plugins.dir, { env: target.terraformEnv })));
    done.add("init");
  }, 180000);

  it("terraform apply: repository policies written whole, the declared foreign statement kept", async () => {
    need("init");
    applied.push(pulls);
    await tf(pulls, ["apply", "-auto-approve"]);
    done.add("apply");
    const nodePull = canonicalStatement({ Effect: "Allow", Principal: { AWS: nodeRoles }, Action: NODE_PULL });
    expect(canonicalStatements(await livePolicy(repo("app")))).toEqual([nodePull]);
    const shared = canonicalStatements(await livePolicy(repo("shared")));
    expect(shared).toHaveLength(2);
    expect(shared).toEqual(expect.arrayContaining([nodePull, canonicalStatement(theirs)]));
    // A prefix has no repository policy: base-node was not touched (it is handed off, see node-image-pulls.json).
    await expect(livePolicy(repo("base-node"))).rejects.toThrow(/RepositoryPolicyNotFound|does not exist/);
  }, 180000);

  it("node roles (EKS account) get the inline pull policy: GetAuthorizationToken on *, pull on the ECR repositories, nothing else", async () => {
    need("apply");
    for (const arn of nodeRoles) {
      const RoleName = arn.split("/").pop()!;
      const names = (await target.eks.iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames;
      expect(names).toEqual([`eks-ecr-access-${pulls}-image-pull`]);
      const doc = await target.eks.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: names![0] }));
      const arnOf = (r: string) => `arn:aws:ecr:${target.region}:${target.ecr.accountId}:repository/${r}`;
      expect(canonicalStatements(doc.PolicyDocument)).toEqual(
        [
          canonicalStatement({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }),
          canonicalStatement({ Effect: "Allow", Action: NODE_PULL, Resource: [repo("app"), repo("base-*"), repo("shared")].map(arnOf) }),
        ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      );
    }
  });

  it("KEP-4412: the imagePull role trusts the kubelet's audience, and the OIDC provider accepts it as a client id", async () => {
    need("apply");
    const issuerHost = `oidc.eks.${target.region}.amazonaws.com/id/${pulls.toUpperCase().replace(/-/g, "")}`;
    const provider = await target.ecr.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `arn:aws:iam::${target.ecr.accountId}:oidc-provider/${issuerHost}` }));
    expect([...(provider.ClientIDList ?? [])].sort()).toEqual([audience, "sts.amazonaws.com"].sort());
    const role = (await target.ecr.iam.send(new GetRoleCommand({ RoleName: `${pulls}-shop-web` }))).Role!;
    expect(canonicalStatements(role.AssumeRolePolicyDocument)).toEqual([
      canonicalStatement({
        Effect: "Allow",
        Action: "sts:AssumeRoleWithWebIdentity",
        Principal: { Federated: `arn:aws:iam::${target.ecr.accountId}:oidc-provider/${issuerHost}` },
        Condition: { StringEquals: { [`${issuerHost}:sub`]: "system:serviceaccount:shop:web", [`${issuerHost}:aud`]: ["sts.amazonaws.com", audience] } },
      }),
    ]);
  });

  it("plan after apply is empty", async () => {
    need("apply");
    const plan = await tf(pulls, ["plan", "-detailed-exitcode"], [0, 2]);
    expect({ exitCode: plan.code, changes: plan.code === 2 ? plan.stdout : "" }).toEqual({ exitCode: 0, changes: "" });
  }, 120000);

  it("a statement added later by someone else: check-policies names it, and plan shows the apply would remove it", async () => {
    need("apply");
    const current = JSON.parse((await livePolicy(repo("app")))!);
    const late = { Sid: "AddedByHand", Effect: "Allow", Principal: { AWS: "arn:aws:iam::333333333333:root" }, Action: ["ecr:BatchGetImage"] };
    await target.ecr.ecr.send(new SetRepositoryPolicyCommand({ repositoryName: repo("app"), policyText: JSON.stringify({ ...current, Statement: [...current.Statement, late] }) }));
    const r = await runCli(["--environments", envDir, "check-policies", "--env", pulls], { env: target.terraformEnv });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`REFUSED ${pulls}: repository ${repo("app")}: holds statement(s) AddedByHand`);
    expect((await tf(pulls, ["plan", "-detailed-exitcode"], [0, 2])).code).toBe(2);
  }, 120000);

  it("registry environment: terraform plan accepts the registry policy and the V2 scope setting", async () => {
    need("init");
    const plan = await tf(registry, ["plan", "-detailed-exitcode"], [2]);
    expect(plan.stdout).toMatch(/aws_ecr_registry_policy\.registry_policy will be created/);
    expect(plan.stdout).toMatch(/aws_ecr_account_setting\.registry_policy_scope will be created/);
  }, 120000);

  tierDescribe(`${INTEGRATION_TIER}: registry policy apply`, registryApply)("registry policy apply", () => {
    it("applies the registry policy and reads it back: node pulls on the prefix", async () => {
      need("init");
      applied.push(registry);
      await tf(registry, ["apply", "-auto-approve"]);
      const live = await target.ecr.ecr.send(new GetRegistryPolicyCommand({}));
      expect(canonicalStatements(live.policyText)).toEqual([
        canonicalStatement({ Effect: "Allow", Principal: { AWS: nodeRoles }, Action: NODE_PULL, Resource: `arn:aws:ecr:${target.region}:${target.ecr.accountId}:repository/${repo("base-*")}` }),
      ]);
    }, 180000);
  });
});
