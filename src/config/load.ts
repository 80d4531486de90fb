/**
 * Reading environment files: parse, validate against the schema, apply the rules that relate fields,
 * then the rules that relate environments. Every problem of every file is collected; nothing throws
 * half-way, so `validate` can print them all at once.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { z } from "zod";
import { Environment, resolveEnvironment } from "./environment";
import { ENVIRONMENT_NAME } from "./patterns";
import { closestKey, descriptionAt, describeType, jsonTypeOf, knownKeysAt } from "./problem-text";
import { EnvironmentFileSchema } from "./schema";
import { crossEnvironmentProblems, fileProblems } from "./rules";

/** One thing wrong with one field of one file. */
export interface Problem {
  readonly file: string;
  /** Field path such as `serviceAccounts[0].namespace`; empty for the file as a whole. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

export interface LoadResult {
  readonly environments: Environment[];
  readonly problems: Problem[];
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => {
      if (typeof key === "number") return `[${key}]`;
      // Keys that are not plain identifiers (tag keys such as "team#1" or "a.b") are quoted, so the path stays unambiguous.
      if (!/^[A-Za-z_$][\w$-]*$/.test(String(key))) return `[${JSON.stringify(String(key))}]`;
      return i === 0 ? String(key) : `.${String(key)}`;
    })
    .join("");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeValue(v: unknown): string {
  const text = JSON.stringify(v);
  if (text === undefined) return "nothing";
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What zod says, reworded where its default text does not say what is allowed (see problem-text.ts). */
function issueMessage(issue: z.core.$ZodIssue, got: unknown): string {
  const missing = got === undefined;
  switch (issue.code) {
    case "invalid_type": {
      if (issue.path.length === 0) {
        return `must hold one JSON object such as {"eks": {...}, "ecr": {...}, "serviceAccounts": [...]} (see environments/dev.json)`;
      }
      if (!issue.message.startsWith("Invalid input")) return issue.message;
      const expected = describeType(issue.expected);
      if (missing) {
        const about = descriptionAt(issue.path);
        return `is required: ${expected}${about ? `. ${about}` : ""}`;
      }
      const hint = issue.expected === "string" && typeof got === "number" ? ` (write it in quotes: "${String(got)}")` : "";
      return `must be ${expected}, not ${jsonTypeOf(got)}${hint}`;
    }
    case "invalid_value":
      if (!issue.message.startsWith("Invalid option")) return issue.message;
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_key":
      // Record keys (tags): zod wraps the key's own message, which is the useful one.
      return issue.issues.map((i) => i.message).join("; ");
    default:
      return issue.message;
  }
}

function issueToProblem(file: string, input: unknown, issue: z.core.$ZodIssue): Problem {
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(issue.path);
    const keys = issue.keys.map((k) => {
      const near = closestKey(k, known);
      return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`;
    });
    return {
      file,
      path: formatPath(issue.path),
      message: `unknown field(s) ${keys.join(", ")}: remove them or fix their spelling; allowed here: ${known.join(", ")} (see environments/schema.json)`,
    };
  }
  const got = issue.code === "invalid_key" ? issue.path[issue.path.length - 1] : valueAt(input, issue.path);
  const message = issueMessage(issue, got);
  return { file, path: formatPath(issue.path), message: got === undefined ? message : `${message} (got ${describeValue(got)})` };
}

/** `Unexpected token } in JSON at position 12` -> line and column, which an editor can jump to. */
function jsonErrorMessage(text: string, error: Error): string {
  // Comments and trailing commas are the usual cause in hand-edited files: say so, since the parser does not.
  const hint = "; the file must be plain JSON (no comments, no trailing commas), see environments/dev.json";
  if (text.trim() === "") return `is empty; it must hold one JSON object such as {"eks": {...}, "ecr": {...}, "serviceAccounts": [...]}${hint}`;
  if (/Unexpected end of JSON input/.test(error.message)) {
    return `is not valid JSON: it ends at line ${text.split("\n").length} before every {, [ and " is closed (is it cut off?)${hint}`;
  }
  const m = /position (\d+)/.exec(error.message);
  if (!m) return `is not valid JSON: ${error.message}${hint}`;
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `is not valid JSON at line ${line}, column ${column}: ${error.message.replace(/ in JSON at position \d+.*$/, "")}${hint}`;
}

/** Parses and validates one file; `name` defaults to the file name without `.json`. */
export function loadEnvironmentFile(file: string, text?: string): { environment?: Environment; problems: Problem[] } {
  try {
    return parseEnvironmentFile(file, text);
  } catch (e) {
    // Pathological input (e.g. JSON nested 100,000 levels deep overflows the stack) still gets a named answer.
    return { problems: [{ file, path: "", message: `cannot be processed: ${(e as Error).message}; is it really an environment file?` }] };
  }
}

function parseEnvironmentFile(file: string, text?: string): { environment?: Environment; problems: Problem[] } {
  const name = basename(file).replace(/\.json$/, "");
  let raw: string;
  try {
    raw = text ?? readFileSync(file, "utf8");
  } catch (e) {
    return { problems: [{ file, path: "", message: `cannot be read: ${(e as Error).message}` }] };
  }
  const problems: Problem[] = [];
  if (!ENVIRONMENT_NAME.re.test(name)) {
    problems.push({ file, path: "", message: `environment name "${name}" ${ENVIRONMENT_NAME.help}; rename the file` });
  }
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch (e) {
    return { problems: [...problems, { file, path: "", message: jsonErrorMessage(raw, e as Error) }] };
  }
  const parsed = EnvironmentFileSchema.safeParse(input);
  if (!parsed.success) {
    return { problems: [...problems, ...parsed.error.issues.map((i) => issueToProblem(file, input, i))] };
  }
  problems.push(...fileProblems(parsed.data).map((p) => ({ file, ...p })));
  if (problems.length > 0) return { problems };
  return { environment: resolveEnvironment(name, file, parsed.data), problems };
}

/** Lists `<dir>/*.json` except `schema.json`, sorted so that output order never depends on the file system. */
export function environmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "schema.json")
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Loads every environment of `dir` (cross-environment rules need them all), then keeps the ones named
 * in `only`, if given. An unknown name in `only` is a problem, not a silent no-op.
 */
export function loadEnvironments(dir: string, only?: readonly string[]): LoadResult {
  let files: string[];
  try {
    files = environmentFiles(dir);
  } catch (e) {
    return { environments: [], problems: [{ file: dir, path: "", message: `cannot list environment files: ${(e as Error).message}` }] };
  }
  const problems: Problem[] = [];
  const environments: Environment[] = [];
  if (files.length === 0) {
    problems.push({ file: dir, path: "", message: "holds no environment files (<name>.json); create one, e.g. by copying environments/dev.json" });
  }
  for (const file of files) {
    const result = loadEnvironmentFile(file);
    problems.push(...result.problems);
    if (result.environment) environments.push(result.environment);
  }
  problems.push(...crossEnvironmentProblems(environments));
  if (!only || only.length === 0) return { environments, problems };
  const known = new Set(files.map((f) => basename(f, ".json")));
  for (const name of only) {
    if (!known.has(name)) {
      problems.push({ file: join(dir, `${name}.json`), path: "", message: `no such environment; known: ${[...known].join(", ") || "none"}` });
    }
  }
  const wanted = new Set(only);
  return { environments: environments.filter((e) => wanted.has(e.name)), problems };
}
