/**
 * Loading and validating environment files: defaults, derived values, and errors that name the file,
 * the field and the fix.
 */
import { deriveRoleName, serviceAccountKey } from "../../src/config/environment";
import { environmentJsonSchema } from "../../src/config/json-schema";
import { readFileSync } from "node:fs";
import { baseEnvironment, environmentFrom, problemsOf } from "../support/environments";

describe("defaults and derived values", () => {
  test("a minimal file gets the documented defaults", () => {
    const env = environmentFrom(baseEnvironment());
    expect(env.name).toBe("test");
    expect(env.oidcProvider).toEqual({ kind: "create", thumbprints: "tls" });
    expect(env.config.kubernetes).toEqual({ serviceAccounts: "terraform", auth: "exec" });
    expect(env.config.backend).toEqual({ type: "local" });
    expect(env.serviceAccounts[0]).toMatchObject({
      access: "pull",
      createNamespace: false,
      path: "/",
      maxSessionDuration: 3600,
      roleName: "test-ci-image-builder",
      roleArn: "arn:aws:iam::222222222222:role/test-ci-image-builder",
      key: "ci__image-builder",
    });
  });

  test("role ARNs follow the partition of the region and the role path", () => {
    const env = environmentFrom(
      baseEnvironment({
        eks: { accountId: "111111111111", region: "cn-north-1", clusterName: "c", issuerUrl: "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/X" },
        ecr: { accountId: "222222222222", region: "cn-north-1" },
        serviceAccounts: [{ namespace: "ci", name: "b", repositories: ["a/b"], path: "/irsa/" }],
      }),
    );
    expect(env.partition).toBe("aws-cn");
    expect(env.serviceAccounts[0].roleArn).toBe("arn:aws-cn:iam::222222222222:role/irsa/test-ci-b");
  });

  test("long derived role names are cut to 64 characters with a stable hash suffix", () => {
    const name = deriveRoleName("production-eu", "continuous-integration-system", "kaniko-image-builder-for-team-x");
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^production-eu-continuous-integration-system-kaniko-imag[a-z-]*-[0-9a-f]{8}$/);
    expect(deriveRoleName("production-eu", "continuous-integration-system", "kaniko-image-builder-for-team-x")).toBe(name);
    expect(deriveRoleName("production-eu", "continuous-integration-system", "kaniko-image-builder-for-team-y")).not.toBe(name);
  });

  test("service account keys are valid, unambiguous Terraform identifiers", () => {
    expect(serviceAccountKey("ci", "image.builder")).toBe("ci__image_builder");
    expect(serviceAccountKey("1ci", "b")).toBe("_1ci__b");
    expect(serviceAccountKey("a-b", "c")).not.toBe(serviceAccountKey("a", "b-c"));
  });
});

