import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Server } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchChain, judgeThumbprints } from "../../src/verify/thumbprints";

const ROOT = { subject: "CN=root", sha1: "a".repeat(40) };
const LEAF = { subject: "CN=leaf", sha1: "b".repeat(40) };

describe("judgeThumbprints", () => {
  it("passes when a pinned thumbprint is in the live chain and the provider holds the pinned list", () => {
    expect(judgeThumbprints([ROOT.sha1.toUpperCase()], [ROOT.sha1], [LEAF, ROOT])).toEqual({ ok: true, detail: expect.stringContaining("CN=root") });
  });
  it("fails when the provider's list drifted from the file", () => {
    const j = judgeThumbprints([ROOT.sha1], ["c".repeat(40)], [LEAF, ROOT]);
    expect(j).toMatchObject({ ok: false, stale: true });
  });
  it("fails when the issuer's chain no longer has a pinned certificate (a CA rotation)", () => {
    const j = judgeThumbprints(["d".repeat(40)], ["d".repeat(40)], [LEAF, ROOT]);
    expect(j.ok).toBe(false);
    expect(j.detail).toContain(`${ROOT.sha1} CN=root`);
  });
  it("without a chain (issuer unreachable) only the provider comparison is made", () => {
    expect(judgeThumbprints([ROOT.sha1], [ROOT.sha1], undefined)).toEqual({ ok: true, detail: expect.stringContaining("live chain not checked") });
  });
});

/** openssl is needed to make a CA and a server certificate; without it this part is skipped loudly. */
const haveOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!haveOpenssl) process.stderr.write("SKIPPED: thumbprints live-chain tier: openssl not found on the PATH\n");

(haveOpenssl ? describe : describe.skip)("fetchChain against a local TLS server", () => {
  let dir: string;
  let server: Server;
  let port: number;
  const sh = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "eks-ecr-access-tls-"));
    sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-root");
    sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost");
    require("node:fs").writeFileSync(join(dir, "ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    sh("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext");
    server = createServer({ key: readFileSync(join(dir, "leaf.key")), cert: readFileSync(join(dir, "leaf.pem")) }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists leaf then root with the SHA-1 fingerprints openssl computes", async () => {
    const chain = await fetchChain(`https://127.0.0.1:${port}`, 5000, readFileSync(join(dir, "ca.pem"), "utf8"));
    const fp = (f: string) => sh("x509", "-in", f, "-noout", "-fingerprint", "-sha1").trim().split("=")[1].replace(/:/g, "").toLowerCase();
    expect(chain.map((c) => c.sha1)).toEqual([fp("leaf.pem"), fp("ca.pem")]);
    expect(chain[1].subject).toContain("CN=test-root");
    expect(judgeThumbprints([fp("ca.pem")], undefined, chain).ok).toBe(true);
  });

  it("reads an untrusted chain too (that is when pinned thumbprints matter)", async () => {
    const chain = await fetchChain(`https://127.0.0.1:${port}`, 5000);
    expect(chain[0].subject).toContain("CN=localhost");
  });

  it("rejects when nothing answers", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const p = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(fetchChain(`https://127.0.0.1:${p}`, 2000)).rejects.toThrow();
  });
});
