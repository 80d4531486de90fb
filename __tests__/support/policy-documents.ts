/**
 * Test support: IAM policy documents as the IAM API returns them, in one canonical shape so tests can
 * compare them with `toEqual` against the exact structure they expect.
 *
 * IAM returns documents URL-encoded, and a single-valued `Action`, `Resource` or condition value may come
 * back as a string or as a one-element list. Canonical form: every such value a sorted list, `Sid` dropped
 * (a label, not a grant), statements in a stable order.
 */

export interface CanonicalStatement {
  Effect: string;
  Action: string[];
  Resource?: string[];
  Principal?: Record<string, string[]>;
  Condition?: Record<string, Record<string, string[]>>;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]).sort();

/** Parses a policy document as returned by IAM (URL-encoded or not). */
export function parsePolicyDocument(raw: string | undefined): { Version?: string; Statement: Record<string, unknown>[] } {
  if (!raw) throw new Error("IAM returned no policy document");
  const text = raw.trimStart().startsWith("{") ? raw : decodeURIComponent(raw);
  const doc = JSON.parse(text);
  return { ...doc, Statement: Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement] };
}

export function canonicalStatement(s: Record<string, unknown>): CanonicalStatement {
  const known = new Set(["Sid", "Effect", "Action", "Resource", "Principal", "Condition"]);
  const unexpected = Object.keys(s).filter((k) => !known.has(k));
  // NotAction/NotResource/NotPrincipal widen a grant in ways a canonical form would hide: fail loudly instead.
  if (unexpected.length > 0) throw new Error(`statement has unexpected keys ${unexpected.join(", ")}: ${JSON.stringify(s)}`);
  const out: CanonicalStatement = { Effect: String(s.Effect), Action: list(s.Action) };
  if (s.Resource !== undefined) out.Resource = list(s.Resource);
  if (s.Principal !== undefined) {
    const p = s.Principal as Record<string, unknown> | string;
    out.Principal = typeof p === "string" ? { "*": [p] } : Object.fromEntries(Object.entries(p).map(([k, v]) => [k, list(v)]));
  }
  if (s.Condition !== undefined) {
    out.Condition = Object.fromEntries(
      Object.entries(s.Condition as Record<string, Record<string, unknown>>).map(([op, kv]) => [
        op,
        Object.fromEntries(Object.entries(kv).map(([k, v]) => [k, list(v)])),
      ]),
    );
  }
  return out;
}

/** The document's statements in canonical form, sorted by their JSON. */
export function canonicalStatements(raw: string | undefined): CanonicalStatement[] {
  const doc = parsePolicyDocument(raw);
  return doc.Statement.map(canonicalStatement).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** IAM's ARN wildcard match (`*` any run, `?` one character), case-sensitive. */
export function arnMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(arn);
}

/**
 * Runs `assertion`; when it fails, puts `context` (what was checked, and on what) in front of jest's diff,
 * so a failure reads e.g. "role a-1-ci-builder: trust policy must ...", not just "- Expected + Received".
 */
export function explain(context: string, assertion: () => void): void {
  try {
    assertion();
  } catch (e) {
    if (e instanceof Error) e.message = `${context}\n\n${e.message}`;
    throw e;
  }
}
