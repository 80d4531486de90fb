/**
 * Test hook for the "nothing lost" guarantee: lets a test make an output step fail at a named point, to
 * prove the previous `cdktf.out/` or `generated/` survives byte for byte (docs/safety.md).
 *
 *   EKS_ECR_ACCESS_INJECT_FAULT=<point>        the step throws (the normal error path runs)
 *   EKS_ECR_ACCESS_INJECT_FAULT=<point>:crash  the process kills itself with SIGKILL (no cleanup at all)
 *
 * Harmless in production: when the variable is unset (always, outside tests) every call is a no-op
 * string comparison; an unknown point name never matches. It only ever makes a run fail, never succeed.
 */

export const FAULT_ENV = "EKS_ECR_ACCESS_INJECT_FAULT";

/** Where a fault can be injected. */
export type FaultPoint =
  /** synth: the stacks' Terraform JSON is written to the temporary folder, the extra files are not yet. */
  | "synth-mid-way"
  /** replaceDirectory: the new content is complete in the temporary folder, the target not yet touched. */
  | "before-swap"
  /** replaceDirectory: the previous target has been moved aside, the new one is not yet in its place. */
  | "between-renames";

export function injectFault(point: FaultPoint): void {
  const wanted = process.env[FAULT_ENV];
  if (!wanted) return;
  const [name, mode] = wanted.split(":");
  if (name !== point) return;
  if (mode === "crash") {
    process.stderr.write(`${FAULT_ENV}: crashing at ${point}\n`);
    process.kill(process.pid, "SIGKILL");
    // The signal may land a moment after kill() returns: block instead of running on into the throw.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10000);
  }
  throw new Error(`injected fault at ${point} (${FAULT_ENV} is set; unset it for normal runs)`);
}
