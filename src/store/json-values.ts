/**
 * Parsed variable values, shared. A fleet repeats its values: the same hardware profile, OS record or
 * network block on thousands of hosts and levels, stored as the same JSON text. A page of 1000 hosts reads
 * some 25,000 values; parsing each afresh made objects that lived just long enough to be copied by
 * several young-generation collections (the largest cost of that page after SQL). Objects and arrays are
 * parsed once per distinct text and then shared, deeply frozen: nothing may change a value it did not
 * parse itself (a change would throw rather than leak into another request).
 */

/** Texts longer than this are parsed every time (rare, and they would crowd the cache). */
const MAX_TEXT = 8 * 1024;
/** Total text kept, in UTF-16 code units; the oldest entries go first beyond it. */
const MAX_TOTAL = 32 * 1024 * 1024;

const cache = new Map<string, unknown>();
let total = 0;

/** The value of stored JSON text (as written by JSON.stringify); objects and arrays are shared and frozen. */
export function parseStoredJson(text: string): unknown {
  const first = text.charCodeAt(0);
  // Only objects and arrays are worth sharing: scalars are cheap to parse and immutable anyway.
  if ((first !== 0x7b /* { */ && first !== 0x5b /* [ */) || text.length > MAX_TEXT) return JSON.parse(text);
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const value = deepFreeze(JSON.parse(text));
  cache.set(text, value);
  total += text.length;
  while (total > MAX_TOTAL) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    total -= oldest.length;
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** How many distinct texts are shared now (tests). */
export function sharedJsonCount(): number {
  return cache.size;
}
