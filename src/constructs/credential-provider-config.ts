/**
 * What the nodes need for KEP-4412 image pulls (the kubelet hands the POD's service-account token to the
 * AWS ecr-credential-provider, which assumes the role named by the service account's
 * `eks.amazonaws.com/ecr-role-arn` annotation): the kubelet's CredentialProviderConfig and the RBAC that
 * lets kubelets request tokens for the audience. Pure data; written as files next to the stack.
 *
 * Versions (see docs/image-pulls.md): Kubernetes >= 1.34 (KubeletServiceAccountTokenForCredentialProviders
 * beta, on by default), ecr-credential-provider from cloud-provider-aws >= 1.34 (tokenAttributes support).
 */
import { stringify } from "yaml";
import { MANAGED_BY_LABEL, ECR_ROLE_ARN_ANNOTATION } from "./service-account-manifest";

/**
 * Registries the provider answers for. The file replaces the node's whole config, so this is the full
 * list an EKS AL2023 node ships (private ECR in every partition, dual-stack, FIPS, and ECR Public):
 * pulls from any of them keep working, now through the token-aware provider.
 */
export const ECR_MATCH_IMAGES = [
  "*.dkr.ecr.*.amazonaws.com",
  "*.dkr-ecr.*.on.aws",
  "*.dkr.ecr.*.amazonaws.com.cn",
  "*.dkr-ecr.*.on.amazonwebservices.com.cn",
  "*.dkr.ecr-fips.*.amazonaws.com",
  "*.dkr-ecr-fips.*.on.aws",
  "*.dkr.ecr.*.c2s.ic.gov",
  "*.dkr.ecr.*.sc2s.sgov.gov",
  "*.dkr.ecr.*.cloud.adc-e.uk",
  "*.dkr.ecr.*.csp.hci.ic.gov",
  "*.dkr.ecr.*.amazonaws.eu",
  "public.ecr.aws",
  "ecr-public.aws.com",
] as const;

/** Name of the provider binary; the kubelet runs `<image-credential-provider-bin-dir>/<name>`. */
export const ECR_CREDENTIAL_PROVIDER = "ecr-credential-provider";

/** The kubelet CredentialProviderConfig (JSON, as EKS nodes keep it in /etc/eks/image-credential-provider/config.json). */
export function credentialProviderConfig(audience: string): object {
  return {
    apiVersion: "kubelet.config.k8s.io/v1",
    kind: "CredentialProviderConfig",
    providers: [
      {
        name: ECR_CREDENTIAL_PROVIDER,
        matchImages: [...ECR_MATCH_IMAGES],
        defaultCacheDuration: "12h0m0s",
        apiVersion: "credentialprovider.kubelet.k8s.io/v1",
        tokenAttributes: {
          serviceAccountTokenAudience: audience,
          // Credentials are per service account (per role), never shared between pods of different accounts.
          cacheType: "ServiceAccount",
          // false: the provider is still called for pods without a service-account token (static pods). Pods
          // whose service account lacks the ecr-role-arn annotation fall back to the node role in the provider.
          requireServiceAccount: false,
          optionalServiceAccountAnnotationKeys: [ECR_ROLE_ARN_ANNOTATION],
        },
      },
    ],
  };
}

export const CREDENTIAL_PROVIDER_RBAC_NAME = "eks-ecr-access-kubelet-image-pull-audience";

/**
 * ClusterRole + binding for `system:nodes`: with ServiceAccountNodeAudienceRestriction (beta, on by
 * default since 1.33) a kubelet may only request tokens for audiences its pods already use unless RBAC
 * grants the audience. No resourceNames: once tokenAttributes is set the kubelet requests a token for the
 * service account of EVERY pod pulling from ECR, so restricting names would break the other pods' pulls.
 */
export function credentialProviderRbac(audience: string): string {
  const labels = { ...MANAGED_BY_LABEL };
  const docs = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: CREDENTIAL_PROVIDER_RBAC_NAME, labels },
      rules: [{ verbs: ["request-serviceaccounts-token-audience"], apiGroups: [""], resources: [audience] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: CREDENTIAL_PROVIDER_RBAC_NAME, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CREDENTIAL_PROVIDER_RBAC_NAME },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:nodes" }],
    },
  ];
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}
