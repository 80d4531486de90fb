/**
 * What one environment's stack contains, option by option: providers, OIDC provider, roles and their
 * policies, service accounts, outputs, backends.
 */
import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { DataAwsEksClusterAuth } from "@cdktf/provider-aws/lib/data-aws-eks-cluster-auth";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { DataTlsCertificate } from "@cdktf/provider-tls/lib/data-tls-certificate";
import { Testing } from "cdktf";
// The matchers setupJest adds, for the type checker (tsconfig.test.json); nothing is loaded at run time.
import type {} from "cdktf/lib/testing/adapters/jest";
import { parseAllDocuments } from "yaml";
import { EnvironmentStack } from "../../src/stacks/environment-stack";
import { baseEnvironment, environmentFrom, synthStack } from "../support/environments";

Testing.setupJest();

const ISSUER_HOST = "oidc.eks.us-east-1.amazonaws.com/id/ABC123";

function stackOf(overrides: Record<string, unknown> = {}) {
  return synthStack(environmentFrom(baseEnvironment(overrides)));
}

const eachOf = (tf: any, type: string): any[] => Object.values(tf.resource?.[type] ?? tf.data?.[type] ?? {});

describe("providers", () => {
  test("two aliased aws providers pinned to their accounts, no default aws provider", () => {
    const { tf } = stackOf();
    expect(tf.provider.aws).toEqual([
      { alias: "eks", region: "us-east-1", allowed_account_ids: ["111111111111"] },
      { alias: "ecr", region: "us-east-1", allowed_account_ids: ["222222222222"] },
    ]);
  });

  test("every aws resource and data source names an aliased provider", () => {
    const { tf } = stackOf({ eks: { accountId: "111111111111", region: "us-east-1", clusterName: "c" } });
    const blocks = [...Object.entries(tf.resource), ...Object.entries(tf.data)].filter(([type]) => type.startsWith("aws_"));
    expect(blocks.length).toBeGreaterThan(3);
    for (const [type, byName] of blocks) {
      for (const [name, body] of Object.entries(byName as Record<string, any>)) {
        expect({ address: `${type}.${name}`, provider: body.provider }).toEqual({ address: `${type}.${name}`, provider: expect.stringMatching(/^aws\.(eks|ecr)$/) });
      }
    }
  });

  test("assume roles and custom endpoints apply to both accounts", () => {
    const { tf } = stackOf({
      eks: { accountId: "111111111111", region: "us-east-1", clusterName: "c", issuerUrl: "https://issuer.example.com", assumeRoleArn: "arn:aws:iam::111111111111:role/tf" },
      ecr: { accountId: "222222222222", region: "eu-west-1", assumeRoleArn: "arn:aws:iam::222222222222:role/tf" },
      awsEndpoints: { sts: "http://127.0.0.1:4566", iam: "http://127.0.0.1:4566" },
    });
    const [eks, ecr] = tf.provider.aws;
    expect(eks.assume_role).toEqual([{ role_arn: "arn:aws:iam::111111111111:role/tf", session_name: "eks-ecr-access-test" }]);
    expect(ecr.assume_role).toEqual([{ role_arn: "arn:aws:iam::222222222222:role/tf", session_name: "eks-ecr-access-test" }]);
    expect(ecr.region).toBe("eu-west-1");
    for (const p of [eks, ecr]) {
      expect(p.endpoints).toEqual([{ sts: "http://127.0.0.1:4566", iam: "http://127.0.0.1:4566" }]);
      expect(p.skip_metadata_api_check).toBe("true");
    }
  });
});

