/** Unit tests run from TypeScript sources through swc (no type-check, fast); `npm test` builds first with tsc. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  testTimeout: 30000,
  // Jest's default is one worker less than the cores: on the 2-core CI machines that is one worker, running every
  // suite in a row while the second core idles. Two workers: unit tier 38 -> 27 s (docs/benchmarks.md).
  maxWorkers: "100%",
  // The integration tier first, so that no long terraform file is left to run alone at the end.
  testSequencer: "<rootDir>/__tests__/support/sequencer.js",
};
