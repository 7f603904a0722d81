import type { z } from 'zod';

// Turns zod issues into start-up messages that name the field the way the YAML file spells it:
// `sources[1].connection.url: required`. Shared by every external source's config.ts.
// NOTE(sources): shared with sources/ansible; it belongs in sources/ once that folder takes helpers.

/** Thrown by a source's config parser; the message names every bad field, one per line. */
export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

/** `sources[1]` + `['connection', 'classes', 0]` → `sources[1].connection.classes[0]`. */
export function fieldPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return String(value);
}

function issueLines(base: string, issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${fieldPath(base, [...issue.path, key])}: unknown field`);
  }
  const where = fieldPath(base, issue.path);
  if (issue.code === 'invalid_type') {
    return [issue.input === undefined ? `${where}: required` : `${where}: expected ${issue.expected}, got ${describeValue(issue.input)}`];
  }
  if (issue.code === 'invalid_union') {
    // A union such as "a fixed name or a mapping rule": when one branch got inside the value (its issues
    // sit below this field), that is the one the author meant; otherwise the union's own message says
    // what is accepted.
    const depth = (issues: z.core.$ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'unrecognized_keys' ? 1 : 0)));
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
    if (best && depth(best) > 0) return best.flatMap((inner) => issueLines(where, inner));
  }
  return [`${where}: ${issue.message}`];
}

/**
 * Validates `raw` against `schema`. Every problem is reported, each prefixed with its field path under
 * `path` (the entry's place in the config file, e.g. `sources[1]`).
 *
 * @throws SourceConfigError listing every bad field.
 */
export function parseSourceConfig<S extends z.ZodType>(schema: S, raw: unknown, path: string): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue) => issueLines(path, issue));
  throw new SourceConfigError([...new Set(lines)].join('\n'));
}
