/**
 * `npm run bench`: how fast and how lean synthesis is, compared with the cdktf defaults, and how it scales.
 * A script, not a test: figures depend on the machine and its load, so they are reported, not asserted.
 * Flags: --quick (fewer repetitions), --reps N, --scale-reps N, --with-tests (also time the jest tiers once),
 * --no-write (print only; do not rewrite docs/benchmarks.md). See docs/benchmarks.md for what each figure means.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeEnvironmentSet } from "./environment-sets";
import { Measurement, RunOptions, measure } from "./measure";
import { machineFacts, writeReport } from "./document";
import { LINEAR_LIMIT, MiB, ScalePoint, Series, Target, growth, memory, mib, seconds, wall } from "./report";
import { prepareTemplateCopy } from "./template-copy";

const ROOT = resolve(__dirname, "..", "..");
const CLI = "dist/src/cli/index.js";
const ENV_COUNTS = [1, 10, 100];
const SA_COUNTS = [1, 10, 50];
/** cdktf-cli otherwise calls HashiCorp's checkpoint service at start-up; without network that stalls or fails. */
const CDKTF_ENV = { CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0" };

interface Options {
  reps: number;
  scaleReps: number;
  withTests: boolean;
  write: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const quick = argv.includes("--quick");
  const opts: Options = { reps: quick ? 3 : 7, scaleReps: quick ? 1 : 3, withTests: argv.includes("--with-tests"), write: !argv.includes("--no-write") };
  const num = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a whole number >= 1, e.g. ${flag} 5`);
    return n;
  };
  opts.reps = num("--reps") ?? opts.reps;
  opts.scaleReps = num("--scale-reps") ?? opts.scaleReps;
  const known = new Set(["--quick", "--with-tests", "--no-write", "--reps", "--scale-reps"]);
  argv.forEach((a, i) => {
    if (a.startsWith("--") && !known.has(a)) throw new Error(`unknown flag ${a}; known: ${[...known].join(" ")}`);
    if (!a.startsWith("--") && !["--reps", "--scale-reps"].includes(argv[i - 1])) throw new Error(`unexpected argument "${a}"`);
  });
  return opts;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The Terraform JSON of every stack in a synth output folder, for checking that all paths produced the same thing. */
function stacksOf(outdir: string): Record<string, string> {
  const stacks = join(outdir, "stacks");
  return Object.fromEntries(readdirSync(stacks).sort().map((s) => [s, readFileSync(join(stacks, s, "cdk.tf.json"), "utf8")]));
}

interface Case extends Series {
  readonly file: string;
  readonly args: string[];
  readonly options: RunOptions;
  readonly outdir: string;
}

async function compare(work: string, opts: Options): Promise<{ series: Series[]; skipped: string[] }> {
  const skipped: string[] = [];
  const cases: Case[] = [];
  const add = (label: string, command: string, file: string, args: string[], cwd: string, outdir: string, env?: Record<string, string>) =>
    cases.push({ label, command, file, args: [...args, outdir], options: { cwd, env }, outdir, runs: [] });
  add("(a) eks-ecr-access synth", `node ${CLI} synth --out <tmp>`, "node", [CLI, "synth", "--out"], ROOT, join(work, "out-a"));
  log("preparing the cdktf-template copy (ts-node app) ...");
  const template = prepareTemplateCopy(ROOT, join(work, "template"));
  if ("skipped" in template) {
    skipped.push(`(b1) cdktf template path: ${template.skipped}`);
    log(`SKIPPED: (b1) cdktf synth with an \`npx ts-node main.ts\` app: ${template.skipped}`);
  } else {
    add("(b1) cdktf synth, template app `npx ts-node main.ts`", "npx cdktf synth --output <tmp>", "npx", ["cdktf", "synth", "--output"], template.dir, join(work, "out-b1"), CDKTF_ENV);
  }
  add("(b2) cdktf synth, this project's cdktf.json (`node dist/main.js`)", "npx cdktf synth --output <tmp>", "npx", ["cdktf", "synth", "--output"], ROOT, join(work, "out-b2"), CDKTF_ENV);

  log("warm-up run of each path (not counted; fills the file cache) ...");
  for (const c of cases) await measure(c.file, c.args, c.options);
  const expected = stacksOf(cases[0].outdir);
  for (const c of cases.slice(1)) {
    if (JSON.stringify(stacksOf(c.outdir)) !== JSON.stringify(expected)) throw new Error(`${c.label} produced different Terraform JSON than ${cases[0].label}; the comparison would be unfair`);
  }
  log(`all paths produce identical Terraform JSON for: ${Object.keys(expected).join(", ")}`);
  // Alternating (a, b1, b2, a, b1, b2, ...) spreads any change in machine load evenly over the paths.
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const c of cases) {
      const m = await measure(c.file, c.args, c.options);
      c.runs.push(m);
      log(`  rep ${rep}/${opts.reps} ${c.label}: ${seconds(m.wallMs)}, ${m.treeRssKiB ? mib(m.treeRssKiB) : "n/a"}`);
    }
  }
  return { series: cases, skipped };
}

