/**
 * Turns zod issues into messages that say what is allowed, using the schema itself as the source of truth:
 * a missing field is explained with its own `.describe()` text, a misspelt field gets a "did you mean",
 * a wrong type names the JSON type expected. Kept apart from load.ts so the loader stays about loading.
 */
import type { z } from "zod";
import { EnvironmentFileSchema } from "./schema";

type AnySchema = z.core.$ZodType;

interface Def {
  readonly type: string;
  readonly shape?: Record<string, AnySchema>;
  readonly element?: AnySchema;
  readonly innerType?: AnySchema;
  readonly options?: readonly AnySchema[];
  readonly valueType?: AnySchema;
  readonly in?: AnySchema;
}

const defOf = (s: AnySchema): Def => s._zod.def as unknown as Def;

/** Optional, default, nullable and pipe wrappers hide the schema that carries the shape. */
function unwrap(s: AnySchema): AnySchema {
  let current = s;
  for (let i = 0; i < 10; i++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else break;
  }
  return current;
}

/**
 * The schema at a field path of the environment file, or undefined where the path leaves the schema. In a
 * union (the backend types) the first option that has the key wins; their shared keys mean the same thing.
 */
export function schemaAt(path: readonly PropertyKey[], root: AnySchema = EnvironmentFileSchema): AnySchema | undefined {
  let current: AnySchema | undefined = root;
  for (const key of path) {
    if (!current) return undefined;
    const def = defOf(unwrap(current));
    if (def.type === "object" && def.shape) current = def.shape[String(key)];
    else if (def.type === "array" && def.element) current = def.element;
    else if (def.type === "record" && def.valueType) current = def.valueType;
    else if (def.type === "union" && def.options) {
      current = def.options.map((o) => defOf(unwrap(o)).shape?.[String(key)]).find((s) => s !== undefined);
    } else return undefined;
  }
  return current;
}

/** The field's documentation (`.describe()`), as written in environments/schema.json. */
export function descriptionAt(path: readonly PropertyKey[]): string | undefined {
  const s = schemaAt(path);
  if (!s) return undefined;
  return (s as { description?: string }).description ?? (unwrap(s) as { description?: string }).description;
}

/** Field names an object at `path` accepts (all options of a union together). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const s = schemaAt(path);
  if (!s) return [];
  const def = defOf(unwrap(s));
  if (def.shape) return Object.keys(def.shape);
  if (def.type === "union" && def.options) return [...new Set(def.options.flatMap((o) => Object.keys(defOf(unwrap(o)).shape ?? {})))];
  return [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known key closest to a misspelt one, when it is close enough to be a plausible typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

const JSON_TYPES: Record<string, string> = {
  string: "a string (in double quotes)",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list [...]",
  object: "an object {...}",
};

/** "expected string" -> "a string (in double quotes)". */
export function describeType(expected: string): string {
  return JSON_TYPES[expected] ?? expected;
}

/** The JSON type of a value, as a user would name it. */
export function jsonTypeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}
