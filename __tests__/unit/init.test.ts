import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environmentBody, initProblems } from "../../src/cli/init";
import { PROJECT_ROOT, runCliInProcess as cli } from "../support/project-cli";

const flags = {
  cluster: "platform",
  eksAccount: "111111111111",
  region: "eu-west-1",
  ecrAccount: "222222222222",
  namespace: "ci",
  serviceAccount: "builder",
  repositories: ["team/app,team/base-*", "tools/kaniko"],
  access: "push",
};

describe("environmentBody", () => {
  it("maps eksctl-like flags to the file, ECR region defaulting to the cluster's", () => {
    const body = environmentBody(flags) as any;
    expect(body.$schema).toBe("./schema.json");
    expect(body.eks).toEqual({ accountId: "111111111111", region: "eu-west-1", clusterName: "platform" });
    expect(body.ecr).toEqual({ accountId: "222222222222", region: "eu-west-1", oidcProvider: { thumbprints: "tls" } });
    expect(body.serviceAccounts).toEqual([{ namespace: "ci", name: "builder", repositories: ["team/app", "team/base-*", "tools/kaniko"], access: "push" }]);
    expect(body.kubernetes).toBeUndefined();
  });

  it("takes thumbprint lists, existing providers and the manifest mode", () => {
    const list = environmentBody({ ...flags, thumbprints: "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280, 1111111111111111111111111111111111111111" }) as any;
    expect(list.ecr.oidcProvider.thumbprints).toHaveLength(2);
    const existing = environmentBody({ ...flags, oidcProviderArn: "arn:aws:iam::222222222222:oidc-provider/x", serviceAccounts: "manifest" }) as any;
    expect(existing.ecr.oidcProvider).toEqual({ existingArn: "arn:aws:iam::222222222222:oidc-provider/x" });
    expect(existing.kubernetes).toEqual({ serviceAccounts: "manifest" });
  });
});

describe("initProblems", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "eks-ecr-access-init-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is empty for valid flags and lists schema problems otherwise", () => {
    expect(initProblems(dir, "new", JSON.stringify(environmentBody(flags)))).toEqual([]);
    const bad = initProblems(dir, "new", JSON.stringify(environmentBody({ ...flags, eksAccount: "12", repositories: ["Team/App"] })));
    expect(bad.join("\n")).toMatch(/eks\.accountId: must be a 12-digit AWS account id/);
    expect(bad.join("\n")).toMatch(/serviceAccounts\[0\]\.repositories\[0\]/);
  });

  it("applies the rules across environments against the files already there", () => {
    writeFileSync(join(dir, "old.json"), JSON.stringify({ ...environmentBody(flags), $schema: undefined, serviceAccounts: [{ namespace: "ci", name: "builder", repositories: ["team/app"], roleName: "shared" }] }));
    const clash = initProblems(dir, "new", JSON.stringify(environmentBody({ ...flags, roleName: "shared" })));
    expect(clash.length).toBeGreaterThan(0);
    expect(clash.every((p) => p.startsWith(join(dir, "new.json")))).toBe(true);
  });
});

describe("init command (compiled CLI)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "eks-ecr-access-init-"));
    mkdirSync(join(dir, "environments"));
    copyFileSync(join(PROJECT_ROOT, "environments", "schema.json"), join(dir, "environments", "schema.json"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const args = [
    "init", "qa", "--cluster", "platform-qa", "--eks-account", "111111111111", "--region", "us-east-1", "--ecr-account", "222222222222",
    "--namespace", "ci", "--service-account", "builder", "--repositories", "team/app", "team/base-*", "--access", "push",
    "--issuer-url", "https://oidc.eks.us-east-1.amazonaws.com/id/QA1", "--thumbprints", "none", "--service-accounts", "manifest",
  ];

  it("round-trips: init writes a file that validate accepts and synth turns into a stack", async () => {
    const init = await cli(["--environments", join(dir, "environments"), ...args]);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    const body = JSON.parse(readFileSync(join(dir, "environments", "qa.json"), "utf8"));
    expect(body.eks.clusterName).toBe("platform-qa");

    const validate = await cli(["--environments", join(dir, "environments"), "validate"]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain("qa");

    const synth = await cli(["--environments", join(dir, "environments"), "synth", "--out", join(dir, "out")]);
    expect(synth.code).toBe(0);
    const tf = JSON.parse(readFileSync(join(dir, "out", "stacks", "qa", "cdk.tf.json"), "utf8"));
    const roles = Object.values(tf.resource.aws_iam_role) as { name: string }[];
    expect(roles.map((r) => r.name)).toEqual(["qa-ci-builder"]);
  });

  it("refuses to overwrite, and writes nothing for invalid flags", async () => {
    writeFileSync(join(dir, "environments", "qa.json"), "keep me");
    const again = await cli(["--environments", join(dir, "environments"), ...args]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; init never overwrites/);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(join(dir, "environments", "qa.json"), "utf8")).toBe("keep me");

    const bad = await cli(["--environments", join(dir, "environments"), ...args.map((a) => (a === "222222222222" ? "2222" : a)).map((a) => (a === "qa" ? "qa2" : a))]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ecr\.accountId: must be a 12-digit/);
    expect(bad.stderr).toMatch(/was not written/);
  });
});
