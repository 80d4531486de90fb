#!/usr/bin/env node
/**
 * The eks-ecr-access command line. Exit codes: 0 success, 1 invalid input (every problem printed),
 * 2 the command itself failed.
 */
import { Command, Option } from "commander";
import { runSchema, runSynth, runValidate } from "./commands";

const program = new Command()
  .name("eks-ecr-access")
  .description("Generate Terraform that lets EKS workloads in one AWS account use ECR in another (IRSA).")
  .option("-d, --environments <dir>", "folder of environment files", "environments")
  .showHelpAfterError();

program
  .command("synth")
  .description("synthesize one Terraform stack per environment (all, or those named with --env)")
  .addOption(new Option("-e, --env <name...>", "environment(s) to synthesize; default: all"))
  .option("-o, --out <dir>", "output folder, replaced as a whole only when synthesis succeeds", "cdktf.out")
  .action((opts) => runSynth({ ...program.opts(), ...opts }));

program
  .command("validate")
  .description("check every environment file and print all problems")
  .action(() => runValidate(program.opts()));

program
  .command("schema")
  .description("write environments/schema.json from the environment file definition")
  .option("--check", "do not write; fail if the file differs from what would be written")
  .action((opts) => runSchema({ ...program.opts(), ...opts }));

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`eks-ecr-access: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
