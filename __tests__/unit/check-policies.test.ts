/**
 * `check-policies` without a reachable account: it must say it could not run (exit 2), never report "ok";
 * and an environment that owns nothing has nothing to check (exit 0, said so). The refusal and acceptance
 * cases against live policies run in the integration tier (__tests__/integration/image-pulls.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/moto";
import { ensureCliBuilt, runCli } from "../support/project-cli";
import { baseEnvironment } from "../support/environments";

const NODE = "arn:aws:iam::111111111111:role/node";

/** Dummy keys and no profile or instance metadata: nothing here may reach a real account. */
const OFFLINE_AWS = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_PROFILE: undefined,
  AWS_SESSION_TOKEN: undefined,
};
const cli = (args: string[]) => runCli(args, { env: OFFLINE_AWS });

describe("check-policies", () => {
  let dir: string;
  beforeAll(() => {
    ensureCliBuilt();
    dir = mkdtempSync(join(tmpdir(), "check-policies-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("an unreachable ECR endpoint is 'could not run' (exit 2), not a pass", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const base = baseEnvironment();
    writeFileSync(join(dir, "owned.json"), JSON.stringify({
      ...base,
      eks: { ...(base.eks as object), nodeRoleArns: [NODE] },
      imagePulls: { repositories: ["team/app"], repositoryPolicies: "owned" },
      awsEndpoints: { sts: closed, ecr: closed },
    }));
    const r = await cli(["--environments", dir, "check-policies", "--env", "owned"]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: "" });
    expect(r.stderr).toMatch(/^error: owned: could not read the ECR account's policies/);
  });

  test("nothing owned: nothing to check, exit 0, and it says so", async () => {
    writeFileSync(join(dir, "plain.json"), JSON.stringify(baseEnvironment()));
    const r = await cli(["--environments", dir, "check-policies", "--env", "plain"]);
    expect(r).toEqual({ code: 0, stdout: "plain: owns no ECR resource policies (imagePulls: nothing \"owned\"); nothing to check\n", stderr: "" });
  });

  test("an invalid environment file: could not run (exit 2), with the problem", async () => {
    writeFileSync(join(dir, "broken.json"), JSON.stringify({ ...baseEnvironment(), imagePulls: { repositoryPolicies: "mine" } }));
    const r = await cli(["--environments", dir, "check-policies", "--env", "broken"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("imagePulls.repositoryPolicies");
  });
});