describe("errors name the file, the field and what is allowed", () => {
  test("invalid JSON reports line and column", () => {
    const [problem] = problemsOf('{\n  "eks": {\n    "accountId": "1",\n  }\n}');
    expect(problem).toMatch(/^environments\/test\.json: is not valid JSON at line 4, column 3/);
  });

  test("every problem of a file is reported at once", () => {
    const problems = problemsOf(
      baseEnvironment({
        eks: { accountId: "11111111111", region: "us-east-1", clusterName: "c", issuerUrl: "http://issuer" },
        serviceAccounts: [{ namespace: "CI", name: "b", repositories: [], access: "admin" }],
        colour: "blue",
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\/test\.json: eks\.accountId: must be a 12-digit AWS account id.*\(got "11111111111"\)$/),
        expect.stringMatching(/^environments\/test\.json: eks\.issuerUrl: must be the cluster's https OIDC issuer URL/),
        expect.stringMatching(/^environments\/test\.json: serviceAccounts\[0\]\.namespace: namespace must be a Kubernetes DNS label/),
        expect.stringMatching(/^environments\/test\.json: serviceAccounts\[0\]\.repositories: list at least one repository/),
        expect.stringMatching(/^environments\/test\.json: serviceAccounts\[0\]\.access: /),
        expect.stringMatching(/^environments\/test\.json: unknown field\(s\) "colour"/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  test("missing required fields say they are required", () => {
    expect(problemsOf({ eks: { accountId: "111111111111", region: "us-east-1" }, ecr: { accountId: "222222222222", region: "us-east-1" } })).toEqual([
      expect.stringMatching(/eks\.clusterName: is required/),
      expect.stringMatching(/serviceAccounts: is required/),
    ]);
  });

  test("an assume-role ARN of the other account is refused", () => {
    expect(
      problemsOf(baseEnvironment({ ecr: { accountId: "222222222222", region: "us-east-1", assumeRoleArn: "arn:aws:iam::111111111111:role/tf" } })),
    ).toEqual([expect.stringMatching(/ecr\.assumeRoleArn: is in account 111111111111 but ecr\.accountId is 222222222222/)]);
  });

  test("existingArn must be in the ECR account, name the same issuer, and exclude thumbprints", () => {
    const problems = problemsOf(
      baseEnvironment({
        ecr: {
          accountId: "222222222222",
          region: "us-east-1",
          oidcProvider: { thumbprints: "none", existingArn: "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER" },
        },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/ecr\.oidcProvider: set either "thumbprints".*or "existingArn"/),
      expect.stringMatching(/ecr\.oidcProvider\.existingArn: is in account 111111111111/),
      expect.stringMatching(/ecr\.oidcProvider\.existingArn: names issuer "oidc\.eks\.us-east-1\.amazonaws\.com\/id\/OTHER" but eks\.issuerUrl/),
    ]);
  });

  test("thumbprints: at most 5, 40 hex characters each", () => {
    const six = Array.from({ length: 6 }, (_, i) => String(i).repeat(40));
    expect(problemsOf(baseEnvironment({ ecr: { accountId: "222222222222", region: "us-east-1", oidcProvider: { thumbprints: six } } }))).toEqual([
      expect.stringMatching(/ecr\.oidcProvider\.thumbprints: IAM accepts at most 5 thumbprints/),
    ]);
    expect(problemsOf(baseEnvironment({ ecr: { accountId: "222222222222", region: "us-east-1", oidcProvider: { thumbprints: ["abc"] } } }))).toEqual([
      expect.stringMatching(/ecr\.oidcProvider\.thumbprints\[0\]: must be a SHA-1 fingerprint/),
    ]);
  });

  test("the same service account twice in one file is refused", () => {
    const sa = { namespace: "ci", name: "b", repositories: ["team/a"] };
    expect(problemsOf(baseEnvironment({ serviceAccounts: [sa, sa] }))).toEqual([expect.stringMatching(/serviceAccounts\[1\]: repeats service account ci\/b/)]);
  });

  test("a bare * repository is refused", () => {
    expect(problemsOf(baseEnvironment({ serviceAccounts: [{ namespace: "ci", name: "b", repositories: ["*"] }] }))).toEqual([
      expect.stringMatching(/serviceAccounts\[0\]\.repositories\[0\]: /),
    ]);
  });

  test("a file name that cannot be an environment name is refused", () => {
    expect(problemsOf(baseEnvironment(), "Prod_EU")).toEqual([expect.stringMatching(/environment name "Prod_EU" must be/)]);
  });
});

test("environments/schema.json is generated from the same definition and up to date", () => {
  const committed = readFileSync("environments/schema.json", "utf8");
  // On failure: run `npx eks-ecr-access schema` (or `node dist/src/cli/index.js schema`) and commit the file.
  expect(committed).toBe(environmentJsonSchema());
  const schema = JSON.parse(committed);
  expect(schema.required).toEqual(["eks", "ecr", "serviceAccounts"]);
  expect(schema.additionalProperties).toBe(false);
});

describe("odd input still gets a named answer", () => {
  test("JSON nested far too deep is refused by name, not with a crash", () => {
    const deep = "[".repeat(200000) + "]".repeat(200000);
    expect(problemsOf(deep)).toEqual([expect.stringMatching(/^environments\/test\.json: (cannot be processed|.*must be an object|.*expected object)/)]);
  });

  test("reserved tag keys are refused before AWS refuses them at apply time", () => {
    expect(problemsOf(baseEnvironment({ tags: { "aws:owner": "me" } }))).toEqual([expect.stringMatching(/tags\["aws:owner"\]: tag keys must not start with "aws:"/)]);
  });

  test("ISO regions are refused: their partitions are not supported", () => {
    expect(problemsOf(baseEnvironment({ ecr: { accountId: "222222222222", region: "us-iso-east-1" } }))).toEqual([
      expect.stringMatching(/ecr\.region: must be an AWS region/),
    ]);
  });
});
