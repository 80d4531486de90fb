/**
 * Environments -> a cdktf App with one stack each -> Terraform JSON on disk.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import type { Environment } from "./config/environment";
import { injectFault } from "./output/fault-injection";
import { EnvironmentStack } from "./stacks/environment-stack";
import { imagePullFiles } from "./stacks/image-pulls";

export const MANIFEST_FILE = "service-accounts.yaml";

export function buildApp(environments: readonly Environment[], outdir?: string): { app: App; stacks: EnvironmentStack[] } {
  // stackTraces off: construct metadata would otherwise carry file paths of this machine.
  const app = new App({ outdir, stackTraces: false, skipValidation: false });
  const stacks = environments.map((env) => new EnvironmentStack(app, env));
  return { app, stacks };
}

/** Synthesizes every environment into `outdir` (as `cdktf synth` lays it out) plus each manifest-mode YAML file. */
export function synthesizeApp(environments: readonly Environment[], outdir?: string): string {
  const { app, stacks } = buildApp(environments, outdir);
  app.synth();
  injectFault("synth-mid-way");
  for (const stack of stacks) {
    if (stack.manifest) writeFileSync(join(app.outdir, "stacks", stack.env.name, MANIFEST_FILE), stack.manifest);
    // Node-side files of image pulls (kubelet config, RBAC, hand-off statements): docs/image-pulls.md.
    for (const [file, text] of Object.entries(imagePullFiles(stack.env))) writeFileSync(join(app.outdir, "stacks", stack.env.name, file), text);
  }
  return app.outdir;
}
