/**
 * The cluster side: each service account exists and carries the annotation that points the pod identity
 * webhook at the right role. Uses the official Kubernetes client (@kubernetes/client-node), which is
 * ESM-only since 1.0; this CommonJS project loads it with a real dynamic `import()` (see importKubernetes).
 */
import type * as K8s from "@kubernetes/client-node";
import type { Environment } from "../config/environment";
import { STS_AUDIENCE } from "../constructs/issuer-oidc-provider";
import { ECR_ROLE_ARN_ANNOTATION, ROLE_ARN_ANNOTATION } from "../constructs/service-account-manifest";
import { errorText } from "./clients";
import type { CheckResult } from "./report";

/** The webhook's optional audience annotation; when present it must be the audience the trust pins. */
export const AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience";

/**
 * `import()` kept as a real dynamic import: TypeScript's CommonJS output would turn it into `require()`,
 * which works on Node >= 20.19 but prints an ExperimentalWarning there, and test runners that
 * transpile to CommonJS cannot resolve ESM through their own `require`.
 */
const dynamicImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

export async function importKubernetes(): Promise<typeof K8s> {
  return (await dynamicImport("@kubernetes/client-node")) as typeof K8s;
}

export interface KubeOptions {
  /** kubeconfig file. Default: $KUBECONFIG or ~/.kube/config. */
  readonly kubeconfig?: string;
  /** Context to use. Default: the kubeconfig's current context. */
  readonly context?: string;
  /** The cluster's API endpoint from EKS, to confirm the context points at this environment's cluster. */
  readonly clusterEndpoint?: string;
  /** Give up on one API request after this many ms (the client sets no deadline of its own). Default: 15000. */
  readonly timeoutMs?: number;
}

/**
 * Requests given up on by `withTimeout`. Their sockets stay open (the client offers no way to abort
 * them), which would keep the process alive; the CLI exits explicitly when this is non-zero.
 */
export const abandoned = { requests: 0 };

function withTimeout<T>(promise: Promise<T>, ms: number, server: string | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandoned.requests += 1;
      reject(new Error(`no answer from ${server ?? "the API server"} within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Pure part: what is wrong with one service account's annotations, if anything. */
export function judgeAnnotations(annotations: Record<string, string> | undefined, roleArn: string, imagePull = false): string | undefined {
  const got = annotations?.[ROLE_ARN_ANNOTATION];
  if (!got) return `no ${ROLE_ARN_ANNOTATION} annotation: pods get no role credentials`;
  if (got !== roleArn) return `${ROLE_ARN_ANNOTATION} is ${got}, expected ${roleArn}`;
  // KEP-4412 pulls: the ECR credential provider reads its own annotation, not role-arn.
  const ecrRole = annotations?.[ECR_ROLE_ARN_ANNOTATION];
  if (imagePull && ecrRole !== roleArn) return `${ECR_ROLE_ARN_ANNOTATION} is ${ecrRole ?? "missing"}, expected ${roleArn} (imagePull: true)`;
  const aud = annotations?.[AUDIENCE_ANNOTATION];
  if (aud !== undefined && aud !== STS_AUDIENCE) return `${AUDIENCE_ANNOTATION} is ${aud}; the role's trust pins ${STS_AUDIENCE}`;
  return undefined;
}

export async function checkServiceAccounts(env: Environment, options: KubeOptions): Promise<CheckResult[]> {
  const applyFix =
    env.config.kubernetes.serviceAccounts === "manifest"
      ? `kubectl apply -f cdktf.out/stacks/${env.name}/service-accounts.yaml (or commit it to your GitOps repository)`
      : `re-apply the stack: npx cdktf deploy ${env.name}`;
  let k8s: typeof K8s;
  let kc: K8s.KubeConfig;
  try {
    k8s = await importKubernetes();
    kc = new k8s.KubeConfig();
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  } catch (e) {
    return [{ id: "k8s.context", subject: options.context ?? options.kubeconfig ?? "kubeconfig", status: "error", detail: errorText(e), fix: "pass --kubeconfig FILE and/or --context NAME of this cluster" }];
  }
  const server = kc.getCurrentCluster()?.server;
  const results: CheckResult[] = [];
  const context = kc.getCurrentContext();
  if (options.clusterEndpoint && server && server.replace(/\/+$/, "").toLowerCase() !== options.clusterEndpoint.replace(/\/+$/, "").toLowerCase()) {
    results.push({
      id: "k8s.context",
      subject: context,
      status: "fail",
      detail: `context ${context} points at ${server}, cluster ${env.config.eks.clusterName} is ${options.clusterEndpoint}`,
      fix: `aws eks update-kubeconfig --name ${env.config.eks.clusterName} --region ${env.config.eks.region}, then pass that context with --context`,
    });
    // The service accounts are still read (and reported): what that cluster holds helps find the mix-up.
  } else results.push({ id: "k8s.context", subject: context, status: "pass", detail: `server ${server ?? "unknown"}` });
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (const sa of env.serviceAccounts) {
    const subject = `${sa.namespace}/${sa.name}`;
    try {
      const obj = await withTimeout(core.readNamespacedServiceAccount({ name: sa.name, namespace: sa.namespace }), options.timeoutMs ?? 15000, server);
      const problem = judgeAnnotations(obj.metadata?.annotations, sa.roleArn, sa.imagePull ?? false);
      results.push(
        problem
          ? { id: "k8s.service-account", subject, status: "fail", detail: problem, fix: applyFix }
          : { id: "k8s.service-account", subject, status: "pass", detail: `${ROLE_ARN_ANNOTATION} = ${sa.roleArn}` },
      );
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 404) results.push({ id: "k8s.service-account", subject, status: "fail", detail: "service account not found", fix: applyFix });
      else
        results.push({
          id: "k8s.service-account",
          subject,
          // Anything but "not found" means the check could not be made, not that the account is wrong.
          status: "error",
          detail: errorText(e).split("\n")[0],
          fix: "check that the context can get serviceaccounts in that namespace (kubectl auth can-i get serviceaccounts -n NAMESPACE)",
        });
    }
  }
  return results;
}
