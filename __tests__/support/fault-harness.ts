/**
 * Test support for the fault scenarios (docs/safety.md, "Interrupted and concurrent runs"): real terraform
 * against the integration target, one scenario per test file so that the scenarios run side by side.
 *
 * `useFaultHarness()` registers the target (and an S3 state bucket) for the calling describe block and gives:
 * an environment synthesized and `terraform init`ed per scenario, `terraform apply` as a watched child process,
 * and the convergence check: `terraform plan -detailed-exitcode` is empty, the state holds every resource exactly
 * once, and the ECR account (read through the AWS API) holds exactly the expected roles.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetRolePolicyCommand, ListOpenIDConnectProvidersCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { FaultProxy } from "./fault-proxy";
import { openTarget, planTarget, Target } from "./it-target";
import { ensureCliBuilt, runCli } from "./project-cli";
import { TerraformResult, locatePluginDir, terraform, terraformBinary, terraformEnvironment, terraformInit } from "./terraform";

/** Service accounts per environment: 1 OIDC provider + 2 resources each = 13 resources to create. */
export const ACCOUNTS = 6;
export const RESOURCES = 1 + 2 * ACCOUNTS;

export interface Stack {
  readonly name: string;
  readonly dir: string;
  readonly issuer: string;
}

export interface Apply {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface FaultHarness {
  readonly target: () => Target;
  readonly run: string;
  /** terraform in `dir` against the target; rejects unless the exit code is in okCodes (default [0]). */
  tf(dir: string, args: string[], okCodes?: number[]): Promise<TerraformResult>;
  /** One environment (own issuer, own role names) synthesized into its own project folder, then `terraform init`. */
  environment(scenario: string, backend: "local" | "s3", iamEndpoint?: string): Promise<Stack>;
  /** `terraform init` of another working copy of a stack. */
  init(dir: string): Promise<TerraformResult>;
  /** `terraform apply` as a child process whose output can be watched while it runs. */
  startApply(dir: string, extra?: string[]): Apply;
  waitFor(apply: Apply, what: string, test: (out: string) => boolean, timeoutMs?: number): Promise<void>;
  /** A proxy to close after the scenario. */
  track(proxy: FaultProxy): void;
  s3State(stack: Stack): Promise<Record<string, number>>;
  lockObjects(): Promise<string[]>;
  expectConverged(stack: Stack, state: Record<string, number>): Promise<void>;
  /**
   * The documented recovery (docs/safety.md): `terraform apply` until it completes; after each apply that fails
   * with EntityAlreadyExists, an import block (in `orphans.tf.json`) for each resource it names. Returns the
   * addresses imported; fails after 4 rounds, or on any other error.
   */
  applyImportingOrphans(stack: Stack): Promise<string[]>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many resources an apply's output reports as created. */
export const completed = (out: string) => (out.match(/: Creation complete after/g) ?? []).length;

/** IAM resources an apply's output reports as created. */
export const createdResources = (out: string) =>
  [...out.matchAll(/^((?:aws_iam_role|aws_iam_openid_connect_provider)\.[\w-]+): Creation complete/gm)].map((m) => m[1]);

/** IAM resources an apply started creating but never reported as created (in flight when it was stopped). */
export function inFlightResources(out: string): string[] {
  const done = new Set(createdResources(out));
  return [...out.matchAll(/^((?:aws_iam_role|aws_iam_openid_connect_provider)\.[\w-]+): Creating\.\.\./gm)].map((m) => m[1]).filter((a) => !done.has(a));
}

/** Managed resources of a state document: address -> number of instances. */
export function stateResources(state: { resources: { mode: string; type: string; name: string; instances: unknown[] }[] }): Record<string, number> {
  return Object.fromEntries(state.resources.filter((r) => r.mode === "managed").map((r) => [`${r.type}.${r.name}`, r.instances.length]));
}

/**
 * The SIGKILL and concurrent scenarios put a proxy in front of IAM: possible on an emulator (plain http), not on
 * real AWS. `itOnEmulator(scenario)` is `it` there and a loudly skipped `it` elsewhere.
 */
export function itOnEmulator(scenario: string): jest.It {
  const planned = planTarget();
  const emulated = "plan" in planned && planned.plan.kind !== "aws";
  if (emulated) return it;
  if ("plan" in planned) process.stderr.write(`SKIPPED: fault scenario ${scenario}: it intercepts IAM calls through an http proxy, which needs an emulator target\n`);
  return it.skip;
}

export function useFaultHarness(): FaultHarness {
  const run = randomBytes(3).toString("hex");
  let target: Target;
  let work: string;
  let pluginDir: string;
  let bucket: string | undefined;
  const proxies: FaultProxy[] = [];
  const stacks: Stack[] = [];
  const running = new Set<ChildProcess>();
  const tf = (dir: string, args: string[], okCodes?: number[]): Promise<TerraformResult> => terraform(dir, args, { env: target.terraformEnv, okCodes, timeoutMs: 240000 });

  beforeAll(async () => {
    const plan = planTarget();
    if ("problem" in plan) throw new Error(plan.problem);
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    pluginDir = plugins.dir;
    work = mkdtempSync(join(tmpdir(), "eks-ecr-access-faults-"));
    target = await openTarget(plan.plan);
    bucket = `eks-ecr-access-faults-${run}`;
    await target.state.s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: target.region === "us-east-1" ? undefined : { LocationConstraint: target.region as never } }),
    );
    ensureCliBuilt();
  }, 120000);

  afterAll(async () => {
    for (const child of running) child.kill("SIGKILL");
    for (const p of proxies) await p.close();
    const problems: string[] = [];
    try {
      // moto forgets everything when it stops; other targets must be cleaned up.
      if (target && target.kind !== "moto") {
        for (const s of stacks) await tf(s.dir, ["destroy", "-auto-approve", "-lock-timeout=60s"]).catch((e) => problems.push(String(e)));
        if (bucket) {
          const versions = await target.state.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
          const objects = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
          if (objects.length > 0) await target.state.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
          await target.state.s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch((e) => problems.push(String(e)));
        }
      }
    } finally {
      await target?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    }
    if (problems.length > 0) throw new Error(`cleanup left things behind:\n${problems.join("\n")}`);
  }, 600000);

  /** One environment (own issuer, own role names) synthesized into its own project folder, then `terraform init`. */
  async function environment(scenario: string, backend: "local" | "s3", iamEndpoint?: string): Promise<Stack> {
    const name = `${scenario}-${run}`;
    const project = join(work, name);
    mkdirSync(join(project, "environments"), { recursive: true });
    const e = target.endpoint;
    const issuer = `https://oidc.eks.${target.region}.amazonaws.com/id/${scenario.toUpperCase()}${run.toUpperCase()}`;
    const file = {
      eks: { accountId: target.eks.accountId, region: target.region, clusterName: name, assumeRoleArn: target.roles.eks, issuerUrl: issuer },
      ecr: { accountId: target.ecr.accountId, region: target.region, assumeRoleArn: target.roles.ecr, oidcProvider: { thumbprints: "none" } },
      serviceAccounts: Array.from({ length: ACCOUNTS }, (_, i) => ({ namespace: "ci", name: `sa-${i}`, repositories: [`faults-${run}/app`] })),
      kubernetes: { serviceAccounts: "manifest" },
      ...(e ? { awsEndpoints: { sts: e, iam: iamEndpoint ?? e, eks: e, ecr: e, s3: e } } : {}),
      ...(backend === "s3" ? { backend: { type: "s3", bucket, region: target.region, assumeRoleArn: target.roles.state, useLockfile: true } } : {}),
    };
    writeFileSync(join(project, "environments", `${name}.json`), JSON.stringify(file, null, 2));
    const synth = await runCli(["synth"], { cwd: project });
    if (synth.code !== 0) throw new Error(`synth failed:\n${synth.stderr}`);
    const stack = { name, dir: join(project, "cdktf.out", "stacks", name), issuer };
    stacks.push(stack);
    await terraformInit(stack.dir, pluginDir, { env: target.terraformEnv });
    return stack;
  }

  /** `terraform apply` as a child process whose output can be watched while it runs. */
  function startApply(dir: string, extra: string[] = []): Apply {
    // One resource at a time, so "part-way" is a well-defined point.
    const child = spawn(terraformBinary(), ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=1", ...extra], {
      cwd: dir,
      env: terraformEnvironment(target.terraformEnv),
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let text = "";
    child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    );
    return { child, output: () => text, exit };
  }

  async function waitFor(apply: Apply, what: string, test: (out: string) => boolean, timeoutMs = 180000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(apply.output())) {
      if (apply.child.exitCode !== null) throw new Error(`terraform apply ended before ${what}:\n${apply.output()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${apply.output()}`);
      await sleep(50);
    }
  }

  async function s3State(stack: Stack): Promise<Record<string, number>> {
    const object = await target.state.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `eks-ecr-access/${stack.name}.tfstate` }));
    return stateResources(JSON.parse(await object.Body!.transformToString()));
  }

  const lockObjects = async () =>
    ((await target.state.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith(".tflock"));

  /** Converged: empty plan, every resource once in state, exactly the expected roles (with their policy) in the ECR account. */
  async function expectConverged(stack: Stack, state: Record<string, number>): Promise<void> {
    const plan = await tf(stack.dir, ["plan", "-detailed-exitcode"], [0, 2]);
    expect({ planExitCode: plan.code, summary: plan.code === 0 ? "no changes" : plan.stdout.match(/Plan: .*/)?.[0] }).toEqual({ planExitCode: 0, summary: "no changes" });
    expect(Object.keys(state)).toHaveLength(RESOURCES);
    expect(Object.values(state).every((n) => n === 1)).toBe(true);

    const roles: string[] = [];
    let marker: string | undefined;
    do {
      const page = await target.ecr.iam.send(new ListRolesCommand({ Marker: marker }));
      roles.push(...(page.Roles ?? []).map((r) => r.RoleName!).filter((n) => n.startsWith(`${stack.name}-`)));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    expect(roles.sort()).toEqual(Array.from({ length: ACCOUNTS }, (_, i) => `${stack.name}-ci-sa-${i}`).sort());
    for (const role of roles) {
      const policy = await target.ecr.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: "ecr-pull" }));
      expect(decodeURIComponent(policy.PolicyDocument!)).toContain(`repository/faults-${run}/app`);
    }
    const providers = (await target.ecr.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? [];
    expect(providers.filter((p) => p.Arn!.endsWith(stack.issuer.replace(/^https:\/\//, "")))).toHaveLength(1);
  }

  /**
   * What a killed apply created but never recorded makes the next apply fail with EntityAlreadyExists. The
   * documented recovery (docs/safety.md): an import block for each resource the error names, by the id its type
   * uses, then apply again (one run imports them and creates the rest).
   */
  async function applyImportingOrphans(stack: Stack): Promise<string[]> {
    const imports: { to: string; id: string }[] = [];
    for (let round = 0; ; round++) {
      const attempt = await tf(stack.dir, ["apply", "-auto-approve"], [0, 1]);
      if (attempt.code === 0) {
        // An earlier round may already have imported some, even though it failed on others.
        if (imports.length > 0) expect(Number(/Apply complete! Resources: (\d+) imported,/.exec(attempt.stdout)?.[1])).toBeGreaterThan(0);
        return imports.map((i) => i.to);
      }
      expect(attempt.stderr).toMatch(/EntityAlreadyExists/);
      expect(round).toBeLessThan(4);
      imports.push(...orphanImports(stack, attempt.stderr));
      writeFileSync(join(stack.dir, "orphans.tf.json"), JSON.stringify({ import: imports }, null, 2));
    }
  }

  function orphanImports(stack: Stack, failedOutput: string): { to: string; id: string }[] {
    const config = JSON.parse(readFileSync(join(stack.dir, "cdk.tf.json"), "utf8"));
    const addresses = [...failedOutput.matchAll(/EntityAlreadyExists[\s\S]*?with ((aws_iam_role|aws_iam_openid_connect_provider)\.[\w-]+),/g)].map((m) => m[1]);
    return addresses.map((to) => {
      const [type, name] = to.split(".");
      const id =
        type === "aws_iam_role"
          ? config.resource.aws_iam_role[name].name
          : `arn:aws:iam::${target.ecr.accountId}:oidc-provider/${stack.issuer.replace(/^https:\/\//, "")}`;
      return { to, id };
    });
  }

  return {
    target: () => target,
    run,
    tf,
    environment,
    init: (dir) => terraformInit(dir, pluginDir, { env: target.terraformEnv }),
    startApply,
    waitFor,
    track: (proxy) => proxies.push(proxy),
    s3State,
    lockObjects,
    expectConverged,
    applyImportingOrphans,
  };
}
