/**
 * MySQL's `JSON_CONTAINS(JSON_EXTRACT(doc, path), candidate)` in JavaScript, so that variable search
 * gives the same answers on SQLite (as a user function) as on MySQL/MariaDB (reference §2.5).
 */
import { hasWildcard, parseMysqlPath, type PathLeg } from './vars-query.js';

/** What `JSON_EXTRACT` yields: `found: false` is SQL NULL, which matches nothing. */
export interface ExtractResult {
  found: boolean;
  value?: unknown;
}

/**
 * Evaluates legs against a parsed document the way MySQL 5.7/8 `JSON_EXTRACT` does.
 *
 * A path with `*` or `[*]` yields an array of every match (even a single one), in document order,
 * and `found: false` when nothing matches; otherwise the one value, or `found: false` when the path
 * is missing. A stored JSON `null` at the path is found. As in MySQL, `[0]` on a value that is not
 * an array selects the value itself ("autowrap"); `[N>0]` and `[*]` on it select nothing.
 */
export function jsonExtract(doc: unknown, legs: readonly PathLeg[]): ExtractResult {
  let current: unknown[] = [doc];
  for (const leg of legs) {
    const next: unknown[] = [];
    for (const value of current) step(value, leg, next);
    current = next;
    if (current.length === 0) return { found: false };
  }
  if (hasWildcard(legs)) return { found: true, value: current };
  return { found: true, value: current[0] };
}

/** Appends to `out` what one leg selects from one value. */
function step(value: unknown, leg: PathLeg, out: unknown[]): void {
  switch (leg.kind) {
    case 'member':
      if (isObject(value) && Object.prototype.hasOwnProperty.call(value, leg.name)) out.push(value[leg.name]);
      return;
    case 'anyMember':
      if (isObject(value)) out.push(...Object.values(value));
      return;
    case 'index':
      if (Array.isArray(value)) {
        if (leg.index < value.length) out.push(value[leg.index]);
      } else if (leg.index === 0) {
        out.push(value);
      }
      return;
    case 'anyIndex':
      if (Array.isArray(value)) out.push(...value);
      return;
  }
}

/**
 * Whether `candidate` is contained in `target`, by MySQL's documented `JSON_CONTAINS` rules.
 *
 * Scalars: same JSON type and equal; numbers compare numerically (`3` = `3.0`), so `1` ≠ `"1"`,
 * `true` ≠ `1`, `null` = `null`. Array target: a non-array candidate must be contained in some
 * element (recursing into nested arrays and objects); an array candidate needs each of its elements
 * contained in some element, and an array nested in the candidate only in an array nested in the
 * target. Object target: the candidate must be an object whose every key is in the target with a
 * contained value.
 *
 * NOTE(vars): MariaDB 10.11 departs from this in three corners, pinned in
 * test/cases/json-match-cases.ts: it flattens arrays nested in an array candidate (`[1,2]` contains
 * `[[1]]`), compares strings by their escaped text (`"\u00e9"` ≠ `"é"`), and keeps the first of
 * duplicate object keys. Documents and candidates written by `JSON.stringify` avoid the last two.
 */
export function jsonContains(target: unknown, candidate: unknown): boolean {
  if (isObject(target)) {
    if (!isObject(candidate)) return false;
    return Object.keys(candidate).every(
      (key) => Object.prototype.hasOwnProperty.call(target, key) && jsonContains(target[key], candidate[key]),
    );
  }
  if (Array.isArray(target)) {
    const wanted = Array.isArray(candidate) ? candidate : [candidate];
    return wanted.every((item) =>
      Array.isArray(item)
        ? target.some((element) => Array.isArray(element) && jsonContains(element, item))
        : target.some((element) => jsonContains(element, item)),
    );
  }
  return scalarEquals(target, candidate);
}

/** Scalar equality with JSON types kept apart; a container on either side is never equal. */
function scalarEquals(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b || typeof a === 'object') return false;
  return a === b;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parsed paths and candidates by text; SQLite calls the match function per row with the same ones. */
const pathCache = new Map<string, PathLeg[] | null>();
const candidateCache = new Map<string, { value: unknown } | null>();
/** Entries per cache before it is cleared; a search has a handful of pairs, so this is never reached in normal use. */
const CACHE_LIMIT = 256;

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined || cache.has(key)) return hit as T;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  const made = make();
  cache.set(key, made);
  return made;
}

/**
 * `JSON_CONTAINS(JSON_EXTRACT(docText, mysqlPath), candidateText)` on JSON texts, as 1 or 0: the
 * SQLite user function behind variable search.
 *
 * Never throws: an unparsable document, path or candidate, a non-string argument (SQL NULL) or a
 * missing path all give 0, as SQL NULL would in a MySQL `WHERE`. Paths are those of
 * `formatMysqlPath`; parsed paths and candidates are cached, documents are parsed on every call.
 */
export function jsonMatch(docText: string, mysqlPath: string, candidateText: string): 0 | 1 {
  if (typeof docText !== 'string' || typeof mysqlPath !== 'string' || typeof candidateText !== 'string') return 0;
  const legs = cached(pathCache, mysqlPath, () => {
    try {
      return parseMysqlPath(mysqlPath);
    } catch {
      return null;
    }
  });
  const candidate = cached(candidateCache, candidateText, () => {
    try {
      return { value: JSON.parse(candidateText) as unknown };
    } catch {
      return null;
    }
  });
  if (legs === null || candidate === null) return 0;
  let doc: unknown;
  try {
    doc = JSON.parse(docText);
  } catch {
    return 0;
  }
  const extracted = jsonExtract(doc, legs);
  return extracted.found && jsonContains(extracted.value, candidate.value) ? 1 : 0;
}
