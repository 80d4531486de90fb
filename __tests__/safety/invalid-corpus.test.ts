/**
 * The bad-input corpus (`__tests__/fixtures/invalid/`), run through the CLI one file at a time (its `main`, in
 * this process: ~80 processes would cost ~12 s of CPU; the whole corpus and a valid file also go through a real
 * process, so the binary's exit codes are covered too): every broken file must fail with exit code 1, name the file, the field path and what is allowed, report
 * ALL of its problems in the same run, and write nothing (no output folder, or the previous one untouched).
 *
 * `expectations.json` maps each file to the problems it must produce: `path` (the field path, "" for the
 * file as a whole) and `says` (fragments the message must contain). The number of `error:` lines must equal
 * the number of expectations, so a file that stops at its first problem fails the test.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, runCliInProcess } from "../support/project-cli";
import { baseEnvironment } from "../support/environments";
import { treeDigest } from "../support/tree-digest";

interface Expectation {
  readonly path: string;
  readonly says: readonly string[];
}

const CORPUS = join(__dirname, "..", "fixtures", "invalid");
const EXPECTATIONS: Record<string, Expectation[]> = JSON.parse(readFileSync(join(CORPUS, "expectations.json"), "utf8"));
const FILES = readdirSync(CORPUS)
  .filter((f) => f.endsWith(".json") && f !== "expectations.json")
  .sort();

const work = mkdtempSync(join(tmpdir(), "eks-ecr-access-corpus-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A previous synth result that a failed run must leave exactly as it is. */
function writePreviousOutput(out: string): void {
  mkdirSync(join(out, "stacks", "previous"), { recursive: true });
  writeFileSync(join(out, "manifest.json"), '{"version":"previous"}\n');
  writeFileSync(join(out, "stacks", "previous", "cdk.tf.json"), '{"resource":{}}\n');
}

/** The `error:` lines of a run that belong to `file`, with the `error: <file>: ` prefix removed. */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("error: "));
}

function matches(line: string, file: string, e: Expectation): boolean {
  const prefix = `error: ${file}: ${e.path ? `${e.path}: ` : ""}`;
  if (!line.startsWith(prefix)) return false;
  // A whole-file problem must not be mistaken for a field problem (e.g. "eks: unknown field" vs "").
  return e.says.every((s) => line.slice(prefix.length).includes(s));
}

test("the corpus holds at least 40 broken files, each with expectations", () => {
  expect(FILES.length).toBeGreaterThanOrEqual(40);
  expect(Object.keys(EXPECTATIONS).sort()).toEqual(FILES);
  const multi = FILES.filter((f) => EXPECTATIONS[f].length >= 3);
  expect(multi.length).toBeGreaterThanOrEqual(3);
});

test("the harness itself accepts a valid file (so a rejection below means something)", async () => {
  const dir = join(work, "valid");
  mkdirSync(join(dir, "envs"), { recursive: true });
  writeFileSync(join(dir, "envs", "ok.json"), JSON.stringify(baseEnvironment({ kubernetes: { serviceAccounts: "manifest" } })));
  const run = await runCli(["--environments", join(dir, "envs"), "synth", "--out", join(dir, "out")]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(readdirSync(join(dir, "out", "stacks"))).toEqual(["ok"]);
});

test.each(FILES.map((file, i) => [file, i] as const))(
  "%s is rejected with every problem, its path and what is allowed; nothing is written",
  async (file, index) => {
    const dir = join(work, `case-${index}`);
    const envs = join(dir, "envs");
    const out = join(dir, "out");
    mkdirSync(envs, { recursive: true });
    copyFileSync(join(CORPUS, file), join(envs, file));
    // Half the cases start without an output folder, half with a previous result to keep.
    const hadOutput = index % 2 === 1;
    if (hadOutput) writePreviousOutput(out);
    const before = hadOutput ? treeDigest(out) : undefined;

    const run = await runCliInProcess(["--environments", envs, "synth", "--out", out]);

    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain("synthesized");
    const lines = errorLines(run.stderr);
    const expected = EXPECTATIONS[file];
    const unmatched = [...lines];
    for (const e of expected) {
      const at = unmatched.findIndex((l) => matches(l, join(envs, file), e));
      if (at < 0) throw new Error(`${file}: no error line for ${JSON.stringify(e)}\nstderr:\n${run.stderr}`);
      unmatched.splice(at, 1);
    }
    // Every problem reported at once, and nothing unexpected besides.
    expect(unmatched).toEqual([]);
    expect(run.stderr).toContain(`${expected.length} problem(s) found; nothing was written.`);

    if (hadOutput) expect(treeDigest(out)).toEqual(before);
    // No output folder appears, and no temporary sibling is left behind.
    expect(readdirSync(dir).sort()).toEqual(hadOutput ? ["envs", "out"] : ["envs"]);
  },
);

test("the whole corpus in one folder: every file's problems in one run", async () => {
  const envs = join(work, "all");
  mkdirSync(envs, { recursive: true });
  for (const f of FILES) copyFileSync(join(CORPUS, f), join(envs, f));
  const run = await runCli(["--environments", envs, "validate"]);
  expect(run.code).toBe(1);
  const total = FILES.reduce((n, f) => n + EXPECTATIONS[f].length, 0);
  expect(errorLines(run.stderr)).toHaveLength(total);
  for (const f of FILES) expect(run.stderr).toContain(`error: ${join(envs, f)}: `);
});
