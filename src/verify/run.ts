/**
 * `verify`: runs every check for one environment in dependency order (accounts, then issuer, then the
 * provider and roles that depend on the issuer) and returns the results; printing is `report.ts`'s job.
 */
import type { Environment } from "../config/environment";
import { AccountAccess } from "./clients";
import { checkAccount, checkIssuer, checkProvider, checkRepositories, checkRole } from "./checks";
import { checkServiceAccounts } from "./kube";
import { checkNodePulls } from "./node-pulls";
import type { CheckResult } from "./report";
import { checkThumbprints } from "./thumbprints";
import { checkWebIdentityToken } from "./token";

export interface VerifyOptions {
  /** A service-account token file: also exchange it for the role and call ECR with it. Default: not done. */
  readonly webIdentityTokenFile?: string;
  /** kubeconfig file for the service-account checks. Default: $KUBECONFIG / ~/.kube/config, when `context` is given. */
  readonly kubeconfig?: string;
  /** kubeconfig context. The cluster checks run only when this or `kubeconfig` is given. */
  readonly context?: string;
  /** How long to wait for the issuer's TLS handshake, in ms. Default: 5000. */
  readonly tlsTimeoutMs?: number;
}

const skipped = (id: string, subject: string, why: string, fix: string): CheckResult => ({ id, subject, status: "skip", detail: why, fix });

export async function verifyEnvironment(env: Environment, options: VerifyOptions = {}): Promise<CheckResult[]> {
  const sessionName = `eks-ecr-access-verify-${env.name}`;
  const endpoints = env.config.awsEndpoints;
  const eks = new AccountAccess({ region: env.config.eks.region, assumeRoleArn: env.config.eks.assumeRoleArn, sessionName, endpoints });
  const ecr = new AccountAccess({ region: env.config.ecr.region, assumeRoleArn: env.config.ecr.assumeRoleArn, sessionName, endpoints });
  try {
    const results: CheckResult[] = [];
    const [eksAccount, ecrAccount] = await Promise.all([checkAccount(env, "eks", eks), checkAccount(env, "ecr", ecr)]);
    results.push(eksAccount, ecrAccount);
    const eksOk = eksAccount.status === "pass";
    const ecrOk = ecrAccount.status === "pass";

    const issuer = await checkIssuer(env, eksOk ? eks : undefined);
    results.push(issuer.result);
    const issuerUrl = issuer.issuerUrl;

    if (!ecrOk) {
      results.push(skipped("oidc.provider", env.config.ecr.accountId, "ecr account not reachable", "fix account.ecr first"));
    } else {
      const provider = issuerUrl ? await checkProvider(env, ecr, issuerUrl) : undefined;
      if (provider) results.push(...provider.results);
      else results.push(skipped("oidc.provider", env.config.ecr.accountId, "issuer unknown", "fix cluster.issuer first"));
      results.push(await checkThumbprints(env, issuerUrl, provider?.state, options.tlsTimeoutMs));
      for (const sa of env.serviceAccounts) results.push(...(await checkRole(env, ecr, sa, issuerUrl)));
      results.push(...(await checkRepositories(env, ecr)));
      results.push(...(await checkNodePulls(env, ecr, eksOk ? eks : undefined)));
    }

    if (options.kubeconfig || options.context) {
      results.push(...(await checkServiceAccounts(env, { kubeconfig: options.kubeconfig, context: options.context, clusterEndpoint: issuer.endpoint })));
    } else {
      results.push(skipped("k8s.service-account", env.config.eks.clusterName, "cluster not checked", "pass --kubeconfig FILE and/or --context NAME to check the service accounts' annotations"));
    }

    if (options.webIdentityTokenFile) results.push(...(await checkWebIdentityToken(env, options.webIdentityTokenFile, issuerUrl)));
    return results;
  } finally {
    eks.destroy();
    ecr.destroy();
  }
}
