/**
 * The generated child modules, read as Terraform JSON: what makes them reusable (no providers, no backend,
 * no cdktf metadata, declared provider configurations), least privilege, and stable names.
 */
import { Testing } from "cdktf";
import { AUTH_TOKEN_ACTION, PULL_ACTIONS, PUSH_ACTIONS, ecrActions } from "../../src/constructs/ecr-policy";
import { STS_AUDIENCE } from "../../src/constructs/issuer-oidc-provider";
import { ROLE_ARN_ANNOTATION } from "../../src/constructs/service-account-manifest";
import { moduleJson } from "../../src/module/child-module";
import { toRe2 } from "../../src/module/hcl";
import { FullModuleStack } from "../../src/stacks/full-module-stack";
import { IamModuleStack } from "../../src/stacks/iam-module-stack";

function synth(kind: "iam" | "full"): { json: string; tf: any } {
  const app = Testing.app({ stackTraces: false });
  const json = moduleJson(kind === "iam" ? new IamModuleStack(app) : new FullModuleStack(app));
  return { json, tf: JSON.parse(json) };
}

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown, acc: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, acc));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) acc.push(k, ...keysOf(v));
  return acc;
}

describe.each(["iam", "full"] as const)("%s module", (kind) => {
  const { json, tf } = synth(kind);

  it("is a child module: no provider configuration, no backend, no cdktf metadata", () => {
    expect(tf.provider).toBeUndefined();
    expect(tf.terraform.backend).toBeUndefined();
    expect(tf.terraform.cloud).toBeUndefined();
    expect(keysOf(tf)).not.toContain("//");
    expect(tf.terraform.required_version).toMatch(/^>= 1\.\d+$/);
  });

  it("holds no path of this machine and synthesizes the same bytes twice", () => {
    expect(json).not.toContain(process.cwd());
    expect(json).not.toMatch(/"\/(home|root|tmp|work|Users)\//);
    expect(synth(kind).json).toBe(json);
  });

  it("names every variable and output readably and describes each one", () => {
    for (const [name, v] of Object.entries<any>({ ...tf.variable, ...tf.output })) {
      expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(v.description?.length).toBeGreaterThan(20);
    }
    expect(Object.keys(tf.output)).toEqual(expect.arrayContaining(["oidc_provider_arn", "role_arns", "service_account_manifests"]));
  });

  it("validates service_accounts with one rule per field, each naming what is allowed", () => {
    const rules = tf.variable.service_accounts.validation as { condition: string; error_message: string }[];
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const r of rules) {
      expect(r.condition).toMatch(/^\$\{.*\}$/s);
      expect(r.error_message).toMatch(/\.$/);
    }
    // The RE2 form of the namespace rule, as patterns.ts holds it: no lookahead left in the module.
    expect(json).not.toContain("(?=");
  });
});

