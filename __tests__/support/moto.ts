/**
 * Test support: a private moto_server (AWS API emulator) per test file, and AWS SDK clients that act in a
 * chosen emulated account.
 *
 * moto maps credentials to accounts: the dummy base credentials act in moto's default account
 * (123456789012), and `sts:AssumeRole` into `arn:aws:iam::<ACCOUNT>:role/<any>` returns credentials that act
 * in <ACCOUNT>. That is how one emulator holds "the eks account" and "the ecr account" side by side. moto
 * does not evaluate any policy, so the role named in the ARN need not exist.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { ECRClient } from "@aws-sdk/client-ecr";
import { EKSClient } from "@aws-sdk/client-eks";
import { IAMClient } from "@aws-sdk/client-iam";
import { S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";

/** Dummy base credentials: moto accepts any; real AWS would reject them (so nothing leaks to a real account). */
export const DUMMY_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/**
 * Environment for child processes (terraform, aws CLI) that must only ever talk to the emulator: dummy
 * keys, and none of the user's profiles or session tokens (`undefined` = remove the variable).
 */
export const DUMMY_CREDENTIALS_ENV: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
};

export interface Moto {
  /** `http://127.0.0.1:<port>`: the one endpoint for every emulated service. */
  readonly endpoint: string;
  /** Stops the server (its whole process group). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** `moto_server` executable. Default: `MOTO_SERVER` env var, else `moto_server` on the PATH. */
  readonly command?: string;
  /** How long to wait for the server to answer, in ms. Default: 20000. */
  readonly timeoutMs?: number;
}

/** A TCP port that was free a moment ago (the OS picks it; the tiny race with other processes is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid = the process group: the pyenv shim, python and any worker it forks.
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** moto_server (werkzeug) announces the port it bound: ` * Running on http://127.0.0.1:38409`. */
const LISTENING = /Running on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts moto_server on 127.0.0.1 and resolves once it answers HTTP. The server binds port 0 and we read
 * the port it announces: picking a "free" port first and handing it over races with other test files
 * doing the same in parallel, and a loser would silently talk to the winner's server (shared state,
 * e.g. the same OIDC provider created twice in one account).
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const command = options.command ?? process.env.MOTO_SERVER ?? "moto_server";
  const timeoutMs = options.timeoutMs ?? 20000;
  // detached: own process group, so stop() can end everything it started and nothing else. The shell around
  // the server is a watchdog: if this test process dies without calling stop() (jest killed, timeout), the
  // server goes too, within a second, instead of holding its port forever.
  const watchdog = `"$0" -H 127.0.0.1 -p 0 & server=$!
while kill -0 ${process.pid} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done
kill $server 2>/dev/null
wait $server`;
  const child = spawn("sh", ["-c", watchdog, command], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let port: number | undefined;
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    port ??= Number(LISTENING.exec(stderr)?.[1]) || undefined;
  });
  let spawnError: Error | undefined;
  child.on("error", (e) => (spawnError = e));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));

  const stop = async () => {
    killGroup(child, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000)))]);
    clearTimeout(timer);
    if (!done) {
      killGroup(child, "SIGKILL");
      await exited;
    }
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`could not start ${command}: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`${command} exited with code ${child.exitCode} before answering:\n${stderr}`);
    if (port !== undefined) {
      const endpoint = `http://127.0.0.1:${port}`;
      try {
        const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) return { endpoint, stop };
      } catch {
        /* announced but not answering yet */
      }
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not answer within ${timeoutMs} ms (port ${port ?? "not announced"}):\n${stderr}`);
    }
    await sleep(150);
  }
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Client settings. With an endpoint (an emulator) every call goes there, signed with the dummy keys unless
 * other credentials are given; without one (real AWS) the SDK's default credential chain applies.
 */
export function clientConfig(endpoint: string | undefined, region: string, credentials?: AwsCredentials) {
  if (endpoint === undefined) return { region, credentials, maxAttempts: 3 };
  return { endpoint, region, credentials: credentials ?? DUMMY_CREDENTIALS, maxAttempts: 2 };
}

/**
 * Credentials that act in the role's account, obtained the way a user's tooling would: sts:AssumeRole.
 * `endpoint` undefined = real AWS with the caller's own credentials.
 */
export async function assumeRole(endpoint: string | undefined, roleArn: string, region = "us-east-1"): Promise<AwsCredentials> {
  const sts = new STSClient(clientConfig(endpoint, region));
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "eks-ecr-access-tests" }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`sts:AssumeRole into ${roleArn} returned no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** SDK clients acting in one emulated account. Call `destroy()` when done. */
export interface AccountClients {
  readonly accountId: string;
  readonly credentials: AwsCredentials;
  readonly iam: IAMClient;
  readonly eks: EKSClient;
  readonly ecr: ECRClient;
  readonly s3: S3Client;
  readonly sts: STSClient;
  destroy(): void;
}

export interface AccountClientsOptions {
  /** Emulator endpoint; undefined = real AWS. */
  readonly endpoint: string | undefined;
  /** Account to act in. */
  readonly accountId: string;
  /** Role to assume there. Default: `arn:aws:iam::<accountId>:role/eks-ecr-access-it` (on moto any name works). */
  readonly roleArn?: string;
  /** Region of the clients. Default: us-east-1. */
  readonly region?: string;
}

export async function accountClients(options: AccountClientsOptions): Promise<AccountClients> {
  const { endpoint, accountId } = options;
  const region = options.region ?? "us-east-1";
  const credentials = await assumeRole(endpoint, options.roleArn ?? `arn:aws:iam::${accountId}:role/eks-ecr-access-it`, region);
  const config = clientConfig(endpoint, region, credentials);
  const clients = {
    iam: new IAMClient(config),
    eks: new EKSClient(config),
    ecr: new ECRClient(config),
    // Emulators serve S3 on one host, so virtual-host-style bucket names cannot resolve: path style.
    s3: new S3Client({ ...config, forcePathStyle: endpoint !== undefined }),
    sts: new STSClient(config),
  };
  return {
    accountId,
    credentials,
    ...clients,
    destroy: () => Object.values(clients).forEach((c) => c.destroy()),
  };
}
