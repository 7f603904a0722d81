import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalSource, HostFilter, HostRecord } from '../../sources/source.js';

// The contract every external source meets, run once per source kind against its own seed (the way
// Apollo's integration suite runs for every server integration). A source file calls
// `defineSourceContract` with a factory; the factory starts whatever backs the source (a fake server,
// fixture files) and says which hosts the seed must yield.

export interface SourceUnderTest {
  source: ExternalSource;
  /** Exactly the hosts the seed should yield, in any order; at least three, with some labels and IPs. */
  expectedHosts: HostRecord[];
  /** Makes the source's backend fail (stop the server, corrupt the file); calls must then fail fast. */
  breakSource: () => Promise<void>;
  cleanup: () => Promise<void>;
}

/** The longest any call may take once the backend is broken: failures must be quick, never hangs. */
const FAIL_FAST_MS = 5_000;

/** The filter semantics the contract holds sources to (the reference store's). */
function matches(host: HostRecord, f: HostFilter): boolean {
  return (
    (f.name === undefined || host.name === f.name) &&
    (f.nameContains === undefined || host.name.toLowerCase().includes(f.nameContains.toLowerCase())) &&
    (f.ipAddress === undefined || host.ipAddress === f.ipAddress) &&
    (f.deviceType === undefined || host.deviceType === f.deviceType) &&
    (f.active === undefined || host.active === f.active) &&
    (f.labels === undefined || f.labels.every((l) => host.labels.includes(l)))
  );
}

/** Every host of a listing, walking the cursors; asserts page sizes and that the walk ends. */
async function listAll(source: ExternalSource, filter: HostFilter, limit: number): Promise<HostRecord[]> {
  const out: HostRecord[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await source.list(filter, { limit, cursor });
    expect(page.hosts.length).toBeLessThanOrEqual(limit);
    out.push(...page.hosts);
    if (page.nextCursor === null) return out;
    expect(page.hosts.length, 'a page before the last is never empty').toBeGreaterThan(0);
    cursor = page.nextCursor;
  }
  throw new Error('the listing never ended');
}

const keysOf = (hosts: HostRecord[]) => hosts.map((h) => h.key).sort();

