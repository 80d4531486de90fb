/**
 * How every entry point reports invalid environment files: each problem on its own line, a count, what was
 * (not) done, and a non-zero exit code.
 */
import { join } from "node:path";
import type { Environment } from "../config/environment";
import { Problem, formatProblem, loadEnvironmentFile } from "../config/load";

/** Prints every problem to stderr and sets the exit code (default 1); true when there were any. */
export function reportProblems(problems: readonly Problem[], consequence = "nothing was written", exitCode = 1): boolean {
  if (problems.length === 0) return false;
  for (const p of problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
  process.stderr.write(`${problems.length} problem(s) found; ${consequence}.\n`);
  process.exitCode = exitCode;
  return true;
}

/**
 * Loads `<dir>/<name>.json` alone, for commands about one environment. On problems they are reported and
 * `undefined` returned; `exitCode` lets verify-style commands keep "2 = could not run" for bad input.
 */
export function loadNamedEnvironment(dir: string, name: string, consequence: string, exitCode = 1): Environment | undefined {
  const result = loadEnvironmentFile(join(dir, `${name}.json`));
  reportProblems(result.problems, consequence, exitCode);
  return result.environment;
}
