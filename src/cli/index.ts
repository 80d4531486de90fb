#!/usr/bin/env node
/**
 * The eks-ecr-access command line. Exit codes: 0 success, 1 invalid input (every problem printed),
 * 2 the command itself failed.
 *
 * `main` is the whole command line as a function (it sets `process.exitCode`, never exits), so that tests can
 * run hundreds of invocations in one process; run as a program, this file calls it on `process.argv`.
 */
import { Command, CommanderError, Option } from "commander";
import { runSchema, runSynth, runValidate } from "./commands";
import { runInit } from "./init";

// verify, diagram and check-policies pull in the AWS SDK (~0.1 s CPU, ~12 MiB), generate all of cdktf: they are
// loaded only when they run, so that synth and validate, which CI runs all the time, do not pay for them
// (docs/benchmarks.md).
const day2 = () => import("./day2");

/** A fresh parser per run: commander keeps parsed option values on the instance. */
export function createProgram(): Command {
  const program = new Command()
    .name("eks-ecr-access")
    .description("Generate Terraform that lets EKS workloads in one AWS account use ECR in another (IRSA).")
    .option("-d, --environments <dir>", "folder of environment files", "environments")
    .showHelpAfterError()
    // Usage errors and --help come back to `main` as exceptions (inherited by the subcommands) instead of exiting.
    .exitOverride();

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

  program
    .command("verify")
    .description("check a deployed environment in both accounts (and the cluster); exit 0 all pass, 1 a check failed, 2 could not run")
    .requiredOption("-e, --env <name>", "environment to verify")
    .option("--json", "print the results as JSON")
    .option("--web-identity-token-file <file>", "service-account token (kubectl create token SA --audience sts.amazonaws.com): assume the role with it and call ECR")
    .option("--kubeconfig <file>", "kubeconfig for the service-account checks (default: $KUBECONFIG, ~/.kube/config)")
    .option("--context <name>", "kubeconfig context of the cluster; the service-account checks run when this or --kubeconfig is given")
    .option("--emit-job", "print a smoke-test Job per service account (runs as it in the cluster, lists images) instead of checking")
    .action(async (opts) => (await day2()).runVerify({ ...program.opts(), ...opts }));

  program
    .command("init")
    .description("write a new environment file environments/<name>.json from flags (never overwrites); eksctl-like flags")
    .argument("<name>", "environment name (the file name without .json)")
    .requiredOption("--cluster <name>", "EKS cluster name")
    .requiredOption("--eks-account <id>", "account of the cluster")
    .requiredOption("--region <region>", "region of the cluster")
    .requiredOption("--ecr-account <id>", "account of the ECR repositories")
    .option("--ecr-region <region>", "region of the repositories (default: --region)")
    .option("--namespace <ns>", "namespace of the service account", "default")
    .requiredOption("--service-account <name>", "service account name")
    .requiredOption("--repositories <names...>", "repository names or prefixes ending in '*' (comma- or space-separated)")
    .addOption(new Option("--access <access>", "what the role may do").choices(["pull", "push"]).default("pull"))
    .option("--role-name <name>", "IAM role name (default: <env>-<namespace>-<name>)")
    .option("--issuer-url <url>", "the cluster's OIDC issuer URL (default: read from the cluster at plan time)")
    .option("--thumbprints <value>", "\"tls\", \"none\" or comma-separated SHA-1 fingerprints (default: tls)")
    .option("--oidc-provider-arn <arn>", "reuse this IAM OIDC provider of the ECR account instead of creating one")
    .option("--eks-assume-role-arn <arn>", "role the eks-account provider assumes")
    .option("--ecr-assume-role-arn <arn>", "role the ecr-account provider assumes")
    .addOption(new Option("--service-accounts <mode>", "create service accounts with terraform, or emit a manifest").choices(["terraform", "manifest"]))
    .option("--create-namespace", "also create the namespace")
    .action((name: string, opts) => runInit({ ...program.opts(), ...opts, name }));

  program
    .command("check-policies")
    .description("before applying: refuse if an ECR policy this environment owns (imagePulls \"owned\") holds statements the file does not declare; exit 0 ok, 1 refused, 2 could not run")
    .requiredOption("-e, --env <name>", "environment to check")
    .action(async (opts) => (await import("./check-policies")).runCheckPolicies({ ...program.opts(), ...opts }));

  program
    .command("diagram")
    .description("print a Mermaid diagram of an environment's trust chain")
    .requiredOption("-e, --env <name>", "environment to draw")
    .option("--markdown", "wrap it in a ```mermaid block, ready for a README")
    .action(async (opts) => (await day2()).runDiagram({ ...program.opts(), ...opts }));

  program
    .command("generate")
    .description("rewrite generated/: the reusable Terraform modules and every environment's stack (what npm run generate does)")
    .option("-o, --out <dir>", "output folder, replaced as a whole only when generation succeeds", "generated")
    .action(async (opts) => (await import("./generate")).runGenerate({ ...program.opts(), ...opts }));

  return program;
}

/** Runs the command line on `argv` (node, script, args...); the outcome is in `process.exitCode`. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (e: unknown) {
    if (e instanceof CommanderError) {
      // commander has printed the usage error (or the help) already.
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`eks-ecr-access: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) void main(process.argv);