describe("iam module", () => {
  const { tf } = synth("iam");
  const data = tf.data.aws_iam_policy_document;

  it("declares only the default aws provider (the ECR account) and uses nothing else", () => {
    expect(Object.keys(tf.terraform.required_providers)).toEqual(["aws"]);
    expect(tf.terraform.required_providers.aws.configuration_aliases).toBeUndefined();
    expect(tf.terraform.required_providers.aws.source).toBe("hashicorp/aws");
  });

  it("creates one role, trust document and inline policy per service account, with stable names", () => {
    expect(tf.resource.aws_iam_role.service_account.for_each).toBe("${var.service_accounts}");
    expect(tf.resource.aws_iam_role_policy.ecr.for_each).toBe("${var.service_accounts}");
    expect(data.trust.for_each).toBe("${var.service_accounts}");
    expect(data.ecr.for_each).toBe("${var.service_accounts}");
    expect(tf.resource.aws_iam_role.service_account.assume_role_policy).toBe("${data.aws_iam_policy_document.trust[each.key].json}");
    expect(tf.resource.aws_iam_openid_connect_provider.cluster.count).toBe("${var.create_oidc_provider ? 1 : 0}");
    expect(tf.resource.aws_iam_openid_connect_provider.cluster.client_id_list).toEqual([STS_AUDIENCE]);
  });

  it("trusts exactly one service account's tokens: both :sub and :aud with StringEquals", () => {
    const [statement] = data.trust.statement;
    expect(statement.actions).toEqual(["sts:AssumeRoleWithWebIdentity"]);
    expect(statement.principals).toEqual([{ type: "Federated", identifiers: ["${local.oidc_provider_arn}"] }]);
    expect(statement.condition).toEqual([
      { test: "StringEquals", variable: "${local.issuer_host}:sub", values: ["system:serviceaccount:${each.value.namespace}:${each.value.name}"] },
      { test: "StringEquals", variable: "${local.issuer_host}:aud", values: [STS_AUDIENCE] },
    ]);
  });

  it("grants GetAuthorizationToken on * and every other action on repository ARNs only", () => {
    const [token, images] = data.ecr.statement;
    expect(token).toMatchObject({ actions: [AUTH_TOKEN_ACTION], resources: ["*"] });
    for (const access of ["pull", "push"] as const) expect(images.actions).toContain(JSON.stringify(ecrActions(access)).replace(/,/g, ", "));
    expect(images.actions).not.toMatch(/"ecr:\*"|"\*"/);
    expect(images.resources).toContain(":repository/${r}");
    expect(images.resources).not.toMatch(/"\*"/);
    // Pull is the default and a strict subset of push.
    expect(tf.variable.service_accounts.type).toMatch(/access\s+= optional\(string, "pull"\)/);
    expect([...PULL_ACTIONS, ...PUSH_ACTIONS].every((a) => images.actions.includes(a))).toBe(true);
  });

  it("annotates the manifests exactly like the environment stacks", () => {
    expect(tf.output.service_account_manifests.value).toContain(`"${ROLE_ARN_ANNOTATION}" = "\${aws_iam_role.service_account[k].arn}"`);
  });
});

describe("full module", () => {
  const { tf } = synth("full");

  it("expects aws.eks and aws.ecr from the caller, plus tls and kubernetes", () => {
    expect(tf.terraform.required_providers.aws.configuration_aliases).toEqual(["aws.eks", "aws.ecr"]);
    expect(Object.keys(tf.terraform.required_providers).sort()).toEqual(["aws", "kubernetes", "tls"]);
  });

  it("reads the cluster in the EKS account and creates the IAM side through the iam module in the ECR account", () => {
    expect(tf.data.aws_eks_cluster.cluster.provider).toBe("aws.eks");
    expect(tf.module.iam.source).toBe("../eks-ecr-access-iam");
    expect(tf.module.iam.providers).toEqual({ aws: "aws.ecr" });
    expect(tf.module.iam.thumbprints).toContain("data.tls_certificate.issuer");
  });

  it("creates the annotated service accounts for each entry", () => {
    const sa = tf.resource.kubernetes_service_account_v1.service_account;
    expect(sa.for_each).toContain("var.service_accounts");
    expect(sa.metadata.annotations[ROLE_ARN_ANNOTATION]).toBe("${module.iam.role_arns[each.key]}");
  });
});

describe("toRe2", () => {
  it("turns a leading length lookahead into length bounds", () => {
    expect(toRe2(/^(?=.{1,63}$)[a-z0-9]+$/)).toEqual({ regex: "^[a-z0-9]+$", length: { min: 1, max: 63 } });
  });

  it("refuses what RE2 cannot express instead of emitting a rule that never matches", () => {
    expect(() => toRe2(/^(?!x)[a-z]+$/)).toThrow(/RE2/);
    expect(() => toRe2(/^([a-z])\1$/)).toThrow(/RE2/);
    expect(() => toRe2(/^a$/i)).toThrow(/flags/);
  });
});
