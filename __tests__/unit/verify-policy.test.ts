import { ecrAccessPolicy } from "../../src/constructs/ecr-policy";
import { ecrExpectedGrants } from "../../src/verify/expectations";
import type { PolicyDocument } from "../../src/verify/iam-eval";
import { judgePermissions, judgeTrust } from "../../src/verify/policy-checks";

const HOST = "oidc.eks.us-east-1.amazonaws.com/id/ABC";
const PROVIDER = `arn:aws:iam::222222222222:oidc-provider/${HOST}`;
const SUBJECT = "system:serviceaccount:ci:builder";

/** The trust the stack generates (same shape as aws_iam_policy_document renders it). */
function trust(condition: Record<string, Record<string, string | string[]>>, principal: unknown = { Federated: PROVIDER }): PolicyDocument {
  return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity", Principal: principal, Condition: condition }] };
}
const good = () => trust({ StringEquals: { [`${HOST}:sub`]: SUBJECT, [`${HOST}:aud`]: "sts.amazonaws.com" } });

describe("judgeTrust", () => {
  it("passes the generated shape, with condition keys in any case", () => {
    const t = judgeTrust(good(), PROVIDER, HOST, SUBJECT);
    expect([t.provider.ok, t.sub.ok, t.aud.ok]).toEqual([true, true, true]);
    const upper = judgeTrust(trust({ StringEquals: { [`${HOST}:SUB`]: SUBJECT, [`${HOST}:aud`]: ["sts.amazonaws.com"] } }), PROVIDER, HOST, SUBJECT);
    expect([upper.sub.ok, upper.aud.ok]).toEqual([true, true]);
  });

  it("fails :sub when missing, different, a list, or a wildcard", () => {
    const missing = judgeTrust(trust({ StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com" } }), PROVIDER, HOST, SUBJECT);
    expect(missing.sub).toEqual({ ok: false, detail: expect.stringContaining("every service account") });
    expect(missing.aud.ok).toBe(true);
    const other = judgeTrust(trust({ StringEquals: { [`${HOST}:sub`]: "system:serviceaccount:ci:x", [`${HOST}:aud`]: "sts.amazonaws.com" } }), PROVIDER, HOST, SUBJECT);
    expect(other.sub.detail).toContain("system:serviceaccount:ci:x");
    const two = judgeTrust(trust({ StringEquals: { [`${HOST}:sub`]: [SUBJECT, "system:serviceaccount:ci:x"], [`${HOST}:aud`]: "sts.amazonaws.com" } }), PROVIDER, HOST, SUBJECT);
    expect(two.sub.ok).toBe(false);
    const like = judgeTrust(
      trust({ StringLike: { [`${HOST}:sub`]: "system:serviceaccount:ci:*" }, StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com" } }),
      PROVIDER,
      HOST,
      SUBJECT,
    );
    expect(like.sub.detail).toMatch(/StringLike .* must be StringEquals/);
  });

  it("accepts StringLike for a configured wildcard subject, and only that", () => {
    const wildcard = "system:serviceaccount:ci:*";
    const doc = trust({ StringLike: { [`${HOST}:sub`]: wildcard }, StringEquals: { [`${HOST}:aud`]: "sts.amazonaws.com" } });
    expect(judgeTrust(doc, PROVIDER, HOST, wildcard).sub.ok).toBe(true);
  });

  it("fails :aud when dropped or another audience", () => {
    expect(judgeTrust(trust({ StringEquals: { [`${HOST}:sub`]: SUBJECT } }), PROVIDER, HOST, SUBJECT).aud.ok).toBe(false);
    const other = judgeTrust(trust({ StringEquals: { [`${HOST}:sub`]: SUBJECT, [`${HOST}:aud`]: "other" } }), PROVIDER, HOST, SUBJECT);
    expect(other.aud.detail).toContain('"other"');
  });

  it("expects the image-pull audience too when the service account uses KEP-4412 pulls", () => {
    const both = trust({ StringEquals: { [`${HOST}:sub`]: SUBJECT, [`${HOST}:aud`]: ["sts.amazonaws.com", "kubelet"] } });
    expect(judgeTrust(both, PROVIDER, HOST, SUBJECT, ["kubelet", "sts.amazonaws.com"]).aud.ok).toBe(true);
    expect(judgeTrust(both, PROVIDER, HOST, SUBJECT).aud.detail).toContain("kubelet");
    expect(judgeTrust(good(), PROVIDER, HOST, SUBJECT, ["sts.amazonaws.com", "kubelet"]).aud.ok).toBe(false);
  });

  it("fails the provider check for another provider, condition keys of another issuer, or extra principals", () => {
    const otherArn = PROVIDER.replace("ABC", "XYZ");
    const wrong = judgeTrust(trust({ StringEquals: {} }, { Federated: otherArn }), PROVIDER, HOST, SUBJECT);
    expect(wrong.provider.detail).toContain(otherArn);
    expect(wrong.sub.ok).toBe(false);
    const keysOfOther = judgeTrust(trust({ StringEquals: { "other/id:sub": SUBJECT, "other/id:aud": "sts.amazonaws.com" } }), PROVIDER, HOST, SUBJECT);
    expect([keysOfOther.provider.ok, keysOfOther.sub.ok, keysOfOther.aud.ok]).toEqual([true, false, false]);
    const doc = good();
    (doc.Statement as object[]).push({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:iam::999999999999:root" } });
    expect(judgeTrust(doc, PROVIDER, HOST, SUBJECT).provider).toEqual({ ok: false, detail: expect.stringContaining("999999999999") });
  });

  it("a second web-identity statement without :sub opens the role", () => {
    const doc = good();
    (doc.Statement as object[]).push({ Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity", Principal: { Federated: PROVIDER } });
    expect(judgeTrust(doc, PROVIDER, HOST, SUBJECT).sub.ok).toBe(false);
  });
});

describe("judgePermissions", () => {
  const scope = { partition: "aws", region: "us-east-1", accountId: "222222222222" };
  const expected = ecrExpectedGrants(scope, ["team/app", "team/base-*"], "push");
  const generated = ecrAccessPolicy(scope, ["team/app", "team/base-*"], "push") as unknown as PolicyDocument;

  it("passes the generated policy", () => {
    const p = judgePermissions([generated], expected);
    expect(p.complete.ok).toBe(true);
    expect(p.leastPrivilege.ok).toBe(true);
  });

  it("names what is missing per repository", () => {
    const pullOnly = ecrAccessPolicy(scope, ["team/app", "team/base-*"], "pull") as unknown as PolicyDocument;
    const p = judgePermissions([pullOnly], expected);
    expect(p.complete.ok).toBe(false);
    expect(p.complete.detail).toContain("team/app: ecr:CompleteLayerUpload, ecr:InitiateLayerUpload, ecr:PutImage, ecr:UploadLayerPart");
    expect(p.leastPrivilege.ok).toBe(true);
  });

  it("an explicit Deny in another document counts as missing", () => {
    const deny: PolicyDocument = { Statement: [{ Effect: "Deny", Action: "ecr:PutImage", Resource: "*" }] };
    expect(judgePermissions([generated, deny], expected).complete.detail).toContain("ecr:PutImage");
  });

  it("groups excess per statement", () => {
    const extra: PolicyDocument = { Statement: [{ Sid: "Wide", Effect: "Allow", Action: "ecr:*", Resource: "*" }] };
    const p = judgePermissions([generated, extra], expected);
    expect(p.leastPrivilege.ok).toBe(false);
    expect(p.leastPrivilege.detail).toMatch(/^allows more than configured: statement Wide allows on \*: \d+ actions \(/);
  });
});
