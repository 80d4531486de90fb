import { parseAllDocuments } from "yaml";
import { AWS_CLI_IMAGE, smokeTestJobManifests, smokeTestScript } from "../../src/verify/smoke-test-job";
import { baseEnvironment, environmentFrom } from "../support/environments";

const env = environmentFrom(
  baseEnvironment({
    serviceAccounts: [
      { namespace: "ci", name: "image-builder", repositories: ["team/app", "team/base-*"], access: "push" },
      { namespace: "argocd", name: "updater", repositories: ["team/app"] },
    ],
  }),
  "dev",
);

describe("smoke-test Job manifests", () => {
  const docs = parseAllDocuments(smokeTestJobManifests(env)).map((d) => d.toJS());

  it("has one Job per service account, running as it, in its namespace", () => {
    expect(docs.map((d) => [d.kind, d.metadata.namespace, d.spec.template.spec.serviceAccountName])).toEqual([
      ["Job", "ci", "image-builder"],
      ["Job", "argocd", "updater"],
    ]);
    for (const d of docs) {
      expect(d.spec.backoffLimit).toBe(0);
      expect(d.spec.template.spec.restartPolicy).toBe("Never");
      expect(d.spec.template.spec.containers[0].image).toBe(AWS_CLI_IMAGE);
      expect(d.metadata.name.length).toBeLessThanOrEqual(63);
    }
  });

  it("lists images of each named repository in the ECR account and skips prefixes", () => {
    const script = docs[0].spec.template.spec.containers[0].command[2] as string;
    expect(script).toContain("aws ecr get-authorization-token --region 'us-east-1'");
    expect(script).toContain("aws ecr describe-images --registry-id '222222222222' --region 'us-east-1' --repository-name 'team/app'");
    expect(script).not.toContain("--repository-name 'team/base-*'");
    expect(script).toContain("team/base-*: prefix pattern");
  });

  it("is deterministic", () => {
    expect(smokeTestJobManifests(env)).toBe(smokeTestJobManifests(env));
    expect(smokeTestScript(env, ["a/b"])).toBe(smokeTestScript(env, ["a/b"]));
  });
});
