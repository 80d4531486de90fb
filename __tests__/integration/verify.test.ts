/**
 * `verify` against the emulator: apply an aws-only environment with the real terraform binary, verify
 * passes; then each kind of breakage is reported by the right check, and only by it, with exit 1.
 *
 * What moto cannot show (it evaluates no policy, accepts any web-identity token, cannot do cross-account
 * ECR calls): verify's policy verdicts are therefore tested on the documents (unit tests) and here only
 * for what the AWS API returns; the token path is exercised for its plumbing (decode, exchange, ECR calls
 * with the returned credentials), not for STS's own token validation.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { join } from "node:path";
import { CreateRepositoryCommand, DeleteRepositoryCommand, DeleteRepositoryPolicyCommand, GetRepositoryPolicyCommand, SetRepositoryPolicyCommand } from "@aws-sdk/client-ecr";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  DeleteOpenIDConnectProviderCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { parseAllDocuments } from "yaml";
import { runCliSync } from "../support/project-cli";
import { INTEGRATION_TIER, integrationTier, tierDescribe } from "../support/tiers";
import { ECR_ACCOUNT, NODE_ROLE, REGION, ROLE, Verdict, VerifyFixture, deployVerifyFixture } from "../support/verify-fixture";

jest.setTimeout(240000);

tierDescribe(INTEGRATION_TIER, integrationTier())("verify against the emulator", () => {
  let f: VerifyFixture;
  const verify = (...extra: string[]) => f.verify(...extra);

  beforeAll(async () => {
    f = await deployVerifyFixture();
  });

  afterAll(async () => {
    await f?.stop();
  });

  it("passes right after apply", () => {
    const v = verify();
    expect(v.failed).toEqual([]);
    expect(v.status).toBe(0);
    const passed = v.json.checks.filter((c) => c.status === "pass").map((c) => c.id);
    for (const id of ["account.eks", "account.ecr", "cluster.issuer", "oidc.provider", "oidc.audience", "role.exists", "role.trust.provider", "role.trust.sub", "role.trust.aud", "role.permissions", "role.least-privilege", "repository.exists", "node-pull.ecr", "node-pull.node-role"]) {
      expect(passed).toContain(id);
    }
    // the issuer has no reachable TLS endpoint here: pinned thumbprints are compared with the provider only
    expect(v.json.checks.find((c) => c.id === "oidc.thumbprints")?.status).toBe("warn");
  });

  it("reports a deleted OIDC provider as oidc.provider, and re-apply fixes it", async () => {
    const arn = `arn:aws:iam::${ECR_ACCOUNT}:oidc-provider/${f.issuer.replace(/^https:\/\//, "")}`;
    await f.ecr.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    const v = verify();
    expect(v.status).toBe(1);
    expect(v.failed).toEqual([`oidc.provider ${ECR_ACCOUNT}`]);
    expect(v.json.checks.find((c) => c.id === "oidc.provider")?.detail).toContain(arn);
    expect(v.json.checks.find((c) => c.id === "oidc.provider")?.fix).toMatch(/cdktf deploy it/);
    await f.reapply();
    expect(verify().status).toBe(0);
  });

  /**
   * Changes the role's trust with `edit`, runs `body`, then puts the applied trust back through the API
   * (one terraform re-apply above already proves the advertised fix; each costs ~20 s on 2 cores).
   */
  const withTrust = async (edit: (condition: Record<string, string>) => void, body: () => void) => {
    const role = await f.ecr.iam.send(new GetRoleCommand({ RoleName: ROLE }));
    const text = role.Role!.AssumeRolePolicyDocument!;
    const original = text.startsWith("{") ? text : decodeURIComponent(text);
    const doc = JSON.parse(original);
    edit(doc.Statement[0].Condition.StringEquals);
    await f.ecr.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(doc) }));
    try {
      body();
    } finally {
      await f.ecr.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: original }));
    }
  };
  const host = () => f.issuer.replace(/^https:\/\//, "");

  it("reports a changed trust :sub as role.trust.sub", async () => {
    await withTrust(
      (c) => (c[`${host()}:sub`] = "system:serviceaccount:ci:someone-else"),
      () => {
        const v = verify();
        expect(v.status).toBe(1);
        expect(v.failed).toEqual(["role.trust.sub ci/builder"]);
        expect(v.json.checks.find((c) => c.id === "role.trust.sub")?.detail).toContain("someone-else");
      },
    );
  });

  it("reports a dropped :aud as role.trust.aud", async () => {
    await withTrust(
      (c) => delete c[`${host()}:aud`],
      () => {
        const v = verify();
        expect(v.status).toBe(1);
        expect(v.failed).toEqual(["role.trust.aud ci/builder"]);
      },
    );
    expect(verify().status).toBe(0);
  });

  it("reports a repository removed from the policy as role.permissions", async () => {
    const arn = (r: string) => `arn:aws:ecr:${REGION}:${ECR_ACCOUNT}:repository/${r}`;
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        { Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:PutImage"], Resource: [arn("team/base-*")] },
      ],
    };
    const original = await f.ecr.iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "ecr-push" }));
    await f.ecr.iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "ecr-push", PolicyDocument: JSON.stringify(policy) }));
    try {
      const v = verify();
      expect(v.status).toBe(1);
      expect(v.failed).toEqual(["role.permissions ci/builder"]);
      expect(v.json.checks.find((c) => c.id === "role.permissions")?.detail).toMatch(/team\/app: .*ecr:BatchCheckLayerAvailability/);
    } finally {
      const text = original.PolicyDocument!;
      const doc = text.startsWith("{") ? text : decodeURIComponent(text);
      await f.ecr.iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "ecr-push", PolicyDocument: doc }));
    }
    expect(verify().status).toBe(0);
  });

  it("reports an extra grant attached outside the stack as role.least-privilege", async () => {
    const extra = await f.ecr.iam.send(
      new CreatePolicyCommand({
        PolicyName: "too-much",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Everything", Effect: "Allow", Action: "ecr:*", Resource: "*" }] }),
      }),
    );
    await f.ecr.iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: extra.Policy!.Arn }));
    try {
      const v = verify();
      expect(v.status).toBe(1);
      expect(v.failed).toEqual(["role.least-privilege ci/builder"]);
      const check = v.json.checks.find((c) => c.id === "role.least-privilege")!;
      expect(check.detail).toMatch(/statement Everything allows on \*: \d+ actions/);
      // terraform does not manage attachments it did not create: the fix says to remove them
      expect(check.fix).toMatch(/remove the extra grants/);
    } finally {
      await f.ecr.iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: extra.Policy!.Arn }));
    }
    expect(verify().status).toBe(0);
  });

  it("reports a deleted repository as repository.exists", async () => {
    await f.ecr.ecr.send(new DeleteRepositoryCommand({ repositoryName: "team/app" }));
    try {
      const v = verify();
      expect(v.status).toBe(1);
      expect(v.failed).toEqual(["repository.exists team/app"]);
      expect(v.json.checks.find((c) => c.id === "repository.exists" && c.subject === "team/app")?.fix).toMatch(/aws ecr create-repository --repository-name team\/app/);
    } finally {
      await f.ecr.ecr.send(new CreateRepositoryCommand({ repositoryName: "team/app" }));
    }
    expect(verify().status).toBe(0);
  });

  it("reports a node-pull repository policy removed outside the stack as node-pull.ecr", async () => {
    const saved = await f.ecr.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: "team/base-node" }));
    await f.ecr.ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: "team/base-node" }));
    try {
      const v = verify();
      expect(v.status).toBe(1);
      expect(v.failed).toEqual(["node-pull.ecr team/base-node"]);
      expect(v.json.checks.find((c) => c.id === "node-pull.ecr")?.detail).toContain(`${NODE_ROLE} lacks ecr:BatchCheckLayerAvailability`);
    } finally {
      await f.ecr.ecr.send(new SetRepositoryPolicyCommand({ repositoryName: "team/base-node", policyText: saved.policyText }));
    }
    expect(verify().status).toBe(0);
  });

  it("exchanges a web-identity token and calls ECR with the role (moto does not validate the token)", () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const claims = { iss: f.issuer, sub: "system:serviceaccount:ci:builder", aud: ["sts.amazonaws.com"], exp: Math.floor(Date.now() / 1000) + 600 };
    const file = join(f.dir, "token.jwt");
    writeFileSync(file, `${b64({ alg: "RS256" })}.${b64(claims)}.c2ln`);
    const v = verify("--web-identity-token-file", file);
    expect(v.failed).toEqual([]);
    const ids = v.json.checks.filter((c) => c.status === "pass").map((c) => `${c.id} ${c.subject}`);
    expect(ids).toEqual(expect.arrayContaining(["token.claims ci/builder", "token.assume-role ci/builder", "token.ecr-auth ci/builder", "token.describe-images ci/builder team/app"]));

    writeFileSync(file, `${b64({ alg: "RS256" })}.${b64({ ...claims, aud: "other" })}.c2ln`);
    const bad = verify("--web-identity-token-file", file);
    expect(bad.status).toBe(1);
    expect(bad.failed).toEqual(["token.claims ci/builder"]);
  });

  it("the --emit-job smoke-test script succeeds with the aws CLI given what the pod identity webhook injects", () => {
    const emitted = runCliSync(["--environments", join(f.dir, "environments"), "verify", "--env", "it", "--emit-job"], { env: f.env() });
    expect(emitted.code).toBe(0);
    const job = parseAllDocuments(emitted.stdout)[0].toJS();
    const container = job.spec.template.spec.containers[0];
    const script = container.command[2] as string;
    const containerEnv = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const tokenFile = join(f.dir, "pod-token.jwt");
    writeFileSync(tokenFile, `${b64({ alg: "RS256" })}.${b64({ iss: f.issuer, sub: "system:serviceaccount:ci:builder", aud: "sts.amazonaws.com" })}.c2ln`);
    // Only the Job's own env, what the webhook injects (role ARN, token file) and the emulator endpoint: no keys.
    const out = execFileSync("sh", ["-c", script], {
      encoding: "utf8",
      env: {
        ...containerEnv,
        PATH: process.env.PATH,
        HOME: f.dir,
        AWS_ROLE_ARN: `arn:aws:iam::${ECR_ACCOUNT}:role/${ROLE}`,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ENDPOINT_URL: f.moto.endpoint,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
      },
      timeout: 60000,
    });
    expect(out).toContain(`${ECR_ACCOUNT}`);
    expect(out).toContain("== images in team/app");
    expect(out).toContain("== OK: ECR reachable");
  });

  it("checks the service accounts through the Kubernetes API (a stub API server on 127.0.0.1)", async () => {
    const roleArn = `arn:aws:iam::${ECR_ACCOUNT}:role/${ROLE}`;
    let annotation = roleArn;
    const server: Server = createServer((req, res) => {
      if (req.url?.startsWith("/api/v1/namespaces/ci/serviceaccounts/builder")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "builder", namespace: "ci", annotations: { "eks.amazonaws.com/role-arn": annotation } } }));
      } else {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", code: 404 }));
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const kubeconfig = join(f.dir, "kubeconfig");
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          // plain http needs insecure-skip-tls-verify in @kubernetes/client-node (the stub has no certificate)
          clusters: [{ name: "stub", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
          users: [{ name: "stub", user: { token: "t" } }],
          contexts: [{ name: "stub", context: { cluster: "stub", user: "stub" } }],
          "current-context": "stub",
        }),
      );
      // moto reports a made-up cluster endpoint, so the context is (rightly) reported as another cluster;
      // the service accounts are still read and judged.
      const ok = await f.verifyAsync("--kubeconfig", kubeconfig, "--context", "stub");
      const k8s = (v: Verdict) => Object.fromEntries(v.json.checks.filter((c) => c.id.startsWith("k8s.")).map((c) => [c.id, c.status]));
      expect(k8s(ok)).toEqual({ "k8s.context": "fail", "k8s.service-account": "pass" });
      expect(ok.json.checks.find((c) => c.id === "k8s.context")?.fix).toMatch(/aws eks update-kubeconfig --name it/);
      annotation = `arn:aws:iam::${ECR_ACCOUNT}:role/wrong`;
      const bad = await f.verifyAsync("--kubeconfig", kubeconfig, "--context", "stub");
      expect(k8s(bad)).toEqual({ "k8s.context": "fail", "k8s.service-account": "fail" });
      expect(bad.json.checks.find((c) => c.id === "k8s.service-account")?.detail).toContain("role/wrong");
      expect(bad.status).toBe(1);
    } finally {
      server.close();
    }
  });
});
