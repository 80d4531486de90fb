/**
 * HCP Terraform / Terraform Cloud dynamic provider credentials for the stack's two aliased aws providers,
 * one IAM role per account. HCP Terraform writes one shared config file per tagged configuration
 * (workspace variables `TFC_AWS_PROVIDER_AUTH_<tag>` and `TFC_AWS_RUN_ROLE_ARN_<tag>`) and passes their
 * paths in the `tfc_aws_dynamic_credentials` input variable; each provider reads the file of its own tag.
 *
 * Outside HCP Terraform the variable stays null and the providers use the usual credential chain, so the
 * same configuration still runs locally.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, TerraformVariable } from "cdktf";

/** The input variable HCP Terraform fills when a workspace uses AWS dynamic credentials. */
export const TFC_AWS_CREDENTIALS_VARIABLE = "tfc_aws_dynamic_credentials";

/**
 * Declares the variable and points each provider at its tag's shared config file: the tagged configuration
 * first (`aliases["<tag>"]`), else the untagged default one, else none.
 *
 * @param providers provider per tag; the tag is what the workspace variables end in (`eks` -> `TFC_AWS_RUN_ROLE_ARN_eks`).
 */
export function useTfcDynamicCredentials(stack: TerraformStack, providers: Record<string, AwsProvider>): void {
  const variable = new TerraformVariable(stack, TFC_AWS_CREDENTIALS_VARIABLE, {
    type: "object({ default = object({ shared_config_file = string }), aliases = map(object({ shared_config_file = string })) })",
    description:
      "Filled in by HCP Terraform when the workspace uses AWS dynamic provider credentials (TFC_AWS_PROVIDER_AUTH_eks / _ecr); leave unset elsewhere.",
  });
  variable.overrideLogicalId(TFC_AWS_CREDENTIALS_VARIABLE);
  // cdktf cannot write a null default; without one the variable would be required outside HCP Terraform.
  variable.addOverride("default", null);
  const creds = `var.${TFC_AWS_CREDENTIALS_VARIABLE}`;
  for (const [tag, provider] of Object.entries(providers)) {
    provider.addOverride(
      "shared_config_files",
      `\${try([${creds}.aliases["${tag}"].shared_config_file], [${creds}.default.shared_config_file], null)}`,
    );
  }
}
