/**
 * Craton variable search (`PATH:JSON[,PATH:JSON...]`, reference §2.5): parsing, validation and
 * conversion to MySQL JSON paths. Pure: no database, no GraphQL.
 */

/** One step of a path below the variable's top-level key. */
export type PathLeg =
  | { kind: 'member'; name: string }
  | { kind: 'anyMember' }
  | { kind: 'index'; index: number }
  | { kind: 'anyIndex' };

/** One `PATH:JSON` condition; a row matches when its key is `key` and `JSON_CONTAINS(JSON_EXTRACT(value, path), candidateJson)`. */
export interface VarsPair {
  /** The variable's top-level key (the first leg, unquoted). */
  key: string;
  /** MySQL JSON path on the variable's value: `$` when the query path is only the key. */
  path: string;
  /** The same path as structured legs (what `path` was formatted from). */
  legs: PathLeg[];
  /** The parsed JSON value to look for. */
  candidate: unknown;
  /** `JSON.stringify(candidate)`: what to bind as the SQL parameter, never the user's raw text. */
  candidateJson: string;
}

/** The GraphQL-facing message for any path problem (reference §2.5, kept verbatim). */
export const INVALID_JSON_PATH = 'The query contains an invalid JSON Path expression.';
/** The GraphQL-facing message for any value problem (reference §2.5, kept verbatim). */
export const INVALID_JSON_VALUE = 'An invalid JSON value was specified.';

/** Thrown for a malformed search; `message` is one of the two fixed texts, `detail` names the pair and the fault. */
export class VarsQueryError extends Error {
  override readonly name = 'VarsQueryError';
  constructor(
    message: typeof INVALID_JSON_PATH | typeof INVALID_JSON_VALUE,
    readonly detail: string,
  ) {
    super(message);
  }
}

/** Largest index accepted in `[N]`; NOTE(vars): MariaDB 10.11 wraps `[4294967296]` to `[0]`, so huge indexes are refused. */
const MAX_INDEX = 2 ** 31 - 1;
/** Unquoted key names in a query: ECMAScript identifiers without escapes, as MySQL's path grammar allows. */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*/u;
/** Member names we emit unquoted in MySQL paths; anything else is quoted so MySQL and MariaDB read it alike. */
const PLAIN_MEMBER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Whitespace as JSON defines it, the only kind trimmed around pairs, paths and values. */
const JSON_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/** A path fault, converted to {@link VarsQueryError} by the caller that knows which pair it is. */
class PathSyntaxError extends Error {}

/** Cursor over one path's text. */
class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  /** The character at the cursor ('' at the end); a method, so TypeScript doesn't keep a narrowed value across moves. */
  ch(): string {
    return this.text.charAt(this.pos);
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset: number): string {
    return this.text.charAt(this.pos + offset);
  }
}

/**
 * Parses a whole search string into its pairs, in first-appearance order.
 *
 * Whitespace (JSON's four characters only) around each pair, path and value is ignored; inside an
 * unquoted path it is an error. A repeated path (same key and same MySQL path) keeps its first
 * position and its last value, as the original's `dict` did. Throws {@link VarsQueryError} on the
 * first bad pair, with `detail` like `pair 2 ('foo..bar'): descendants operator '..' is not supported`.
 */
export function parseVarsQuery(input: string): VarsPair[] {
  if (input.replace(JSON_SPACE, '') === '') {
    throw new VarsQueryError(INVALID_JSON_PATH, 'the variable search is empty; expected PATH:JSON[,PATH:JSON...]');
  }
  const byPath = new Map<string, VarsPair>();
  input.split(',').forEach((rawPart, i) => {
    const part = rawPart.replace(JSON_SPACE, '');
    const where = `pair ${i + 1} ('${part}')`;
    if (part === '') {
      throw new VarsQueryError(INVALID_JSON_PATH, `pair ${i + 1} is empty (stray ','?)`);
    }
    const colon = part.indexOf(':');
    if (colon < 0) {
      throw new VarsQueryError(INVALID_JSON_PATH, `${where}: missing ':' between path and JSON value`);
    }
    const pathText = part.slice(0, colon).replace(JSON_SPACE, '');
    const valueText = part.slice(colon + 1).replace(JSON_SPACE, '');
    let parsed: { key: string; legs: PathLeg[] };
    try {
      parsed = parseVarsPath(pathText);
    } catch (err) {
      const reason = err instanceof VarsQueryError ? err.detail : String(err);
      const slice = sliceHint(pathText, valueText);
      throw new VarsQueryError(INVALID_JSON_PATH, slice ? `${where}: ${slice}` : `pair ${i + 1} ('${pathText}'): ${reason}`);
    }
    const candidate = parseCandidate(valueText, where);
    const path = formatMysqlPath(parsed.legs);
    const pair: VarsPair = { key: parsed.key, path, legs: parsed.legs, candidate, candidateJson: JSON.stringify(candidate) };
    // Map.set on an existing entry keeps its position: first position, last value.
    byPath.set(`${parsed.key}\u0000${path}`, pair);
  });
  return [...byPath.values()];
}

