/**
 * One environment = one stack = one state: the whole recipe for one cluster and one ECR account.
 *
 *   eks account:  cluster (issuer, endpoint)            service accounts (annotated with role ARNs)
 *   ecr account:  OIDC provider for the issuer  <-trusts-  one role per service account -> ECR repositories
 */
import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { Environment } from "../config/environment";
import { AccountProvider } from "../constructs/account-provider";
import { ClusterIssuer } from "../constructs/cluster-issuer";
import { ClusterKubernetesProvider } from "../constructs/cluster-kubernetes-provider";
import { EcrAccessRole } from "../constructs/ecr-access-role";
import { IssuerOidcProvider } from "../constructs/issuer-oidc-provider";
import { KubernetesServiceAccounts } from "../constructs/kubernetes-service-accounts";
import { serviceAccountManifests } from "../constructs/service-account-manifest";
import { configureBackend } from "./backend";
import { useTfcDynamicCredentials } from "./tfc-dynamic-credentials";
import { addImagePulls, extraClientIds, trustedAudiences } from "./image-pulls";

export const MANAGED_BY_TAG = { "managed-by": "eks-ecr-access" };

export class EnvironmentStack extends TerraformStack {
  /** The annotated ServiceAccount YAML with static role ARNs, for `manifest` mode's file. */
  readonly manifest?: string;

  constructor(scope: Construct, readonly env: Environment) {
    super(scope, env.name);
    const { eks, ecr, kubernetes, awsEndpoints } = env.config;
    const tags = { ...MANAGED_BY_TAG, "eks-ecr-access/environment": env.name, ...env.config.tags };
    configureBackend(this, env);

    const eksAccount = new AccountProvider(this, "eks-account", {
      alias: "eks",
      accountId: eks.accountId,
      region: eks.region,
      assumeRoleArn: eks.assumeRoleArn,
      sessionName: `eks-ecr-access-${env.name}`,
      endpoints: awsEndpoints,
    }).provider;
    const ecrAccount = new AccountProvider(this, "ecr-account", {
      alias: "ecr",
      accountId: ecr.accountId,
      region: ecr.region,
      assumeRoleArn: ecr.assumeRoleArn,
      sessionName: `eks-ecr-access-${env.name}`,
      endpoints: awsEndpoints,
    }).provider;

    // In HCP Terraform each provider can get its own account's role through tagged dynamic credentials.
    if (env.config.backend.type === "cloud") useTfcDynamicCredentials(this, { eks: eksAccount, ecr: ecrAccount });

    const createServiceAccounts = kubernetes.serviceAccounts === "terraform";
    const issuer = new ClusterIssuer(this, "issuer", {
      provider: eksAccount,
      clusterName: eks.clusterName,
      issuerUrl: eks.issuerUrl,
      lookUpCluster: createServiceAccounts,
    });
    const oidcProvider = new IssuerOidcProvider(this, "oidc-provider", {
      provider: ecrAccount,
      issuerUrl: issuer.url,
      source: env.oidcProvider,
      tags,
      extraClientIds: extraClientIds(env),
    });

    const roles = env.serviceAccounts.map(
      (sa) =>
        new EcrAccessRole(this, `role-${sa.key}`, {
          provider: ecrAccount,
          oidcProviderArn: oidcProvider.arn,
          issuerHost: issuer.host,
          namespace: sa.namespace,
          serviceAccountName: sa.name,
          allowWildcardSubject: sa.allowWildcardSubjects,
          allowAllRepositories: sa.allowAllRepositories,
          roleName: sa.roleName,
          path: sa.path,
          permissionsBoundaryArn: sa.permissionsBoundaryArn,
          maxSessionDuration: sa.maxSessionDuration,
          repositories: sa.repositories,
          repositoryScope: { partition: env.partition, region: ecr.region, accountId: ecr.accountId },
          access: sa.access,
          logicalId: sa.key,
          tags,
          audiences: trustedAudiences(env, sa.imagePull),
        }),
    );
    const specs = env.serviceAccounts.map((sa, i) => ({ ...sa, logicalId: sa.key, roleArn: roles[i].role.arn }));

    if (createServiceAccounts) {
      const k8s = new ClusterKubernetesProvider(this, "kubernetes", {
        cluster: issuer.cluster!,
        awsProvider: eksAccount,
        region: eks.region,
        auth: kubernetes.auth,
        assumeRoleArn: eks.assumeRoleArn,
      });
      new KubernetesServiceAccounts(this, "service-accounts", { provider: k8s.provider, accounts: specs });
    } else {
      this.manifest = serviceAccountManifests(env.serviceAccounts);
      new TerraformOutput(this, "service-account-manifests", {
        description: "Annotated ServiceAccount YAML to apply to the cluster (kubectl apply -f, or commit to your GitOps repository).",
        value: serviceAccountManifests(specs),
      }).overrideLogicalId("service_account_manifests");
    }

    addImagePulls(this, env, { eks: eksAccount, ecr: ecrAccount });

    new TerraformOutput(this, "issuer-url", { description: "The cluster's OIDC issuer URL.", value: issuer.url }).overrideLogicalId("issuer_url");
    new TerraformOutput(this, "oidc-provider-arn", {
      description: "ARN of the IAM OIDC provider (in the ECR account) that the roles trust.",
      value: oidcProvider.arn,
    }).overrideLogicalId("oidc_provider_arn");
    new TerraformOutput(this, "role-arns", {
      description: "Role ARN of each service account, keyed by \"<namespace>/<name>\".",
      value: Object.fromEntries(env.serviceAccounts.map((sa, i) => [`${sa.namespace}/${sa.name}`, roles[i].role.arn])),
    }).overrideLogicalId("role_arns");
  }
}
