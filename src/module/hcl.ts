/**
 * Small builders of HCL expressions for the generated modules: string literals, the RE2 form of the
 * environment-file patterns, and validation conditions. Expressions end up inside `${...}` of Terraform
 * JSON, where they are parsed as native HCL syntax.
 */
import type { Pattern } from "../config/patterns";

/**
 * A quoted HCL template string. JSON escapes (`\\`, `\"`, `\n`, `\uXXXX`) are also HCL escapes. `${...}`
 * is left as interpolation on purpose: callers build templates such as `"system:serviceaccount:${sa.namespace}"`.
 */
export function hclString(text: string): string {
  return JSON.stringify(text).replace(/%\{/g, "%%{");
}

/** A literal value (strings as templates, see `hclString`) as an HCL expression. */
export function hclValue(value: unknown): string {
  if (typeof value === "string") return hclString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(hclValue).join(", ")}]`;
  if (value instanceof HclExpression) return value.expression;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${hclString(k)} = ${hclValue(v)}`);
  return `{ ${entries.join(", ")} }`;
}

/** Marks an HCL expression that `hclValue` must emit as it is (a reference, a function call). */
export class HclExpression {
  constructor(readonly expression: string) {}
}

export interface Re2Pattern {
  /** The expression in RE2 (Terraform's `regex()`) syntax. */
  readonly regex: string;
  /** Length bounds that JavaScript expressed as a leading `(?=.{min,max}$)` lookahead, which RE2 lacks. */
  readonly length?: { readonly min: number; readonly max: number };
}

/**
 * The RE2 form of a pattern. RE2 has no lookaround and no backreferences; the only lookahead the patterns
 * use is a leading overall length check, which becomes a `length()` bound. Anything else is refused, so a
 * new pattern that RE2 cannot express fails generation instead of producing a validation that never matches.
 */
export function toRe2(re: RegExp): Re2Pattern {
  let source = re.source;
  let length: Re2Pattern["length"];
  const lookahead = /^\^\(\?=\.\{(\d+),(\d+)\}\$\)/.exec(source);
  if (lookahead) {
    length = { min: Number(lookahead[1]), max: Number(lookahead[2]) };
    source = `^${source.slice(lookahead[0].length)}`;
  }
  if (/\(\?[=!<]|\\[1-9]|\\k</.test(source)) {
    throw new Error(`pattern ${re} uses lookaround or backreferences, which Terraform's RE2 regex() cannot express; rewrite it`);
  }
  if (re.flags.replace(/[u]/g, "") !== "") throw new Error(`pattern ${re}: flags "${re.flags}" have no RE2 equivalent here`);
  // `\/` is legal in RE2 too, but a plain `/` reads better in the generated files.
  return { regex: source.replace(/\\\//g, "/"), length };
}

/**
 * True when `expr` (a string expression) matches the pattern. Wrapped in `try` because HCL evaluates both
 * sides of `&&` and `length(null)` is an error; callers add `x == null ||` for optional values.
 */
export function matchesExpr(pattern: Pattern, expr: string): string {
  const { regex, length } = toRe2(pattern.re);
  const parts = [`can(regex(${hclString(regex)}, ${expr}))`];
  if (length) parts.unshift(`length(${expr}) >= ${length.min}`, `length(${expr}) <= ${length.max}`);
  return `try(${parts.join(" && ")}, false)`;
}

/** `pattern.help` as the rest of a sentence for an error message ("... must be ...") ending in a period. */
export function sentence(subject: string, help: string): string {
  const text = `${subject} ${help}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
