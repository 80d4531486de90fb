/**
 * The environment file contract: one definition that both validates `environments/<name>.json`
 * and generates `environments/schema.json` for editors.
 *
 * Field-level rules live on the fields; rules that relate two fields (an ARN that must belong to the
 * account declared beside it, names that must be unique) live in `refineEnvironment`.
 */
import { z } from "zod";
import {
  ACCOUNT_ID,
  AWS_REGION,
  ECR_REPOSITORY_SELECTOR,
  IAM_PATH,
  IAM_ROLE_ARN,
  IAM_ROLE_NAME,
  ISSUER_URL,
  K8S_DNS_LABEL,
  OIDC_PROVIDER_ARN,
  POLICY_ARN,
  SERVICE_ACCOUNT_NAME,
  THUMBPRINT,
  EKS_CLUSTER_NAME,
  TAG_KEY,
  TAG_VALUE,
} from "./patterns";
import { ImagePullsSchema } from "./image-pulls-schema";

const accountId = z
  .string()
  .regex(ACCOUNT_ID.re, ACCOUNT_ID.help)
  .describe("12-digit AWS account id, as a string (keep leading zeros).");

const region = z.string().regex(AWS_REGION.re, AWS_REGION.help).describe("AWS region, e.g. us-east-1.");

const roleArn = z.string().regex(IAM_ROLE_ARN.re, IAM_ROLE_ARN.help);

const endpointUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://127.0.0.1:4566" })
  .describe("Custom endpoint URL for this AWS service.");

export const EksSchema = z
  .strictObject({
    accountId: accountId.describe("Account that owns the EKS cluster (account A)."),
    region: region.describe("Region of the EKS cluster."),
    clusterName: z
      .string()
      .regex(EKS_CLUSTER_NAME.re, EKS_CLUSTER_NAME.help)
      .describe("Name of the EKS cluster whose workloads need ECR access."),
    assumeRoleArn: roleArn
      .optional()
      .describe("Role in the EKS account that the eks-account aws provider assumes. Default: the caller's own credentials."),
    issuerUrl: z
      .string()
      .regex(ISSUER_URL.re, ISSUER_URL.help)
      .optional()
      .describe("The cluster's OIDC issuer URL. Default: read from the cluster (data aws_eks_cluster) through the eks-account provider."),
    nodeRoleArns: z
      .array(roleArn)
      .default([])
      .describe("IAM roles of the cluster's nodes (EC2 node roles, Fargate pod execution roles) in the EKS account: the kubelet pulls images with these. Needed for imagePulls.repositories. Default: none."),
  })
  .describe("The account and cluster the workloads run in.");

export const OidcProviderSchema = z
  .strictObject({
    thumbprints: z
      .union([
        z.literal("tls"),
        z.literal("none"),
        z
          .array(z.string().regex(THUMBPRINT.re, THUMBPRINT.help))
          .min(1, "needs at least one thumbprint (or use \"none\")")
          .max(5, "IAM accepts at most 5 thumbprints"),
      ], { error: "must be \"tls\", \"none\" or a list of 1-5 SHA-1 fingerprints (40 hex characters each)" })
      .optional()
      .describe(
        "\"tls\" (default): SHA-1 of the issuer's root certificate, read by data tls_certificate; \"none\": let IAM trust its own root CAs; or 1-5 40-hex SHA-1 fingerprints.",
      ),
    existingArn: z
      .string()
      .regex(OIDC_PROVIDER_ARN.re, OIDC_PROVIDER_ARN.help)
      .optional()
      .describe("ARN of an IAM OIDC provider for this cluster's issuer that already exists in the ECR account; nothing is created. Excludes thumbprints."),
  })
  .describe("How the IAM OIDC provider for the cluster's issuer is obtained in the ECR account.");

