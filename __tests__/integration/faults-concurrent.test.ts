/**
 * Fault scenario (docs/safety.md, "Interrupted and concurrent runs"), real terraform against the emulator:
 * two applies of one environment at once on S3 state with use_lockfile: one fails on the lock, the other
 * completes; the state is intact and matches the accounts.
 * The harness (and what "converges" means) is in __tests__/support/fault-harness.ts.
 */
import { cpSync } from "node:fs";
import { startFaultProxy } from "../support/fault-proxy";
import { itOnEmulator, useFaultHarness } from "../support/fault-harness";
import { integrationTargetStatus } from "../support/it-target";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

tierDescribe(INTEGRATION_TIER, integrationTargetStatus())("fault scenario: concurrent terraform apply", () => {
  const h = useFaultHarness();

  itOnEmulator("concurrent apply")("two applies at once on one S3 state with use_lockfile: one fails on the lock, the other completes, the state is intact", async () => {
    // The first apply is kept mid-way (one IAM answer held back) so the second surely meets its lock.
    const proxy = await startFaultProxy(h.target().endpoint!, (body) => /(^|&)Action=CreateRole(&|$)/.test(body));
    h.track(proxy);
    const stack = await h.environment("concurrent", "s3", proxy.endpoint);
    // A second working copy of the same stack, as a second CI job or a colleague would have.
    const other = `${stack.dir}-copy`;
    cpSync(stack.dir, other, { recursive: true, verbatimSymlinks: true });
    await h.init(other);

    const first = h.startApply(stack.dir);
    await Promise.race([proxy.held, first.exit.then(() => Promise.reject(new Error(`first apply ended early:\n${first.output()}`)))]);
    const second = h.startApply(other, ["-lock-timeout=0s"]);
    const secondExit = await second.exit;
    proxy.release();
    expect(secondExit.code).toBe(1);
    expect(second.output()).toMatch(/Error acquiring the state lock/);
    expect(second.output()).toMatch(/Operation:\s+OperationTypeApply/);
    expect(second.output()).not.toMatch(/Creating\.\.\./);

    const firstExit = await first.exit;
    expect(firstExit.code).toBe(0);
    expect(await h.lockObjects()).toEqual([]);
    // Seen from the second copy too: the shared state is complete and nothing is left to do.
    await h.expectConverged({ ...stack, dir: other }, await h.s3State(stack));
  }, 600000);
});
