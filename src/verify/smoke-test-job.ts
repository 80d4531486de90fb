/**
 * A per-environment smoke test to run inside the cluster: one Kubernetes Job per service account that
 * runs as that service account (so the pod identity webhook injects the role) and uses the aws CLI to
 * show who it is, get an ECR auth token and list images of each named repository. Printed by
 * `verify --env NAME --emit-job` (opt-in: it is something to run in the cluster, not part of the stack).
 */
import { stringify } from "yaml";
import type { Environment } from "../config/environment";
import { MANAGED_BY_LABEL } from "../constructs/service-account-manifest";

/**
 * The aws CLI image, pinned (a moving tag would make the synthesized output change by itself). Override by
 * editing the file or with `kubectl set image`; any image with `aws` and `sh` works.
 */
export const AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.17.0";

/** Kubernetes object names: at most 63 characters, ending with a letter or digit. */
function jobName(sa: string): string {
  return `ecr-smoke-test-${sa}`.slice(0, 63).replace(/[-.]+$/, "");
}

/** Single-quoted for sh: repository names cannot hold quotes, but the function must not depend on that. */
const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;

export function smokeTestScript(env: Environment, repositories: readonly string[]): string {
  const { accountId, region } = env.config.ecr;
  const lines = [
    "set -eu",
    'echo "== identity (must be the service account\'s role)"',
    "aws sts get-caller-identity --output text",
    'echo "== ecr:GetAuthorizationToken"',
    `aws ecr get-authorization-token --region ${q(region)} --query 'authorizationData[0].expiresAt' --output text`,
  ];
  for (const repo of repositories) {
    if (repo.endsWith("*")) {
      lines.push(`echo "== ${repo}: prefix pattern, name a repository under it to test it"`);
      continue;
    }
    lines.push(`echo "== images in ${repo}"`);
    lines.push(
      `aws ecr describe-images --registry-id ${q(accountId)} --region ${q(region)} --repository-name ${q(repo)} --max-items 20 --query 'imageDetails[].[imageTags[0],imagePushedAt]' --output text`,
    );
  }
  lines.push('echo "== OK: ECR reachable with the service account\'s role"');
  return `${lines.join("\n")}\n`;
}

/** A multi-document YAML stream of Jobs, one per service account, in file order. Deterministic. */
export function smokeTestJobManifests(env: Environment): string {
  const docs = env.serviceAccounts.map((sa) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(sa.name),
      namespace: sa.namespace,
      labels: { ...MANAGED_BY_LABEL, "eks-ecr-access/environment": env.name },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 300,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: { "eks-ecr-access/smoke-test": sa.name } },
        spec: {
          serviceAccountName: sa.name,
          restartPolicy: "Never",
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 },
          containers: [
            {
              name: "aws",
              image: AWS_CLI_IMAGE,
              command: ["/bin/sh", "-c", smokeTestScript(env, sa.repositories)],
              // The CLI writes its cache under $HOME; the nobody user has no home of its own. Both region
              // variables: aws CLI v2 reads either, v1 only AWS_DEFAULT_REGION.
              env: [
                { name: "HOME", value: "/tmp" },
                { name: "AWS_REGION", value: env.config.ecr.region },
                { name: "AWS_DEFAULT_REGION", value: env.config.ecr.region },
              ],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            },
          ],
        },
      },
    },
  }));
  const header = `# Smoke test for environment ${env.name}: kubectl apply -f FILE; then kubectl logs -n NAMESPACE job/NAME\n`;
  return header + docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}
