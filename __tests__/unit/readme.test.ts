/**
 * The README stays true: its diagram is the renderer's output for the example `dev`, and its field
 * reference names every field the schema accepts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEnvironments } from "../../src/config/load";
import { environmentJsonSchema } from "../../src/config/json-schema";
import { diagramInputOf, renderTrustChainMermaid } from "../../src/diagram/mermaid";
import { PROJECT_ROOT } from "../support/project-cli";

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

test("the README diagram is what `diagram --env dev` renders (update it with `npx eks-ecr-access diagram --env dev --markdown`)", () => {
  const { environments, problems } = loadEnvironments(join(PROJECT_ROOT, "environments"), ["dev"]);
  expect(problems).toEqual([]);
  const diagram = renderTrustChainMermaid(diagramInputOf(environments[0]));
  expect(readme).toContain("```mermaid\n" + diagram.trimEnd() + "\n```");
});

test("the README's field reference names every field of the environment schema", () => {
  const schema = JSON.parse(environmentJsonSchema());
  const names = new Set<string>();
  const walk = (node: any): void => {
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries<any>(node.properties ?? {})) {
      // Capitalised keys are IAM's own statement grammar (Sid, Effect, ...), documented by AWS, not here.
      if (key !== "$schema" && key !== "type" && !/^[A-Z]/.test(key)) names.add(key);
      walk(value);
      walk(value.items);
      for (const alt of [...(value.anyOf ?? []), ...(value.oneOf ?? [])]) walk(alt);
    }
  };
  walk(schema);
  for (const alt of Object.values<any>(schema.$defs ?? {})) walk(alt);
  const missing = [...names].filter((n) => !readme.includes(n)).sort();
  expect(missing).toEqual([]);
});

test("the README gives the two commands a newcomer needs", () => {
  expect(readme).toContain("npm ci && npm run synth");
  expect(readme).toMatch(/^npm test\b/m);
  expect(readFileSync(join(PROJECT_ROOT, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
});
