/**
 * How every entry point reports invalid environment files: each problem on its own line, a count, what was
 * (not) done, and exit code 1.
 */
import { Problem, formatProblem } from "../config/load";

/** Prints every problem to stderr and sets exit code 1; true when there were any. */
export function reportProblems(problems: readonly Problem[], consequence = "nothing was written"): boolean {
  if (problems.length === 0) return false;
  for (const p of problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
  process.stderr.write(`${problems.length} problem(s) found; ${consequence}.\n`);
  process.exitCode = 1;
  return true;
}
