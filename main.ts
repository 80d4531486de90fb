/**
 * The cdktf app entry (`cdktf.json` runs `node dist/main.js`): `cdktf synth`, `cdktf diff <env>` and
 * `cdktf deploy <env>` all come through here. The `eks-ecr-access` CLI does the same with an atomic write.
 */
import { synthesizeApp } from "./src/app";
import { loadEnvironments } from "./src/config/load";
import { reportProblems } from "./src/cli/problems";

const result = loadEnvironments(process.env.EKS_ECR_ACCESS_ENVIRONMENTS ?? "environments");
if (!reportProblems(result.problems, "nothing was synthesized")) {
  try {
    synthesizeApp(result.environments);
  } catch (e) {
    // A construct's own validation (or a bug) must still end as one clear line and a non-zero exit.
    process.stderr.write(`eks-ecr-access: synthesis failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}
