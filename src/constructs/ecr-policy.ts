/**
 * The ECR permissions a service account's role gets, as a plain IAM policy document. Pure functions, so
 * tests (and `verify`) can reason about the exact document without synthesizing anything.
 */

export type Access = "pull" | "push";

/** Read images and their metadata. */
export const PULL_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:DescribeImages",
  "ecr:DescribeRepositories",
  "ecr:GetDownloadUrlForLayer",
  "ecr:ListImages",
] as const;

/** Upload layers and tag images, on top of pull. */
export const PUSH_ACTIONS = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"] as const;

/** The only ECR action IAM cannot scope to a repository. */
export const AUTH_TOKEN_ACTION = "ecr:GetAuthorizationToken";

/** The one statement on `*`: GetAuthorizationToken cannot be scoped to a repository. */
export function authTokenStatement(): PolicyStatement {
  return { Sid: "GetAuthorizationToken", Effect: "Allow", Action: AUTH_TOKEN_ACTION, Resource: "*" };
}

/** Sid of the repository-scoped statement of an access level. */
export function accessSid(access: Access): string {
  return access === "push" ? "PullAndPushImages" : "PullImages";
}

export function ecrActions(access: Access): string[] {
  return (access === "push" ? [...PULL_ACTIONS, ...PUSH_ACTIONS] : [...PULL_ACTIONS]).sort();
}

export interface RepositoryScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** `team/app` -> `arn:aws:ecr:us-east-1:222222222222:repository/team/app`; prefixes keep their trailing `*`. */
export function repositoryArn(scope: RepositoryScope, repository: string): string {
  return `arn:${scope.partition}:ecr:${scope.region}:${scope.accountId}:repository/${repository}`;
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string | string[];
  Resource: string | string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface EcrAccessPolicyOptions {
  /** Allow the repository `*` (every repository of the account and region). Default: false, `*` throws. */
  readonly allowAllRepositories?: boolean;
}

/**
 * The role's identity policy. Guardrails (docs/safety.md): never a `*` action, never `Resource: "*"` except
 * for GetAuthorizationToken (which IAM cannot scope), and `repository/*` only with `allowAllRepositories`.
 */
export function ecrAccessPolicy(
  scope: RepositoryScope,
  repositories: readonly string[],
  access: Access,
  options: EcrAccessPolicyOptions = {},
): PolicyDocument {
  if (repositories.includes("*") && !options.allowAllRepositories) {
    throw new Error(`ecrAccessPolicy: the repository "*" (every repository of account ${scope.accountId}) needs allowAllRepositories: true`);
  }
  const actions = ecrActions(access);
  if (actions.some((a) => a.includes("*"))) throw new Error("ecrAccessPolicy: wildcard actions are never granted");
  return {
    Version: "2012-10-17",
    Statement: [
      authTokenStatement(),
      {
        Sid: accessSid(access),
        Effect: "Allow",
        Action: actions,
        Resource: [...repositories].sort().map((r) => repositoryArn(scope, r)),
      },
    ],
  };
}
