/**
 * Each environment's own state location. Local state lives outside the synthesized output (which a
 * re-synth replaces) at `state/<environment>.tfstate` of the project: the path is relative, so the JSON
 * holds no path of the machine that synthesized it.
 */
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { Environment, defaultS3Key } from "../config/environment";

/** Both `cdktf.out/stacks/<env>/` and `generated/stacks/<env>/` are three levels below the project root. */
export const LOCAL_STATE_DIR_FROM_STACK = "../../../state";

export function configureBackend(stack: TerraformStack, env: Environment): void {
  const backend = env.config.backend;
  switch (backend.type) {
    case "local":
      new LocalBackend(stack, { path: `${LOCAL_STATE_DIR_FROM_STACK}/${env.name}.tfstate` });
      return;
    case "s3": {
      const endpoints = env.config.awsEndpoints;
      new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key ?? defaultS3Key(env.name),
        region: backend.region,
        encrypt: true,
        assumeRole: backend.assumeRoleArn ? { roleArn: backend.assumeRoleArn, sessionName: `eks-ecr-access-${env.name}-state` } : undefined,
        endpoints: endpoints && (endpoints.s3 || endpoints.sts || endpoints.iam) ? { s3: endpoints.s3, sts: endpoints.sts, iam: endpoints.iam } : undefined,
        usePathStyle: endpoints?.s3 ? true : undefined,
        skipRegionValidation: endpoints?.s3 ? true : undefined,
        skipMetadataApiCheck: endpoints?.s3 ? true : undefined,
      });
      // cdktf 0.21 has no prop for it; S3-native locking needs Terraform >= 1.10 and replaces DynamoDB.
      if (backend.useLockfile) stack.addOverride("terraform.backend.s3.use_lockfile", true);
      return;
    }
    case "cloud":
      // Written directly rather than through CloudBackend, which runs `terraform version` on every synth.
      stack.addOverride("terraform.cloud", {
        hostname: backend.hostname,
        organization: backend.organization,
        workspaces: { name: backend.workspace, project: backend.project },
      });
      return;
  }
}
