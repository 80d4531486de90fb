/**
 * Guard: no code imports a provider package's barrel (`@cdktf/provider-aws`, `.../lib`, `.../lib/index`).
 * The aws barrel loads ~2,100 modules: measured on a 2-core machine, `require("@cdktf/provider-aws")` alone
 * takes 2.7-4.7 s and 516 MiB, a deep import of one class 0.24 s and 62 MiB (docs/benchmarks.md).
 * One barrel import anywhere on the synth path undoes the project's speed, so this fails with file and line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
/** Where code lives; everything under them with a script extension is scanned. */
const SCANNED = ["main.ts", "src", "__tests__", "bench"];
const SCRIPT = /\.(ts|tsx|js|cjs|mjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", "fixtures", "cdktf.out", ".gen"]);

const PROVIDER = String.raw`@(?:cdktf|cdktn)\/provider-[a-z0-9-]+`;
/** A module specifier of a provider package in any loading position: import/export from, import(), require(), jest.mock & co. */
const LOAD = new RegExp(
  String.raw`(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bjest\s*\.\s*(?:mock|doMock|unmock|requireActual|requireMock)\s*\(\s*)(["'\x60])(${PROVIDER}(?:\/[^"'\x60]*)?)\1`,
  "g",
);
/** Allowed: one resource's module, `<package>/lib/<name>[/...]`, other than the `lib/index` barrel. */
const DEEP = new RegExp(String.raw`^${PROVIDER}\/lib\/(?!index(?:\.js)?$)[^/]+`);

interface BarrelImport {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
}

/** Barrel imports in one file's text; mentions in comment lines are ignored. */
function findBarrelImports(file: string, text: string): BarrelImport[] {
  const found: BarrelImport[] = [];
  for (const m of text.matchAll(LOAD)) {
    const specifier = m[2];
    if (DEEP.test(specifier)) continue;
    const lineStart = text.lastIndexOf("\n", m.index) + 1;
    if (/^\s*(\/\/|\/\*|\*)/.test(text.slice(lineStart, m.index))) continue;
    found.push({ file, line: text.slice(0, m.index).split("\n").length, specifier });
  }
  return found;
}

function scriptFiles(path: string): string[] {
  let entries;
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return SCRIPT.test(path) ? [path] : []; // a file such as main.ts
  }
  return entries.flatMap((e) => (e.isDirectory() ? (SKIP_DIRS.has(e.name) ? [] : scriptFiles(join(path, e.name))) : SCRIPT.test(e.name) ? [join(path, e.name)] : []));
}

function scanForBarrelImports(root: string, paths: readonly string[]): { files: string[]; found: BarrelImport[] } {
  const files = paths.flatMap((p) => scriptFiles(join(root, p))).map((f) => relative(root, f));
  return { files, found: files.flatMap((f) => findBarrelImports(f, readFileSync(join(root, f), "utf8"))) };
}

const describeFound = (found: readonly BarrelImport[]) =>
  found
    .map((b) => `${b.file}:${b.line}: imports the barrel "${b.specifier}"; import the class from its own module, e.g. "@cdktf/provider-aws/lib/iam-role"`)
    .join("\n");

// Samples are assembled at run time so this file's own source holds no barrel specifier for the scan to find.
const AWS = ["@cdktf", "provider-aws"].join("/");
const K8S = ["@cdktf", "provider-kubernetes"].join("/");

describe("findBarrelImports", () => {
  it.each([
    [`import { IamRole } from "${AWS}";`],
    [`import * as aws from '${AWS}';`],
    [`import type { IamRole } from "${AWS}";`],
    [`export * from "${AWS}";`],
    [`import "${AWS}";`],
    [`const aws = require("${AWS}");`],
    [`const aws = await import("${AWS}");`],
    [`jest.mock("${K8S}");`],
    [`import { iamRole } from "${AWS}/lib";`],
    [`import { iamRole } from "${AWS}/lib/index";`],
    [`import {\n  IamRole,\n  IamPolicy,\n} from "${AWS}";`],
    [`import { X } from "${["@cdktn", "provider-tls"].join("/")}";`],
  ])("finds %j", (text) => {
    expect(findBarrelImports("x.ts", text).map((b) => b.file)).toEqual(["x.ts"]);
  });

  it.each([
    [`import { IamRole } from "${AWS}/lib/iam-role";`],
    [`import { ServiceAccountV1 } from "${K8S}/lib/service-account-v1";`],
    [`const { IamRole } = require("${AWS}/lib/iam-role");`],
    [`// never: import { IamRole } from "${AWS}";`],
    [` * e.g. import { IamRole } from "${AWS}";`],
    [`const pkg = "${AWS}"; // a name, not an import`],
    [`import { Fn } from "cdktf";`],
  ])("accepts %j", (text) => {
    expect(findBarrelImports("x.ts", text)).toEqual([]);
  });

  it("reports the line of the specifier", () => {
    const text = `import { Construct } from "constructs";\n\nimport {\n  IamRole,\n} from "${AWS}";\n`;
    expect(findBarrelImports("src/x.ts", text)).toEqual([{ file: "src/x.ts", line: 5, specifier: AWS }]);
  });
});

describe("provider imports of this project", () => {
  it("scans a folder tree and names file and line of a barrel import", () => {
    const dir = mkdtempSync(join(tmpdir(), "barrel-scan-"));
    try {
      writeFileSync(join(dir, "main.ts"), `import { App } from "cdktf";\nimport { AwsProvider } from "${AWS}";\n`);
      const { files, found } = scanForBarrelImports(dir, ["main.ts"]);
      expect(files).toEqual(["main.ts"]);
      expect(describeFound(found)).toBe(`main.ts:2: imports the barrel "${AWS}"; import the class from its own module, e.g. "@cdktf/provider-aws/lib/iam-role"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("imports provider classes only by deep path, in main.ts, src/, __tests__/ and bench/", () => {
    const { files, found } = scanForBarrelImports(ROOT, SCANNED);
    // The scan must actually cover the code, or passing would mean nothing.
    expect(files).toEqual(expect.arrayContaining(["main.ts", join("src", "app.ts"), join("__tests__", "unit", "provider-imports.test.ts")]));
    expect(describeFound(found)).toBe("");
  });
});
