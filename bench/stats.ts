/**
 * The little statistics the benchmark needs: order statistics of repeated runs, and a least-squares line.
 */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("summarize: no values (did every run fail?)");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** y = intercept + slope * x, with the coefficient of determination r2 (1 = all points on the line). */
export interface LinearFit {
  readonly intercept: number;
  readonly slope: number;
  readonly r2: number;
}

export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length || xs.length < 2) throw new Error("linearFit: needs at least two (x, y) pairs");
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ys[i] - intercept - slope * xs[i]) ** 2;
  return { intercept, slope, r2: syy === 0 ? 1 : 1 - ssRes / syy };
}

/**
 * How the cost of one more unit (environment, service account) changes along a series of at least three
 * points: the per-unit cost over the last step (e.g. 10 -> 100) divided by that over the step before
 * (1 -> 10). About 1 = linear; well above 1 = worse than linear (quadratic growth over 1, 10, 100 gives ~10);
 * below 1 = the fixed start-up cost still dominates the small runs. Unlike a log-log slope of the totals,
 * the start-up cost (node, module loading) cancels out.
 */
export function marginalCostRatio(xs: readonly number[], ys: readonly number[]): number {
  const k = xs.length - 1;
  if (k < 2) throw new Error("marginalCostRatio: needs at least three points");
  const last = (ys[k] - ys[k - 1]) / (xs[k] - xs[k - 1]);
  const before = (ys[k - 1] - ys[k - 2]) / (xs[k - 1] - xs[k - 2]);
  return before > 0 ? last / before : Number.NaN;
}
