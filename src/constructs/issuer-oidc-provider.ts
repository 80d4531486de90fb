/**
 * The IAM OIDC provider for the cluster's issuer, in the ECR account: created (with thumbprints from the
 * issuer's TLS chain, a static list, or none) or an existing one referenced by ARN.
 */
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataTlsCertificate } from "@cdktf/provider-tls/lib/data-tls-certificate";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { Construct } from "constructs";
import type { OidcProviderSource } from "../config/environment";

/** The audience EKS-issued service account tokens carry for IRSA. */
export const STS_AUDIENCE = "sts.amazonaws.com";

export interface IssuerOidcProviderProps {
  /** The ecr-account provider: the provider must live where the roles that trust it live. */
  readonly provider: AwsProvider;
  /** The cluster's issuer URL (`https://...`). */
  readonly issuerUrl: string;
  /** Create a provider (and how to get its thumbprints) or reuse an existing one. */
  readonly source: OidcProviderSource;
  /** Tags of the created provider. Default: none. */
  readonly tags?: Record<string, string>;
  /** Client ids (audiences) accepted besides `sts.amazonaws.com`, e.g. a KEP-4412 image-pull audience. Default: none. */
  readonly extraClientIds?: readonly string[];
}

export class IssuerOidcProvider extends Construct {
  /** ARN of the provider the roles trust. */
  readonly arn: string;
  /** The created provider; undefined when an existing one is reused. */
  readonly resource?: IamOpenidConnectProvider;

  constructor(scope: Construct, id: string, props: IssuerOidcProviderProps) {
    super(scope, id);
    if (props.source.kind === "existing") {
      this.arn = props.source.arn;
      return;
    }
    let thumbprintList: string[] | undefined;
    if (props.source.thumbprints === "tls") {
      new TlsProvider(this, "tls");
      const chain = new DataTlsCertificate(this, "issuer-certificate", { url: props.issuerUrl });
      chain.overrideLogicalId("issuer");
      // The chain is listed root first; the root is what IAM checked thumbprints against.
      thumbprintList = [chain.certificates.get(0).sha1Fingerprint];
    } else if (props.source.thumbprints !== "none") {
      thumbprintList = [...props.source.thumbprints];
    }
    this.resource = new IamOpenidConnectProvider(this, "provider", {
      provider: props.provider,
      url: props.issuerUrl,
      clientIdList: [...new Set([STS_AUDIENCE, ...(props.extraClientIds ?? [])])],
      thumbprintList,
      tags: props.tags,
    });
    this.resource.overrideLogicalId("cluster");
    this.arn = this.resource.arn;
  }
}
