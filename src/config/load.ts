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

export class ConfigError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(`${problems.length} problem(s) in environment files:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface LoadResult {
  readonly environments: Environment[];
  readonly problems: Problem[];
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
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

function issueToProblem(file: string, input: unknown, issue: z.core.$ZodIssue): Problem {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    return { file, path: formatPath(issue.path), message: `unknown field(s) ${keys}: remove them or check their spelling (see environments/schema.json)` };
  }
  const got = valueAt(input, issue.path);
  const missing = got === undefined;
  const message = missing && issue.code === "invalid_type" ? `is required: ${issue.message.replace(/^Invalid input: /, "")}` : issue.message;
  return { file, path: formatPath(issue.path), message: missing ? message : `${message} (got ${describeValue(got)})` };
}

/** `Unexpected token } in JSON at position 12` -> line and column, which an editor can jump to. */
function jsonErrorMessage(text: string, error: Error): string {
  const m = /position (\d+)/.exec(error.message);
  if (!m) return `is not valid JSON: ${error.message}`;
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `is not valid JSON at line ${line}, column ${column}: ${error.message.replace(/ in JSON at position \d+.*$/, "")}`;
}

/** Parses and validates one file; `name` defaults to the file name without `.json`. */
export function loadEnvironmentFile(file: string, text?: string): { environment?: Environment; problems: Problem[] } {
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
