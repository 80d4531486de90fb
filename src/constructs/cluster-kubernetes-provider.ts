/**
 * A kubernetes provider for the EKS cluster, configured from the cluster's endpoint and CA. By default it
 * authenticates with `aws eks get-token` at plan/apply time, so no token is ever written to state.
 */
import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { DataAwsEksClusterAuth } from "@cdktf/provider-aws/lib/data-aws-eks-cluster-auth";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface ClusterKubernetesProviderProps {
  /** The cluster, looked up through the eks-account provider. */
  readonly cluster: DataAwsEksCluster;
  /** The eks-account provider (used by `token` auth). */
  readonly awsProvider: AwsProvider;
  /** Cluster region, for `aws eks get-token`. */
  readonly region: string;
  /** `exec` (default): `aws eks get-token`; `token`: `data aws_eks_cluster_auth`, whose token lands in state. */
  readonly auth?: "exec" | "token";
  /** Role `aws eks get-token` assumes (the eks account's Terraform role). Default: the caller's credentials. */
  readonly assumeRoleArn?: string;
}

export class ClusterKubernetesProvider extends Construct {
  readonly provider: KubernetesProvider;

  constructor(scope: Construct, id: string, props: ClusterKubernetesProviderProps) {
    super(scope, id);
    const common = {
      host: props.cluster.endpoint,
      clusterCaCertificate: Fn.base64decode(props.cluster.certificateAuthority.get(0).data),
    };
    if (props.auth === "token") {
      const auth = new DataAwsEksClusterAuth(this, "auth", { provider: props.awsProvider, name: props.cluster.name });
      auth.overrideLogicalId("eks_cluster");
      this.provider = new KubernetesProvider(this, "provider", { ...common, token: auth.token });
      return;
    }
    const args = ["eks", "get-token", "--cluster-name", props.cluster.name, "--region", props.region, "--output", "json"];
    if (props.assumeRoleArn) args.push("--role-arn", props.assumeRoleArn);
    this.provider = new KubernetesProvider(this, "provider", {
      ...common,
      exec: [{ apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args }],
    });
  }
}
