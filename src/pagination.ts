import { InputError } from './errors.js';

/** Page size when `first` is not given (API.md). */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page a client may ask for (API.md); above it is BAD_USER_INPUT. */
export const MAX_PAGE_SIZE = 1000;

/** A validated page request: keyset pagination on a strictly increasing integer key. */
export interface PageRequest {
  first: number;
  /** Exclusive lower bound on the key; 0 for the first page. */
  afterKey: number;
}

/** Validates `first` and decodes `after`; both errors name the argument and what was received. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): PageRequest {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new InputError(`first must be between 0 and ${MAX_PAGE_SIZE}, got ${size}`, { argument: 'first', limit: MAX_PAGE_SIZE });
  }
  return { first: size, afterKey: after == null ? 0 : decodeCursor(after) };
}

/** Cursors are opaque: base64url of `c:<key>`. */
export function encodeCursor(key: number | string): string {
  return Buffer.from(`c:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^c:(\d{1,15})$/.exec(text);
  if (!m) throw new InputError(`after: '${cursor.slice(0, 64)}' is not a cursor of this list`, { argument: 'after' });
  return Number(m[1]);
}

/** A page of a Relay connection; `totalCount` is computed only when the client selects it. */
export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/**
 * Builds a connection from `first + 1` rows fetched in key order: the extra row only says whether
 * another page follows.
 */
export function toConnection<T>(rows: T[], page: PageRequest, keyOf: (row: T) => number | string, count: () => Promise<number>): Connection<T> {
  const hasNextPage = rows.length > page.first;
  const nodes = hasNextPage ? rows.slice(0, page.first) : rows;
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: page.afterKey > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => (total ??= count()),
  };
}
