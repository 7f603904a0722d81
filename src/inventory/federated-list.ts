import type { DeviceCriteria, HostFilter } from '../../sources/source.js';
import { CratonError, InputError, SourceUnavailableError } from '../errors.js';
import { parseMysqlPath } from './vars-query.js';
import { jsonContains, jsonExtract } from './json-match.js';
import { FederatedHost, type FederatedSource } from './federated-source.js';
import { federatedLabels, placementOf, toHosts } from './federation.js';
import type { Scope } from './scope.js';
import { ownVariables, resolvedValues } from './variables.js';

/**
 * Fewest hosts asked of a source per call. A position is (the cursor a call started from, an offset into
 * what it returned), which does not depend on how many hosts the call asked for; so a page asks for
 * everything it may need at once (offset + page + one lookahead) and costs one call per source, unless
 * filters the source cannot apply make it scan further (then one call per CHUNK hosts scanned).
 */
export const CHUNK = 1000;
/** Most hosts scanned in one page of one source (filters the source cannot apply run here). */
const MAX_SCAN = 20_000;

/** A position inside the external part of a device listing. */
export interface ExternalPosition {
  /** Index of the source in the project's source list. */
  source: number;
  /** The source's cursor of the chunk holding the position (null: its first chunk). */
  chunk: string | null;
  /** Hosts of that chunk already consumed. */
  skip: number;
}

export function encodeExternalCursor(p: ExternalPosition): string {
  return Buffer.from(`x:${JSON.stringify([p.source, p.chunk, p.skip])}`, 'utf8').toString('base64url');
}

/** Decodes an external cursor; undefined when `cursor` is not one (then it is a reference-store cursor). */
export function decodeExternalCursor(cursor: string): ExternalPosition | undefined {
  const text = /^[A-Za-z0-9_-]{1,4096}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!text.startsWith('x:')) return undefined;
  try {
    const [source, chunk, skip] = JSON.parse(text.slice(2)) as [unknown, unknown, unknown];
    if (Number.isInteger(source) && (chunk === null || typeof chunk === 'string') && Number.isInteger(skip)) {
      return { source: source as number, chunk: chunk as string | null, skip: skip as number };
    }
  } catch { /* fall through */ }
  throw new InputError(`after: '${cursor.slice(0, 64)}' is not a cursor of this list`, { argument: 'after' });
}

/** The part of the criteria a source may apply itself. */
function pushdown(source: FederatedSource, c: DeviceCriteria): HostFilter {
  const can = source.pushdown;
  const f: HostFilter = {};
  if (c.name !== undefined && can.has('name')) f.name = c.name;
  if (c.nameContains !== undefined && can.has('nameContains')) f.nameContains = c.nameContains;
  if (c.ipAddress !== undefined && can.has('ipAddress')) f.ipAddress = c.ipAddress;
  if (c.deviceType !== undefined && can.has('deviceType')) f.deviceType = c.deviceType;
  if (c.active !== undefined && can.has('active')) f.active = c.active;
  return f;
}

/**
 * True when a federated host meets every criterion. Everything is checked here, pushed down or not, so a
 * source that ignores a filter cannot widen the answer. Costs batched statements only (overlays,
 * placements, variables of the whole chunk load together).
 */