/**
 * Parses one query path (no leading `$`) into its top-level key and the legs below it.
 *
 * Throws {@link VarsQueryError} with {@link INVALID_JSON_PATH}; `detail` is the bare reason.
 */
export function parseVarsPath(text: string): { key: string; legs: PathLeg[] } {
  try {
    const r = new Reader(text);
    if (r.done) fail('the path is empty');
    if (r.ch() === '$') fail("paths start at the variable key, without MySQL's leading '$' (quote a key that starts with '$')");
    if (r.ch() === '[') fail("the path must start with a variable key, not an array selector such as '[*]'");
    if (r.ch() === '.') fail(r.peek(1) === '.' ? "descendants operator '..' is not supported" : "the path must start with a variable key, not '.'");
    const first = readMember(r);
    if (first.kind !== 'member') fail("the first leg must be a literal variable key, not the wildcard '*'");
    if (first.name === '') fail('the variable key is empty');
    const legs: PathLeg[] = [];
    readLegs(r, legs);
    return { key: first.name, legs };
  } catch (err) {
    if (err instanceof PathSyntaxError) throw new VarsQueryError(INVALID_JSON_PATH, err.message);
    throw err;
  }
}

/**
 * Parses a MySQL path of the shape {@link formatMysqlPath} writes (`$`, `.name`, `."quoted"`, `.*`,
 * `[N]`, `[*]`); no `**`, ranges or `last`.
 *
 * Throws {@link VarsQueryError} with {@link INVALID_JSON_PATH} for anything else.
 */
export function parseMysqlPath(text: string): PathLeg[] {
  try {
    const r = new Reader(text);
    if (r.ch() !== '$') fail("a MySQL path starts with '$'");
    r.pos++;
    const legs: PathLeg[] = [];
    readLegs(r, legs);
    return legs;
  } catch (err) {
    if (err instanceof PathSyntaxError) throw new VarsQueryError(INVALID_JSON_PATH, err.message);
    throw err;
  }
}

/** Writes legs as a MySQL path; names that are not plain ASCII identifiers are emitted as JSON strings. */
export function formatMysqlPath(legs: readonly PathLeg[]): string {
  let out = '$';
  for (const leg of legs) {
    switch (leg.kind) {
      case 'member':
        out += PLAIN_MEMBER.test(leg.name) ? `.${leg.name}` : `.${JSON.stringify(leg.name)}`;
        break;
      case 'anyMember':
        out += '.*';
        break;
      case 'index':
        out += `[${leg.index}]`;
        break;
      case 'anyIndex':
        out += '[*]';
        break;
    }
  }
  return out;
}

/** Whether legs contain `*` or `[*]`, i.e. whether JSON_EXTRACT wraps its matches in an array. */
export function hasWildcard(legs: readonly PathLeg[]): boolean {
  return legs.some((leg) => leg.kind === 'anyMember' || leg.kind === 'anyIndex');
}

function fail(reason: string): never {
  throw new PathSyntaxError(reason);
}

/** Reads legs up to the end of the text: array selectors on the current leg, then `.member` legs. */
function readLegs(r: Reader, legs: PathLeg[]): void {
  readSelectors(r, legs);
  while (!r.done) {
    if (r.ch() !== '.') fail(unexpected(r));
    r.pos++;
    if (r.ch() === '.') fail("descendants operator '..' is not supported");
    if (r.done) fail("the path ends with '.'");
    legs.push(readMember(r));
    readSelectors(r, legs);
  }
}