describe("issuer and OIDC provider", () => {
  test("a given issuer URL is used literally; thumbprint from the issuer's root certificate by default", () => {
    const { json, tf } = stackOf({ kubernetes: { serviceAccounts: "manifest" } });
    expect(json).not.toHaveDataSource(DataAwsEksCluster);
    expect(json).toHaveDataSourceWithProperties(DataTlsCertificate, { url: `https://${ISSUER_HOST}` });
    expect(json).toHaveResourceWithProperties(IamOpenidConnectProvider, {
      provider: "aws.ecr",
      url: `https://${ISSUER_HOST}`,
      client_id_list: ["sts.amazonaws.com"],
      thumbprint_list: ["${data.tls_certificate.issuer.certificates[0].sha1_fingerprint}"],
    });
    expect(tf.provider.tls).toBeDefined();
  });

  test("without issuerUrl the issuer is read from the cluster in the eks account", () => {
    const { json, tf } = stackOf({ eks: { accountId: "111111111111", region: "us-east-1", clusterName: "platform" }, kubernetes: { serviceAccounts: "manifest" } });
    expect(json).toHaveDataSourceWithProperties(DataAwsEksCluster, { name: "platform", provider: "aws.eks" });
    const issuer = "${data.aws_eks_cluster.eks_cluster.identity[0].oidc[0].issuer}";
    expect(tf.resource.aws_iam_openid_connect_provider.cluster.url).toBe(issuer);
    const condition = tf.data.aws_iam_policy_document["ci__image-builder_trust"].statement[0].condition;
    expect(condition.map((c: any) => c.variable)).toEqual([
      '${replace(data.aws_eks_cluster.eks_cluster.identity[0].oidc[0].issuer, "https://", "")}:sub',
      '${replace(data.aws_eks_cluster.eks_cluster.identity[0].oidc[0].issuer, "https://", "")}:aud',
    ]);
  });

  test("thumbprints \"none\" omits the list and the tls provider", () => {
    const { json, tf } = stackOf({ ecr: { accountId: "222222222222", region: "us-east-1", oidcProvider: { thumbprints: "none" } } });
    expect(json).not.toHaveDataSource(DataTlsCertificate);
    expect(tf.provider.tls).toBeUndefined();
    expect(tf.resource.aws_iam_openid_connect_provider.cluster.thumbprint_list).toBeUndefined();
  });

  test("static thumbprints are used as given, lower-cased", () => {
    const upper = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280";
    const { tf } = stackOf({ ecr: { accountId: "222222222222", region: "us-east-1", oidcProvider: { thumbprints: [upper] } } });
    expect(tf.resource.aws_iam_openid_connect_provider.cluster.thumbprint_list).toEqual([upper.toLowerCase()]);
  });

  test("existingArn creates no provider and the roles trust the existing one", () => {
    const arn = `arn:aws:iam::222222222222:oidc-provider/${ISSUER_HOST}`;
    const { json, tf } = stackOf({ ecr: { accountId: "222222222222", region: "us-east-1", oidcProvider: { existingArn: arn } } });
    expect(json).not.toHaveResource(IamOpenidConnectProvider);
    expect(json).not.toHaveDataSource(DataTlsCertificate);
    expect(tf.data.aws_iam_policy_document["ci__image-builder_trust"].statement[0].principals).toEqual([{ type: "Federated", identifiers: [arn] }]);
    expect(tf.output.oidc_provider_arn.value).toBe(arn);
  });
});

