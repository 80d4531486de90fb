/**
 * Fault scenario (docs/safety.md, "Interrupted and concurrent runs"), real terraform against the emulator:
 * apply interrupted with SIGINT part-way (Ctrl-C, a cancelled CI job): a plain re-run converges.
 * The harness (and what "converges" means) is in __tests__/support/fault-harness.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RESOURCES, completed, stateResources, useFaultHarness } from "../support/fault-harness";
import { integrationTargetStatus } from "../support/it-target";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

tierDescribe(INTEGRATION_TIER, integrationTargetStatus())("fault scenario: interrupted terraform apply", () => {
  const h = useFaultHarness();

  it("SIGINT part-way (Ctrl-C, a cancelled CI job): terraform stops cleanly and a plain re-run converges", async () => {
    const stack = await h.environment("sigint", "local");
    const apply = h.startApply(stack.dir);
    await h.waitFor(apply, "a third of the resources", (out) => completed(out) >= 5);
    apply.child.kill("SIGINT");
    const interrupted = await apply.exit;
    expect(interrupted.code).not.toBe(0);
    expect(completed(apply.output())).toBeLessThan(RESOURCES);

    const rerun = await h.tf(stack.dir, ["apply", "-auto-approve"]);
    expect(rerun.stdout).toMatch(/Apply complete!/);
    const statePath = join(stack.dir, "..", "..", "..", "state", `${stack.name}.tfstate`);
    await h.expectConverged(stack, stateResources(JSON.parse(readFileSync(statePath, "utf8"))));
  }, 600000);
});
