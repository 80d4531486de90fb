/**
 * The benchmark's statistics decide whether the growth targets are met, so they are tested like code.
 */
import { linearFit, marginalCostRatio, summarize } from "../../bench/stats";

describe("summarize", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
  });

  it("refuses an empty series instead of reporting NaN", () => {
    expect(() => summarize([])).toThrow(/no values/);
  });
});

describe("linearFit", () => {
  it("recovers an exact line with r2 = 1", () => {
    const xs = [1, 10, 100];
    const fit = linearFit(xs, xs.map((x) => 300 + 18 * x));
    expect(fit.intercept).toBeCloseTo(300, 6);
    expect(fit.slope).toBeCloseTo(18, 6);
    expect(fit.r2).toBeCloseTo(1, 9);
  });

  it("gives r2 below 1 for points off the line", () => {
    expect(linearFit([1, 2, 3, 4], [1, 3, 2, 4]).r2).toBeLessThan(0.9);
  });
});

describe("marginalCostRatio", () => {
  it("is 1 for linear growth whatever the start-up cost", () => {
    expect(marginalCostRatio([1, 10, 100], [250, 250 + 9 * 7, 250 + 99 * 7])).toBeCloseTo(1, 9);
  });

  it("flags quadratic growth (about 10 over 1, 10, 100)", () => {
    const xs = [1, 10, 100];
    expect(marginalCostRatio(xs, xs.map((x) => 250 + x * x))).toBeCloseTo(10, 6);
  });

  it("is NaN when the first step shows no increase (noise), so it is not mistaken for a verdict", () => {
    expect(marginalCostRatio([1, 10, 100], [80, 79, 120])).toBeNaN();
  });
});
