/**
 * The end-to-end proof with a real service-account token (`kubectl create token SA --audience
 * sts.amazonaws.com`): exchange it for the role's credentials with AssumeRoleWithWebIdentity, exactly as
 * the pod's SDK would, then call ECR with them.
 */
import { readFileSync } from "node:fs";
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { Environment } from "../config/environment";
import { STS_AUDIENCE } from "../constructs/issuer-oidc-provider";
import { accessWith, errorText } from "./clients";
import { subjectOf } from "./expectations";
import type { CheckResult } from "./report";

export interface TokenClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | string[];
  readonly exp?: number;
}

/** The payload of a JWT, unverified: AWS STS does the verification; this only explains what it will see. */
export function decodeJwt(token: string): TokenClaims {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error("is not a JWT (expected three dot-separated parts)");
  return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as TokenClaims;
}

/** Pure part: what is wrong with these claims for this environment, if anything. */
export function judgeClaims(env: Environment, claims: TokenClaims, issuerUrl: string | undefined, nowSeconds: number): { problems: string[]; subject?: string } {
  const problems: string[] = [];
  const auds = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!auds.includes(STS_AUDIENCE)) problems.push(`aud is ${JSON.stringify(claims.aud)}, not ${STS_AUDIENCE} (create it with --audience ${STS_AUDIENCE})`);
  if (issuerUrl && claims.iss !== issuerUrl) problems.push(`iss is ${claims.iss}, the cluster's issuer is ${issuerUrl} (token from another cluster?)`);
  if (claims.exp !== undefined && claims.exp <= nowSeconds) problems.push(`expired at ${new Date(claims.exp * 1000).toISOString()}`);
  const sa = env.serviceAccounts.find((s) => subjectOf(s) === claims.sub);
  if (!sa) problems.push(`sub ${claims.sub} is none of this environment's service accounts (${env.serviceAccounts.map(subjectOf).join(", ")})`);
  return { problems, subject: sa ? `${sa.namespace}/${sa.name}` : undefined };
}

export async function checkWebIdentityToken(env: Environment, file: string, issuerUrl: string | undefined): Promise<CheckResult[]> {
  const { region, accountId } = env.config.ecr;
  const endpoints = env.config.awsEndpoints;
  let token: string;
  let claims: TokenClaims;
  try {
    token = readFileSync(file, "utf8").trim();
    claims = decodeJwt(token);
  } catch (e) {
    return [{ id: "token.claims", subject: file, status: "error", detail: `token file ${errorText(e)}`, fix: "kubectl create token <service-account> -n <namespace> --audience sts.amazonaws.com > token.jwt" }];
  }
  const judged = judgeClaims(env, claims, issuerUrl, Math.floor(Date.now() / 1000));
  const subject = judged.subject ?? claims.sub ?? file;
  const results: CheckResult[] = [
    judged.problems.length
      ? { id: "token.claims", subject, status: "fail", detail: judged.problems.join("; "), fix: "create a fresh token for a configured service account: kubectl create token NAME -n NAMESPACE --audience sts.amazonaws.com" }
      : { id: "token.claims", subject, status: "pass", detail: `sub ${claims.sub}, aud ${STS_AUDIENCE}` },
  ];
  const sa = env.serviceAccounts.find((s) => subjectOf(s) === claims.sub);
  if (!sa) return results;

  // No credentials: AssumeRoleWithWebIdentity is an unsigned call, the token is the credential.
  const sts = new STSClient({ region, endpoint: endpoints?.sts, maxAttempts: 2, credentials: { accessKeyId: "", secretAccessKey: "" } });
  let creds;
  try {
    const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: sa.roleArn, RoleSessionName: `eks-ecr-access-verify-${env.name}`, WebIdentityToken: token }));
    creds = out.Credentials;
    if (!creds?.AccessKeyId || !creds.SecretAccessKey) throw new Error("no credentials returned");
    results.push({ id: "token.assume-role", subject, status: "pass", detail: `assumed ${out.AssumedRoleUser?.Arn ?? sa.roleArn}` });
  } catch (e) {
    results.push({
      id: "token.assume-role",
      subject,
      status: "fail",
      detail: `sts:AssumeRoleWithWebIdentity ${sa.roleArn}: ${errorText(e)}`,
      fix: "AccessDenied here with passing role.trust.* checks usually means the token's iss/aud/sub differ from the trust: compare token.claims with role.trust.*",
    });
    return results;
  } finally {
    sts.destroy();
  }
  const as = accessWith({ accessKeyId: creds.AccessKeyId!, secretAccessKey: creds.SecretAccessKey!, sessionToken: creds.SessionToken }, region, endpoints);
  try {
    try {
      await as.ecr.send(new GetAuthorizationTokenCommand({}));
      results.push({ id: "token.ecr-auth", subject, status: "pass", detail: "ecr:GetAuthorizationToken succeeded" });
    } catch (e) {
      results.push({ id: "token.ecr-auth", subject, status: "fail", detail: errorText(e), fix: "the role's policy must allow ecr:GetAuthorizationToken on *; check role.permissions" });
    }
    for (const repo of sa.repositories) {
      if (repo.endsWith("*")) {
        results.push({ id: "token.describe-images", subject: `${subject} ${repo}`, status: "skip", detail: "prefix pattern: name a repository to try it" });
        continue;
      }
      try {
        const out = await as.ecr.send(new DescribeImagesCommand({ registryId: accountId, repositoryName: repo, maxResults: 100 }));
        results.push({ id: "token.describe-images", subject: `${subject} ${repo}`, status: "pass", detail: `${out.imageDetails?.length ?? 0} image(s) listed` });
      } catch (e) {
        results.push({ id: "token.describe-images", subject: `${subject} ${repo}`, status: "fail", detail: errorText(e), fix: "check role.permissions and repository.exists for this repository; a repository policy with an explicit Deny also blocks it" });
      }
    }
  } finally {
    as.destroy();
  }
  return results;
}
