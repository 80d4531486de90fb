/**
 * Fault scenario (docs/safety.md, "Interrupted and concurrent runs"), real terraform against the emulator:
 * apply interrupted with SIGINT part-way (Ctrl-C, a cancelled CI job): terraform stops cleanly, and a re-run
 * converges. A graceful stop cancels the calls in flight; one that IAM had already carried out leaves an orphan
 * (seen here once, in a whole-suite run under load; not in 6 runs of this file alone), which the re-run names (EntityAlreadyExists) and the documented import
 * block recovers. Only what was in flight at the interrupt may ever be such an orphan.
 * The harness (and what "converges" means) is in __tests__/support/fault-harness.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RESOURCES, completed, inFlightResources, stateResources, useFaultHarness } from "../support/fault-harness";
import { integrationTargetStatus } from "../support/it-target";
import { INTEGRATION_TIER, tierDescribe } from "../support/tiers";

tierDescribe(INTEGRATION_TIER, integrationTargetStatus())("fault scenario: interrupted terraform apply", () => {
  const h = useFaultHarness();

  it("SIGINT part-way (Ctrl-C, a cancelled CI job): terraform stops cleanly; a re-run converges, importing at most what was in flight", async () => {
    const stack = await h.environment("sigint", "local");
    const apply = h.startApply(stack.dir);
    await h.waitFor(apply, "a third of the resources", (out) => completed(out) >= 5);
    apply.child.kill("SIGINT");
    const interrupted = await apply.exit;
    expect(interrupted.code).not.toBe(0);
    expect(completed(apply.output())).toBeLessThan(RESOURCES);

    const inFlight = inFlightResources(apply.output());
    const imported = await h.applyImportingOrphans(stack);
    expect(imported.filter((a) => !inFlight.includes(a))).toEqual([]);
    process.stderr.write(`fault scenario SIGINT: in flight at the interrupt: ${inFlight.join(", ") || "nothing"}; imported as orphans: ${imported.join(", ") || "nothing"}\n`);
    const statePath = join(stack.dir, "..", "..", "..", "state", `${stack.name}.tfstate`);
    await h.expectConverged(stack, stateResources(JSON.parse(readFileSync(statePath, "utf8"))));
  }, 600000);
});
