/**
 * `generated/modules/eks-ecr-access-iam`: the ECR-account half of the recipe as a child module that any
 * Terraform user can call with one aws provider (the ECR account): the IAM OIDC provider for the cluster's
 * issuer (or an existing one) and one role per service account, with `for_each` over `service_accounts`.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { MODULE_PROVIDERS, makeChildModule } from "../module/child-module";
import { ServiceAccountRoles } from "../module/service-account-roles";
import { defineModuleVariables } from "../module/variables";

export const IAM_MODULE_NAME = "eks-ecr-access-iam";

export class IamModuleStack extends TerraformStack {
  constructor(scope: Construct, id = IAM_MODULE_NAME) {
    super(scope, id);
    // Only there so cdktf records the aws provider requirement; makeChildModule drops its configuration.
    const aws = new AwsProvider(this, "aws", {});
    const vars = defineModuleVariables(this);
    new ServiceAccountRoles(this, "roles", { provider: aws, vars });
    makeChildModule(this, { aws: MODULE_PROVIDERS.aws });
  }
}
