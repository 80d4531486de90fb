/**
 * Stacks with a `cloud` backend let HCP Terraform give each aliased aws provider its own account's role
 * (tagged dynamic credentials); other stacks are untouched. Validated by real Terraform when available.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TFC_AWS_CREDENTIALS_VARIABLE } from "../../src/stacks/tfc-dynamic-credentials";
import { baseEnvironment, environmentFrom, synthStack } from "../support/environments";
import { evaluateHcl, locatePluginDir, terraform, terraformInit } from "../support/terraform";
import { integrationTier, tierDescribe } from "../support/tiers";

jest.setTimeout(120000);

const cloudBody = baseEnvironment({
  ecr: { accountId: "222222222222", region: "us-east-1", oidcProvider: { thumbprints: "none" } },
  kubernetes: { serviceAccounts: "manifest" },
  backend: { type: "cloud", organization: "example-org", workspace: "eks-ecr-access-test" },
});

describe("HCP Terraform dynamic credentials", () => {
  it("points each aliased provider at its own tag's shared config file when the backend is cloud", () => {
    const { tf } = synthStack(environmentFrom(cloudBody));
    const variable = tf.variable[TFC_AWS_CREDENTIALS_VARIABLE];
    expect(variable.default).toBeNull();
    expect(variable.type).toContain("aliases = map(object({ shared_config_file = string }))");
    const byAlias = Object.fromEntries((tf.provider.aws as any[]).map((p) => [p.alias, p.shared_config_files]));
    expect(byAlias).toEqual({
      eks: '${try([var.tfc_aws_dynamic_credentials.aliases["eks"].shared_config_file], [var.tfc_aws_dynamic_credentials.default.shared_config_file], null)}',
      ecr: '${try([var.tfc_aws_dynamic_credentials.aliases["ecr"].shared_config_file], [var.tfc_aws_dynamic_credentials.default.shared_config_file], null)}',
    });
    expect(tf.terraform.cloud.organization).toBe("example-org");
  });

  it("leaves stacks with other backends as they were", () => {
    const { tf } = synthStack(environmentFrom(baseEnvironment()));
    expect(tf.variable?.[TFC_AWS_CREDENTIALS_VARIABLE]).toBeUndefined();
    for (const p of tf.provider.aws as any[]) expect(p.shared_config_files).toBeUndefined();
  });
});

tierDescribe("terraform tier (cloud stack validate)", integrationTier({ needsMoto: false }))("a cloud-backend stack in Terraform", () => {
  let dir: string;
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it("validates", async () => {
    const plugins = locatePluginDir();
    if ("problem" in plugins) throw new Error(plugins.problem);
    dir = mkdtempSync(join(tmpdir(), "eks-ecr-access-cloud-stack-"));
    writeFileSync(join(dir, "cdk.tf.json"), synthStack(environmentFrom(cloudBody)).json);
    // -backend=false: no HCP Terraform organization is reachable here; the cloud block itself is not contacted.
    await terraformInit(dir, plugins.dir, { backend: false });
    expect((await terraform(dir, ["validate"])).stdout).toContain("The configuration is valid");
  });

  it("selects the tagged file, else the default one, else none", () => {
    const expression = (synthStack(environmentFrom(cloudBody)).tf.provider.aws as any[]).find((p) => p.alias === "ecr").shared_config_files as string;
    const evaluate = (value: string) => {
      const hcl = expression.slice(2, -1).replace(/var\.tfc_aws_dynamic_credentials/g, `(${value})`);
      return evaluateHcl(hcl);
    };
    const file = (p: string) => `{ shared_config_file = "${p}" }`;
    expect(evaluate(`{ default = ${file("/d")}, aliases = { eks = ${file("/e")}, ecr = ${file("/r")} } }`)).toEqual(["/r"]);
    expect(evaluate(`{ default = ${file("/d")}, aliases = {} }`)).toEqual(["/d"]);
    expect(evaluate("null")).toBeNull();
  });
});
