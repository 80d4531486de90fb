/**
 * Integration tier: the synthesized stacks, applied for real by terraform against two emulated accounts,
 * checked through the AWS API (never through terraform's own output).
 *
 *   alpha  issuer read from the cluster, OIDC provider created (static thumbprint), two service accounts,
 *          local state
 *   beta   issuerUrl given (another cluster), existing OIDC provider reused (existingArn), S3 state with
 *          use_lockfile, in the same two accounts as alpha
 *
 * Steps run in order and share state; independent environments run their terraform commands in parallel.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetOpenIDConnectProviderCommand, GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { parseAllDocuments } from "yaml";
import { createFixtures, deleteFixtures, Fixtures, iamInventory, STATIC_THUMBPRINT } from "../support/it-fixtures";
import { integrationTargetStatus, openTarget, planTarget, Target } from "../support/it-target";
import { arnMatches, canonicalStatement, canonicalStatements, CanonicalStatement, explain } from "../support/policy-documents";
import { ensureCliBuilt, runCli } from "../support/project-cli";
import { locatePluginDir, terraform, terraformInit } from "../support/terraform";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

// Written out here on purpose, not imported from src: a generator that grants more must fail this test.
const PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer", "ecr:ListImages"];
const PUSH = [...PULL, "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"];

interface Sa { namespace: string; name: string; repositories: string[]; access: "pull" | "push"; reaches: string[] }
interface Env { name: string; dir: string; issuer: string; providerArn: string; accounts: Sa[]; file: Record<string, unknown> }

const run = randomBytes(3).toString("hex");
const roleName = (env: Env, sa: Sa) => `${env.name}-${sa.namespace}-${sa.name}`;
const host = (issuer: string) => issuer.replace(/^https:\/\//, "");
const sortStatements = (s: CanonicalStatement[]) => s.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const stateKey = (env: Env) => `eks-ecr-access/${env.name}.tfstate`;

tierDescribe(INTEGRATION_TIER, integrationTargetStatus())("integration: terraform apply across two accounts", () => {
  let target: Target;
  let fixtures: Partial<Fixtures> = {};
  let work: string;
  let alpha: Env;
  let beta: Env;
  const before: Record<"eks" | "ecr", { roles: string[]; oidcProviders: string[] }> = {} as never;
  const applied = new Set<Env>();
  const done = new Set<string>();
  const need = (step: string) => {
    if (!done.has(step)) throw new Error(`not run: the "${step}" step failed earlier (see its error above)`);
  };
  const tf = (env: Env, args: string[], okCodes?: number[]) => terraform(env.dir, args, { env: target.terraformEnv, okCodes });
  const both = <T>(fn: (env: Env) => Promise<T>) => Promise.all([alpha, beta].map(fn));

  beforeAll(async () => {
    const plan = planTarget();
    if ("problem" in plan) throw new Error(plan.problem);
    work = mkdtempSync(join(tmpdir(), "eks-ecr-access-it-"));
    target = await openTarget(plan.plan);
    fixtures = await createFixtures(target, run);
    const f = fixtures as Fixtures;
    [before.eks, before.ecr] = await Promise.all([iamInventory(target.eks.iam), iamInventory(target.ecr.iam)]);

    const envDir = join(work, "project", "environments");
    const out = join(work, "project", "out"); // local state lands in <out>/../state
    mkdirSync(envDir, { recursive: true });
    const e = target.endpoint;
    const common = (clusterName: string, issuerUrl?: string) => ({
      eks: { accountId: target.eks.accountId, region: target.region, clusterName, assumeRoleArn: target.roles.eks, ...(issuerUrl ? { issuerUrl } : {}) },
      kubernetes: { serviceAccounts: "manifest" },
      ...(e ? { awsEndpoints: { sts: e, iam: e, eks: e, ecr: e, s3: e } } : {}),
      tags: { "it-run": run },
    });
    const ecr = (oidcProvider: object) => ({ accountId: target.ecr.accountId, region: target.region, assumeRoleArn: target.roles.ecr, oidcProvider });
    const repo = (n: string) => `it-${run}/${n}`;
    const alphaAccounts: Sa[] = [
      { namespace: "ci", name: "image-builder", repositories: [repo("app"), repo("base-*")], access: "push", reaches: [repo("app"), repo("base-node"), repo("base-python")] },
      { namespace: "argocd", name: "image-updater", repositories: [repo("app")], access: "pull", reaches: [repo("app")] },
    ];
    const betaAccounts: Sa[] = [{ namespace: "tekton", name: "builder", repositories: [repo("base-python")], access: "push", reaches: [repo("base-python")] }];
    const files = (accounts: Sa[]) => accounts.map(({ reaches: _, ...sa }) => sa);
    alpha = {
      name: `a-${run}`, dir: join(out, "stacks", `a-${run}`), issuer: f.clusterIssuer, providerArn: "", accounts: alphaAccounts,
      file: { ...common(f.clusterName), ecr: ecr({ thumbprints: [STATIC_THUMBPRINT] }), serviceAccounts: files(alphaAccounts) },
    };
    beta = {
      name: `b-${run}`, dir: join(out, "stacks", `b-${run}`), issuer: f.existingIssuer, providerArn: f.existingProviderArn, accounts: betaAccounts,
      file: {
        ...common(`other-${run}`, f.existingIssuer),
        ecr: ecr({ existingArn: f.existingProviderArn }),
        serviceAccounts: files(betaAccounts),
        backend: { type: "s3", bucket: f.stateBucket, region: target.region, assumeRoleArn: target.roles.state, useLockfile: true },
      },
    };
    for (const env of [alpha, beta]) writeFileSync(join(envDir, `${env.name}.json`), JSON.stringify(env.file, null, 2));

    ensureCliBuilt();
    const synth = await runCli(["--environments", envDir, "synth", "--out", out]);
    if (synth.code !== 0) throw new Error(`eks-ecr-access synth failed (exit ${synth.code}):\n${synth.stderr}${synth.stdout}`);
  }, 120000);

  afterAll(async () => {
    const problems: string[] = [];
    try {
      // moto forgets everything when it stops; anything else (LocalStack, sandbox accounts) must be cleaned.
      if (target && target.kind !== "moto") {
        for (const env of applied) await tf(env, ["destroy", "-auto-approve"]).catch((e) => problems.push(String(e)));
        await deleteFixtures(target, fixtures).catch((e) => problems.push(String(e)));
      }
    } finally {
      await target?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    }
    if (problems.length > 0) throw new Error(`cleanup left things behind:\n${problems.join("\n")}`);
  }, 300000);

  // No separate `terraform validate`: apply validates first, and each terraform command costs seconds of CPU.
  it("terraform init (offline, provider mirror)", async () => {
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    await both(async (env) => {
      await terraformInit(env.dir, plugins.dir, { env: target.terraformEnv });
    });
    done.add("init");
  }, 120000);

  it("terraform apply, both environments side by side", async () => {
    need("init");
    await both(async (env) => {
      applied.add(env);
      await tf(env, ["apply", "-auto-approve"]);
    });
    // IAM names a provider after its URL: the one alpha must have created for the cluster's issuer.
    alpha.providerArn = `arn:aws:iam::${target.ecr.accountId}:oidc-provider/${host(alpha.issuer)}`;
    done.add("apply");
  }, 180000);

  it("creates the OIDC provider in the ECR account for the issuer read from the cluster, and nothing in the EKS account", async () => {
    need("apply");
    const got = await target.ecr.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: alpha.providerArn }));
    explain(`OIDC provider ${alpha.providerArn} (ecr account) must have the cluster's issuer, audience sts.amazonaws.com and the configured thumbprint`, () =>
      expect({ url: got.Url?.replace(/^https:\/\//, ""), clientIds: got.ClientIDList, thumbprints: got.ThumbprintList }).toEqual({
        url: host(alpha.issuer),
        clientIds: ["sts.amazonaws.com"],
        thumbprints: [STATIC_THUMBPRINT],
      }),
    );
    // beta reuses the existing provider: the ECR account gains exactly alpha's provider.
    const [eksNow, ecrNow] = await Promise.all([iamInventory(target.eks.iam), iamInventory(target.ecr.iam)]);
    explain("the ecr account must gain exactly alpha's OIDC provider (beta reuses an existing one via existingArn)", () =>
      expect(ecrNow.oidcProviders.filter((p) => !before.ecr.oidcProviders.includes(p))).toEqual([alpha.providerArn]),
    );
    explain("the eks account's IAM roles and OIDC providers must be unchanged by apply (everything belongs in the ecr account)", () =>
      expect(eksNow).toEqual(before.eks),
    );
  });

  it("each role lives in the ECR account and trusts exactly its own service account (:sub and :aud) via the provider", async () => {
    need("apply");
    const ecrNow = await iamInventory(target.ecr.iam);
    const expectedRoles = [alpha, beta].flatMap((env) => env.accounts.map((sa) => roleName(env, sa))).sort();
    explain("the ecr account must gain exactly one role per configured service account", () =>
      expect(ecrNow.roles.filter((r) => !before.ecr.roles.includes(r))).toEqual(expectedRoles),
    );
    for (const env of [alpha, beta]) {
      for (const sa of env.accounts) {
        const role = (await target.ecr.iam.send(new GetRoleCommand({ RoleName: roleName(env, sa) }))).Role!;
        const expected = canonicalStatement({
          Effect: "Allow",
          Action: "sts:AssumeRoleWithWebIdentity",
          Principal: { Federated: env.providerArn },
          Condition: {
            StringEquals: { [`${host(env.issuer)}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`, [`${host(env.issuer)}:aud`]: "sts.amazonaws.com" },
          },
        });
        explain(`role ${roleName(env, sa)}: trust policy must allow exactly ${sa.namespace}/${sa.name} through ${env.providerArn}, with both :sub and :aud StringEquals`, () =>
          expect({ role: role.Arn, trustPolicy: canonicalStatements(role.AssumeRolePolicyDocument) }).toEqual({
            role: `arn:aws:iam::${target.ecr.accountId}:role/${roleName(env, sa)}`,
            trustPolicy: [expected],
          }),
        );
      }
    }
  });

  it("each role's only permissions: the configured ECR actions on exactly the configured repositories", async () => {
    need("apply");
    const f = fixtures as Fixtures;
    for (const env of [alpha, beta]) {
      for (const sa of env.accounts) {
        const name = roleName(env, sa);
        const [inline, attached] = await Promise.all([
          target.ecr.iam.send(new ListRolePoliciesCommand({ RoleName: name })),
          target.ecr.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })),
        ]);
        explain(`role ${name}: must have exactly one inline policy and no attached (managed) policy`, () =>
          expect({ inlinePolicies: inline.PolicyNames?.length, attachedPolicies: attached.AttachedPolicies ?? [] }).toEqual({ inlinePolicies: 1, attachedPolicies: [] }),
        );
        const doc = await target.ecr.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: inline.PolicyNames![0] }));
        const granted = canonicalStatements(doc.PolicyDocument);
        // Exact repository names must be the ARNs ECR itself reports; prefixes keep their '*'.
        const arns = sa.repositories.map((r) => f.repositories[r] ?? `arn:aws:ecr:${target.region}:${target.ecr.accountId}:repository/${r}`);
        const expected = sortStatements([
          canonicalStatement({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }),
          canonicalStatement({ Effect: "Allow", Action: sa.access === "push" ? PUSH : PULL, Resource: arns }),
        ]);
        explain(`role ${name}: ECR policy must grant exactly the ${sa.access} actions on exactly ${sa.repositories.join(", ")} (plus ecr:GetAuthorizationToken on *)`, () =>
          expect(granted).toEqual(expected),
        );
        // And what that means for the repositories that exist: exactly the configured ones, never another.
        const reachable = Object.entries(f.repositories)
          .filter(([, arn]) => granted.some((s) => s.Resource?.some((r) => r !== "*" && arnMatches(r, arn))))
          .map(([repo]) => repo).sort();
        explain(`role ${name}: of the repositories in the ecr account, exactly these must be reachable`, () => expect(reachable).toEqual([...sa.reaches].sort()));
      }
    }
  });

  it("the emitted ServiceAccount manifests carry the ARNs of the roles IAM holds", async () => {
    need("apply");
    for (const env of [alpha, beta]) {
      const docs = parseAllDocuments(readFileSync(join(env.dir, "service-accounts.yaml"), "utf8")).map((d) => d.toJS());
      const annotated = Object.fromEntries(
        docs.filter((d) => d.kind === "ServiceAccount").map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d.metadata.annotations?.["eks.amazonaws.com/role-arn"]]),
      );
      const inIam: Record<string, string | undefined> = {};
      for (const sa of env.accounts) {
        inIam[`${sa.namespace}/${sa.name}`] = (await target.ecr.iam.send(new GetRoleCommand({ RoleName: roleName(env, sa) }))).Role?.Arn;
      }
      explain(`${env.name}/service-accounts.yaml: each ServiceAccount's eks.amazonaws.com/role-arn must be the ARN IAM reports for its role`, () =>
        expect(annotated).toEqual(inIam),
      );
    }
  });

  it("terraform plan -detailed-exitcode right after apply reports no changes", async () => {
    need("apply");
    const results = await both(async (env) => ({ env: env.name, result: await tf(env, ["plan", "-detailed-exitcode"], [0, 2]) }));
    for (const { env, result } of results) {
      if (result.code !== 0) throw new Error(`${env}: plan right after apply wants changes (exit ${result.code}):\n${result.stdout}`);
    }
  }, 120000);

  it("keeps separate state: alpha in its local file, beta in S3 with use_lockfile", async () => {
    need("apply");
    const f = fixtures as Fixtures;
    const rolesIn = (state: { resources: { type: string; instances: { attributes: { name?: string } }[] }[] }) =>
      state.resources.filter((r) => r.type === "aws_iam_role").flatMap((r) => r.instances.map((i) => i.attributes.name)).sort();
    const stateDir = join(alpha.dir, "..", "..", "..", "state");
    const alphaState = JSON.parse(readFileSync(join(stateDir, `${alpha.name}.tfstate`), "utf8"));
    const betaObject = await target.state.s3.send(new GetObjectCommand({ Bucket: f.stateBucket, Key: stateKey(beta) }));
    const betaState = JSON.parse(await betaObject.Body!.transformToString());
    const objects = (await target.state.s3.send(new ListObjectsV2Command({ Bucket: f.stateBucket }))).Contents?.map((o) => o.Key) ?? [];
    explain("each environment's state must hold only its own resources, in its own backend (lock file released after apply)", () => expect({
      alphaRoles: rolesIn(alphaState),
      betaRoles: rolesIn(betaState),
      betaLocalState: existsSync(join(stateDir, `${beta.name}.tfstate`)),
      stateBucketObjects: objects, // the lock file is gone once apply finished
    }).toEqual({
      alphaRoles: alpha.accounts.map((sa) => roleName(alpha, sa)).sort(),
      betaRoles: beta.accounts.map((sa) => roleName(beta, sa)).sort(),
      betaLocalState: false,
      stateBucketObjects: [stateKey(beta)],
    }));
    // Someone else's lock file makes terraform stop instead of writing the state.
    const lock = { Bucket: f.stateBucket, Key: `${stateKey(beta)}.tflock` };
    await target.state.s3.send(new PutObjectCommand({ ...lock, Body: JSON.stringify({ ID: "other-run", Operation: "OperationTypeApply", Who: "someone@elsewhere" }) }));
    try {
      await expect(tf(beta, ["plan", "-lock-timeout=0s"])).rejects.toThrow(/acquiring the state lock/);
    } finally {
      await target.state.s3.send(new DeleteObjectCommand(lock));
    }
  }, 60000);

  it("destroying alpha leaves beta (same accounts) intact", async () => {
    need("apply");
    await tf(alpha, ["destroy", "-auto-approve"]);
    applied.delete(alpha);
    const ecrNow = await iamInventory(target.ecr.iam);
    explain("after destroying alpha the ecr account must hold exactly beta's roles and the pre-existing providers (alpha's provider gone)", () =>
      expect(ecrNow).toEqual({
        roles: [...before.ecr.roles, ...beta.accounts.map((sa) => roleName(beta, sa))].sort(),
        oidcProviders: before.ecr.oidcProviders, // incl. the existing one beta trusts: reused, never destroyed
      }),
    );
    done.add("destroy-alpha");
  }, 120000);

  it("terraform destroy leaves nothing behind", async () => {
    need("destroy-alpha");
    await tf(beta, ["destroy", "-auto-approve"]);
    applied.delete(beta);
    const [eksNow, ecrNow] = await Promise.all([iamInventory(target.eks.iam), iamInventory(target.ecr.iam)]);
    explain("after destroying both, IAM in both accounts must be exactly as before apply (the existing OIDC provider kept)", () =>
      expect({ eksAccount: eksNow, ecrAccount: ecrNow }).toEqual({ eksAccount: before.eks, ecrAccount: before.ecr }),
    );
  }, 120000);
});
