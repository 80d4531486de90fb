/**
 * `generated/` is committed so Terraform users can take it without running cdktf. This test regenerates it
 * into a temporary folder from the current sources and environment files and fails, naming the command to
 * run, when the committed copy differs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { GENERATE_COMMAND, writeGenerated } from "../../src/cli/generate";
import { loadEnvironments } from "../../src/config/load";

const ROOT = join(__dirname, "..", "..");
const COMMITTED = join(ROOT, "generated");

/** Files under `dir` (relative paths, sorted), skipping Terraform's working files a user may have there. */
function files(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .filter((name) => name !== ".terraform" && name !== ".terraform.lock.hcl")
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path, base) : [relative(base, path)];
    })
    .sort();
}

describe("generated/", () => {
  let fresh: string;

  beforeAll(() => {
    fresh = mkdtempSync(join(tmpdir(), "eks-ecr-access-generated-"));
    const { environments, problems } = loadEnvironments(join(ROOT, "environments"));
    expect(problems).toEqual([]);
    writeGenerated(fresh, environments);
  });
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it(`matches a fresh generation (if not, run: ${GENERATE_COMMAND})`, () => {
    const wanted = files(fresh);
    const committed = files(COMMITTED);
    const differing = [
      ...wanted.filter((f) => !committed.includes(f)).map((f) => `missing: generated/${f}`),
      ...committed.filter((f) => !wanted.includes(f)).map((f) => `stale extra file: generated/${f}`),
      ...wanted
        .filter((f) => committed.includes(f) && readFileSync(join(fresh, f), "utf8") !== readFileSync(join(COMMITTED, f), "utf8"))
        .map((f) => `out of date: generated/${f}`),
    ];
    if (differing.length > 0) {
      throw new Error(`generated/ differs from the sources:\n  ${differing.join("\n  ")}\nRun \`${GENERATE_COMMAND}\` and commit the result.`);
    }
    expect(wanted).toContain("modules/eks-ecr-access-iam/main.tf.json");
    expect(wanted).toContain("modules/eks-ecr-access/README.md");
  });

  it("holds each environment's stack exactly as synth writes it, free of machine paths", () => {
    for (const f of files(fresh)) {
      const text = readFileSync(join(fresh, f), "utf8");
      expect(text).not.toContain(ROOT);
      expect(text).not.toContain(fresh);
    }
    expect(files(fresh).filter((f) => f.startsWith("stacks/") && f.endsWith("/cdk.tf.json")).length).toBeGreaterThan(0);
    // Nothing else: no scratch folders of cdktf or of the generator left behind.
    expect(readdirSync(fresh).sort()).toEqual(["modules", "stacks"]);
  });
});
