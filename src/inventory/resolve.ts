/** Ascending order of strings by UTF-16 code units: the order of keys in resolved variables, labels, inventories. */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Variable resolution (reference §2.2): a chain of holders, nearest first, where the first holder
 * that defines a top-level key supplies its whole value. Pure: callers load the levels.
 */

/** One holder's own variables, e.g. a device, its parent, its cell, region, cloud or project. */
export interface VariableLevel<H> {
  holder: H;
  variables: Record<string, unknown>;
}

/** Which holder supplied a resolved key (Craton's `blame`). */
export interface VariableOrigin<H> {
  key: string;
  value: unknown;
  holder: H;
}

/** Resolved values plus where each came from. */
export interface ResolvedVariables<H> {
  values: Record<string, unknown>;
  origins: Array<VariableOrigin<H>>;
}

/**
 * Resolves variables over `levels`, ordered nearest first (for a device: self, parent, …, cell,
 * region, cloud, project).
 *
 * A key is taken whole from the first level that has it as an own key; a nearer object value hides a
 * farther one entirely (no deep merge), and a stored `null` is a value that still hides farther
 * levels. `keys`, when given, limits the output to those keys; keys no level defines are simply
 * absent. Both `values` and `origins` are in ascending key order (UTF-16 code units). Values are the
 * callers' objects, not copies. A key named `__proto__` is kept as an ordinary own property.
 */
export function resolveVariables<H>(
  levels: ReadonlyArray<VariableLevel<H>>,
  keys?: readonly string[],
): ResolvedVariables<H> {
  const wanted = keys === undefined ? undefined : new Set(keys);
  const found = new Map<string, VariableOrigin<H>>();
  for (const level of levels) {
    for (const key of Object.keys(level.variables)) {
      if (found.has(key) || (wanted !== undefined && !wanted.has(key))) continue;
      found.set(key, { key, value: level.variables[key], holder: level.holder });
    }
  }
  const origins = [...found.values()].sort((a, b) => byCodeUnits(a.key, b.key));
  // Object.fromEntries defines own properties, so '__proto__' can't reach the prototype.
  const values = Object.fromEntries(origins.map((origin) => [origin.key, origin.value])) as Record<string, unknown>;
  return { values, origins };
}

/**
 * Resolved values in a form that can be extended: `keys` in ascending order (UTF-16 code units) and the
 * value chosen for each in a prototype-free record.
 */
export interface Resolution {
  readonly keys: readonly string[];
  readonly values: Readonly<Record<string, unknown>>;
}


/**
 * Resolves `levels` (their variables, nearest first) in front of `farther`, an already resolved tail of
 * the chain (e.g. cell → region → cloud → project, which every host of a cell shares): a key is taken
 * from the first level that has it as an own key, then from `farther`. Sorts only the near keys and
 * merges them with the farther ones in one pass.
 */
export function resolution(levels: ReadonlyArray<Record<string, unknown>>, farther?: Resolution): Resolution {
  const values = Object.create(null) as Record<string, unknown>;
  const near: string[] = [];
  for (const variables of levels) {
    for (const key of Object.keys(variables)) {
      if (key in values) continue;
      values[key] = variables[key];
      near.push(key);
    }
  }
  near.sort(byCodeUnits);
  if (!farther) return { keys: near, values };
  const keys: string[] = [];
  let i = 0;
  for (const key of farther.keys) {
    while (i < near.length && near[i]! < key) keys.push(near[i++]!);
    if (i < near.length && near[i] === key) {
      keys.push(near[i++]!); // defined nearer: the nearer value stays
      continue;
    }
    values[key] = farther.values[key];
    keys.push(key);
  }
  while (i < near.length) keys.push(near[i++]!);
  return { keys, values };
}

/** A resolution as the API returns it: an ordinary object in key order, limited to `keys` when given. */
export function resolvedRecord(res: Resolution, keys?: readonly string[]): Record<string, unknown> {
  const wanted = keys === undefined ? undefined : new Set(keys);
  const out: Record<string, unknown> = {};
  for (const key of res.keys) if (wanted === undefined || wanted.has(key)) put(out, key, res.values[key]);
  return out;
}

/**
 * `resolvedRecord(resolution(levels, farther), keys)` without the intermediate resolution: one output
 * object per holder, built in key order by merging the sorted near keys with the farther ones.
 */
export function resolveOnto(levels: ReadonlyArray<Record<string, unknown>>, farther: Resolution, keys?: readonly string[]): Record<string, unknown> {
  const near = resolution(levels);
  const wanted = keys === undefined ? undefined : new Set(keys);
  const out: Record<string, unknown> = {};
  const take = (key: string, value: unknown) => {
    if (wanted === undefined || wanted.has(key)) put(out, key, value);
  };
  let i = 0;
  for (const key of farther.keys) {
    while (i < near.keys.length && near.keys[i]! < key) take(near.keys[i]!, near.values[near.keys[i++]!]);
    if (i < near.keys.length && near.keys[i] === key) take(key, near.values[near.keys[i++]!]);
    else take(key, farther.values[key]);
  }
  while (i < near.keys.length) take(near.keys[i]!, near.values[near.keys[i++]!]);
  return out;
}

/** Sets an own property, including one named '__proto__' (assignment would set the prototype instead). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * `resolveVariables(levels, keys).values` from the levels' variables alone (nearest first), without an
 * origin object per key: the hot path of a page of hosts.
 */
export function resolveValues(levels: ReadonlyArray<Record<string, unknown>>, keys?: readonly string[]): Record<string, unknown> {
  return resolvedRecord(resolution(levels), keys);
}
