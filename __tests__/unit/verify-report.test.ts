import { CheckResult, exitCodeOf, toJson, toTable, wantsColour } from "../../src/verify/report";

const pass: CheckResult = { id: "oidc.provider", subject: "arn:aws:iam::2:oidc-provider/x", status: "pass", detail: "exists" };
const fail: CheckResult = { id: "role.trust.sub", subject: "ci/builder", status: "fail", detail: "wrong sub", fix: "re-apply" };
const error: CheckResult = { id: "account.eks", subject: "111111111111", status: "error", detail: "no credentials", fix: "log in" };
const warn: CheckResult = { id: "oidc.thumbprints", subject: "https://x", status: "warn", detail: "not reachable", fix: "later" };

describe("exit codes", () => {
  it("0 when nothing failed or errored (warn and skip do not count)", () => {
    expect(exitCodeOf([pass, warn, { ...warn, status: "skip" }])).toBe(0);
  });
  it("1 when a check failed, even if another could not run", () => {
    expect(exitCodeOf([pass, fail, error])).toBe(1);
  });
  it("2 when a check could not run and none failed", () => {
    expect(exitCodeOf([pass, error])).toBe(2);
  });
});

describe("table", () => {
  it("aligns columns, prints a fix line under every non-pass row, and a summary", () => {
    const lines = toTable("dev", [pass, fail, warn], false).trimEnd().split("\n");
    expect(lines[0]).toBe("verify dev");
    expect(lines[1]).toMatch(/^STATUS {2}CHECK +SUBJECT +DETAIL$/);
    const col = lines[1].indexOf("SUBJECT");
    expect(lines[2].indexOf(pass.subject)).toBe(col);
    expect(lines[3]).toMatch(/^FAIL +role\.trust\.sub +ci\/builder +wrong sub$/);
    expect(lines[4]).toBe("        fix: re-apply");
    expect(lines).not.toContain("        fix: undefined");
    expect(lines[lines.length - 1]).toBe("1 passed, 1 failed, 1 warning(s), 0 skipped, 0 could not run: a check failed (exit 1)");
  });

  it("colours only when asked, and then the status word only", () => {
    expect(toTable("dev", [fail], false)).not.toContain("\u001b[");
    const coloured = toTable("dev", [fail], true);
    expect(coloured).toContain("\u001b[31mFAIL\u001b[0m");
  });

  it("colour follows the TTY and NO_COLOR", () => {
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
  });
});

describe("json", () => {
  it("has the verdict, the exit code, counts and every check", () => {
    const j = JSON.parse(toJson("dev", [pass, error]));
    expect(j).toEqual({
      environment: "dev",
      verdict: "could not run every check",
      exitCode: 2,
      counts: { pass: 1, fail: 0, warn: 0, skip: 0, error: 1 },
      checks: [pass, error],
    });
  });
});
