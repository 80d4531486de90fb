/**
 * The annotated service accounts (and requested namespaces), created in the cluster through a kubernetes
 * provider.
 */
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { Construct } from "constructs";
import { MANAGED_BY_LABEL, ServiceAccountSpec, isWildcardName, namespacesToCreate, serviceAccountAnnotations } from "./service-account-manifest";

export interface KubernetesServiceAccountsProps {
  /** Provider of the cluster. */
  readonly provider: KubernetesProvider;
  /** The service accounts, each with a logical id that is a valid Terraform identifier. */
  readonly accounts: readonly (ServiceAccountSpec & { readonly logicalId: string })[];
}

export class KubernetesServiceAccounts extends Construct {
  constructor(scope: Construct, id: string, props: KubernetesServiceAccountsProps) {
    super(scope, id);
    const namespaces = new Map<string, NamespaceV1>();
    for (const name of namespacesToCreate(props.accounts)) {
      const ns = new NamespaceV1(this, `namespace-${name}`, {
        provider: props.provider,
        metadata: { name, labels: { ...MANAGED_BY_LABEL } },
      });
      ns.overrideLogicalId(/^[0-9]/.test(name) ? `_${name}` : name);
      namespaces.set(name, ns);
    }
    // Wildcard names get a role but no object: the user's own service accounts carry the annotation.
    for (const account of props.accounts.filter((a) => !isWildcardName(a.name))) {
      const ns = namespaces.get(account.namespace);
      const sa = new ServiceAccountV1(this, `service-account-${account.logicalId}`, {
        provider: props.provider,
        metadata: {
          name: account.name,
          namespace: ns ? ns.metadata.name : account.namespace,
          labels: { ...MANAGED_BY_LABEL },
          annotations: serviceAccountAnnotations(account.roleArn, account),
        },
      });
      sa.overrideLogicalId(account.logicalId);
    }
  }
}