describe("roles", () => {
  test("the trust policy is exactly the IRSA shape: Federated provider, StringEquals on :sub and :aud", () => {
    const { tf } = stackOf();
    expect(tf.data.aws_iam_policy_document["ci__image-builder_trust"]).toMatchObject({
      provider: "aws.ecr",
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: ["${aws_iam_openid_connect_provider.cluster.arn}"] }],
          condition: [
            { test: "StringEquals", variable: `${ISSUER_HOST}:sub`, values: ["system:serviceaccount:ci:image-builder"] },
            { test: "StringEquals", variable: `${ISSUER_HOST}:aud`, values: ["sts.amazonaws.com"] },
          ],
        },
      ],
    });
    expect(tf.resource.aws_iam_role["ci__image-builder"].assume_role_policy).toBe("${data.aws_iam_policy_document.ci__image-builder_trust.json}");
  });

  test("pull grants read actions on the listed repository ARNs and the auth token on *", () => {
    const { tf } = stackOf({ serviceAccounts: [{ namespace: "ci", name: "reader", repositories: ["team/app", "team/*"] }] });
    const policy = JSON.parse(tf.resource.aws_iam_role_policy["ci__reader_ecr"].policy);
    expect(policy.Statement).toEqual([
      { Sid: "GetAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImages",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer", "ecr:ListImages"],
        Resource: ["arn:aws:ecr:us-east-1:222222222222:repository/team/*", "arn:aws:ecr:us-east-1:222222222222:repository/team/app"],
      },
    ]);
  });

  test("push adds exactly the four upload actions, and no statement holds a * action", () => {
    const { tf } = stackOf({ serviceAccounts: [{ namespace: "ci", name: "builder", repositories: ["team/app"], access: "push" }] });
    const policy = JSON.parse(tf.resource.aws_iam_role_policy["ci__builder_ecr"].policy);
    expect(policy.Statement[1].Action).toEqual(
      expect.arrayContaining(["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]),
    );
    expect(policy.Statement[1].Action).toHaveLength(10);
    const actions = policy.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes("*"))).toEqual([]);
  });

  test("role options: name, path, boundary, session duration, tags", () => {
    const { json } = stackOf({
      serviceAccounts: [
        {
          namespace: "ci",
          name: "builder",
          repositories: ["team/app"],
          roleName: "custom-role",
          path: "/irsa/",
          permissionsBoundaryArn: "arn:aws:iam::222222222222:policy/boundary",
          maxSessionDuration: 7200,
        },
      ],
      tags: { team: "platform" },
    });
    expect(json).toHaveResourceWithProperties(IamRole, {
      name: "custom-role",
      path: "/irsa/",
      permissions_boundary: "arn:aws:iam::222222222222:policy/boundary",
      max_session_duration: 7200,
      provider: "aws.ecr",
      tags: { team: "platform", "managed-by": "eks-ecr-access", "eks-ecr-access/environment": "test" },
    });
  });

  test("default role names derive from environment, namespace and name", () => {
    const { tf } = stackOf();
    expect(tf.resource.aws_iam_role["ci__image-builder"].name).toBe("test-ci-image-builder");
  });

  test("tags from the file are on every taggable aws resource", () => {
    const { tf } = stackOf({ tags: { team: "platform" } });
    const taggable = [...eachOf(tf, "aws_iam_role"), ...eachOf(tf, "aws_iam_openid_connect_provider")];
    expect(taggable.length).toBe(2);
    for (const r of taggable) expect(r.tags.team).toBe("platform");
  });
});

describe("service accounts", () => {
  test("terraform mode: annotated service accounts through a kubernetes provider using exec auth", () => {
    const { json, tf } = stackOf({ eks: { accountId: "111111111111", region: "us-east-1", clusterName: "platform", assumeRoleArn: "arn:aws:iam::111111111111:role/tf" } });
    expect(json).toHaveResourceWithProperties(ServiceAccountV1, {
      metadata: {
        name: "image-builder",
        namespace: "ci",
        labels: { "app.kubernetes.io/managed-by": "eks-ecr-access" },
        annotations: {
          "eks.amazonaws.com/role-arn": "${aws_iam_role.ci__image-builder.arn}",
          "eks.amazonaws.com/sts-regional-endpoints": "true",
        },
      },
    });
    const [k8s] = tf.provider.kubernetes;
    expect(k8s.host).toBe("${data.aws_eks_cluster.eks_cluster.endpoint}");
    expect(k8s.exec[0].args).toEqual([
      "eks", "get-token", "--cluster-name", "${data.aws_eks_cluster.eks_cluster.name}", "--region", "us-east-1", "--output", "json",
      "--role-arn", "arn:aws:iam::111111111111:role/tf",
    ]);
    expect(k8s.token).toBeUndefined();
    expect(json).not.toHaveDataSource(DataAwsEksClusterAuth);
  });

  test("token auth reads aws_eks_cluster_auth instead of exec", () => {
    const { json, tf } = stackOf({ kubernetes: { auth: "token" } });
    expect(json).toHaveDataSourceWithProperties(DataAwsEksClusterAuth, { provider: "aws.eks" });
    expect(tf.provider.kubernetes[0].token).toBe("${data.aws_eks_cluster_auth.eks_cluster.token}");
    expect(tf.provider.kubernetes[0].exec).toBeUndefined();
  });

  test("createNamespace creates each namespace once and the service accounts depend on it", () => {
    const { tf } = stackOf({
      serviceAccounts: [
        { namespace: "ci", name: "a", repositories: ["team/a"], createNamespace: true },
        { namespace: "ci", name: "b", repositories: ["team/b"], createNamespace: true },
      ],
    });
    expect(Object.keys(tf.resource.kubernetes_namespace_v1)).toEqual(["ci"]);
    expect(tf.resource.kubernetes_service_account_v1["ci__a"].metadata.namespace).toBe("${kubernetes_namespace_v1.ci.metadata[0].name}");
  });

  test("manifest mode: no kubernetes provider; annotated YAML as an output with the role's ARN", () => {
    const { json, tf } = stackOf({ kubernetes: { serviceAccounts: "manifest" } });
    expect(tf.provider.kubernetes).toBeUndefined();
    expect(json).not.toHaveResource(ServiceAccountV1);
    expect(tf.output.service_account_manifests.value).toContain("eks.amazonaws.com/role-arn: ${aws_iam_role.ci__image-builder.arn}");
  });
});

