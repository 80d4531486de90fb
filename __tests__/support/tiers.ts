/**
 * Test tiers that need tools outside npm. A tier that cannot run says so loudly (one `SKIPPED:` line on
 * stderr naming the tier and the reason) and its tests are reported as skipped, never silently passed.
 *
 *   const tier = integrationTier();
 *   const describeTier = tierDescribe("integration tier (terraform/moto)", tier);
 *   describeTier("...", () => { ... });
 */
import { execFileSync } from "node:child_process";
import { locatePluginDir, terraformVersion } from "./terraform";

export type TierStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

/** Name printed in the SKIPPED line of the integration tier. */
export const INTEGRATION_TIER = "integration tier (terraform/moto)";

/** True when `command` can be found and started (`<command> --help` exits 0). */
function canRun(command: string, args: readonly string[] = ["--help"]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 20000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the integration tier can run here: terraform, a provider mirror with hashicorp/aws and
 * moto_server (unless `needsMoto: false`) are all required. Every missing piece is listed in the reason.
 */
export function integrationTier(options: { needsMoto?: boolean } = {}): TierStatus {
  const missing: string[] = [];
  if (!terraformVersion()) missing.push("terraform not found (install Terraform >= 1.10 on the PATH, or set EKS_ECR_ACCESS_TERRAFORM)");
  const plugins = locatePluginDir();
  if ("problem" in plugins) missing.push(plugins.problem);
  const moto = process.env.MOTO_SERVER || "moto_server";
  if (options.needsMoto !== false && !canRun(moto)) missing.push(`${moto} not found or not runnable (pip install "moto[server]", or set MOTO_SERVER)`);
  return missing.length === 0 ? { available: true } : { available: false, reason: missing.join("; ") };
}

/**
 * `describe` when the tier is available; otherwise prints `SKIPPED: <tier>: <reason>` once and returns
 * `describe.skip`, so jest lists the tests as skipped.
 */
export function tierDescribe(tier: string, status: TierStatus): jest.Describe {
  if (status.available) return describe;
  process.stderr.write(`SKIPPED: ${tier}: ${status.reason}\n`);
  return describe.skip;
}