export const EcrSchema = z
  .strictObject({
    accountId: accountId.describe("Account that owns the ECR repositories (account B); the OIDC provider and roles are created here."),
    region: region.describe("Region of the ECR repositories."),
    assumeRoleArn: roleArn
      .optional()
      .describe("Role in the ECR account that the ecr-account aws provider assumes. Default: the caller's own credentials."),
    oidcProvider: OidcProviderSchema.default({}),
  })
  .describe("The account that holds the container images.");

export const ServiceAccountSchema = z.strictObject({
  namespace: z
    .string()
    .regex(K8S_DNS_LABEL.re, {
      // A wildcard namespace would let any namespace (any tenant) take the role: never allowed, not even with the opt-in.
      error: (iss) =>
        String(iss.input).includes("*")
          ? "namespace must be one exact namespace: wildcards are allowed only in \"name\" (with \"allowWildcardSubjects\": true)"
          : `namespace ${K8S_DNS_LABEL.help}`,
    })
    .describe("Kubernetes namespace of the service account (always exact, never a wildcard)."),
  name: z
    .string()
    .regex(SERVICE_ACCOUNT_NAME.re, `name ${SERVICE_ACCOUNT_NAME.help}`)
    .describe("Kubernetes service account name; \"*\" or \"prefix*\" only with allowWildcardSubjects."),
  allowWildcardSubjects: z
    .boolean()
    .default(false)
    .describe(
      "Opt-in: let name be \"*\" or \"prefix*\" (trust uses StringLike on :sub; :aud stays StringEquals). Anyone who can create a matching service account in the namespace gets the role, and no ServiceAccount object is created for a wildcard name. Default: false.",
    ),
  repositories: z
    .array(z.string().regex(ECR_REPOSITORY_SELECTOR.re, ECR_REPOSITORY_SELECTOR.help))
    .min(1, "list at least one repository name (or prefix ending in '*')")
    .describe("ECR repository names in the ECR account, or prefixes ending in '*' (e.g. \"team/*\"); \"*\" only with allowAllRepositories."),
  allowAllRepositories: z
    .boolean()
    .default(false)
    .describe("Opt-in: allow the repository \"*\", every repository of the ECR account in ecr.region, including ones created later. Default: false."),
  access: z.enum(["pull", "push"]).default("pull").describe("\"pull\" (default): read images and metadata; \"push\": pull plus upload."),
  roleName: z
    .string()
    .regex(IAM_ROLE_NAME.re, IAM_ROLE_NAME.help)
    .optional()
    .describe("IAM role name. Default: <environment>-<namespace>-<name>, shortened with a stable hash suffix past 64 characters."),
  createNamespace: z.boolean().default(false).describe("Also create the namespace (terraform mode: a kubernetes_namespace_v1; manifest mode: a Namespace object in the YAML). Default: false."),
  path: z.string().regex(IAM_PATH.re, IAM_PATH.help).default("/").describe("IAM path of the role. Default: \"/\"."),
  permissionsBoundaryArn: z
    .string()
    .regex(POLICY_ARN.re, POLICY_ARN.help)
    .optional()
    .describe("ARN of a managed policy to set as the role's permissions boundary. Default: none."),
  maxSessionDuration: z
    .int("must be a whole number of seconds")
    .min(3600, "must be at least 3600 seconds")
    .max(43200, "must be at most 43200 seconds")
    .default(3600)
    .describe("Maximum session duration of the role, in seconds (3600-43200). Default: 3600."),
  imagePull: z
    .boolean()
    .default(false)
    .describe("Let the kubelet pull this service account's pods' images with this role (KEP-4412 service-account-token pulls, Kubernetes >= 1.34): adds the eks.amazonaws.com/ecr-role-arn annotation and trusts imagePulls.tokenAudience. Default: false."),
});

