/**
 * Fault scenario (docs/safety.md, "Interrupted and concurrent runs"), real terraform against the emulator:
 * apply killed with SIGKILL part-way on S3 state: the stale lock stops the next run cleanly; after `force-unlock`
 * and import blocks for what the killed run created but never recorded, a re-run converges.
 * The harness (and what "converges" means) is in __tests__/support/fault-harness.ts.
 */
import { startFaultProxy } from "../support/fault-proxy";
import { RESOURCES, completed, createdResources, itOnEmulator, useFaultHarness } from "../support/fault-harness";
import { integrationTargetStatus } from "../support/it-target";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

tierDescribe(INTEGRATION_TIER, integrationTargetStatus())("fault scenario: killed terraform apply", () => {
  const h = useFaultHarness();

  itOnEmulator("SIGKILL")("SIGKILL part-way on S3 state: the stale lock is refused cleanly; force-unlock, import blocks for the orphans, re-run converges", async () => {
    // The worst moment to die: IAM has created a role, terraform has not heard back, so it never records it.
    const victim = `sigkill-${h.run}-ci-sa-3`;
    const proxy = await startFaultProxy(h.target().endpoint!, (body) => /(^|&)Action=CreateRole(&|$)/.test(body) && new RegExp(`(^|&)RoleName=${victim}(&|$)`).test(body));
    h.track(proxy);
    const stack = await h.environment("sigkill", "s3", proxy.endpoint);
    const apply = h.startApply(stack.dir);
    await Promise.race([proxy.held, apply.exit.then(() => Promise.reject(new Error(`apply ended before creating ${victim}:\n${apply.output()}`)))]);
    apply.child.kill("SIGKILL");
    expect((await apply.exit).signal).toBe("SIGKILL");
    expect(completed(apply.output())).toBeLessThan(RESOURCES);
    expect(await h.lockObjects()).toEqual([`eks-ecr-access/${stack.name}.tfstate.tflock`]);

    // The next run does not touch anything: it stops on the lock and says whose it is.
    const blocked = await h.tf(stack.dir, ["apply", "-auto-approve", "-lock-timeout=0s"], [1]);
    expect(blocked.stderr).toMatch(/Error acquiring the state lock/);
    const lockId = /ID:\s+([0-9a-f-]{36})/.exec(blocked.stderr)?.[1];
    expect(lockId).toBeDefined();

    await h.tf(stack.dir, ["force-unlock", "-force", lockId!]);
    expect(await h.lockObjects()).toEqual([]);
    // Orphans: a remote backend persists state only every 20 s during apply, so everything the killed run
    // created may be missing from the state. Creating them again fails loudly (EntityAlreadyExists), never
    // silently; the documented loop adds an import block for what each failed apply names, until apply completes.
    const created = createdResources(apply.output());
    const imported = await h.applyImportingOrphans(stack);
    expect(imported).toContain("aws_iam_role.ci__sa-3");
    // Only what the killed run really created is ever imported.
    expect(imported.filter((a) => !created.includes(a) && a !== "aws_iam_role.ci__sa-3")).toEqual([]);
    process.stderr.write(`fault scenario SIGKILL: ${created.length} resources created before the kill, ${imported.length} imported as orphans: ${imported.join(", ")}\n`);
    await h.expectConverged(stack, await h.s3State(stack));
    expect(await h.lockObjects()).toEqual([]);
  }, 600000);
});
