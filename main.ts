/**
 * The cdktf app entry (`cdktf.json` runs `node dist/main.js`): `cdktf synth`, `cdktf diff <env>` and
 * `cdktf deploy <env>` all come through here. The `eks-ecr-access` CLI does the same with an atomic write.
 */
import { synthesizeApp } from "./src/app";
import { formatProblem, loadEnvironments } from "./src/config/load";

const result = loadEnvironments(process.env.EKS_ECR_ACCESS_ENVIRONMENTS ?? "environments");
if (result.problems.length > 0) {
  for (const p of result.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
  process.exit(1);
}
synthesizeApp(result.environments);
