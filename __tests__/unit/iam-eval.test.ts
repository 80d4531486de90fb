import { ecrAccessPolicy } from "../../src/constructs/ecr-policy";
import { evaluate, excessGrants, globCovers, globsOverlap, parsePolicy, PolicyDocument } from "../../src/verify/iam-eval";
import { ecrExpectedGrants } from "../../src/verify/expectations";

const scope = { partition: "aws", region: "us-east-1", accountId: "222222222222" };
const arn = (r: string) => `arn:aws:ecr:us-east-1:222222222222:repository/${r}`;

describe("globCovers (IAM wildcards)", () => {
  it.each([
    ["ecr:*", "ecr:BatchGetImage", true],
    ["ecr:Batch*", "ecr:BatchGetImage", true],
    ["ecr:Get?ownloadUrlForLayer", "ecr:GetDownloadUrlForLayer", true],
    ["ecr:Get?ownloadUrlForLayer", "ecr:GetXXownloadUrlForLayer", false],
    ["ecr:PutImage", "ecr:PutImageTagMutability", false],
    ["*", "anything", true],
    ["a*b*c", "aXXbYc", true],
    ["a*b*c", "aXXcYb", false],
  ])("%s covers %s: %s", (outer, inner, want) => {
    expect(globCovers(outer, inner)).toBe(want);
  });

  it("pattern containment: team/* covers team/base-* but not the other way round", () => {
    expect(globCovers(arn("team/*"), arn("team/base-*"))).toBe(true);
    expect(globCovers(arn("team/base-*"), arn("team/*"))).toBe(false);
    expect(globCovers(arn("team/?pp"), arn("team/*"))).toBe(false);
  });

  it("overlap of globs", () => {
    expect(globsOverlap(arn("team/*"), arn("team/app"))).toBe(true);
    expect(globsOverlap(arn("*/app"), arn("team/*"))).toBe(true);
    expect(globsOverlap(arn("other/*"), arn("team/*"))).toBe(false);
  });
});

describe("evaluate", () => {
  const doc = ecrAccessPolicy(scope, ["team/app", "team/base-*"], "pull") as unknown as PolicyDocument;

  it("allows configured actions on configured repositories and prefixes, case-insensitively for actions", () => {
    expect(evaluate([doc], "ecr:BatchGetImage", arn("team/app"))).toBe("allowed");
    expect(evaluate([doc], "ECR:batchgetimage", arn("team/app"))).toBe("allowed");
    expect(evaluate([doc], "ecr:BatchGetImage", arn("team/base-*"))).toBe("allowed");
    expect(evaluate([doc], "ecr:BatchGetImage", arn("team/base-node"))).toBe("allowed");
    expect(evaluate([doc], "ecr:GetAuthorizationToken", "*")).toBe("allowed");
  });

  it("denies what is not listed: other repositories, case of resources, push actions", () => {
    expect(evaluate([doc], "ecr:BatchGetImage", arn("team/other"))).toBe("implicitDeny");
    expect(evaluate([doc], "ecr:BatchGetImage", arn("Team/app"))).toBe("implicitDeny");
    expect(evaluate([doc], "ecr:PutImage", arn("team/app"))).toBe("implicitDeny");
    // a prefix is only allowed when the whole prefix is covered
    expect(evaluate([doc], "ecr:BatchGetImage", arn("team/*"))).toBe("implicitDeny");
  });

  it("an explicit Deny that can touch the repository wins", () => {
    const deny: PolicyDocument = { Statement: { Effect: "Deny", Action: "ecr:Batch*", Resource: arn("team/base-secret") } };
    expect(evaluate([doc, deny], "ecr:BatchGetImage", arn("team/base-*"))).toBe("explicitDeny");
    expect(evaluate([doc, deny], "ecr:BatchGetImage", arn("team/app"))).toBe("allowed");
  });

  it("a conditional Allow is not counted as a grant", () => {
    const cond: PolicyDocument = {
      Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } }],
    };
    expect(evaluate([cond], "ecr:BatchGetImage", arn("team/app"))).toBe("conditional");
  });
});

describe("excessGrants", () => {
  const expected = ecrExpectedGrants(scope, ["team/app"], "pull");

  it("finds nothing in the generated policy", () => {
    expect(excessGrants([ecrAccessPolicy(scope, ["team/app"], "pull") as unknown as PolicyDocument], expected)).toEqual([]);
  });

  it("expands ecr:* against the ECR action catalogue", () => {
    const doc: PolicyDocument = { Statement: [{ Sid: "All", Effect: "Allow", Action: "ecr:*", Resource: arn("team/app") }] };
    const actions = excessGrants([doc], expected).map((e) => e.action);
    expect(actions).toContain("ecr:PutImage");
    expect(actions).toContain("ecr:DeleteRepository");
    expect(actions).not.toContain("ecr:BatchGetImage");
  });

  it("flags other services, NotAction, and scoped actions on broader resources", () => {
    const doc: PolicyDocument = {
      Statement: [
        { Sid: "S3", Effect: "Allow", Action: "s3:GetObject", Resource: "*" },
        { Sid: "Star", Effect: "Allow", Action: "*", Resource: "*" },
        { Sid: "Not", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
        { Sid: "Wide", Effect: "Allow", Action: "ecr:BatchGetImage", Resource: arn("team/*") },
        { Sid: "Deny", Effect: "Deny", Action: "*", Resource: "*" },
      ],
    };
    const sids = excessGrants([doc], expected).map((e) => `${e.sid} ${e.action} ${e.resource}`);
    expect(sids).toEqual(["S3 s3:GetObject *", "Star * *", "Not NotAction iam:* *", `Wide ecr:BatchGetImage ${arn("team/*")}`]);
  });

  it("accepts a narrower pattern inside a configured prefix", () => {
    const wide = ecrExpectedGrants(scope, ["team/*"], "pull");
    const doc: PolicyDocument = { Statement: [{ Effect: "Allow", Action: "ecr:BatchGetImage", Resource: arn("team/base-*") }] };
    expect(excessGrants([doc], wide)).toEqual([]);
  });
});

describe("parsePolicy", () => {
  it("reads URL-encoded documents as IAM returns them, and plain JSON", () => {
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecr:ListImages", Resource: arn("a/b") }] };
    expect(parsePolicy(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
    expect(parsePolicy(JSON.stringify(doc))).toEqual(doc);
    expect(() => parsePolicy("{}")).toThrow(/no Statement/);
  });
});
