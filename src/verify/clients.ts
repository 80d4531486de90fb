/**
 * AWS SDK v3 clients that reach an account exactly the way the stack's aliased providers do: the same
 * region, the same role assumed (`eks.assumeRoleArn` / `ecr.assumeRoleArn`) from the caller's default
 * credentials, and the same custom endpoints (`awsEndpoints`). So `verify` checks what Terraform sees.
 */
import { ECRClient } from "@aws-sdk/client-ecr";
import { EKSClient } from "@aws-sdk/client-eks";
import { IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { AwsEndpoints } from "../config/schema";

export interface AccountAccessProps {
  /** Region of the account's resources (the provider's `region`). */
  readonly region: string;
  /** Role to assume first. Default: none, the caller's default credential chain acts directly. */
  readonly assumeRoleArn?: string;
  /** Session name when assuming; shows up in CloudTrail. */
  readonly sessionName: string;
  /** Custom endpoints (`awsEndpoints` of the environment). Default: the public AWS endpoints. */
  readonly endpoints?: AwsEndpoints;
  /** Base credentials. Default: the SDK's default chain (environment, profile, SSO, instance role...). */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Retries kept low: a verify run should fail fast and say why rather than hang on an unreachable endpoint. */
const MAX_ATTEMPTS = 2;

/**
 * Credentials of an assumed role, fetched on first use and refreshed five minutes before they expire.
 * Written here instead of pulling in `@aws-sdk/credential-providers` for one function.
 */
function assumedRoleCredentials(props: AccountAccessProps & { assumeRoleArn: string }): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  return async () => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > 5 * 60_000) return cached;
    const sts = new STSClient({ region: props.region, endpoint: props.endpoints?.sts, credentials: props.credentials, maxAttempts: MAX_ATTEMPTS });
    try {
      const out = await sts.send(new AssumeRoleCommand({ RoleArn: props.assumeRoleArn, RoleSessionName: props.sessionName }));
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`sts:AssumeRole ${props.assumeRoleArn} returned no credentials`);
      cached = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
      return cached;
    } finally {
      sts.destroy();
    }
  };
}

/** Lazily created clients for one account; `destroy()` closes the ones that were created. */
export class AccountAccess {
  private readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  private readonly made: { destroy(): void }[] = [];

  constructor(readonly props: AccountAccessProps) {
    this.credentials = props.assumeRoleArn ? assumedRoleCredentials({ ...props, assumeRoleArn: props.assumeRoleArn }) : props.credentials;
  }

  private make<T extends { destroy(): void }>(client: T): T {
    this.made.push(client);
    return client;
  }

  private config(endpoint: string | undefined) {
    return { region: this.props.region, endpoint, credentials: this.credentials, maxAttempts: MAX_ATTEMPTS };
  }

  private _sts?: STSClient;
  private _iam?: IAMClient;
  private _eks?: EKSClient;
  private _ecr?: ECRClient;
  get sts(): STSClient {
    return (this._sts ??= this.make(new STSClient(this.config(this.props.endpoints?.sts))));
  }
  get iam(): IAMClient {
    return (this._iam ??= this.make(new IAMClient(this.config(this.props.endpoints?.iam))));
  }
  get eks(): EKSClient {
    return (this._eks ??= this.make(new EKSClient(this.config(this.props.endpoints?.eks))));
  }
  get ecr(): ECRClient {
    return (this._ecr ??= this.make(new ECRClient(this.config(this.props.endpoints?.ecr))));
  }

  destroy(): void {
    for (const c of this.made.splice(0)) c.destroy();
  }
}

/**
 * Clients acting with explicit credentials (e.g. those `AssumeRoleWithWebIdentity` returned), in the same
 * region and endpoints as the account they act in.
 */
export function accessWith(credentials: AwsCredentialIdentity, region: string, endpoints?: AwsEndpoints): AccountAccess {
  return new AccountAccess({ region, endpoints, credentials, sessionName: "unused" });
}

/** One-line reason of an SDK error: its name and message (no stack), for check details. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== "Error" && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}

/** Errors that mean "this caller may not do that" rather than "it is not there". */
export function isAccessDenied(e: unknown): boolean {
  const name = e instanceof Error ? e.name : "";
  return /AccessDenied|UnauthorizedOperation|NotAuthorized|Forbidden/i.test(name);
}

/** Errors that mean the endpoint or the credentials are unusable: verify cannot run, rather than a check failing. */
export function isUnreachable(e: unknown): boolean {
  const name = e instanceof Error ? e.name : "";
  const code = (e as { code?: string } | undefined)?.code ?? "";
  return (
    /CredentialsProviderError|InvalidClientTokenId|UnrecognizedClient|ExpiredToken|SignatureDoesNotMatch|TimeoutError/.test(name) ||
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET/.test(code)
  );
}