export const KubernetesSchema = z
  .strictObject({
    serviceAccounts: z
      .enum(["terraform", "manifest"])
      .default("terraform")
      .describe("\"terraform\" (default): create them through a kubernetes provider; \"manifest\": emit annotated ServiceAccount YAML for GitOps."),
    auth: z
      .enum(["exec", "token"])
      .default("exec")
      .describe("\"exec\" (default): `aws eks get-token`, no token in state; \"token\": data aws_eks_cluster_auth (the token is stored in state)."),
  })
  .describe("How the Kubernetes service accounts are delivered.");

export const AwsEndpointsSchema = z
  .strictObject({
    sts: endpointUrl.optional(),
    iam: endpointUrl.optional(),
    eks: endpointUrl.optional(),
    ecr: endpointUrl.optional(),
    s3: endpointUrl.optional(),
  })
  .describe("Custom AWS endpoints for every aws provider of the environment (LocalStack, moto, private endpoints).");

export const BackendSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("local"),
    }),
    z.strictObject({
      type: z.literal("s3"),
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'")
        .describe("S3 bucket that holds the state."),
      region: region.describe("Region of the state bucket."),
      key: z
        .string()
        .regex(/^[A-Za-z0-9!_.*'()\/-]+$/, "must be an S3 object key (letters, digits and !_.*'()/-)")
        .optional()
        .describe("State object key. Default: eks-ecr-access/<environment>.tfstate."),
      useLockfile: z.boolean().default(true).describe("S3-native state locking (Terraform >= 1.10). Default: true."),
      assumeRoleArn: roleArn.optional().describe("Role the backend assumes to reach the bucket. Default: the caller's own credentials."),
    }),
    z.strictObject({
      type: z.literal("cloud"),
      organization: z.string().min(1, "must name the Terraform Cloud organization").describe("HCP Terraform / Terraform Cloud organization."),
      workspace: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,90}$/, "must be a workspace name: letters, digits, '-' and '_', at most 90")
        .describe("Workspace of this environment (one workspace per environment)."),
      project: z.string().min(1).optional().describe("Project the workspace belongs to. Default: the organization's default project."),
      hostname: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a host name such as app.terraform.io").optional().describe("Default: app.terraform.io."),
    }),
  ],
  { error: "must have \"type\": \"local\", \"s3\" or \"cloud\"" },
);

export const TagsSchema = z
  .record(
    z
      .string()
      .regex(TAG_KEY.re, TAG_KEY.help)
      // AWS rejects the reserved prefix at apply time; "__proto__" would vanish from the parsed object.
      .refine((k) => !/^aws:/i.test(k) && k !== "__proto__", "tag keys must not start with \"aws:\" (reserved by AWS) or be \"__proto__\""),
    z.string().regex(TAG_VALUE.re, TAG_VALUE.help),
  )
  .describe("Tags for every taggable resource.");

export const EnvironmentFileSchema = z.strictObject({
  $schema: z.string().optional().describe("Path of the JSON schema, for editors."),
  eks: EksSchema,
  ecr: EcrSchema,
  serviceAccounts: z
    .array(ServiceAccountSchema)
    .min(1, "list at least one service account")
    .describe("Service accounts that get a role in the ECR account."),
  kubernetes: KubernetesSchema.default({ serviceAccounts: "terraform", auth: "exec" }),
  awsEndpoints: AwsEndpointsSchema.optional(),
  backend: BackendSchema.default({ type: "local" }).describe("Where this environment's state lives. Default: local, state/<environment>.tfstate."),
  tags: TagsSchema.default({}),
  imagePulls: ImagePullsSchema.prefault({}),
});

/** An environment file after defaults are applied. */
export type EnvironmentFile = z.output<typeof EnvironmentFileSchema>;
export type ServiceAccountConfig = z.output<typeof ServiceAccountSchema>;
export type BackendConfig = z.output<typeof BackendSchema>;
export type AwsEndpoints = z.output<typeof AwsEndpointsSchema>;
export type OidcProviderConfig = z.output<typeof OidcProviderSchema>;
