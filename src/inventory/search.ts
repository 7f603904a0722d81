import { InputError } from '../errors.js';
import type { SearchPair } from '../store/var-search.js';
import { parseVarsQuery, VarsQueryError } from './vars-query.js';

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
    return pairs.map((p) => ({ key: p.key, path: p.path, candidateJson: p.candidateJson }));
  } catch (err) {
    if (err instanceof VarsQueryError) throw new InputError(`${err.message} ${err.detail}`, { argument: argName, reason: err.detail });
    throw err;
  }
}
