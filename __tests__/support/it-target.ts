/**
 * Where the integration tier runs: a private moto_server (default), an AWS emulator that is already running
 * (LocalStack), or real sandbox accounts. The tests are the same for all three; only this file knows the
 * difference. See docs/integration-tests.md.
 *
 *   (default)                              start moto_server on 127.0.0.1, accounts 111111111111 / 222222222222 / 333333333333
 *   EKS_ECR_ACCESS_IT_ENDPOINT=http://...  use that emulator instead (LocalStack: http://127.0.0.1:4566)
 *   EKS_ECR_ACCESS_IT_TARGET=aws           real AWS: the caller's own credentials, plus the variables below
 *     EKS_ECR_ACCESS_IT_EKS_ROLE_ARN       role to assume in the sandbox eks account
 *     EKS_ECR_ACCESS_IT_ECR_ROLE_ARN       role to assume in the sandbox ecr account
 *     EKS_ECR_ACCESS_IT_STATE_ROLE_ARN     role to assume for the state bucket (default: the ecr role)
 *     EKS_ECR_ACCESS_IT_CLUSTER            an existing cluster of the eks account (never created or deleted)
 *     EKS_ECR_ACCESS_IT_REGION             region (default us-east-1)
 */
import { integrationTier, TierStatus } from "./tiers";
import { AccountClients, accountClients, DUMMY_CREDENTIALS_ENV, Moto, startMoto } from "./moto";

export const IT_ENV = {
  endpoint: "EKS_ECR_ACCESS_IT_ENDPOINT",
  target: "EKS_ECR_ACCESS_IT_TARGET",
  eksRole: "EKS_ECR_ACCESS_IT_EKS_ROLE_ARN",
  ecrRole: "EKS_ECR_ACCESS_IT_ECR_ROLE_ARN",
  stateRole: "EKS_ECR_ACCESS_IT_STATE_ROLE_ARN",
  cluster: "EKS_ECR_ACCESS_IT_CLUSTER",
  region: "EKS_ECR_ACCESS_IT_REGION",
} as const;

export type TargetKind = "moto" | "emulator" | "aws";

export interface TargetPlan {
  readonly kind: TargetKind;
  readonly region: string;
  /** Roles the generated providers (and the test's own clients) assume, one per account. */
  readonly roles: { readonly eks: string; readonly ecr: string; readonly state: string };
  /** Existing cluster to use (real AWS); undefined = the tier creates one in the emulator. */
  readonly existingCluster?: string;
}

/** An ARN's account id (5th field). */
export const accountOf = (arn: string): string => arn.split(":")[4];

const emulatorRole = (account: string) => `arn:aws:iam::${account}:role/eks-ecr-access-it`;

/** Reads the target from the environment, or explains what is missing. */
export function planTarget(env: NodeJS.ProcessEnv = process.env): { plan: TargetPlan } | { problem: string } {
  const region = env[IT_ENV.region] || "us-east-1";
  if (env[IT_ENV.target] === "aws") {
    const missing = [IT_ENV.eksRole, IT_ENV.ecrRole, IT_ENV.cluster].filter((k) => !env[k]);
    if (missing.length > 0) return { problem: `${IT_ENV.target}=aws needs ${missing.join(", ")}` };
    const roles = { eks: env[IT_ENV.eksRole]!, ecr: env[IT_ENV.ecrRole]!, state: env[IT_ENV.stateRole] || env[IT_ENV.ecrRole]! };
    return { plan: { kind: "aws", region, roles, existingCluster: env[IT_ENV.cluster] } };
  }
  if (env[IT_ENV.target] && env[IT_ENV.target] !== "emulator") {
    return { problem: `${IT_ENV.target} must be "aws" (real sandbox accounts) or unset (emulator), got "${env[IT_ENV.target]}"` };
  }
  const roles = { eks: emulatorRole("111111111111"), ecr: emulatorRole("222222222222"), state: emulatorRole("333333333333") };
  return { plan: { kind: env[IT_ENV.endpoint] ? "emulator" : "moto", region, roles } };
}

/**
 * Whether the tier can run: terraform and the provider mirror always; moto_server only when the tier
 * starts it itself.
 */
export function integrationTargetStatus(): TierStatus {
  const target = planTarget();
  if ("problem" in target) return { available: false, reason: target.problem };
  return integrationTier({ needsMoto: target.plan.kind === "moto" });
}

export interface Target extends TargetPlan {
  /** Custom endpoint for every service; undefined on real AWS. */
  readonly endpoint?: string;
  /** Environment for terraform: dummy credentials on emulators, the caller's own on real AWS. */
  readonly terraformEnv: Record<string, string | undefined>;
  readonly eks: AccountClients;
  readonly ecr: AccountClients;
  readonly state: AccountClients;
  /** True on emulators: the accounts belong to this run, so account-wide "nothing else exists" checks are valid. */
  readonly ownsAccounts: boolean;
  /** Stops what `openTarget` started (clients, moto_server). Safe to call twice. */
  close(): Promise<void>;
}

export async function openTarget(plan: TargetPlan): Promise<Target> {
  let moto: Moto | undefined;
  const clients: AccountClients[] = [];
  const close = async () => {
    clients.splice(0).forEach((c) => c.destroy());
    await moto?.stop();
    moto = undefined;
  };
  try {
    let endpoint: string | undefined;
    if (plan.kind === "moto") {
      moto = await startMoto();
      endpoint = moto.endpoint;
    } else if (plan.kind === "emulator") {
      endpoint = process.env[IT_ENV.endpoint];
    }
    const onEmulator = endpoint !== undefined;
    // Clients get explicit credentials (see accountClients), so process.env is left alone.
    const open = async (roleArn: string) => {
      const c = await accountClients({ endpoint, accountId: accountOf(roleArn), roleArn, region: plan.region });
      clients.push(c);
      return c;
    };
    const [eks, ecr, state] = await Promise.all([open(plan.roles.eks), open(plan.roles.ecr), open(plan.roles.state)]);
    return {
      ...plan,
      endpoint,
      terraformEnv: onEmulator ? DUMMY_CREDENTIALS_ENV : {},
      eks,
      ecr,
      state,
      ownsAccounts: onEmulator,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
