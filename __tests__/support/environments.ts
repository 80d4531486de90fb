/**
 * Test helpers: build environment objects and synthesize them in memory, the way the CLI does.
 */
import { Testing } from "cdktf";
import { Environment } from "../../src/config/environment";
import { loadEnvironmentFile, formatProblem } from "../../src/config/load";
import { EnvironmentStack } from "../../src/stacks/environment-stack";

/** A minimal valid environment file body; override any part. */
export function baseEnvironment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eks: { accountId: "111111111111", region: "us-east-1", clusterName: "platform", issuerUrl: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123" },
    ecr: { accountId: "222222222222", region: "us-east-1" },
    serviceAccounts: [{ namespace: "ci", name: "image-builder", repositories: ["team/app"] }],
    ...overrides,
  };
}

/** Validates and resolves a file body as `environments/<name>.json`; throws with every problem otherwise. */
export function environmentFrom(body: unknown, name = "test"): Environment {
  const result = loadEnvironmentFile(`environments/${name}.json`, JSON.stringify(body));
  if (!result.environment) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.environment;
}

/** Problems (formatted) for a file body. */
export function problemsOf(body: unknown, name = "test"): string[] {
  return loadEnvironmentFile(`environments/${name}.json`, typeof body === "string" ? body : JSON.stringify(body)).problems.map(formatProblem);
}

/** The synthesized Terraform JSON of one environment's stack, parsed. */
export function synthStack(env: Environment): { json: string; tf: any } {
  const app = Testing.app({ stackTraces: false });
  const stack = new EnvironmentStack(app, env);
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) };
}