describe("outputs and backends", () => {
  test("outputs the OIDC provider ARN and each role ARN keyed by namespace/name", () => {
    const { tf } = stackOf();
    expect(tf.output.oidc_provider_arn.value).toBe("${aws_iam_openid_connect_provider.cluster.arn}");
    expect(tf.output.role_arns.value).toEqual({ "ci/image-builder": "${aws_iam_role.ci__image-builder.arn}" });
  });

  test("local backend: a relative per-environment path outside the synthesized folder", () => {
    const { tf } = stackOf();
    expect(tf.terraform.backend).toEqual({ local: { path: "../../../state/test.tfstate" } });
  });

  test("s3 backend: per-environment key, encryption and S3-native locking by default", () => {
    const { tf } = stackOf({ backend: { type: "s3", bucket: "tf-state", region: "us-east-1" } });
    expect(tf.terraform.backend.s3).toEqual({ bucket: "tf-state", region: "us-east-1", key: "eks-ecr-access/test.tfstate", encrypt: true, use_lockfile: true });
  });

  test("s3 backend with custom endpoints uses path style and the same endpoints", () => {
    const { tf } = stackOf({
      backend: { type: "s3", bucket: "tf-state", region: "us-east-1", key: "x/y.tfstate", useLockfile: false },
      awsEndpoints: { s3: "http://127.0.0.1:5000", sts: "http://127.0.0.1:5000" },
    });
    expect(tf.terraform.backend.s3).toMatchObject({ key: "x/y.tfstate", use_path_style: true, endpoints: { s3: "http://127.0.0.1:5000", sts: "http://127.0.0.1:5000" } });
    expect(tf.terraform.backend.s3.use_lockfile).toBeUndefined();
  });

  test("cloud backend: one workspace per environment, no backend block", () => {
    const { tf } = stackOf({ backend: { type: "cloud", organization: "acme", workspace: "eks-ecr-access-test", project: "platform" } });
    expect(tf.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "eks-ecr-access-test", project: "platform" } });
    expect(tf.terraform.backend).toBeUndefined();
  });
});

test("manifest mode YAML: namespaces first, then annotated service accounts with static role ARNs", () => {
  const env = environmentFrom(
    baseEnvironment({
      kubernetes: { serviceAccounts: "manifest" },
      serviceAccounts: [
        { namespace: "ci", name: "builder", repositories: ["team/a"], createNamespace: true, path: "/irsa/" },
        { namespace: "argocd", name: "updater", repositories: ["team/*"] },
      ],
    }),
  );
  const stack = new EnvironmentStack(Testing.app(), env);
  const docs = parseAllDocuments(stack.manifest!).map((d: any) => d.toJS());
  expect(docs.map((d: any) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`)).toEqual([
    "Namespace//ci",
    "ServiceAccount/ci/builder",
    "ServiceAccount/argocd/updater",
  ]);
  expect(docs[1].metadata.annotations).toEqual({
    "eks.amazonaws.com/role-arn": "arn:aws:iam::222222222222:role/irsa/test-ci-builder",
    "eks.amazonaws.com/sts-regional-endpoints": "true",
  });
});
