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
  const origins = [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Object.fromEntries defines own properties, so '__proto__' can't reach the prototype.
  const values = Object.fromEntries(origins.map((origin) => [origin.key, origin.value])) as Record<string, unknown>;
  return { values, origins };
}
