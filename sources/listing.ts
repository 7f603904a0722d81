import type { HostFilter, HostPage, HostRecord } from './source.js';

// In-memory filtering and keyset paging for external sources whose backends cannot page (OneOps returns
// whole lists; an Ansible inventory is a file). Both adapters use it, so a filter means the same thing
// whichever source answers.
// NOTE(sources): shared by sources/oneops and sources/ansible; it belongs in sources/ once that folder
// takes helpers.

/** Every HostFilter field: what an adapter that filters in memory can honour in full. */
export const ALL_HOST_FILTERS: ReadonlyArray<keyof HostFilter> = ['name', 'nameContains', 'ipAddress', 'deviceType', 'active', 'labels'];

/**
 * Whether `host` passes `filter`, with the reference store's semantics: `name`, `ipAddress` and
 * `deviceType` match exactly, `nameContains` is a case-insensitive substring, `labels` must all be present.
 */
export function matchesFilter(host: HostRecord, filter: HostFilter): boolean {
  if (filter.name !== undefined && host.name !== filter.name) return false;
  if (filter.nameContains !== undefined && !host.name.toLowerCase().includes(filter.nameContains.toLowerCase())) return false;
  if (filter.ipAddress !== undefined && host.ipAddress !== filter.ipAddress) return false;
  if (filter.deviceType !== undefined && host.deviceType !== filter.deviceType) return false;
  if (filter.active !== undefined && host.active !== filter.active) return false;
  if (filter.labels?.length && !filter.labels.every((l) => host.labels.includes(l))) return false;
  return true;
}

/**
 * Orders source keys: all-digit keys (OneOps ciIds) numerically, anything else by UTF-16 code units, and
 * digits before the rest. Total and locale-independent, so a cursor means the same thing on every replica.
 */
export function compareKeys(a: string, b: string): number {
  const da = /^\d+$/.test(a);
  const db = /^\d+$/.test(b);
  if (da && db) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
  } else if (da !== db) {
    return da ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Cursors are opaque to the gateway: base64url of `k:<last key of the page>`. */
export function encodeCursor(key: string): string {
  return Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; throws an Error quoting it (truncated) when it is not one. */
export function decodeCursor(cursor: string, sourceName: string): string {
  const text = /^[A-Za-z0-9_-]{3,}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith('k:')) throw new Error(`${sourceName}: '${cursor.slice(0, 64)}' is not a cursor of this source`);
  return text.slice(2);
}

/**
 * Filters `hosts`, sorts them by key and cuts the page after `cursor`. Keyset paging: a page starts after
 * the cursor's key even when that host has gone since, so a host is never listed twice in one walk.
 *
 * @throws RangeError when `limit` is not a positive integer; Error when `cursor` is not one of ours.
 */
export function pageHosts(
  hosts: Iterable<HostRecord>,
  filter: HostFilter,
  page: { limit: number; cursor: string | null },
  sourceName: string,
): HostPage {
  if (!Number.isInteger(page.limit) || page.limit < 1) {
    throw new RangeError(`${sourceName}: page limit must be a positive integer, got ${page.limit}`);
  }
  const after = page.cursor === null ? null : decodeCursor(page.cursor, sourceName);
  const rows: HostRecord[] = [];
  for (const host of hosts) {
    if ((after === null || compareKeys(host.key, after) > 0) && matchesFilter(host, filter)) rows.push(host);
  }
  rows.sort((a, b) => compareKeys(a.key, b.key));
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  return { hosts: pageRows, nextCursor: more ? encodeCursor(pageRows[pageRows.length - 1]!.key) : null };
}

/** Sorted, de-duplicated, without empty strings. */
export function sortedLabels(labels: Iterable<string>): string[] {
  return [...new Set([...labels].filter((l) => l !== ''))].sort();
}

/** An Error's message, or the thrown value as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
