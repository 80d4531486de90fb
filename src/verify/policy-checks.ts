/**
 * Pure judgements of a role's documents against what the environment expects: the trust policy
 * (provider, `:sub`, `:aud`) and the permissions (everything needed, nothing more). Kept free of AWS
 * calls so every verdict can be unit-tested on plain documents.
 */
import { STS_AUDIENCE } from "../constructs/issuer-oidc-provider";
import { AUTH_TOKEN_ACTION } from "../constructs/ecr-policy";
import { ExpectedGrants, PolicyDocument, Statement, actionMatches, evaluate, excessGrants, statementsOf } from "./iam-eval";

export interface Finding {
  readonly ok: boolean;
  readonly detail: string;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

const WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity";

function principals(s: Statement): string[] {
  const p = s.Principal;
  if (p === "*") return ["*"];
  if (!p || typeof p !== "object") return [];
  return Object.entries(p as Record<string, unknown>).flatMap(([kind, v]) => list(v).map((id) => `${kind}:${id}`));
}

/** Values a statement's conditions give `key` (case-insensitive key, as IAM compares them), per operator. */
function conditionValues(s: Statement, key: string): { operator: string; values: string[] }[] {
  const out: { operator: string; values: string[] }[] = [];
  for (const [operator, entries] of Object.entries(s.Condition ?? {})) {
    for (const [k, v] of Object.entries(entries ?? {})) if (k.toLowerCase() === key.toLowerCase()) out.push({ operator, values: list(v) });
  }
  return out;
}

/**
 * Whether `s` pins `key` to exactly `wanted`: StringEquals with that single value (or StringLike with
 * it and no wildcard). Returns why not, otherwise undefined.
 */
function pinProblem(s: Statement, key: string, wanted: readonly string[], missing: string): string | undefined {
  const found = conditionValues(s, key);
  if (found.length === 0) return missing;
  const shown = wanted.length === 1 ? `"${wanted[0]}"` : JSON.stringify(wanted);
  for (const { operator, values } of found) {
    // A wanted wildcard (an entry with allowWildcardSubjects) needs StringLike; anything else must be exact.
    const wild = wanted.some((w) => /[*?]/.test(w));
    const exact = wild ? operator === "StringLike" : operator === "StringEquals" || (operator === "StringLike" && !values.some((v) => /[*?]/.test(v)));
    if (!exact) return `${key} is tested with ${operator} ${JSON.stringify(values)}; it must be ${wild ? "StringLike" : "StringEquals"} ${shown}`;
    const same = values.length === wanted.length && [...values].sort().every((v, i) => v === [...wanted].sort()[i]);
    if (!same) return `${key} allows ${JSON.stringify(values)}; expected exactly ${shown}`;
  }
  return undefined;
}

export interface TrustFindings {
  readonly provider: Finding;
  readonly sub: Finding;
  readonly aud: Finding;
}

/**
 * Judges a role's trust policy: the web-identity statement(s) must name `providerArn`, and every one of
 * them must pin `<issuerHost>:sub` to `subject` and `<issuerHost>:aud` to exactly `audiences` (IRSA's
 * `sts.amazonaws.com`, plus the kubelet's token audience for image-pull service accounts). Any other
 * principal allowed in is a provider finding: it is a way into the role that verify did not ask for.
 */
export function judgeTrust(
  doc: PolicyDocument,
  providerArn: string,
  issuerHost: string,
  subject: string,
  audiences: readonly string[] = [STS_AUDIENCE],
): TrustFindings {
  const allows = statementsOf(doc).filter((s) => s.Effect === "Allow");
  const webIdentity = allows.filter((s) => list(s.Action).some((a) => actionMatches(a, WEB_IDENTITY)));
  const mine = webIdentity.filter((s) => principals(s).includes(`Federated:${providerArn}`));
  const others = allows.flatMap((s) => principals(s)).filter((p) => p !== `Federated:${providerArn}`);
  let provider: Finding;
  if (mine.length === 0) {
    const named = webIdentity.flatMap(principals);
    provider = {
      ok: false,
      detail: named.length ? `trust names ${named.join(", ")}, not ${providerArn}` : `no statement allows ${WEB_IDENTITY} from ${providerArn}`,
    };
  } else if (others.length > 0) {
    provider = { ok: false, detail: `trust also lets in ${[...new Set(others)].join(", ")}` };
  } else provider = { ok: true, detail: `trusts ${providerArn}` };
  if (mine.length === 0) {
    const why = "no statement for the expected provider";
    return { provider, sub: { ok: false, detail: why }, aud: { ok: false, detail: why } };
  }
  const subKey = `${issuerHost}:sub`;
  const audKey = `${issuerHost}:aud`;
  const subProblem = mine
    .map((s) => pinProblem(s, subKey, [subject], `no ${subKey} condition: every service account of the cluster can assume the role`))
    .find(Boolean);
  const audProblem = mine.map((s) => pinProblem(s, audKey, audiences, `no ${audKey} condition: tokens for any audience are accepted`)).find(Boolean);
  return {
    provider,
    sub: subProblem ? { ok: false, detail: subProblem } : { ok: true, detail: `${subKey} = ${subject}` },
    aud: audProblem ? { ok: false, detail: audProblem } : { ok: true, detail: `${audKey} = ${audiences.join(", ")}` },
  };
}

export interface PermissionFindings {
  /** Everything configured is allowed. */
  readonly complete: Finding;
  /** Nothing beyond the configuration is allowed. */
  readonly leastPrivilege: Finding;
}

/**
 * Judges the role's permission documents (inline and attached) against `expected`: every scoped action on
 * every configured repository (a `prefix*` must be covered as a whole), the auth-token action on `*`, no
 * explicit Deny in the way, and no grant beyond.
 */
export function judgePermissions(docs: readonly PolicyDocument[], expected: ExpectedGrants): PermissionFindings {
  const missing: string[] = [];
  if (evaluate(docs, AUTH_TOKEN_ACTION, "*") !== "allowed") missing.push(`${AUTH_TOKEN_ACTION} on *`);
  for (const resource of expected.resources) {
    const denied = expected.scopedActions.filter((a) => evaluate(docs, a, resource) !== "allowed");
    if (denied.length) missing.push(`${resource.replace(/^.*:repository\//, "")}: ${denied.join(", ")}`);
  }
  // Grouped per statement and resource: an `ecr:*` grant is one finding with a count, not 60 lines.
  const groups = new Map<string, string[]>();
  for (const e of excessGrants(docs, expected)) {
    const key = `${e.sid ? `statement ${e.sid}` : "a statement"} allows on ${e.resource}`;
    groups.set(key, [...(groups.get(key) ?? []), e.action]);
  }
  const excess = [...groups.keys()];
  const shown = [...groups].map(([key, actions]) => `${key}: ${actions.length > 4 ? `${actions.length} actions (${actions.slice(0, 4).join(", ")}, ...)` : actions.join(", ")}`);
  return {
    complete: missing.length
      ? { ok: false, detail: `not allowed: ${missing.join("; ")}` }
      : { ok: true, detail: `${expected.scopedActions.length} action(s) on ${expected.resources.length} repository pattern(s), plus ${AUTH_TOKEN_ACTION}` },
    leastPrivilege: excess.length ? { ok: false, detail: `allows more than configured: ${shown.join("; ")}` } : { ok: true, detail: "nothing beyond the configuration" },
  };
}