async function matches(scope: Scope, host: FederatedHost, c: DeviceCriteria): Promise<boolean> {
  const r = host.record;
  if (c.kind === 'network_device' || c.parentId !== undefined) return false;
  if (c.name !== undefined && r.name !== c.name) return false;
  if (c.nameContains !== undefined && !r.name.toLowerCase().includes(c.nameContains.toLowerCase())) return false;
  if (c.ipAddress !== undefined && r.ipAddress !== c.ipAddress) return false;
  if (c.deviceType !== undefined && r.deviceType !== c.deviceType) return false;
  if (c.active !== undefined && r.active !== c.active) return false;
  // A host must sit somewhere in Craton: one whose cloud or region does not exist in this project is left
  // out (reported once per placement), rather than breaking the whole list.
  const p = await placementOf(scope, host);
  if (!p.cloud || !p.region) {
    const want = { ...host.defaults, ...r.placement };
    scope.notices?.push(new SourceUnavailableError(host.source, `hosts placed in cloud '${want.cloud ?? '?'}', region '${want.region ?? '?'}' are left out: no such cloud and region in this project`));
    return false;
  }
  if (c.cloudId !== undefined && p.cloud.id !== c.cloudId) return false;
  if (c.regionId !== undefined && p.region.id !== c.regionId) return false;
  if (c.cellId !== undefined && p.cell?.id !== c.cellId) return false;
  if (c.labels?.length) {
    const labels = new Set(await federatedLabels(scope, host));
    if (!c.labels.every((l) => labels.has(l))) return false;
  }
  if (c.vars?.length) {
    const vars = c.resolved === false ? await ownVariables(scope, host) : await resolvedValues(scope, host);
    for (const pair of c.vars) {
      if (!Object.prototype.hasOwnProperty.call(vars, pair.key)) return false;
      const hit = jsonExtract(vars[pair.key], parseMysqlPath(pair.path));
      if (!hit.found || !jsonContains(hit.value, JSON.parse(pair.candidateJson))) return false;
    }
  }
  return true;
}

/** What one source gave a page, and where the next page starts. */
export interface ExternalTake {
  /** Hosts taken, each with the position right after it (what `after` needs to resume there). */
  hosts: Array<{ host: FederatedHost; after: ExternalPosition }>;
  /** True when at least one more matching host exists after `hosts`. */
  more: boolean;
}

/**
 * Takes up to `want` matching hosts from one source starting at `from`, looking one match ahead so the
 * caller knows whether more follow. A source failure propagates as SOURCE_UNAVAILABLE.
 */
export async function takeFromSource(scope: Scope, source: FederatedSource, index: number, c: DeviceCriteria, from: ExternalPosition | null, want: number): Promise<ExternalTake> {
  const filter = pushdown(source, c);
  let chunk = from?.chunk ?? null;
  let skip = from?.skip ?? 0;
  const taken: ExternalTake['hosts'] = [];
  let scanned = 0;
  for (;;) {
    const page = await source.list(filter, { limit: Math.max(CHUNK, skip + want - taken.length + 1), cursor: chunk });
    const hosts = toHosts(scope, source, page.hosts);
    const verdicts = await Promise.all(hosts.map((h, i) => (i < skip ? Promise.resolve(false) : matches(scope, h, c))));
    for (let i = skip; i < hosts.length; i++) {
      if (!verdicts[i]) continue;
      if (taken.length === want) return { hosts: taken, more: true };
      taken.push({ host: hosts[i]!, after: { source: index, chunk, skip: i + 1 } });
    }
    scanned += hosts.length;
    if (!page.nextCursor || hosts.length === 0) return { hosts: taken, more: false };
    if (scanned > MAX_SCAN) {
      throw new CratonError('BAD_USER_INPUT', `source '${source.name}': more than ${MAX_SCAN} hosts scanned for one page; narrow the filter with fields the source can apply (${[...source.pushdown].join(', ') || 'none'})`);
    }
    chunk = page.nextCursor;
    skip = 0;
  }
}

/** Counts a source's matching hosts (for `totalCount`): a full scan, helped by the source's TTL cache. */
export async function countInSource(scope: Scope, source: FederatedSource, c: DeviceCriteria): Promise<number> {
  const filter = pushdown(source, c);
  let n = 0;
  for (let cursor: string | null = null, rounds = 0; ; rounds++) {
    const page = await source.list(filter, { limit: CHUNK, cursor });
    const hosts = toHosts(scope, source, page.hosts);
    n += (await Promise.all(hosts.map((h) => matches(scope, h, c)))).filter(Boolean).length;
    if (!page.nextCursor || hosts.length === 0 || rounds * CHUNK > MAX_SCAN * 10) return n;
    cursor = page.nextCursor;
  }
}
