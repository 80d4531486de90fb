/**
 * One aliased aws provider per account. Every aws resource and data source in a stack must name one of
 * these: the stacks deliberately have no default aws provider, so a forgotten `provider` fails at plan
 * time instead of quietly acting in whatever account the caller's credentials point at.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";
import type { AwsEndpoints } from "../config/schema";

export interface AccountProviderProps {
  /** Provider alias: `eks` or `ecr`. */
  readonly alias: string;
  /** Account the provider must act in; Terraform refuses to run with credentials of any other (`allowed_account_ids`). */
  readonly accountId: string;
  /** Region of the provider. */
  readonly region: string;
  /** Role to assume in that account. Default: none, the caller's credentials are used as they are. */
  readonly assumeRoleArn?: string;
  /** Session name used when assuming `assumeRoleArn`; shows up in CloudTrail. */
  readonly sessionName: string;
  /** Custom service endpoints (emulators, private endpoints). Default: the public AWS endpoints. */
  readonly endpoints?: AwsEndpoints;
}

export class AccountProvider extends Construct {
  readonly provider: AwsProvider;

  constructor(scope: Construct, id: string, props: AccountProviderProps) {
    super(scope, id);
    const endpoints = props.endpoints && Object.keys(props.endpoints).length > 0 ? props.endpoints : undefined;
    this.provider = new AwsProvider(this, "provider", {
      alias: props.alias,
      region: props.region,
      allowedAccountIds: [props.accountId],
      assumeRole: props.assumeRoleArn ? [{ roleArn: props.assumeRoleArn, sessionName: props.sessionName }] : undefined,
      endpoints: endpoints ? [endpoints] : undefined,
      // Emulators and private endpoints have no instance metadata service and may not know every region.
      skipMetadataApiCheck: endpoints ? "true" : undefined,
      skipRegionValidation: endpoints ? true : undefined,
      s3UsePathStyle: endpoints?.s3 ? true : undefined,
    });
  }
}
