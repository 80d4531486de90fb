/**
 * The cluster's OIDC issuer: either given in the environment file (known at synth time) or read from the
 * cluster in the EKS account. The cluster itself is also looked up when the kubernetes provider needs its
 * endpoint and CA, so both uses share one data source.
 */
import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { issuerHost } from "../config/environment";

export interface ClusterIssuerProps {
  /** The eks-account provider. */
  readonly provider: AwsProvider;
  /** EKS cluster name. */
  readonly clusterName: string;
  /** Issuer URL, when known. Default: read from `data aws_eks_cluster`. */
  readonly issuerUrl?: string;
  /** Look the cluster up even when the issuer is known (the kubernetes provider needs endpoint and CA). Default: false. */
  readonly lookUpCluster?: boolean;
}

export class ClusterIssuer extends Construct {
  /** `https://...` issuer URL (a token when read from the cluster). */
  readonly url: string;
  /** The issuer URL without `https://`: the prefix of the `:sub` and `:aud` condition keys. */
  readonly host: string;
  /** The cluster data source, when looked up. */
  readonly cluster?: DataAwsEksCluster;

  constructor(scope: Construct, id: string, props: ClusterIssuerProps) {
    super(scope, id);
    if (!props.issuerUrl || props.lookUpCluster) {
      this.cluster = new DataAwsEksCluster(this, "cluster", { provider: props.provider, name: props.clusterName });
      this.cluster.overrideLogicalId("eks_cluster");
    }
    if (props.issuerUrl) {
      this.url = props.issuerUrl;
      this.host = issuerHost(props.issuerUrl);
    } else {
      this.url = this.cluster!.identity.get(0).oidc.get(0).issuer;
      this.host = Fn.replace(this.url, "https://", "");
    }
  }
}
