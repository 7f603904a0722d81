import { InputError } from './errors.js';

/** The object types a global id can name. */
export type IdType =
  | 'Project'
  | 'User'
  | 'ApiKey'
  | 'Cloud'
  | 'Region'
  | 'Cell'
  | 'Host'
  | 'NetworkDevice'
  | 'Network'
  | 'NetworkInterface'
  | 'WorkflowRun'
  | 'WorkflowSchedule'
  | 'Change';

const ID_TYPES: ReadonlySet<string> = new Set<IdType>([
  'Project', 'User', 'ApiKey', 'Cloud', 'Region', 'Cell', 'Host', 'NetworkDevice', 'Network',
  'NetworkInterface', 'WorkflowRun', 'WorkflowSchedule', 'Change',
]);

/** The reference store's source name: the only source Craton writes to. */
export const REFERENCE_SOURCE = 'craton';

/** What a global id says: the type, the source that owns the object, and the key within that source. */
export interface GlobalId {
  type: IdType;
  source: string;
  key: string;
}

/**
 * Encodes a global id: base64url of `type:source:key`. Opaque to clients and stable across restarts,
 * so `node(id:)` can route to the right source without a lookup.
 */
export function toGlobalId(type: IdType, key: string | number, source: string = REFERENCE_SOURCE): string {
  return Buffer.from(`${type}:${source}:${key}`, 'utf8').toString('base64url');
}

/** Decodes a global id; throws BAD_USER_INPUT naming the argument when it is not one of ours. */
export function fromGlobalId(id: string, argName = 'id'): GlobalId {
  const text = typeof id === 'string' && id.length <= 1024 && /^[A-Za-z0-9_-]+$/.test(id) ? Buffer.from(id, 'base64url').toString('utf8') : '';
  const first = text.indexOf(':');
  const second = text.indexOf(':', first + 1);
  const type = text.slice(0, first);
  if (first <= 0 || second <= first + 1 || second === text.length - 1 || !ID_TYPES.has(type)) {
    throw new InputError(`${argName}: '${truncate(String(id))}' is not a Craton id`, { argument: argName });
  }
  return { type: type as IdType, source: text.slice(first + 1, second), key: text.slice(second + 1) };
}

/**
 * Decodes a reference-store id of one of the expected types and returns its integer key.
 * A well-formed id of another type or source is BAD_USER_INPUT saying what was expected.
 */
export function refKey(id: string, expected: IdType | readonly IdType[], argName = 'id'): { type: IdType; key: number } {
  const g = fromGlobalId(id, argName);
  const types = typeof expected === 'string' ? [expected] : expected;
  if (!types.includes(g.type)) {
    throw new InputError(`${argName}: expected the id of a ${types.join(' or ')}, got the id of a ${g.type}`, { argument: argName });
  }
  if (g.source !== REFERENCE_SOURCE || !/^[1-9]\d{0,15}$/.test(g.key)) {
    throw new InputError(`${argName}: '${truncate(id)}' does not name a ${types.join(' or ')} of the Craton store`, { argument: argName });
  }
  return { type: g.type, key: Number(g.key) };
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
