/**
 * Pinned thumbprints against the issuer's live TLS chain. Only matters when the file pins a list: with
 * "tls" the stack reads the chain itself at every plan, and with "none" IAM uses its own trusted CAs.
 */
import { X509Certificate, createHash } from "node:crypto";
import { isIP } from "node:net";
import { connect, type PeerCertificate, type DetailedPeerCertificate } from "node:tls";
import type { Environment } from "../config/environment";
import { redeploy, type ProviderState } from "./checks";
import type { CheckResult } from "./report";

export interface ChainCertificate {
  readonly subject: string;
  /** Lower-case hex SHA-1 of the DER certificate, the form IAM thumbprints take. */
  readonly sha1: string;
}

/**
 * The certificate chain `host:port` presents, leaf first, completed up to a root from Node's CA store
 * (or `ca`) when the server leaves it out. Rejects on network errors and after `timeoutMs`.
 */
export function fetchChain(url: string, timeoutMs = 5000, ca?: string): Promise<ChainCertificate[]> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    // rejectUnauthorized off: only certificates are read, nothing is sent, and an issuer whose chain Node
    // does not trust is exactly the case where pinned thumbprints matter.
    const options = { host: u.hostname, port: Number(u.port || 443), servername: isIP(u.hostname) ? undefined : u.hostname, ca, timeout: timeoutMs, rejectUnauthorized: false };
    const socket = connect(options, () => {
      const chain: ChainCertificate[] = [];
      const seen = new Set<string>();
      let c: DetailedPeerCertificate | PeerCertificate | undefined = socket.getPeerCertificate(true);
      while (c && c.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push({ subject: new X509Certificate(c.raw).subject.replace(/\n/g, ", "), sha1: createHash("sha1").update(c.raw).digest("hex") });
        c = (c as DetailedPeerCertificate).issuerCertificate;
      }
      socket.end();
      resolve(chain);
    });
    socket.on("timeout", () => socket.destroy(new Error(`no TLS answer from ${u.host} within ${timeoutMs} ms`)));
    socket.on("error", reject);
  });
}

/** Pure part: pinned vs. the provider's list vs. the live chain. */
export function judgeThumbprints(
  pinned: readonly string[],
  provider: readonly string[] | undefined,
  chain: readonly ChainCertificate[] | undefined,
): { ok: boolean; detail: string; stale?: boolean } {
  const want = pinned.map((t) => t.toLowerCase());
  if (provider && [...provider].sort().join() !== [...want].sort().join()) {
    return { ok: false, stale: true, detail: `the provider has [${provider.join(", ")}], the file pins [${want.join(", ")}]` };
  }
  if (!chain) return { ok: true, detail: `provider matches the ${want.length} pinned thumbprint(s); live chain not checked` };
  const hits = chain.filter((c) => want.includes(c.sha1));
  if (hits.length === 0) {
    return { ok: false, detail: `no pinned thumbprint matches the issuer's chain (${chain.map((c) => `${c.sha1} ${c.subject}`).join("; ")})` };
  }
  return { ok: true, detail: `pinned thumbprint matches ${hits.map((c) => c.subject).join("; ")}` };
}

export async function checkThumbprints(env: Environment, issuerUrl: string | undefined, provider: ProviderState | undefined, timeoutMs = 5000): Promise<CheckResult> {
  const id = "oidc.thumbprints";
  const source = env.oidcProvider;
  if (source.kind !== "create" || !Array.isArray(source.thumbprints)) {
    const how = source.kind === "existing" ? "the provider is not managed here" : `thumbprints: "${source.thumbprints as string}"`;
    return { id, subject: env.config.eks.clusterName, status: "skip", detail: `not pinned (${how})` };
  }
  const pinned = source.thumbprints as readonly string[];
  if (!issuerUrl) return { id, subject: env.config.eks.clusterName, status: "skip", detail: "issuer unknown", fix: "fix cluster.issuer first" };
  let chain: ChainCertificate[] | undefined;
  let unreachable = "";
  try {
    chain = await fetchChain(issuerUrl, timeoutMs);
  } catch (e) {
    unreachable = `; issuer not reachable (${(e as Error).message})`;
  }
  const j = judgeThumbprints(pinned, provider?.exists ? provider.thumbprints : undefined, chain);
  const fix = j.stale
    ? redeploy(env)
    : `update ecr.oidcProvider.thumbprints to the issuer's current root (or use "tls" to read it at plan time, or "none"), then ${redeploy(env)}`;
  const unreachableFix = `run verify where ${new URL(issuerUrl).host} is reachable to compare the pins with the live chain`;
  return {
    id,
    subject: env.config.eks.clusterName,
    status: j.ok ? (chain ? "pass" : "warn") : "fail",
    detail: j.detail + unreachable,
    fix: j.ok ? (chain ? undefined : unreachableFix) : fix,
  };
}
