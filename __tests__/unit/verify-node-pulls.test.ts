import { registryPolicyDocument, repositoryPolicyDocument } from "../../src/constructs/image-pull-policy";
import type { PolicyDocument } from "../../src/verify/iam-eval";
import { missingPulls, principalCovers, statementsFor } from "../../src/verify/node-pulls";

const scope = { partition: "aws", region: "us-east-1", accountId: "222222222222" };
const NODE = "arn:aws:iam::111111111111:role/nodes";
const OTHER = "arn:aws:iam::111111111111:role/other";
const repo = (r: string) => `arn:aws:ecr:us-east-1:222222222222:repository/${r}`;
const asDoc = (d: unknown) => d as PolicyDocument;

describe("principalCovers", () => {
  it("matches the role, its account (id or root) and anyone, not other roles", () => {
    expect(principalCovers({ AWS: [NODE] }, NODE)).toBe(true);
    expect(principalCovers({ AWS: "111111111111" }, NODE)).toBe(true);
    expect(principalCovers({ AWS: "arn:aws:iam::111111111111:root" }, NODE)).toBe(true);
    expect(principalCovers("*", NODE)).toBe(true);
    expect(principalCovers({ AWS: [OTHER] }, NODE)).toBe(false);
    expect(principalCovers({ Service: "ec2.amazonaws.com" }, NODE)).toBe(false);
  });
});

describe("node pulls through resource policies", () => {
  it("a repository policy grants its own repository (implicit resource) to the roles it names", () => {
    const docs = [{ doc: asDoc(repositoryPolicyDocument([NODE])), resource: repo("team/app") }];
    expect(missingPulls(statementsFor(docs, NODE), repo("team/app"))).toEqual([]);
    expect(missingPulls(statementsFor(docs, OTHER), repo("team/app"))).toHaveLength(3);
  });

  it("a registry policy grants prefixes as a whole, and nothing outside them", () => {
    const docs = [{ doc: asDoc(registryPolicyDocument(scope, [NODE], ["team/*"])) }];
    expect(missingPulls(statementsFor(docs, NODE), repo("team/*"))).toEqual([]);
    expect(missingPulls(statementsFor(docs, NODE), repo("team/app"))).toEqual([]);
    expect(missingPulls(statementsFor(docs, NODE), repo("other/app"))).toEqual([
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]);
  });

  it("a Deny statement for the role wins over the grant", () => {
    const doc = asDoc(repositoryPolicyDocument([NODE], [{ Sid: "NoPull", Effect: "Deny", Principal: { AWS: NODE }, Action: "ecr:BatchGetImage" }]));
    expect(missingPulls(statementsFor([{ doc, resource: repo("team/app") }], NODE), repo("team/app"))).toEqual(["ecr:BatchGetImage"]);
  });
});
