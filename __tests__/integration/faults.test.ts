/**
 * Fault scenarios with real terraform against the emulator (docs/safety.md, "Interrupted and concurrent runs"):
 *
 *   1. apply interrupted with SIGINT part-way (Ctrl-C, a cancelled CI job): a plain re-run converges.
 *   2. apply killed with SIGKILL part-way on S3 state: the stale lock stops the next run cleanly; after
 *      `force-unlock` and import blocks for what the killed run created but never recorded, a re-run converges.
 *   3. two applies of one environment at once on S3 state with use_lockfile: one fails on the lock, the
 *      other completes; the state is intact and matches the accounts.
 *
 * "Converges" is checked three ways: `terraform plan -detailed-exitcode` is empty, the state holds every
 * resource exactly once, and the ECR account (read through the AWS API) holds exactly the expected roles.
 */
import { ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetRolePolicyCommand, ListOpenIDConnectProvidersCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { FaultProxy, startFaultProxy } from "../support/fault-proxy";
import { integrationTargetStatus, openTarget, planTarget, Target } from "../support/it-target";
import { ensureCliBuilt, runCli } from "../support/project-cli";
import { locatePluginDir, terraform, terraformBinary, terraformInit } from "../support/terraform";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

const run = randomBytes(3).toString("hex");
/** Service accounts per environment: 1 OIDC provider + 2 resources each = 13 resources to create. */
const ACCOUNTS = 6;
const RESOURCES = 1 + 2 * ACCOUNTS;

interface Stack {
  readonly name: string;
  readonly dir: string;
  readonly issuer: string;
}

interface Apply {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Scenarios 2 and 3 put a proxy in front of IAM: possible on an emulator (plain http), not on real AWS. */
const planned = planTarget();
const emulated = "plan" in planned && planned.plan.kind !== "aws";
if (!emulated && "plan" in planned) {
  process.stderr.write("SKIPPED: fault scenarios SIGKILL and concurrent apply: they intercept IAM calls through an http proxy, which needs an emulator target\n");
}
const itOnEmulator = emulated ? it : it.skip;

tierDescribe(INTEGRATION_TIER, integrationTargetStatus())("fault scenarios: interrupted and concurrent terraform apply", () => {
  let target: Target;
  let work: string;
  let pluginDir: string;
  let bucket: string | undefined;
  const proxies: FaultProxy[] = [];
  const stacks: Stack[] = [];
  const running = new Set<ChildProcess>();
  const tf = (dir: string, args: string[], okCodes?: number[]) => terraform(dir, args, { env: target.terraformEnv, okCodes, timeoutMs: 240000 });

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
    const env: Record<string, string | undefined> = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_INPUT: "0", TF_CLI_ARGS: "", TF_LOG: "", ...target.terraformEnv };
    for (const key of Object.keys(env)) if (key.startsWith("TF_CLI_ARGS_") || env[key] === undefined) delete env[key];
    // One resource at a time, so "part-way" is a well-defined point.
    const child = spawn(terraformBinary(), ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=1", ...extra], {
      cwd: dir,
      env: env as NodeJS.ProcessEnv,
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

  const completed = (out: string) => (out.match(/: Creation complete after/g) ?? []).length;

  /** Managed resources of a state document: address -> number of instances. */
  function stateResources(state: { resources: { mode: string; type: string; name: string; instances: unknown[] }[] }): Record<string, number> {
    return Object.fromEntries(state.resources.filter((r) => r.mode === "managed").map((r) => [`${r.type}.${r.name}`, r.instances.length]));
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

  it("SIGINT part-way (Ctrl-C, a cancelled CI job): terraform stops cleanly and a plain re-run converges", async () => {
    const stack = await environment("sigint", "local");
    const apply = startApply(stack.dir);
    await waitFor(apply, "a third of the resources", (out) => completed(out) >= 5);
    apply.child.kill("SIGINT");
    const interrupted = await apply.exit;
    expect(interrupted.code).not.toBe(0);
    expect(completed(apply.output())).toBeLessThan(RESOURCES);

    const rerun = await tf(stack.dir, ["apply", "-auto-approve"]);
    expect(rerun.stdout).toMatch(/Apply complete!/);
    const statePath = join(stack.dir, "..", "..", "..", "state", `${stack.name}.tfstate`);
    await expectConverged(stack, stateResources(JSON.parse(readFileSync(statePath, "utf8"))));
  }, 600000);

  itOnEmulator("SIGKILL part-way on S3 state: the stale lock is refused cleanly; force-unlock, import blocks for the orphans, re-run converges", async () => {
    // The worst moment to die: IAM has created a role, terraform has not heard back, so it never records it.
    const victim = `sigkill-${run}-ci-sa-3`;
    const proxy = await startFaultProxy(target.endpoint!, (body) => /(^|&)Action=CreateRole(&|$)/.test(body) && new RegExp(`(^|&)RoleName=${victim}(&|$)`).test(body));
    proxies.push(proxy);
    const stack = await environment("sigkill", "s3", proxy.endpoint);
    const apply = startApply(stack.dir);
    await Promise.race([proxy.held, apply.exit.then(() => Promise.reject(new Error(`apply ended before creating ${victim}:\n${apply.output()}`)))]);
    apply.child.kill("SIGKILL");
    expect((await apply.exit).signal).toBe("SIGKILL");
    expect(completed(apply.output())).toBeLessThan(RESOURCES);
    expect(await lockObjects()).toEqual([`eks-ecr-access/${stack.name}.tfstate.tflock`]);

    // The next run does not touch anything: it stops on the lock and says whose it is.
    const blocked = await tf(stack.dir, ["apply", "-auto-approve", "-lock-timeout=0s"], [1]);
    expect(blocked.stderr).toMatch(/Error acquiring the state lock/);
    const lockId = /ID:\s+([0-9a-f-]{36})/.exec(blocked.stderr)?.[1];
    expect(lockId).toBeDefined();

    await tf(stack.dir, ["force-unlock", "-force", lockId!]);
    expect(await lockObjects()).toEqual([]);
    // Orphans: a remote backend persists state only every 20 s during apply, so everything the killed run
    // created may be missing from the state. Creating them again fails loudly (EntityAlreadyExists), never
    // silently; the documented loop adds an import block for what each failed apply names, until apply completes.
    const created = [...apply.output().matchAll(/^((?:aws_iam_role|aws_iam_openid_connect_provider)\.[\w-]+): Creation complete/gm)].map((m) => m[1]);
    const imports: { to: string; id: string }[] = [];
    for (let round = 0; ; round++) {
      const attempt = await tf(stack.dir, ["apply", "-auto-approve"], [0, 1]);
      if (attempt.code === 0) {
        // (An earlier round may already have imported some, even though it failed on others.)
        expect(Number(/Apply complete! Resources: (\d+) imported,/.exec(attempt.stdout)?.[1])).toBeGreaterThan(0);
        break;
      }
      expect(attempt.stderr).toMatch(/EntityAlreadyExists/);
      expect(round).toBeLessThan(4);
      imports.push(...orphanImports(stack, attempt.stderr));
      writeFileSync(join(stack.dir, "orphans.tf.json"), JSON.stringify({ import: imports }, null, 2));
    }
    const imported = imports.map((i) => i.to);
    expect(imported).toContain("aws_iam_role.ci__sa-3");
    // Only what the killed run really created is ever imported.
    expect(imported.filter((a) => !created.includes(a) && a !== "aws_iam_role.ci__sa-3")).toEqual([]);
    process.stderr.write(`fault scenario SIGKILL: ${created.length} resources created before the kill, ${imported.length} imported as orphans: ${imported.join(", ")}\n`);
    await expectConverged(stack, await s3State(stack));
    expect(await lockObjects()).toEqual([]);
  }, 600000);

  itOnEmulator("two applies at once on one S3 state with use_lockfile: one fails on the lock, the other completes, the state is intact", async () => {
    // The first apply is kept mid-way (one IAM answer held back) so the second surely meets its lock.
    const proxy = await startFaultProxy(target.endpoint!, (body) => /(^|&)Action=CreateRole(&|$)/.test(body));
    proxies.push(proxy);
    const stack = await environment("concurrent", "s3", proxy.endpoint);
    // A second working copy of the same stack, as a second CI job or a colleague would have.
    const other = `${stack.dir}-copy`;
    cpSync(stack.dir, other, { recursive: true, verbatimSymlinks: true });
    await terraformInit(other, pluginDir, { env: target.terraformEnv });

    const first = startApply(stack.dir);
    await Promise.race([proxy.held, first.exit.then(() => Promise.reject(new Error(`first apply ended early:\n${first.output()}`)))]);
    const second = startApply(other, ["-lock-timeout=0s"]);
    const secondExit = await second.exit;
    proxy.release();
    expect(secondExit.code).toBe(1);
    expect(second.output()).toMatch(/Error acquiring the state lock/);
    expect(second.output()).toMatch(/Operation:\s+OperationTypeApply/);
    expect(second.output()).not.toMatch(/Creating\.\.\./);

    const firstExit = await first.exit;
    expect(firstExit.code).toBe(0);
    expect(await lockObjects()).toEqual([]);
    // Seen from the second copy too: the shared state is complete and nothing is left to do.
    await expectConverged({ ...stack, dir: other }, await s3State(stack));
  }, 600000);
});
