/**
 * The day-2 commands `verify` (prove access after deploy) and `diagram` (print the trust chain), apart from
 * argument parsing so tests can call them directly; `init` lives in init.ts.
 */
import { diagramInputOf, renderTrustChainMermaid } from "../diagram/mermaid";
import { EXIT_COULD_NOT_RUN, exitCodeOf, toJson, toTable, wantsColour } from "../verify/report";
import { abandoned } from "../verify/kube";
import { verifyEnvironment } from "../verify/run";
import { smokeTestJobManifests } from "../verify/smoke-test-job";
import type { CommonOptions } from "./commands";
import { loadNamedEnvironment } from "./problems";

/** Loads `<dir>/<name>.json` alone: problems in other environment files must not stop a day-2 command. */

export interface VerifyCliOptions extends CommonOptions {
  readonly env: string;
  readonly json?: boolean;
  readonly webIdentityTokenFile?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
}

export async function runVerify(opts: VerifyCliOptions & { emitJob?: boolean }): Promise<void> {
  const env = loadNamedEnvironment(opts.environments, opts.env, "nothing was checked", EXIT_COULD_NOT_RUN);
  if (!env) return;
  if (opts.emitJob) {
    // The in-cluster half of verify: printed for kubectl apply, no AWS call made.
    process.stdout.write(smokeTestJobManifests(env));
    return;
  }
  const results = await verifyEnvironment(env, {
    webIdentityTokenFile: opts.webIdentityTokenFile,
    kubeconfig: opts.kubeconfig,
    context: opts.context,
  });
  const code = exitCodeOf(results);
  process.exitCode = code;
  const text = opts.json ? toJson(env.name, results) : toTable(env.name, results, wantsColour(process.stdout));
  // A Kubernetes request that timed out still holds its socket: exit once the output is flushed.
  process.stdout.write(text, () => {
    if (abandoned.requests > 0) process.exit(code);
  });
}

export function runDiagram(opts: CommonOptions & { env: string; markdown?: boolean }): void {
  const env = loadNamedEnvironment(opts.environments, opts.env, "nothing was drawn");
  if (!env) return;
  const source = renderTrustChainMermaid(diagramInputOf(env));
  process.stdout.write(opts.markdown ? `\`\`\`mermaid\n${source}\`\`\`\n` : source);
}
