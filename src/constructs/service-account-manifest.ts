/**
 * The annotated ServiceAccount (and, when asked, Namespace) objects, as data and as YAML. Shared by the
 * kubernetes-provider path and the GitOps "manifest" path, so both annotate identically.
 */
import { stringify } from "yaml";

export const ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn";
export const STS_REGIONAL_ANNOTATION = "eks.amazonaws.com/sts-regional-endpoints";
/** Read by the AWS ecr-credential-provider (KEP-4412 pulls): the role the kubelet pulls this service account's pods' images with. */
export const ECR_ROLE_ARN_ANNOTATION = "eks.amazonaws.com/ecr-role-arn";
export const MANAGED_BY_LABEL = { "app.kubernetes.io/managed-by": "eks-ecr-access" };

export interface ServiceAccountSpec {
  readonly namespace: string;
  readonly name: string;
  /** ARN of the role in the ECR account (may be a Terraform token). */
  readonly roleArn: string;
  /** Also create the namespace. */
  readonly createNamespace: boolean;
  /** The kubelet pulls this account's pods' images with the role (KEP-4412). Default: false. */
  readonly imagePull?: boolean;
}

export function serviceAccountAnnotations(roleArn: string, options: { readonly imagePull?: boolean } = {}): Record<string, string> {
  // Regional STS keeps token exchange inside the cluster's region (and working if the global endpoint is unreachable).
  const annotations: Record<string, string> = { [ROLE_ARN_ANNOTATION]: roleArn, [STS_REGIONAL_ANNOTATION]: "true" };
  // The credential provider reads its own annotation, not role-arn, so image pulls are opted into per account.
  if (options.imagePull) annotations[ECR_ROLE_ARN_ANNOTATION] = roleArn;
  return annotations;
}

/**
 * A wildcard name (`*`, `build-*`, allowed with `allowWildcardSubjects`) stands for service accounts the
 * user creates: there is no single object to create, so neither mode emits one for it. Its role ARN is in
 * the stack's `role_arns` output, for the user's own service accounts' annotation (docs/safety.md).
 */
export function isWildcardName(name: string): boolean {
  return name.includes("*");
}

/** Namespaces to create, each once, in first-mention order. */
export function namespacesToCreate(accounts: readonly ServiceAccountSpec[]): string[] {
  return [...new Set(accounts.filter((a) => a.createNamespace).map((a) => a.namespace))];
}

/** A multi-document YAML stream: namespaces first, so `kubectl apply -f` works in one pass. */
export function serviceAccountManifests(accounts: readonly ServiceAccountSpec[]): string {
  const docs: object[] = [
    ...namespacesToCreate(accounts).map((name) => ({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { ...MANAGED_BY_LABEL } },
    })),
    ...accounts.filter((a) => !isWildcardName(a.name)).map((a) => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: a.name,
        namespace: a.namespace,
        labels: { ...MANAGED_BY_LABEL },
        annotations: serviceAccountAnnotations(a.roleArn, a),
      },
    })),
  ];
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}
