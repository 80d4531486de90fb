/**
 * The `imagePulls` part of an environment file: how the kubelet of the cluster's nodes gets to pull images
 * from the ECR account (node-role pulls), who owns which ECR resource policy, and the audience of the
 * service-account tokens the kubelet hands to the ECR credential provider (KEP-4412 pulls).
 *
 * Kept beside `schema.ts` so the ownership model lives in one place; see docs/image-pulls.md.
 */
import { z } from "zod";
import { ECR_REPOSITORY_PATTERN } from "./patterns";

/** The audience IRSA tokens carry; also what EKS's own KEP-4412 examples use for the credential provider. */
export const DEFAULT_TOKEN_AUDIENCE = "sts.amazonaws.com";

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/**
 * A statement someone else needs in a resource policy this environment owns. Written as IAM JSON, kept
 * verbatim; only what the merge needs is checked here (a Sid to tell statements apart, an effect).
 */
export const ResourcePolicyStatementSchema = z
  .looseObject({
    Sid: z
      .string()
      .regex(/^[A-Za-z0-9]{1,100}$/, "Sid must be 1-100 letters or digits; every kept statement needs one so it can be told apart")
      .describe("Statement id, unique within the policy."),
    Effect: z.enum(["Allow", "Deny"], { error: "Effect must be \"Allow\" or \"Deny\"" }),
    Principal: z.union([z.literal("*"), z.record(z.string(), stringOrList)]).optional(),
    NotPrincipal: z.record(z.string(), stringOrList).optional(),
    Action: stringOrList.optional(),
    NotAction: stringOrList.optional(),
    Resource: stringOrList.optional(),
    Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .describe("An IAM policy statement (as in the AWS console's JSON editor) that must stay in the policy.");

export const ImagePullsSchema = z
  .strictObject({
    repositories: z
      .array(z.string().regex(ECR_REPOSITORY_PATTERN.re, ECR_REPOSITORY_PATTERN.help))
      .min(1, "list at least one repository name (or prefix ending in '*'), or leave out \"repositories\"")
      .optional()
      .describe(
        "Repositories (names, or prefixes ending in '*') in the ECR account that the roles in eks.nodeRoleArns may pull from. Pull only: BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability.",
      ),
    repositoryPolicies: z
      .enum(["owned", "none"])
      .default("none")
      .describe(
        "\"none\" (default): never write repository policies; the node-pull statement is emitted for the policy's owner. \"owned\": this environment writes the WHOLE policy of every named repository in \"repositories\" (node-pull statement plus repositoryStatements); anything else in those policies is replaced.",
      ),
    repositoryStatements: z
      .record(z.string().regex(ECR_REPOSITORY_PATTERN.re, ECR_REPOSITORY_PATTERN.help), z.array(ResourcePolicyStatementSchema))
      .default({})
      .describe("Only with repositoryPolicies \"owned\": per repository name, the other statements its policy must keep (they are written together with the node-pull statement)."),
    registryPolicy: z
      .enum(["owned", "none"])
      .default("none")
      .describe(
        "\"none\" (default): never write the registry policy. \"owned\": this environment writes the WHOLE registry policy of the ECR account and region (scope V2), granting node pulls on prefixes (and on named repositories when repositoryPolicies is \"none\"), plus registryStatements.",
      ),
    registryStatements: z
      .array(ResourcePolicyStatementSchema)
      .default([])
      .describe("Only with registryPolicy \"owned\": other statements the registry policy must keep."),
    nodeRolePolicy: z
      .enum(["attach", "none"])
      .default("none")
      .describe(
        "\"none\" (default): only emit the identity policy the node roles need (EKS managed node groups usually already have AmazonEC2ContainerRegistryPullOnly/ReadOnly). \"attach\": add it as an inline policy to each node role through the eks-account provider.",
      ),
    tokenAudience: z
      .string()
      .regex(/^[A-Za-z0-9._:/-]{1,255}$/, "must be 1-255 letters, digits or ._:/- (an OIDC client id)")
      .default(DEFAULT_TOKEN_AUDIENCE)
      .describe(
        "Audience of the service-account tokens the kubelet requests for service accounts with \"imagePull\": true. Default: sts.amazonaws.com. Another value is added to the OIDC provider's client ids and the roles' :aud condition.",
      ),
  })
  .describe("Image pulls by the kubelet: node roles (eks.nodeRoleArns) and service-account tokens (serviceAccounts[].imagePull). See docs/image-pulls.md.");

export type ImagePullsConfig = z.output<typeof ImagePullsSchema>;
export type ResourcePolicyStatement = z.output<typeof ResourcePolicyStatementSchema>;
