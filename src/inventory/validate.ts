import { isIP } from 'node:net';
import { InputError } from '../errors.js';

// One declarative check per kind of input, each with a message that states the rule and what was received.
// Nothing reaches the store unvalidated.

const CONTROL = /[\u0000-\u001f\u007f]/;

/** With the `u` flag a surrogate PAIR is one code point, so this matches only lone surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Text must be well-formed Unicode: a lone surrogate cannot be stored faithfully by either store. */
function checkUnicode(value: string, field: string): void {
  if (LONE_SURROGATE.test(value)) throw new InputError(`${field} must be valid Unicode text (it holds a lone surrogate)`, { field });
}

function show(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > 60 ? `'${s.slice(0, 60)}…' (${s.length} characters)` : `'${s}'`;
}

/** A name: 1–255 characters, no leading/trailing space, no control characters. */
export function checkName(value: string, field = 'name'): string {
  if (typeof value !== 'string' || value.length === 0) throw new InputError(`${field} must not be empty`, { field });
  if (value.length > 255) throw new InputError(`${field} must be at most 255 characters, got ${value.length}`, { field });
  if (value.trim() !== value) throw new InputError(`${field} must not start or end with spaces, got ${show(value)}`, { field });
  if (CONTROL.test(value)) throw new InputError(`${field} must not contain control characters, got ${show(value)}`, { field });
  checkUnicode(value, field);
  return value;
}

/** Optional free text (notes): at most 64 KiB. */
export function checkNote(value: string | null | undefined, field = 'note'): string | null {
  if (value == null) return null;
  if (value.length > 65535) throw new InputError(`${field} must be at most 65535 characters, got ${value.length}`, { field });
  checkUnicode(value, field);
  return value;
}

/** An optional short string (types, versions): at most 255 characters, no control characters. */
export function checkShort(value: string | null | undefined, field: string): string | null {
  if (value == null) return null;
  if (value.length > 255) throw new InputError(`${field} must be at most 255 characters, got ${value.length}`, { field });
  if (CONTROL.test(value)) throw new InputError(`${field} must not contain control characters, got ${show(value)}`, { field });
  checkUnicode(value, field);
  return value;
}

/** An IPv4 or IPv6 address, returned as given. */
export function checkIp(value: string | null | undefined, field = 'ipAddress'): string | null {
  if (value == null) return null;
  if (isIP(value) === 0) throw new InputError(`${field} must be an IPv4 or IPv6 address, got ${show(value)}`, { field });
  return value;
}

/** A CIDR block (`10.0.0.0/24`, `2001:db8::/48`) with a prefix length that fits the family. */
export function checkCidr(value: string | null | undefined, field = 'cidr'): string | null {
  if (value == null) return null;
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  const family = m ? isIP(m[1]!) : 0;
  const bits = m ? Number(m[2]) : -1;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) {
    throw new InputError(`${field} must be a CIDR block such as 10.0.0.0/24 or 2001:db8::/48, got ${show(value)}`, { field });
  }
  return value;
}

/** A netmask: dotted IPv4 (contiguous ones) or a prefix length like `/24` or `24`. */
export function checkNetmask(value: string | null | undefined, field = 'netmask'): string | null {
  if (value == null) return null;
  const prefix = /^\/?(\d{1,3})$/.exec(value);
  if (prefix && Number(prefix[1]) <= 128) return value;
  if (isIP(value) === 4) {
    const bits = value.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
    if (/^1*0*$/.test(bits)) return value;
  }
  throw new InputError(`${field} must be a netmask such as 255.255.255.0 or /24, got ${show(value)}`, { field });
}

/** A label: 1–255 characters, no control characters, no commas (labels are listed comma-separated by tools). */
export function checkLabel(value: string): string {
  checkName(value, 'label');
  if (value.includes(',')) throw new InputError(`label must not contain commas, got ${show(value)}`, { field: 'labels' });
  return value;
}

/** A list of labels, de-duplicated; at most 100 per call. */
export function checkLabels(values: readonly string[] | null | undefined): string[] {
  if (!values) return [];
  if (values.length > 100) throw new InputError(`at most 100 labels per call, got ${values.length}`, { field: 'labels' });
  return [...new Set(values.map(checkLabel))];
}

/** A variable key: 1–255 characters, no control characters. */
export function checkVariableKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new InputError('variable keys must not be empty', { field: 'variables' });
  if (key.length > 255) throw new InputError(`variable key must be at most 255 characters, got ${key.length}`, { field: 'variables' });
  if (CONTROL.test(key)) throw new InputError(`variable key must not contain control characters, got ${show(key)}`, { field: 'variables' });
  checkUnicode(key, 'variable key');
  return key;
}

/** Deepest nesting a variable value may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * Validates a variables map (a JSON object of key → any JSON value) and returns the serialised values.
 * Each value must serialise to at most `maxBytes` and nest at most MAX_JSON_DEPTH levels.
 */
export function checkVariables(values: unknown, maxBytes: number, field = 'variables'): Array<[string, string]> {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new InputError(`${field} must be a JSON object of key → value, got ${Array.isArray(values) ? 'an array' : show(values)}`, { field });
  }
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length > 1000) throw new InputError(`at most 1000 variables per call, got ${entries.length}`, { field });
  return entries.map(([key, value]) => {
    checkVariableKey(key);
    if (value === undefined) throw new InputError(`variable '${key}' has no value`, { field });
    if (depthOf(value, 0) > MAX_JSON_DEPTH) throw new InputError(`variable '${key}' nests deeper than ${MAX_JSON_DEPTH} levels`, { field });
    const text = JSON.stringify(value);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) throw new InputError(`variable '${key}' is ${bytes} bytes as JSON; the limit is ${maxBytes}`, { field, limit: maxBytes });
    return [key, text];
  });
}

function depthOf(value: unknown, depth: number): number {
  if (depth > MAX_JSON_DEPTH) return depth;
  if (value === null || typeof value !== 'object') return depth;
  let max = depth + 1;
  for (const v of Object.values(value as object)) max = Math.max(max, depthOf(v, depth + 1));
  return max;
}