async function scale(work: string, opts: Options): Promise<ScalePoint[]> {
  const points: (ScalePoint & { dir: string })[] = [];
  for (const e of ENV_COUNTS) {
    for (const s of SA_COUNTS) points.push({ environments: e, serviceAccounts: s, runs: [], dir: writeEnvironmentSet(join(work, `set-${e}x${s}`), e, s) });
  }
  // Repetition outermost, so a burst of load from elsewhere hits one repetition of every size, not every repetition of one.
  for (let rep = 1; rep <= opts.scaleReps; rep++) {
    for (const p of points) {
      const m: Measurement = await measure("node", [CLI, "-d", p.dir, "synth", "--out", join(work, "out-scale")], { cwd: ROOT });
      p.runs.push(m);
      log(`  rep ${rep}/${opts.scaleReps} ${p.environments} env x ${p.serviceAccounts} sa: ${seconds(m.wallMs)}, ${m.treeRssKiB ? mib(m.treeRssKiB) : "n/a"}`);
    }
  }
  return points;
}

/** Times the jest tiers once each (the unit tier is everything but `integration`). */
function timeTests(): { unitMs?: number; suiteMs?: number; notes: string[] } {
  const run = (args: string[]) => {
    const started = process.hrtime.bigint();
    const r = spawnSync("npx", ["jest", ...args], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const lines = (r.stderr || "").split("\n");
    const summary = lines.filter((l) => /^(Tests|Test Suites):/.test(l)).map((l) => l.replace(/\s+/g, " ")).join("; ");
    // A failed tier names its failures: a time from a failing run must not pass without a look at why.
    if (r.status !== 0) for (const l of lines.filter((l) => /^\s*(FAIL|●) /.test(l))) log(`  ${l.trim()}`);
    return { ms, ok: r.status === 0, summary };
  };
  log("timing the unit tier: npx jest --testPathIgnorePatterns integration ...");
  const unit = run(["--testPathIgnorePatterns", "integration"]);
  log("timing the whole suite: npx jest ...");
  const suite = run([]);
  const notes = [
    `unit tier: ${seconds(unit.ms)} (${unit.ok ? "passed" : "FAILED"}; ${unit.summary})`,
    `whole suite: ${seconds(suite.ms)} (${suite.ok ? "passed" : "FAILED"}; ${suite.summary})`,
  ];
  return { unitMs: unit.ms, suiteMs: suite.ms, notes };
}

function targets(series: readonly Series[], points: readonly ScalePoint[], tests?: { unitMs?: number; suiteMs?: number }): Target[] {
  const out: Target[] = [];
  const [a, ...others] = series;
  const aw = wall(a.runs).median;
  const am = memory(a.runs)?.median;
  const tsNode = others.find((s) => s.label.startsWith("(b1)"));
  if (tsNode) {
    const speed = wall(tsNode.runs).median / aw;
    out.push({ what: "(a) vs ts-node template: speed", goal: ">= 10x faster", measured: `${speed.toFixed(1)}x`, met: speed >= 10 });
    const tm = memory(tsNode.runs)?.median;
    const less = am && tm ? tm / am : undefined;
    out.push({ what: "(a) vs ts-node template: memory", goal: ">= 4x less peak RSS", measured: less ? `${less.toFixed(1)}x` : "n/a", met: less ? less >= 4 : undefined });
  } else {
    out.push({ what: "(a) vs ts-node template", goal: ">= 10x faster, >= 4x less memory", measured: "template path skipped" });
  }
  out.push({ what: "3 example environments: wall", goal: "< 0.5 s", measured: seconds(aw), met: aw < 500 });
  out.push({ what: "3 example environments: memory", goal: "< 120 MiB", measured: am ? mib(am) : "n/a", met: am ? am < 120 * MiB : undefined });
  const big = points.find((p) => p.environments === 100 && p.serviceAccounts === 10);
  if (big) {
    const bw = wall(big.runs).median;
    const bm = memory(big.runs)?.median;
    out.push({ what: "100 environments x 10 service accounts: wall", goal: "< 5 s", measured: seconds(bw), met: bw < 5000 });
    out.push({ what: "100 environments x 10 service accounts: memory", goal: "< 400 MiB", measured: bm ? mib(bm) : "n/a", met: bm ? bm < 400 * MiB : undefined });
  }
  // Judged on the row with the most work along each axis: in the small rows the added work is within run-to-run noise.
  const all = growth(points);
  const rows = (["environments", "service accounts"] as const).flatMap((along) => {
    const candidates = all.filter((r) => r.along === along);
    const most = Math.max(...candidates.map((r) => r.fixedCount));
    return candidates.filter((r) => r.fixedCount === most);
  });
  const where = rows.map((r) => `${r.along} at ${r.fixed}`).join("; ");
  for (const [what, pick] of [
    ["time grows linearly", (r: (typeof rows)[number]) => r.time.marginal],
    ["memory grows linearly", (r: (typeof rows)[number]) => r.mem?.marginal],
  ] as const) {
    const values = rows.map(pick).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    const goal = `marginal cost ratio <= ${LINEAR_LIMIT}`;
    if (values.length === 0) {
      out.push({ what, goal, measured: `n/a: no increase above noise (${where})` });
      continue;
    }
    const worst = Math.max(...values);
    out.push({ what, goal, measured: `worst ${worst.toFixed(2)} (${where})`, met: worst <= LINEAR_LIMIT });
  }
  if (tests?.unitMs !== undefined) out.push({ what: "unit tier (jest without integration)", goal: "< 20 s", measured: seconds(tests.unitMs), met: tests.unitMs < 20_000 });
  if (tests?.suiteMs !== undefined) out.push({ what: "whole jest suite", goal: "< 4 min", measured: seconds(tests.suiteMs), met: tests.suiteMs < 240_000 });
  return out;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, CLI)) || !existsSync(join(ROOT, "dist", "main.js"))) {
    throw new Error("dist/ is missing: build first with `npx tsc -p .` (npm run bench does this)");
  }
  const before = machineFacts();
  const work = mkdtempSync(join(tmpdir(), "eks-ecr-access-bench-"));
  try {
    log(`machine: ${before.cores} cores, node ${before.node}, load average ${before.load}`);
    const { series, skipped } = await compare(work, opts);
    log("scaling runs ...");
    const points = await scale(work, opts);
    const tests = opts.withTests ? timeTests() : undefined;
    const after = machineFacts();
    const text = writeReport({ root: ROOT, write: opts.write, argv: process.argv.slice(2), before, after, opts, series, points, skipped, tests, targets: targets(series, points, tests) });
    log("");
    log(text);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
