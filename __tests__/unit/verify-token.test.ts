import { decodeJwt, judgeClaims } from "../../src/verify/token";
import { judgeAnnotations } from "../../src/verify/kube";
import { baseEnvironment, environmentFrom } from "../support/environments";

const env = environmentFrom(baseEnvironment(), "dev");
const ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123";
const jwt = (claims: object) => `${Buffer.from("{}").toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
const good = { iss: ISSUER, sub: "system:serviceaccount:ci:image-builder", aud: ["sts.amazonaws.com"], exp: 2000 };

describe("web-identity token claims", () => {
  it("decodes the payload and rejects what is not a JWT", () => {
    expect(decodeJwt(jwt(good))).toEqual(good);
    expect(() => decodeJwt("nope")).toThrow(/not a JWT/);
  });

  it("accepts a token of a configured service account for sts.amazonaws.com", () => {
    expect(judgeClaims(env, decodeJwt(jwt(good)), ISSUER, 1000)).toEqual({ problems: [], subject: "ci/image-builder" });
  });

  it("names each problem: audience, issuer, expiry, unknown subject", () => {
    const { problems } = judgeClaims(env, { ...good, aud: "kubernetes", iss: "https://other", exp: 10, sub: "system:serviceaccount:x:y" }, ISSUER, 1000);
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/--audience sts\.amazonaws\.com/);
    expect(problems.join("\n")).toMatch(/another cluster/);
    expect(problems.join("\n")).toMatch(/expired/);
    expect(problems.join("\n")).toMatch(/none of this environment's service accounts/);
  });
});

describe("service account annotations", () => {
  const arn = env.serviceAccounts[0].roleArn;
  it("passes the expected role ARN, fails a missing, different or mis-audienced one", () => {
    expect(judgeAnnotations({ "eks.amazonaws.com/role-arn": arn }, arn)).toBeUndefined();
    expect(judgeAnnotations(undefined, arn)).toMatch(/no eks.amazonaws.com\/role-arn/);
    expect(judgeAnnotations({ "eks.amazonaws.com/role-arn": `${arn}x` }, arn)).toMatch(/expected/);
    expect(judgeAnnotations({ "eks.amazonaws.com/role-arn": arn, "eks.amazonaws.com/audience": "other" }, arn)).toMatch(/pins sts.amazonaws.com/);
  });
});
