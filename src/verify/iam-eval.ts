/**
 * A small evaluator of IAM policy documents, enough to answer the questions `verify` asks of a role:
 * does it allow these actions on these repositories, and does it allow anything more?
 *
 * IAM semantics implemented: `*` (any run of characters) and `?` (one character) in actions and
 * resources; actions match case-insensitively, resources case-sensitively; an explicit Deny beats any
 * Allow; `Action`/`Resource` may be a string or a list. Conditions are not evaluated: a statement with a
 * `Condition` is reported as conditional, so a caller can refuse to count a conditional Allow as a grant
 * while still counting it as possible excess. `NotAction`/`NotResource` allows are treated as unbounded.
 */

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function statementsOf(doc: PolicyDocument): Statement[] {
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/**
 * Parses a policy document as IAM returns it: `GetRole`/`GetRolePolicy`/`GetPolicyVersion` give
 * URL-encoded JSON (RFC 3986), some emulators plain JSON; both are accepted.
 */
export function parsePolicy(text: string): PolicyDocument {
  const trimmed = text.trim();
  const json = trimmed.startsWith("{") ? trimmed : decodeURIComponent(trimmed);
  const doc = JSON.parse(json) as PolicyDocument;
  if (!doc || typeof doc !== "object" || doc.Statement === undefined) throw new Error("not an IAM policy document (no Statement)");
  return doc;
}

/**
 * True when every string that glob `inner` matches is also matched by glob `outer` (`*`, `?`). With an
 * `inner` that has no wildcards this is plain wildcard matching. `inner`'s `*` can only be absorbed by an
 * `outer` `*`; its `?` by an `outer` `?` or `*`.
 */
export function globCovers(outer: string, inner: string, ignoreCase = false): boolean {
  const o = ignoreCase ? outer.toLowerCase() : outer;
  const p = ignoreCase ? inner.toLowerCase() : inner;
  // memo[i][j]: outer[i..] covers inner[j..]
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (p.length + 1) + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (i === o.length) r = j === p.length;
    else if (o[i] === "*") r = go(i + 1, j) || (j < p.length && go(i, j + 1));
    else if (j === p.length) r = false;
    else if (o[i] === "?") r = p[j] !== "*" && go(i + 1, j + 1);
    else r = p[j] !== "*" && p[j] !== "?" && o[i] === p[j] && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

export const actionMatches = (pattern: string, action: string): boolean => globCovers(pattern, action, true);
export const resourceMatches = (pattern: string, resource: string): boolean => globCovers(pattern, resource, false);

/** Whether the two globs can match at least one common string (used for Deny statements against prefixes). */
export function globsOverlap(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (i < a.length && a[i] === "*") r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (j < b.length && b[j] === "*") r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) r = false;
    else r = (a[i] === "?" || b[j] === "?" || a[i] === b[j]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

export type Decision = "allowed" | "explicitDeny" | "implicitDeny" | "conditional";

/**
 * Decision for `action` on every resource matched by `resource` (a name or a `prefix*` pattern): allowed
 * only when unconditional Allow statements cover it and no Deny statement can touch it.
 */
export function evaluate(docs: readonly PolicyDocument[], action: string, resource: string): Decision {
  const statements = docs.flatMap(statementsOf);
  const actionIn = (s: Statement) =>
    s.NotAction !== undefined ? !list(s.NotAction).some((a) => globsOverlap(a.toLowerCase(), action.toLowerCase())) : list(s.Action).some((a) => actionMatches(a, action));
  const denied = statements.some(
    (s) =>
      s.Effect === "Deny" &&
      s.Condition === undefined &&
      actionIn(s) &&
      (s.NotResource !== undefined ? !list(s.NotResource).some((r) => resourceMatches(r, resource)) : list(s.Resource).some((r) => globsOverlap(r, resource))),
  );
  if (denied) return "explicitDeny";
  let conditional = false;
  for (const s of statements) {
    if (s.Effect !== "Allow" || !actionIn(s)) continue;
    const covered =
      s.NotResource !== undefined ? !list(s.NotResource).some((r) => globsOverlap(r, resource)) : list(s.Resource).some((r) => resourceMatches(r, resource));
    if (!covered) continue;
    if (s.Condition === undefined) return "allowed";
    conditional = true;
  }
  return conditional ? "conditional" : "implicitDeny";
}

/** One grant that goes beyond what was expected, with the statement it comes from. */
export interface Excess {
  readonly sid?: string;
  readonly action: string;
  readonly resource: string;
}

export interface ExpectedGrants {
  /** Every action of the service that could be granted (the catalogue wildcards are expanded against). */
  readonly catalogue: readonly string[];
  /** Service prefix of the catalogue, e.g. `ecr`. */
  readonly service: string;
  /** Actions that may be allowed on any resource (`*`), e.g. `ecr:GetAuthorizationToken`. */
  readonly anyResourceActions: readonly string[];
  /** Actions that may be allowed on the expected resources only. */
  readonly scopedActions: readonly string[];
  /** Resource patterns the scoped actions may reach. */
  readonly resources: readonly string[];
}

/**
 * Every (action, resource) an Allow statement grants beyond `expected`. Wildcard actions are expanded
 * against the service's action catalogue; a wildcard that can reach another service (`*`, `e*:...`) is
 * excess as written. Conditional Allows count too: a condition narrows a grant, it does not remove it.
 */
export function excessGrants(docs: readonly PolicyDocument[], expected: ExpectedGrants): Excess[] {
  const out: Excess[] = [];
  const anyResource = new Set(expected.anyResourceActions.map((a) => a.toLowerCase()));
  const scoped = new Set(expected.scopedActions.map((a) => a.toLowerCase()));
  for (const s of docs.flatMap(statementsOf)) {
    if (s.Effect !== "Allow") continue;
    const resources = s.NotResource !== undefined ? [`NotResource ${list(s.NotResource).join(",")}`] : list(s.Resource);
    if (s.NotAction !== undefined) {
      out.push({ sid: s.Sid, action: `NotAction ${list(s.NotAction).join(",")}`, resource: resources.join(",") });
      continue;
    }
    for (const pattern of list(s.Action)) {
      const colon = pattern.indexOf(":");
      const service = colon < 0 ? pattern : pattern.slice(0, colon);
      if (service.toLowerCase() !== expected.service) {
        out.push({ sid: s.Sid, action: pattern, resource: resources.join(",") });
        continue;
      }
      const actions = expected.catalogue.filter((a) => actionMatches(pattern, a));
      if (actions.length === 0) out.push({ sid: s.Sid, action: pattern, resource: resources.join(",") });
      for (const action of actions) {
        const lower = action.toLowerCase();
        if (anyResource.has(lower)) continue;
        if (!scoped.has(lower)) {
          out.push({ sid: s.Sid, action, resource: resources.join(",") });
          continue;
        }
        for (const r of resources) {
          if (s.NotResource !== undefined || !expected.resources.some((e) => globCovers(e, r))) out.push({ sid: s.Sid, action, resource: r });
        }
      }
    }
  }
  return out;
}
