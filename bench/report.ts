/**
 * Turns measurements into the tables, fits and target checks that the benchmark prints and writes to
 * `docs/benchmarks.md`. Tables are Markdown, which also reads well in a terminal.
 */
import type { Measurement } from "./measure";
import { LinearFit, Summary, linearFit, marginalCostRatio, summarize } from "./stats";

/** All runs of one command. */
export interface Series {
  readonly label: string;
  readonly command: string;
  readonly runs: Measurement[];
}

/** Runs of one generated environment set. */
export interface ScalePoint {
  readonly environments: number;
  readonly serviceAccounts: number;
  readonly runs: Measurement[];
}

export interface Target {
  readonly what: string;
  readonly goal: string;
  readonly measured: string;
  /** undefined: could not be checked in this run (the reason is in `measured`). */
  readonly met?: boolean;
}

export const MiB = 1024;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (kib: number) => `${(kib / MiB).toFixed(0)} MiB`;

export const wall = (runs: readonly Measurement[]): Summary => summarize(runs.map((r) => r.wallMs));
/** The memory figure used for ratios and targets: the whole tree if sampled, else the largest process. */
export function memory(runs: readonly Measurement[]): Summary | undefined {
  const values = runs.map((r) => r.treeRssKiB ?? r.maxRssKiB).filter((v): v is number => v !== undefined);
  return values.length > 0 ? summarize(values) : undefined;
}
function kernelMemory(runs: readonly Measurement[]): Summary | undefined {
  const values = runs.map((r) => r.maxRssKiB).filter((v): v is number => v !== undefined);
  return values.length > 0 ? summarize(values) : undefined;
}

const range = (s: Summary | undefined, f: (v: number) => string) => (s ? `${f(s.median)} (${f(s.min)} – ${f(s.max)})` : "n/a");

export function comparisonTable(series: readonly Series[]): string {
  const rows = series.map((s) => {
    const w = wall(s.runs);
    return `| ${s.label} | \`${s.command}\` | ${w.n} | ${range(w, seconds)} | ${range(memory(s.runs), mib)} | ${range(kernelMemory(s.runs), mib)} |`;
  });
  return [
    "| path | command | runs | wall: median (min – max) | peak RSS, process tree | peak RSS, largest process |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

export function ratioLines(fast: Series, others: readonly Series[]): string[] {
  const fw = wall(fast.runs).median;
  const fm = memory(fast.runs)?.median;
  return others.map((o) => {
    const om = memory(o.runs)?.median;
    const mem = fm && om ? `${(om / fm).toFixed(1)}x less peak memory` : "memory n/a";
    return `- ${fast.label} vs ${o.label}: ${(wall(o.runs).median / fw).toFixed(1)}x faster (median wall), ${mem} (median process-tree RSS)`;
  });
}

export function scalingTable(points: readonly ScalePoint[]): string {
  const rows = points.map((p) => {
    const w = wall(p.runs);
    const roles = p.environments * p.serviceAccounts;
    return `| ${p.environments} | ${p.serviceAccounts} | ${roles} | ${w.n} | ${range(w, seconds)} | ${range(memory(p.runs), mib)} | ${(w.median / roles).toFixed(2)} ms |`;
  });
  return [
    "| environments | service accounts each | roles | runs | wall: median (min – max) | peak RSS: median (min – max) | wall per role |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

export interface GrowthRow {
  readonly along: "environments" | "service accounts";
  readonly fixed: string;
  /** The count held fixed along the row (service accounts per environment, or environments). */
  readonly fixedCount: number;
  readonly time: LinearFit & { marginal: number };
  readonly mem?: LinearFit & { marginal: number };
}

/** One fit per row/column of the grid: time and memory against environments (per service-account count) and vice versa. */
export function growth(points: readonly ScalePoint[]): GrowthRow[] {
  const envCounts = [...new Set(points.map((p) => p.environments))].sort((a, b) => a - b);
  const saCounts = [...new Set(points.map((p) => p.serviceAccounts))].sort((a, b) => a - b);
  const rows: GrowthRow[] = [];
  const fit = (along: GrowthRow["along"], fixedCount: number, fixed: string, series: ScalePoint[], x: (p: ScalePoint) => number) => {
    if (series.length < 3) return;
    const xs = series.map(x);
    const ts = series.map((p) => wall(p.runs).median);
    const ms = series.map((p) => memory(p.runs)?.median);
    const time = { ...linearFit(xs, ts), marginal: marginalCostRatio(xs, ts) };
    const known = ms.every((m): m is number => m !== undefined);
    const mem = known ? { ...linearFit(xs, ms as number[]), marginal: marginalCostRatio(xs, ms as number[]) } : undefined;
    rows.push({ along, fixed, fixedCount, time, mem });
  };
  for (const s of saCounts) fit("environments", s, `${s} service account(s) each`, points.filter((p) => p.serviceAccounts === s), (p) => p.environments);
  for (const e of envCounts) fit("service accounts", e, `${e} environment(s)`, points.filter((p) => p.environments === e), (p) => p.serviceAccounts);
  return rows;
}

const ratio = (r: number) => (Number.isNaN(r) ? "n/a (noise)" : r.toFixed(2));

export function growthTable(rows: readonly GrowthRow[]): string {
  const lines = rows.map((r) => {
    const t = `${seconds(r.time.intercept)} + ${r.time.slope.toFixed(1)} ms × n (r² ${r.time.r2.toFixed(3)})`;
    const m = r.mem ? `${mib(r.mem.intercept)} + ${(r.mem.slope / MiB).toFixed(2)} MiB × n (r² ${r.mem.r2.toFixed(3)})` : "n/a";
    return `| ${r.along} | ${r.fixed} | ${t} | ${ratio(r.time.marginal)} | ${m} | ${r.mem ? ratio(r.mem.marginal) : "n/a"} |`;
  });
  return [
    "| n = number of | with | wall time fit | marginal cost ratio (time) | peak RSS fit | marginal cost ratio (memory) |",
    "|---|---|---|---|---|---|",
    ...lines,
  ].join("\n");
}

/** Linear means no step costs much more per unit than the step before it; 1.5 leaves room for run-to-run noise. */
export const LINEAR_LIMIT = 1.5;

export function targetTable(targets: readonly Target[]): string {
  const mark = (t: Target) => (t.met === undefined ? "not checked" : t.met ? "met" : "**MISSED**");
  return ["| target | goal | measured | result |", "|---|---|---|---|", ...targets.map((t) => `| ${t.what} | ${t.goal} | ${t.measured} | ${mark(t)} |`)].join("\n");
}

export { seconds, mib };
