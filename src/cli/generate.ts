/**
 * `eks-ecr-access generate` (`npm run generate`): rewrites everything under `generated/` from the same
 * constructs the generator uses, in one atomic swap:
 *
 *   generated/modules/eks-ecr-access-iam/   main.tf.json + README.md   (aws only, ECR account)
 *   generated/modules/eks-ecr-access/       main.tf.json + README.md   (aws.eks, aws.ecr, tls, kubernetes)
 *   generated/stacks/<env>/                 each environment exactly as `synth` writes it
 *
 * The output depends only on the sources and the environment files: no time, no machine paths.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { synthesizeApp } from "../app";
import type { Environment } from "../config/environment";
import { loadEnvironments } from "../config/load";
import { moduleJson } from "../module/child-module";
import { exampleTrustChain, fullModuleUsage, iamModuleUsage } from "../module/examples";
import { moduleReadme } from "../module/readme";
import { replaceDirectory } from "../output/atomic-directory";
import { reportProblems } from "./problems";
import { FULL_MODULE_NAME, FullModuleStack } from "../stacks/full-module-stack";
import { IAM_MODULE_NAME, IamModuleStack } from "../stacks/iam-module-stack";

/** The command users are told to run when `generated/` is out of date. */
export const GENERATE_COMMAND = "npm run generate";

const PULL_NOTE = `## Who pulls images

The roles are for code inside pods that calls ECR itself (image builders pushing, Argo CD Image Updater,
Flux image-reflector, scanners). The kubelet pulls a pod's images with the node's IAM role, not with the
pod's service account role; for cross-account pulls by the kubelet, the repository (or registry) policy in
the ECR account must allow the node role. See [docs/terraform-modules.md](../../../docs/terraform-modules.md).`;

const IAM_DESCRIPTION = `The ECR-account half of cross-account ECR access from EKS through IAM Roles for Service Accounts
(IRSA), for Terraform users: an IAM OIDC provider for the cluster's issuer (or an existing one) and, for
each Kubernetes service account, an IAM role that only that service account can assume (trust pinned on both
\`:sub\` and \`:aud\`) with least-privilege ECR access to the listed repositories
(\`ecr:GetAuthorizationToken\` on \`*\`, everything else on the repository ARNs only).

It needs one aws provider, for the ECR account; it reads nothing from the EKS account. Annotate each service
account with its role ARN (the \`service_account_manifests\` output has the YAML), or use the
\`eks-ecr-access\` module, which also creates the service accounts.`;

const FULL_DESCRIPTION = `The whole recipe for cross-account ECR access from EKS through IAM Roles for Service Accounts (IRSA):
reads the cluster's OIDC issuer in the EKS account (\`aws.eks\`), pins the issuer's root certificate
thumbprint (\`tls\`), creates the OIDC provider and one least-privilege role per service account in the ECR
account (\`aws.ecr\`, through the sibling \`eks-ecr-access-iam\` module, which must stay next to this folder),
and creates the annotated service accounts in the cluster (\`kubernetes\`).`;

/** Writes both modules into `<dir>/modules`. */
export function writeModules(dir: string): void {
  // Never synthesized to disk: each stack's JSON is taken in memory, cleaned and written as main.tf.json.
  // cdktf still creates the App's outdir, so it gets a throw-away one outside the output.
  const scratch = mkdtempSync(join(tmpdir(), "eks-ecr-access-modules-"));
  try {
    writeModuleFiles(dir, new App({ stackTraces: false, outdir: scratch }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function writeModuleFiles(dir: string, app: App): void {
  const modules = [
    {
      stack: new IamModuleStack(app),
      name: IAM_MODULE_NAME,
      description: IAM_DESCRIPTION,
      usage: iamModuleUsage(`./generated/modules/${IAM_MODULE_NAME}`),
      trustChain: exampleTrustChain("(issuer_url)", "(provider aws)"),
    },
    {
      stack: new FullModuleStack(app),
      name: FULL_MODULE_NAME,
      description: FULL_DESCRIPTION,
      usage: fullModuleUsage(`./generated/modules/${FULL_MODULE_NAME}`),
      trustChain: exampleTrustChain("(provider aws.eks)", "(provider aws.ecr)"),
    },
  ];
  for (const m of modules) {
    const folder = join(dir, "modules", m.name);
    mkdirSync(folder, { recursive: true });
    const json = moduleJson(m.stack);
    writeFileSync(join(folder, "main.tf.json"), json);
    writeFileSync(join(folder, "README.md"), moduleReadme({ ...m, moduleJson: json, notes: PULL_NOTE }));
  }
}

/** Writes each environment's stack folder (as `synth` lays it out) into `<dir>/stacks`. */
export function writeStacks(dir: string, environments: readonly Environment[]): void {
  const scratch = join(dir, ".synth");
  try {
    synthesizeApp(environments, scratch);
    renameSync(join(scratch, "stacks"), join(dir, "stacks"));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Everything `generated/` holds, written into an empty or missing `dir`. */
export function writeGenerated(dir: string, environments: readonly Environment[]): void {
  mkdirSync(dir, { recursive: true });
  writeModules(dir);
  if (environments.length > 0) writeStacks(dir, environments);
}

export function runGenerate(opts: { environments: string; out: string }): void {
  const result = loadEnvironments(opts.environments);
  if (reportProblems(result.problems, `${opts.out} was left as it was`)) return;
  replaceDirectory(opts.out, (tmp) => writeGenerated(tmp, result.environments), {
    isEarlierOutput: (dir) => existsSync(join(dir, "modules")) || existsSync(join(dir, "stacks")),
    protect: [opts.environments],
  });
  process.stdout.write(
    `wrote ${opts.out}/: modules ${IAM_MODULE_NAME}, ${FULL_MODULE_NAME}; stacks ${result.environments.map((e) => e.name).join(", ") || "(none)"}\n`,
  );
}