/** Rejects if `promise` takes longer than FAIL_FAST_MS. */
function quickly<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${FAIL_FAST_MS} ms`)), FAIL_FAST_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Filters worth trying on this seed: each HostFilter field, built from values the seed holds. */
function filtersFor(hosts: HostRecord[]): Array<[keyof HostFilter | 'combined', HostFilter]> {
  const withIp = hosts.find((h) => h.ipAddress !== null);
  const labelled = [...hosts].sort((a, b) => b.labels.length - a.labels.length)[0];
  const second = hosts[1]!;
  const cases: Array<[keyof HostFilter | 'combined', HostFilter]> = [
    ['name', { name: second.name }],
    ['name', { name: 'no-such-host-anywhere' }],
    ['nameContains', { nameContains: second.name.slice(1, 4).toUpperCase() }],
    ['ipAddress', { ipAddress: withIp?.ipAddress ?? '192.0.2.1' }],
    ['deviceType', { deviceType: hosts[0]!.deviceType }],
    ['deviceType', { deviceType: 'no-such-type' }],
    ['active', { active: true }],
    ['active', { active: false }],
    ['labels', { labels: labelled?.labels.slice(0, 1) ?? ['x'] }],
    ['labels', { labels: labelled?.labels.slice(0, 2) ?? ['x'] }],
    ['labels', { labels: ['no-such-label'] }],
    ['labels', { labels: [] }],
    ['combined', { active: true, labels: labelled?.labels.slice(0, 1) ?? [], nameContains: '' }],
  ];
  return cases;
}

export function defineSourceContract(name: string, make: () => Promise<SourceUnderTest>): void {
  describe(`${name}: the external source contract`, () => {
    let t: SourceUnderTest;
    const byKey = new Map<string, HostRecord>();

    beforeAll(async () => {
      t = await make();
      for (const h of t.expectedHosts) byKey.set(h.key, h);
      expect(t.expectedHosts.length, 'the seed needs at least three hosts').toBeGreaterThanOrEqual(3);
    });
    afterAll(async () => {
      await t?.source.close?.();
      await t?.cleanup();
    });

    describe('listing', () => {
      it('yields exactly the expected host records', async () => {
        const hosts = await listAll(t.source, {}, 1000);
        expect(hosts.sort((a, b) => a.key.localeCompare(b.key))).toEqual([...t.expectedHosts].sort((a, b) => a.key.localeCompare(b.key)));
      });

      it.each([1, 2, 3, 1000])('walks every host in pages of %i, without duplicates or gaps', async (limit) => {
        const hosts = await listAll(t.source, {}, limit);
        expect(hosts.map((h) => h.key)).toHaveLength(new Set(hosts.map((h) => h.key)).size);
        expect(keysOf(hosts)).toEqual(keysOf(t.expectedHosts));
      });

      it('returns the same order and the same keys on a second read', async () => {
        const first = (await listAll(t.source, {}, 2)).map((h) => h.key);
        const second = (await listAll(t.source, {}, 2)).map((h) => h.key);
        expect(second).toEqual(first);
      });

      it('rejects a cursor it did not make', async () => {
        await expect(t.source.list({}, { limit: 5, cursor: 'not a cursor!' })).rejects.toThrow(/cursor/);
      });

      it('keeps labels sorted and unique, and records JSON-serialisable', async () => {
        for (const h of await listAll(t.source, {}, 1000)) {
          expect(h.labels).toEqual([...new Set(h.labels)].sort());
          expect(() => JSON.stringify(h)).not.toThrow();
        }
      });
    });

    describe('filters', () => {
      it('declares only HostFilter fields as pushed down, and is read-only', () => {
        const known: Array<keyof HostFilter> = ['name', 'nameContains', 'ipAddress', 'deviceType', 'active', 'labels'];
        for (const f of t.source.capabilities.filters) expect(known).toContain(f);
        expect(t.source.capabilities.readOnly).toBe(true);
      });

      it('applies every pushed-down filter exactly, and never drops a matching host for the others', async () => {
        for (const [field, filter] of filtersFor(t.expectedHosts)) {
          const expected = keysOf(t.expectedHosts.filter((h) => matches(h, filter)));
          for (const limit of [1, 1000]) {
            const got = keysOf(await listAll(t.source, filter, limit));
            const pushed = Object.keys(filter).every((k) => t.source.capabilities.filters.includes(k as keyof HostFilter));
            if (pushed) expect(got, `${field}: ${JSON.stringify(filter)} (limit ${limit})`).toEqual(expected);
            else expect(got, `${field}: ${JSON.stringify(filter)}`).toEqual(expect.arrayContaining(expected));
          }
        }
      });
    });

    describe('batched reads', () => {
      it('loads records in the order of the keys asked for, equal to the listed ones', async () => {
        const keys = keysOf(t.expectedHosts).reverse();
        const loaded = await t.source.load(keys);
        expect(loaded).toEqual(keys.map((k) => byKey.get(k)));
      });

      it('answers null for keys it does not have, in their slots', async () => {
        const [a, b] = keysOf(t.expectedHosts);
        const loaded = await t.source.load(['no-such-key', a!, '999999999', b!, '']);
        expect(loaded).toEqual([null, byKey.get(a!), null, byKey.get(b!), null]);
      });

      it('answers a single key, a repeated key and no keys', async () => {
        const [a] = keysOf(t.expectedHosts);
        expect(await t.source.load([a!])).toEqual([byKey.get(a!)]);
        expect(await t.source.load([a!, a!])).toEqual([byKey.get(a!), byKey.get(a!)]);
        expect(await t.source.load(['no-such-key'])).toEqual([null]);
        expect(await t.source.load([])).toEqual([]);
      });
    });

    it('reports UP with a latency while healthy', async () => {
      const health = await t.source.health();
      expect(health).toEqual({ status: 'UP', lastError: null, latencyMs: expect.any(Number) });
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });

    describe('when the backend fails', () => {
      let broken: SourceUnderTest;
      beforeAll(async () => {
        broken = await make();
        await broken.breakSource();
      });
      afterAll(async () => {
        await broken?.source.close?.();
        await broken?.cleanup();
      });

      it('rejects a listing quickly', async () => {
        await expect(quickly(broken.source.list({}, { limit: 10, cursor: null }), 'list')).rejects.toThrow();
      });

      it('returns an Error in the slot of every key it could not read', async () => {
        const keys = keysOf(broken.expectedHosts).slice(0, 3);
        const loaded = await quickly(broken.source.load(keys), 'load');
        expect(loaded).toHaveLength(keys.length);
        for (const slot of loaded) expect(slot).toBeInstanceOf(Error);
      });

      it('reports DOWN with the error', async () => {
        const health = await quickly(broken.source.health(), 'health');
        expect(health.status).toBe('DOWN');
        expect(health.lastError).toEqual(expect.any(String));
        expect(health.lastError!.length).toBeGreaterThan(0);
      });
    });
  });
}
