/**
 * Integration-tier fixtures: what a user's accounts already hold before they run the generated stack, created
 * through the AWS API in the account that owns each thing, and removed again afterwards.
 *
 *   eks account:    an EKS cluster (its issuer is what the stack must trust)
 *   ecr account:    ECR repositories; an IAM OIDC provider that already exists (for `existingArn`)
 *   state account:  the S3 bucket of the S3 backend
 *
 * Every name carries the run id, so runs against shared (LocalStack, sandbox) accounts do not collide.
 */
import { CreateRepositoryCommand, DeleteRepositoryCommand } from "@aws-sdk/client-ecr";
import { CreateClusterCommand, DeleteClusterCommand, DescribeClusterCommand } from "@aws-sdk/client-eks";
import {
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import type { Target } from "./it-target";

/** A syntactically valid SHA-1 thumbprint (the value IAM's own docs use). */
export const STATIC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

export interface Fixtures {
  readonly clusterName: string;
  /** The cluster's issuer URL, as the EKS API reports it. */
  readonly clusterIssuer: string;
  /** Created by the tier (false when an existing cluster of a sandbox account is used). */
  readonly clusterCreated: boolean;
  /** Repository name -> ARN, as ECR reports them. */
  readonly repositories: Record<string, string>;
  /** An issuer URL of "another cluster" and the OIDC provider that already exists for it in the ecr account. */
  readonly existingIssuer: string;
  readonly existingProviderArn: string;
  readonly stateBucket: string;
}

export function repositoryNames(run: string): string[] {
  return [`it-${run}/app`, `it-${run}/base-node`, `it-${run}/base-python`, `it-${run}-other/secret`];
}

export async function createFixtures(target: Target, run: string): Promise<Fixtures> {
  let clusterName = target.existingCluster;
  if (!clusterName) {
    clusterName = `it-${run}`;
    await target.eks.eks.send(
      new CreateClusterCommand({
        name: clusterName,
        roleArn: `arn:aws:iam::${target.eks.accountId}:role/eks-cluster`,
        resourcesVpcConfig: { subnetIds: ["subnet-0it"] },
      }),
    );
  }
  const cluster = (await target.eks.eks.send(new DescribeClusterCommand({ name: clusterName }))).cluster;
  const clusterIssuer = cluster?.identity?.oidc?.issuer;
  if (!clusterIssuer) throw new Error(`cluster ${clusterName} reports no OIDC issuer`);

  const repositories: Record<string, string> = {};
  for (const name of repositoryNames(run)) {
    const repo = (await target.ecr.ecr.send(new CreateRepositoryCommand({ repositoryName: name }))).repository;
    repositories[name] = repo!.repositoryArn!;
  }

  const existingIssuer = `https://oidc.eks.${target.region}.amazonaws.com/id/IT${run.toUpperCase()}EXISTINGPROVIDER`;
  const provider = await target.ecr.iam.send(
    new CreateOpenIDConnectProviderCommand({ Url: existingIssuer, ClientIDList: ["sts.amazonaws.com"], ThumbprintList: [STATIC_THUMBPRINT] }),
  );

  const stateBucket = `eks-ecr-access-it-${run}`;
  await target.state.s3.send(
    new CreateBucketCommand({
      Bucket: stateBucket,
      CreateBucketConfiguration: target.region === "us-east-1" ? undefined : { LocationConstraint: target.region as never },
    }),
  );
  return {
    clusterName,
    clusterIssuer,
    clusterCreated: !target.existingCluster,
    repositories,
    existingIssuer,
    existingProviderArn: provider.OpenIDConnectProviderArn!,
    stateBucket,
  };
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  const objects = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
  if (objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
}

/** Removes every fixture; collects failures instead of stopping at the first, and reports them all. */
export async function deleteFixtures(target: Target, fixtures: Partial<Fixtures>): Promise<void> {
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  for (const name of Object.keys(fixtures.repositories ?? {})) {
    await attempt(`ECR repository ${name}`, () => target.ecr.ecr.send(new DeleteRepositoryCommand({ repositoryName: name, force: true })));
  }
  if (fixtures.existingProviderArn) {
    const arn = fixtures.existingProviderArn;
    await attempt(`OIDC provider ${arn}`, () => target.ecr.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })));
  }
  if (fixtures.stateBucket) {
    const bucket = fixtures.stateBucket;
    await attempt(`S3 bucket ${bucket}`, async () => {
      await emptyBucket(target.state.s3, bucket);
      await target.state.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    });
  }
  if (fixtures.clusterCreated && fixtures.clusterName) {
    const name = fixtures.clusterName;
    await attempt(`EKS cluster ${name}`, () => target.eks.eks.send(new DeleteClusterCommand({ name })));
  }
  if (failures.length > 0) throw new Error(`could not remove every fixture:\n  ${failures.join("\n  ")}`);
}

/** Role names and OIDC provider ARNs of one account, sorted: a snapshot to compare before and after. */
export async function iamInventory(iam: IAMClient): Promise<{ roles: string[]; oidcProviders: string[] }> {
  const roles: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ Marker: marker }));
    roles.push(...(page.Roles ?? []).map((r) => r.RoleName!));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const providers = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  return { roles: roles.sort(), oidcProviders: (providers.OpenIDConnectProviderList ?? []).map((p) => p.Arn!).sort() };
}
