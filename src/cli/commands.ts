/**
 * What each CLI command does, apart from argument parsing so tests can call it directly.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type * as AppModule from "../app";
import { environmentJsonSchema } from "../config/json-schema";
import { loadEnvironments } from "../config/load";
import { replaceDirectory } from "../output/atomic-directory";
import { reportProblems } from "./problems";

export interface CommonOptions {
  readonly environments: string;
}

/**
 * cdktf and the provider classes are most of the CLI's start-up (~0.25 s CPU, ~40 MiB): they are loaded only once
 * the input is valid, so `validate`, `schema`, `init` and every rejected file answer fast (docs/benchmarks.md).
 */
const loadApp = (): typeof AppModule => require("../app");

/** Terraform's working files of stacks that still exist, so a re-synth does not force a fresh `init`. */
function keepTerraformWorkingFiles(oldDir: string, newDir: string): void {
  const stacks = join(oldDir, "stacks");
  if (!existsSync(stacks)) return;
  for (const stack of readdirSync(stacks)) {
    if (!existsSync(join(newDir, "stacks", stack))) continue;
    for (const item of [".terraform", ".terraform.lock.hcl"]) {
      const from = join(stacks, stack, item);
      if (existsSync(from)) cpSync(from, join(newDir, "stacks", stack, item), { recursive: true, verbatimSymlinks: true });
    }
  }
}

export function runSynth(opts: CommonOptions & { env?: string[]; out: string }): void {
  const result = loadEnvironments(opts.environments, opts.env);
  if (reportProblems(result.problems)) return;
  replaceDirectory(opts.out, (tmp) => loadApp().synthesizeApp(result.environments, tmp), {
    keep: keepTerraformWorkingFiles,
    isEarlierOutput: (dir) => existsSync(join(dir, "manifest.json")),
    protect: [opts.environments],
  });
  // Local state is addressed relative to the stack folder, so it lives in `state/` beside the output folder.
  const stateDir = join(dirname(opts.out), "state");
  for (const env of result.environments) {
    const state = env.config.backend.type === "local" ? ` (local state: ${join(stateDir, `${env.name}.tfstate`)})` : "";
    process.stdout.write(`synthesized ${env.name} -> ${join(opts.out, "stacks", env.name, "cdk.tf.json")}${state}\n`);
  }
}

export function runValidate(opts: CommonOptions): void {
  const result = loadEnvironments(opts.environments);
  if (reportProblems(result.problems)) return;
  process.stdout.write(`ok: ${result.environments.length} environment(s) valid: ${result.environments.map((e) => e.name).join(", ")}\n`);
}

export function runSchema(opts: CommonOptions & { check?: boolean }): void {
  const file = join(opts.environments, "schema.json");
  const wanted = environmentJsonSchema();
  if (opts.check) {
    const current = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (current !== wanted) {
      process.stderr.write(`error: ${file} is out of date; run: npx eks-ecr-access schema\n`);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(file, wanted);
  process.stdout.write(`wrote ${file}\n`);
}
