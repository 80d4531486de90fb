/**
 * The verdict of a verify run: one line per check, as a table for people (colours only when the stream
 * is a terminal and NO_COLOR is unset) or as JSON for machines, and the exit code.
 */

/** `warn` and `skip` do not fail a run; `error` means the check could not run (exit 2 unless something failed). */
export type CheckStatus = "pass" | "fail" | "warn" | "skip" | "error";

export interface CheckResult {
  /** Stable check id, e.g. `role.trust.sub`. */
  readonly id: string;
  /** What was checked: an account, `namespace/name`, a repository... */
  readonly subject: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do about it; set on every non-passing result. */
  readonly fix?: string;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_COULD_NOT_RUN = 2;

/** 1 when any check failed (a definite finding beats not knowing), else 2 when any could not run, else 0. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  if (results.some((r) => r.status === "fail")) return EXIT_FAILED;
  if (results.some((r) => r.status === "error")) return EXIT_COULD_NOT_RUN;
  return EXIT_OK;
}

const VERDICT = ["all checks passed", "a check failed", "could not run every check"];

export function toJson(environment: string, results: readonly CheckResult[]): string {
  const exitCode = exitCodeOf(results);
  const counts = Object.fromEntries((["pass", "fail", "warn", "skip", "error"] as const).map((s) => [s, results.filter((r) => r.status === s).length]));
  return `${JSON.stringify({ environment, verdict: VERDICT[exitCode], exitCode, counts, checks: results }, null, 2)}\n`;
}

const COLOURS: Record<CheckStatus, string> = { pass: "32", fail: "31", warn: "33", skip: "90", error: "35" };

/**
 * A table of STATUS, CHECK, SUBJECT, DETAIL; every non-passing row is followed by an indented `fix:`
 * line. Long details wrap only at the terminal's will: a table row is one line so `grep` keeps working.
 */
export function toTable(environment: string, results: readonly CheckResult[], colour: boolean): string {
  const paint = (status: CheckStatus, text: string) => (colour ? `\u001b[${COLOURS[status]}m${text}\u001b[0m` : text);
  const head = ["STATUS", "CHECK", "SUBJECT", "DETAIL"];
  const width = (i: number, cells: string[][]) => Math.max(...cells.map((c) => c[i].length));
  const rows = results.map((r) => [r.status.toUpperCase(), r.id, r.subject, r.detail]);
  const widths = [0, 1, 2].map((i) => width(i, [head, ...rows]));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ").trimEnd();
  const out = [`verify ${environment}`, line(head)];
  results.forEach((r, i) => {
    const cells = rows[i];
    const text = line(cells);
    out.push(paint(r.status, cells[0]) + text.slice(cells[0].length));
    if (r.status !== "pass" && r.fix) out.push(`${" ".repeat(widths[0] + 2)}fix: ${r.fix}`);
  });
  const code = exitCodeOf(results);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  out.push(
    `${count("pass")} passed, ${count("fail")} failed, ${count("warn")} warning(s), ${count("skip")} skipped, ${count("error")} could not run: ${VERDICT[code]} (exit ${code})`,
  );
  return `${out.join("\n")}\n`;
}

/** Colours only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}