/** Reads one member name: a JSON string, `*`, or an unquoted identifier. */
function readMember(r: Reader): PathLeg {
  if (r.ch() === '"') return { kind: 'member', name: readQuoted(r) };
  if (r.ch() === '*') {
    if (r.peek(1) === '*') fail("the '**' operator is not supported");
    r.pos++;
    if (!r.done && r.ch() !== '.' && r.ch() !== '[') fail(unexpected(r));
    return { kind: 'anyMember' };
  }
  const match = IDENTIFIER.exec(r.text.slice(r.pos));
  if (!match) {
    const word = rawWord(r);
    if (/^\s/.test(r.ch())) fail(`whitespace at position ${r.pos + 1}; quote key names that contain spaces`);
    fail(`'${word}' is not a valid unquoted key; quote keys that start with a digit or contain '.', e.g. "v3.0"`);
  }
  const name = match[0];
  r.pos += name.length;
  if (!r.done && r.ch() !== '.' && r.ch() !== '[') {
    const word = name + rawWord(r);
    if (r.ch() === '-') fail(`unquoted key '${word}' contains '-'; quote it as ${JSON.stringify(word)}`);
    fail(unexpected(r));
  }
  return { kind: 'member', name };
}

/** Reads a double-quoted key and decodes it as a JSON string. */
function readQuoted(r: Reader): string {
  const start = r.pos;
  let i = start + 1;
  while (i < r.text.length && r.text[i] !== '"') i += r.text[i] === '\\' ? 2 : 1;
  if (i >= r.text.length) fail(`unterminated quoted key starting at position ${start + 1}`);
  const token = r.text.slice(start, i + 1);
  let name: unknown;
  try {
    name = JSON.parse(token);
  } catch {
    fail(`quoted key ${token} is not a valid JSON string`);
  }
  r.pos = i + 1;
  return name as string;
}

/** Reads zero or more `[N]` / `[*]` selectors. */
function readSelectors(r: Reader, legs: PathLeg[]): void {
  while (r.ch() === '[') {
    const close = r.text.indexOf(']', r.pos);
    if (close < 0) fail(`unterminated '[' at position ${r.pos + 1}`);
    const inner = r.text.slice(r.pos + 1, close);
    if (inner === '*') legs.push({ kind: 'anyIndex' });
    else if (/^[0-9]+$/.test(inner)) {
      const index = Number(inner);
      if (index > MAX_INDEX) fail(`array index ${inner} is larger than ${MAX_INDEX}`);
      legs.push({ kind: 'index', index });
    } else if (/^-?[0-9]*:-?[0-9]*$/.test(inner)) fail(`array slices such as '[${inner}]' are not supported`);
    else fail(`'[${inner}]' is not an array selector; use [N] or [*]`);
    r.pos = close + 1;
  }
}

/** Describes the character at the cursor. */
function unexpected(r: Reader): string {
  return `unexpected '${r.ch()}' at position ${r.pos + 1}`;
}

/** The raw text from the cursor up to the next `.`, `[` or end, for error messages. */
function rawWord(r: Reader): string {
  const rest = r.text.slice(r.pos);
  const end = rest.search(/[.[]/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Recognises a slice `[a:b]` that the split on the first ':' tore apart (`foo[1` + `3]:"x"`). */
function sliceHint(pathText: string, valueText: string): string | undefined {
  const open = /\[-?[0-9]*$/.exec(pathText);
  const close = /^-?[0-9]*\]/.exec(valueText);
  return open && close ? `array slices such as '${open[0]}:${close[0]}' are not supported` : undefined;
}

/** Parses a candidate value; numbers that JSON can't carry (e.g. `1e400`) are refused rather than sent as `null`. */
function parseCandidate(text: string, where: string): unknown {
  if (text === '') throw new VarsQueryError(INVALID_JSON_VALUE, `${where}: the JSON value is empty`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const hint = /^[^"{[]/.test(text) && !/^(-?[0-9]|true|false|null)/.test(text) ? ' (strings must be double-quoted)' : '';
    throw new VarsQueryError(INVALID_JSON_VALUE, `${where}: value '${text}' is not valid JSON${hint}`);
  }
  if (!allFinite(value)) {
    throw new VarsQueryError(INVALID_JSON_VALUE, `${where}: value '${text}' holds a number out of range`);
  }
  return value;
}

function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}
