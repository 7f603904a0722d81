import { InputError } from '../errors.js';
import type { SearchPair } from '../store/var-search.js';
import { INVALID_JSON_VALUE, parseVarsQuery, VarsQueryError, type PathLeg } from './vars-query.js';

/** Longest `vars` string accepted. */
const MAX_VARS_LENGTH = 4096;
/** Most pairs in one search. */
const MAX_VARS_PAIRS = 20;

/**
 * Parses and validates a `vars` argument (always, even on an empty store): BAD_USER_INPUT with the
 * reference's message, followed by which pair was wrong and why.
 */
export function parseVarsArgument(vars: string | null | undefined, argName = 'vars'): SearchPair[] | undefined {
  if (vars == null) return undefined;
  if (vars.length > MAX_VARS_LENGTH) {
    throw new InputError(`${argName} must be at most ${MAX_VARS_LENGTH} characters, got ${vars.length}`, { argument: argName });
  }
  try {
    const pairs = parseVarsQuery(vars);
    if (pairs.length > MAX_VARS_PAIRS) throw new InputError(`${argName} may hold at most ${MAX_VARS_PAIRS} pairs, got ${pairs.length}`, { argument: argName });
    for (const [i, p] of pairs.entries()) {
      if (hasNestedArray(p.candidate, false)) {
        throw new InputError(`${INVALID_JSON_VALUE} pair ${i + 1}: an array directly inside an array is not supported (MySQL and MariaDB disagree on it)`, { argument: argName });
      }
    }
    return pairs.map((p) => ({ key: p.key, path: p.path, candidateJson: p.candidateJson, literals: literalsOf(p.legs, p.candidate) }));
  } catch (err) {
    if (err instanceof VarsQueryError) throw new InputError(`${err.message} ${err.detail}`, { argument: argName, reason: err.detail });
    throw err;
  }
}

/**
 * True when `value` holds an array directly inside an array. MariaDB flattens such candidates where MySQL
 * (and our SQLite function) match them structurally, so they are refused to keep both stores' answers equal.
 */
function hasNestedArray(value: unknown, insideArray: boolean): boolean {
  if (Array.isArray(value)) return insideArray || value.some((v) => hasNestedArray(v, true));
  if (value !== null && typeof value === 'object') return Object.values(value).some((v) => hasNestedArray(v, false));
  return false;
}

/** Most literals a pair carries into SQL. */
const MAX_LITERALS = 8;

/**
 * Texts that the stored JSON of every matching value contains: the member names of the path and the
 * candidate's object keys (as `"name"`), and its scalars (strings with their quotes, numbers, true, false,
 * null). Values are stored as JSON.stringify writes them (src/inventory/validate.ts checkVariables), whose
 * text for equal scalars is equal, so a value that lacks one of these texts cannot match: the store can
 * skip it before it evaluates the match (see src/store/var-search.ts).
 */
export function literalsOf(legs: readonly PathLeg[], candidate: unknown): string[] {
  const out = new Set<string>();
  for (const leg of legs) if (leg.kind === 'member') out.add(JSON.stringify(leg.name));
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.add(JSON.stringify(k));
        walk(x);
      }
    } else out.add(JSON.stringify(v));
  };
  walk(candidate);
  // The longest first: the rarest in stored text, and so the best filters.
  return [...out].sort((a, b) => b.length - a.length).slice(0, MAX_LITERALS);
}
