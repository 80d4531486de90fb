/**
 * Test support: run the real `terraform` binary, offline, with providers from a local filesystem mirror.
 *
 * Terraform cannot download providers on CI machines, so `init` always gets `-plugin-dir=<mirror>`. The
 * mirror is `EKS_ECR_ACCESS_TF_PLUGIN_DIR` when set, else `/opt/tf-plugins` when it holds hashicorp/aws.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Environment variable naming the provider mirror (a folder holding `registry.terraform.io/hashicorp/aws/...`). */
export const PLUGIN_DIR_ENV = "EKS_ECR_ACCESS_TF_PLUGIN_DIR";
/** Where this kind of machine keeps the mirror. */
export const DEFAULT_PLUGIN_DIR = "/opt/tf-plugins";
/** Environment variable naming the terraform binary. Default: `terraform` on the PATH. */
export const TERRAFORM_BIN_ENV = "EKS_ECR_ACCESS_TERRAFORM";

/**
 * An empty CLI config: the user's ~/.terraformrc (credentials, provider_installation, plugin cache) must not
 * change what the tests do. /dev/null reads as an empty file, so there is no temp file to clean up.
 */
const EMPTY_CLI_CONFIG = "/dev/null";

export function terraformBinary(): string {
  return process.env[TERRAFORM_BIN_ENV] || "terraform";
}

/** True when `dir` holds the hashicorp/aws provider in filesystem-mirror layout. */
export function mirrorHoldsAws(dir: string): boolean {
  return existsSync(join(dir, "registry.terraform.io", "hashicorp", "aws"));
}

/**
 * The provider mirror to use, or an explanation of why there is none. An explicitly configured folder
 * that lacks the aws provider is an error, not a silent fallback, so a typo does not go unnoticed.
 */
export function locatePluginDir(): { dir: string } | { problem: string } {
  const configured = process.env[PLUGIN_DIR_ENV];
  if (configured) {
    return mirrorHoldsAws(configured)
      ? { dir: configured }
      : { problem: `${PLUGIN_DIR_ENV}=${configured} holds no registry.terraform.io/hashicorp/aws (point it at a provider mirror folder)` };
  }
  if (mirrorHoldsAws(DEFAULT_PLUGIN_DIR)) return { dir: DEFAULT_PLUGIN_DIR };
  return { problem: `no provider mirror: set ${PLUGIN_DIR_ENV} to a folder holding registry.terraform.io/hashicorp/aws/<version>/<os_arch>/` };
}

/** `terraform version` of the binary, or undefined when it cannot run. */
export function terraformVersion(): string | undefined {
  try {
    const out = execFileSync(terraformBinary(), ["version", "-json"], {
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: EMPTY_CLI_CONFIG },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 20000,
    });
    return (JSON.parse(out) as { terraform_version?: string }).terraform_version;
  } catch {
    return undefined;
  }
}

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TerraformOptions {
  /** Extra environment (credentials, TF_VAR_...), merged over the test process's; `undefined` removes a variable. */
  readonly env?: Record<string, string | undefined>;
  /** Exit codes that count as success. Default: [0]. `plan -detailed-exitcode` uses 2 for "changes". */
  readonly okCodes?: readonly number[];
  /** Kill terraform after this many ms. Default: 120000. */
  readonly timeoutMs?: number;
}

/**
 * The environment every terraform run of the tests gets: non-interactive, no user CLI config, no TF_CLI_ARGS* or
 * TF_LOG from the user's shell, and a Go GC setting that saves CPU. `extra` is merged over it; `undefined` removes.
 */
export function terraformEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    ...process.env,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    TF_INPUT: "0",
    TF_CLI_CONFIG_FILE: EMPTY_CLI_CONFIG,
    // A user's TF_CLI_ARGS* or TF_LOG must not leak into the tests.
    TF_CLI_ARGS: "",
    TF_LOG: "",
    // Terraform and the aws provider are Go programs; the provider spends much of each command collecting
    // garbage while it loads its schema. Measured on a 2-core machine, `plan` of a small stack: user CPU
    // 15 s -> 10 s, peak memory 0.5 -> 0.73 GB. CPU is what the test machines are short of.
    GOGC: process.env.GOGC ?? "400",
    ...extra,
  };
  for (const key of Object.keys(env)) if (key.startsWith("TF_CLI_ARGS_") || env[key] === undefined) delete env[key];
  return env as NodeJS.ProcessEnv;
}

/**
 * Runs `terraform <args>` in `dir`, non-interactive and without colour. Rejects (with the command, exit
 * code and terraform's own output) unless the exit code is in `okCodes`.
 */
export function terraform(dir: string, args: readonly string[], options: TerraformOptions = {}): Promise<TerraformResult> {
  const okCodes = options.okCodes ?? [0];
  const env = terraformEnvironment(options.env);
  const fullArgs = [...args];
  if (!fullArgs.includes("-no-color")) fullArgs.splice(1, 0, "-no-color");
  const wantsInput = ["init", "apply", "plan", "destroy", "import", "refresh"].includes(fullArgs[0]);
  if (wantsInput && !fullArgs.includes("-input=false")) fullArgs.splice(1, 0, "-input=false");
  return new Promise((resolve, reject) => {
    execFile(
      terraformBinary(),
      fullArgs,
      { cwd: dir, env, timeout: options.timeoutMs ?? 120000, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        if (okCodes.includes(code)) resolve({ code, stdout, stderr });
        else {
          const how = error && typeof error.code !== "number" ? ` (${error.message})` : "";
          reject(new Error(`terraform ${fullArgs.join(" ")} in ${dir} exited with ${code}${how}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`));
        }
      },
    );
  });
}

/** `terraform init` offline: providers only from the mirror. */
export function terraformInit(dir: string, pluginDir: string, options: TerraformOptions & { backend?: boolean } = {}): Promise<TerraformResult> {
  const args = ["init", `-plugin-dir=${pluginDir}`];
  if (options.backend === false) args.push("-backend=false");
  return terraform(dir, args, options);
}

/**
 * Evaluates one HCL expression with `terraform console` in an empty folder (no providers needed) and
 * returns its value, decoded from JSON.
 */
export function evaluateHcl(expression: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), "eks-ecr-access-console-"));
  try {
    const out = execFileSync(terraformBinary(), ["console"], {
      cwd: dir,
      input: `jsonencode(${expression})\n`,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
      stdio: ["pipe", "pipe", "pipe"],
      timeout: 60000,
    });
    // The console prints the string jsonencode returned, quoted as an HCL/JSON string.
    return JSON.parse(JSON.parse(out.trim()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
