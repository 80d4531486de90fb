/**
 * Turning a cdktf stack into a reusable (child) Terraform module: a child module must not configure
 * providers or a backend (the caller passes providers in), must say which provider configurations it
 * expects, and should not carry cdktf's `"//"` metadata (construct paths, cdktf version) into user code.
 */
import { TerraformStack } from "cdktf";

export interface RequiredProvider {
  /** Registry source, e.g. `hashicorp/aws`. */
  readonly source: string;
  /** Version constraint the module was tested within. */
  readonly version: string;
  /** Aliased configurations the caller must pass, e.g. `["aws.eks", "aws.ecr"]`. Default: only the default one. */
  readonly configurationAliases?: readonly string[];
}

/** Lowest Terraform that can run the modules: validations that refer to other variables need 1.9. */
export const MODULE_REQUIRED_TERRAFORM = ">= 1.9";

/** Provider versions the modules are written for (aws 5.x attribute names; tested with 5.100.0). */
export const MODULE_PROVIDERS = {
  aws: { source: "hashicorp/aws", version: ">= 5.0, < 7.0" },
  tls: { source: "hashicorp/tls", version: ">= 4.0" },
  kubernetes: { source: "hashicorp/kubernetes", version: ">= 2.20" },
} as const;

export function makeChildModule(stack: TerraformStack, providers: Record<string, RequiredProvider>): void {
  stack.addOverride("provider", undefined);
  stack.addOverride("terraform.backend", undefined);
  stack.addOverride("terraform.required_version", MODULE_REQUIRED_TERRAFORM);
  for (const [name, p] of Object.entries(providers)) {
    stack.addOverride(`terraform.required_providers.${name}`, {
      source: p.source,
      version: p.version,
      // Plain strings, not "${aws.eks}": Terraform reads these as provider references by name.
      configuration_aliases: p.configurationAliases ? [...p.configurationAliases] : undefined,
    });
  }
}

/** Drops every `"//"` key (cdktf metadata) recursively; keeps key order, so output stays deterministic. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => key !== "//")
      .map(([key, v]) => [key, withoutMetadata(v)]),
  );
}

/** The module's `main.tf.json` content: resolved Terraform JSON without metadata, two-space indented. */
export function moduleJson(stack: TerraformStack): string {
  const tf = stack.toTerraform() as Record<string, unknown>;
  return `${JSON.stringify(withoutMetadata(tf), null, 2)}\n`;
}
