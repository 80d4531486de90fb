/**
 * Generated environment sets for the scaling runs: `envCount` environments with `saCount` service accounts each.
 *
 * Every environment has the same shape (the richest one of the examples: service accounts created through the
 * kubernetes provider, OIDC provider created with a `tls` thumbprint, two repositories per account), so the
 * work per environment and per service account is constant and a straight-line fit is meaningful.
 * Names, clusters and issuers differ per environment because the cross-environment rules forbid two
 * environments creating the same OIDC provider, role or service account.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One generated environment file body. Exported so the shape is documented in one place. */
export function generatedEnvironment(index: number, saCount: number): Record<string, unknown> {
  const id = String(index).padStart(4, "0");
  return {
    eks: {
      accountId: "111122223333",
      region: "us-east-1",
      clusterName: `bench-${id}`,
      issuerUrl: `https://oidc.eks.us-east-1.amazonaws.com/id/BENCH${id}`,
    },
    ecr: { accountId: "444455556666", region: "us-east-1", oidcProvider: { thumbprints: "tls" } },
    serviceAccounts: Array.from({ length: saCount }, (_, i) => ({
      namespace: `team-${i % 5}`,
      name: `workload-${i}`,
      repositories: [`team/app-${i}`, "team/base-*"],
      access: i % 2 === 0 ? "pull" : "push",
    })),
    kubernetes: { serviceAccounts: "terraform", auth: "exec" },
    tags: { team: "bench" },
  };
}

/** Writes `env0000.json` ... into a fresh `dir` and returns `dir`. */
export function writeEnvironmentSet(dir: string, envCount: number, saCount: number): string {
  mkdirSync(dir, { recursive: true });
  for (let e = 0; e < envCount; e++) {
    writeFileSync(join(dir, `env${String(e).padStart(4, "0")}.json`), `${JSON.stringify(generatedEnvironment(e, saCount), null, 2)}\n`);
  }
  return dir;
}
