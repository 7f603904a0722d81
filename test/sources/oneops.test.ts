// The OneOps CMS adapter against the fake CMS (test/fakes/oneops): the source contract, then what is
// particular to OneOps: auth and scope headers, its date and value encodings, its 400-for-missing,
// batching, relations, placement from nsPath, streaming, the snapshot, and each way it fails.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OneOpsSource } from '../../sources/oneops/index.js';
import type { HostRecord } from '../../sources/source.js';
import { manyComputes, seedCis, seedRelations, CREATED, UPDATED, WEB_NS } from '../fakes/oneops/seed.js';
import { startFakeOneOps, type FakeOneOps } from '../fakes/oneops/server.js';
import { defineSourceContract } from './contract.js';
import { testClock, testDeps } from './helpers.js';

/** The configuration the contract runs with: names from `hostname`, cloud from DeployedTo, region from the env segment. */
function configFor(url: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'oneops-test',
    kind: 'oneops',
    project: 'default',
    connection: { url, nsPath: '/acme/shop', timeoutMs: 1000 },
    mapping: { nameAttribute: 'hostname', labelsAttribute: 'tags' },
    placement: {
      cloud: { fromAttribute: 'deployedTo' },
      region: { fromNsPathSegment: 3, map: { prod: 'us-east', qa: 'us-test' } },
      cell: { fromAttribute: 'availability_zone' },
    },
    relations: [{ relationName: 'base.DeployedTo', attribute: 'deployedTo' }],
    ...overrides,
  };
}

const created = new Date(CREATED);
const updated = new Date(UPDATED);

/** What the seed must yield under configFor(): written out by hand, not computed by the mapping. */
const expectedHosts: HostRecord[] = [
  {
    key: '101',
    name: 'web-1',
    ipAddress: '10.1.2.3', // public_ip is empty, so private_ip
    deviceType: 'server',
    active: true,
    labels: ['frontend', 'owner:web', 'pci', 'tier:frontend'],
    attributes: {
      hostname: 'web-1',
      public_ip: '',
      private_ip: '10.1.2.3',
      ostype: 'centos-7.0',
      cores: '4',
      metadata: {},
      tags: { owner: 'web', tier: 'frontend' },
      config_directives: { listen: [80, 443], tls: { enabled: true } },
      availability_zone: 'az-1',
      root_password: '--ENCRYPTED--',
      deployedTo: ['dal-cloud'],
    },
    placement: { cloud: 'dal-cloud', region: 'us-east', cell: 'az-1' },
    createdAt: created,
    updatedAt: updated,
  },
  {
    key: '102',
    name: 'web-2',
    ipAddress: '203.0.113.10',
    deviceType: 'server',
    active: true,
    labels: ['frontend', 'owner:web'],
    attributes: { hostname: 'web-2', public_ip: '203.0.113.10', private_ip: '10.1.2.4', availability_zone: 'az-2', tags: { owner: 'web' }, deployedTo: ['ord-cloud'] },
    placement: { cloud: 'ord-cloud', region: 'us-east', cell: 'az-2' },
    createdAt: created,
    updatedAt: updated,
  },
  {
    key: '103',
    name: 'web-3',
    ipAddress: '10.1.2.5',
    deviceType: 'server',
    active: false, // pending_deletion
    labels: [],
    attributes: { hostname: 'web-3', private_ip: '10.1.2.5', availability_zone: 'az-1', volumes: ['/data', '/logs'], deployedTo: [] },
    placement: { region: 'us-east', cell: 'az-1' },
    createdAt: created,
    updatedAt: updated,
  },
  {
    key: '201',
    name: 'db-1',
    ipAddress: '10.2.0.1',
    deviceType: 'server',
    active: true,
    labels: ['db', 'pci'],
    attributes: { hostname: 'db-1', private_ip: '10.2.0.1', availability_zone: 'az-1', tags: ['db', 'pci'], deployedTo: ['dal-cloud'] },
    placement: { cloud: 'dal-cloud', region: 'us-east', cell: 'az-1' },
    createdAt: created,
    updatedAt: updated,
  },
  {
    key: '301',
    name: 'web-qa-1', // no hostname attribute: the ciName
    ipAddress: null, // private_ip is not an address
    deviceType: 'server',
    active: true,
    labels: ['plain text'],
    attributes: { private_ip: 'not-an-ip', availability_zone: 'az-9', tags: 'plain text', deployedTo: [] },
    placement: { region: 'us-test', cell: 'az-9' },
    createdAt: created,
    updatedAt: new Date(1500000000000),
  },
];

defineSourceContract('oneops', async () => {
  const fake = await startFakeOneOps({ cis: structuredClone(seedCis), relations: seedRelations });
  return {
    source: OneOpsSource.fromConfig(configFor(fake.url), testDeps(), 'sources[0]'),
    expectedHosts,
    breakSource: () => fake.stop(),
    cleanup: () => fake.stop(),
  };
});

describe('oneops adapter', () => {
  let fake: FakeOneOps;
  const make = (overrides: Record<string, unknown> = {}, env: Record<string, string> = {}, clock = testClock()) =>
    OneOpsSource.fromConfig(configFor(fake.url, overrides), testDeps({ env, clock }), 'sources[0]');
  const calls = (method: string, path: string | RegExp) =>
    fake.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  const everything = { limit: 1000, cursor: null };

  beforeAll(async () => {
    fake = await startFakeOneOps({ cis: structuredClone(seedCis), relations: seedRelations });
  });
  afterEach(() => {
    fake.auth = null;
    fake.failWith = null;
    fake.delayMs = 0;
    fake.resetRequests();
  });
  afterAll(() => fake.stop());

  describe('requests', () => {
    it('sends Basic auth from the environment, X-Cms-Scope and X-Cms-User', async () => {
      fake.auth = { username: 'craton', password: 's3cret' };
      const source = make(
        { credentials: { usernameEnv: 'OO_USER', passwordEnv: 'OO_PASSWORD' }, connection: { url: fake.url, nsPath: '/acme/shop', scope: '/acme/shop', user: 'craton-gw' } },
        { OO_USER: 'craton', OO_PASSWORD: 's3cret' },
      );
      expect((await source.list({}, everything)).hosts).toHaveLength(5);
      expect(fake.requests.length).toBeGreaterThan(0);
      for (const r of fake.requests) {
        expect(r.headers.authorization).toBe(`Basic ${Buffer.from('craton:s3cret').toString('base64')}`);
        expect(r.headers['x-cms-scope']).toBe('/acme/shop');
        expect(r.headers['x-cms-user']).toBe('craton-gw');
      }
    });

    it('fails with the 401 when the server wants credentials it was not given', async () => {
      fake.auth = { username: 'craton', password: 's3cret' };
      await expect(make().list({}, everything)).rejects.toThrow(/^oneops-test: GET \/cm\/simple\/\w+ answered 401/);
      expect((await make().health()).lastError).toMatch(/answered 401: .*Full authentication is required/);
    });

    it("fails with OneOps's 'bad scope' when the namespace is outside X-Cms-Scope", async () => {
      const source = make({ connection: { url: fake.url, nsPath: '/acme/shop', scope: '/acme/other' } });
      await expect(source.list({}, everything)).rejects.toThrow('answered 403 (errorCode 0): bad scope');
    });

    it('lists each class under the namespace recursively in one request, with every altNs tag', async () => {
      await make({ relations: [] }).list({}, everything);
      const [list, ...more] = calls('GET', '/cm/simple/cis');
      expect(more).toEqual([]);
      expect(Object.fromEntries(list!.query)).toEqual({ nsPath: '/acme/shop', ciClassName: 'bom.Compute', recursive: 'true', includeAltNs: '*' });
    });
  });

  describe('mapping', () => {
    it('turns epoch-millisecond dates into Dates', async () => {
      const [host] = await make().load(['301']);
      expect((host as HostRecord).createdAt).toEqual(new Date(1464951332000));
      expect((host as HostRecord).updatedAt).toEqual(new Date(1500000000000));
    });

    it('decodes JSON objects and arrays inside attribute strings and keeps other strings as they are', async () => {
      const [web1, web3] = (await make().load(['101', '103'])) as HostRecord[];
      expect(web1!.attributes).toMatchObject({ metadata: {}, tags: { owner: 'web', tier: 'frontend' }, cores: '4', ostype: 'centos-7.0', public_ip: '' });
      expect(web3!.attributes.volumes).toEqual(['/data', '/logs']);
    });

    it('places hosts by an nsPath segment (org 1, assembly 2, env 3) without a map', async () => {
      const source = make({ placement: { region: { fromNsPathSegment: 3 }, cell: { fromNsPathSegment: 5 }, cloud: 'oneops' } });
      const hosts = (await source.list({}, everything)).hosts;
      expect(Object.fromEntries(hosts.map((h) => [h.key, h.placement]))).toEqual({
        101: { cloud: 'oneops', region: 'prod', cell: 'web' },
        102: { cloud: 'oneops', region: 'prod', cell: 'web' },
        103: { cloud: 'oneops', region: 'prod', cell: 'web' },
        201: { cloud: 'oneops', region: 'prod', cell: 'db' },
        301: { cloud: 'oneops', region: 'qa', cell: 'web' },
      });
    });

    it('reads only the exact namespace when not recursive, and short class names match', async () => {
      const source = make({ connection: { url: fake.url, nsPath: WEB_NS, recursive: false, classes: ['Compute'] } });
      expect((await source.list({}, everything)).hosts.map((h) => h.key)).toEqual(['101', '102', '103']);
    });

    it('never reaches a look-alike namespace (/acme/shopping) or another class', async () => {
      const keys = (await make().list({}, everything)).hosts.map((h) => h.key);
      expect(keys).not.toContain('501');
      expect(keys).not.toContain('150');
    });
  });

  describe('batched reads', () => {
    it('reads many keys with one POST /cm/simple/cis/list, and relations CI by CI', async () => {
      const loaded = await make().load(['201', '101', '102', '999999', 'web-1']);
      expect(loaded.map((h) => (h as HostRecord | null)?.name ?? null)).toEqual(['db-1', 'web-1', 'web-2', null, null]);
      const lists = calls('POST', '/cm/simple/cis/list');
      expect(lists).toHaveLength(1);
      expect(JSON.parse(lists[0]!.body)).toEqual({ ids: [201, 101, 102, 999999], includeAltNs: '*' });
      expect(calls('GET', '/cm/simple/relations')).toHaveLength(3);
      expect(calls('GET', /^\/cm\/simple\/cis/)).toEqual([]);
    });

    it('splits keys into batches of connection.batchSize', async () => {
      await make({ relations: [], connection: { url: fake.url, nsPath: '/acme/shop', batchSize: 2 } }).load(['101', '102', '103', '201', '301']);
      expect(calls('POST', '/cm/simple/cis/list').map((r) => JSON.parse(r.body).ids)).toEqual([[101, 102], [103, 201], [301]]);
    });

    it('reads a single key with GET /cm/simple/cis/{id} and takes its 400 (errorCode 1006) as missing', async () => {
      const source = make({ relations: [] });
      expect(await source.load(['999999'])).toEqual([null]);
      expect(calls('GET', '/cm/simple/cis/999999')).toHaveLength(1);
      expect((await source.load(['102']))[0]).toMatchObject({ key: '102', name: 'web-2' });
    });

    it('answers null for CIs of another class or namespace', async () => {
      expect(await make().load(['150', '401', '501', '901'])).toEqual([null, null, null, null]);
    });

    it('still answers the in-scope keys when X-Cms-Scope refuses the batch for one outsider', async () => {
      const source = make({ relations: [], connection: { url: fake.url, nsPath: '/acme/shop', scope: '/acme/shop' } });
      const loaded = await source.load(['101', '401', '201']);
      expect(loaded.map((h) => (h as HostRecord | null)?.key ?? null)).toEqual(['101', null, '201']);
      expect(calls('POST', '/cm/simple/cis/list')).toHaveLength(1);
      expect(calls('GET', /^\/cm\/simple\/cis\/\d+$/)).toHaveLength(3);
    });
  });

  describe('listing', () => {
    it('serves the pages of one listing from one fetch, and fetches again after snapshotTtlMs', async () => {
      const clock = testClock();
      const source = make({}, {}, clock);
      let page = await source.list({}, { limit: 2, cursor: null });
      while (page.nextCursor) page = await source.list({ active: true }, { limit: 2, cursor: page.nextCursor });
      expect(calls('GET', '/cm/simple/cis')).toHaveLength(1);
      clock.advance(10_001);
      await source.list({}, everything);
      expect(calls('GET', '/cm/simple/cis')).toHaveLength(2);
    });

    it('shares one fetch between concurrent listings, and keeps none with snapshotTtlMs 0', async () => {
      const source = make({ connection: { url: fake.url, nsPath: '/acme/shop', snapshotTtlMs: 0 } });
      await Promise.all([source.list({}, everything), source.list({ name: 'web-1' }, everything), source.list({}, { limit: 1, cursor: null })]);
      expect(calls('GET', '/cm/simple/cis')).toHaveLength(1);
      await source.list({}, everything);
      expect(calls('GET', '/cm/simple/cis')).toHaveLength(2);
    });

    it('streams a namespace of 3000 CIs', async () => {
      const bulk = await startFakeOneOps({ cis: manyComputes(3000, '/bulk/app/prod/bom/x/1') });
      try {
        const source = OneOpsSource.fromConfig({ name: 'bulk', kind: 'oneops', connection: { url: bulk.url, nsPath: '/bulk' } }, testDeps());
        const seen = new Set<string>();
        let page = await source.list({}, { limit: 1000, cursor: null });
        for (;;) {
          for (const h of page.hosts) seen.add(h.key);
          if (!page.nextCursor) break;
          page = await source.list({}, { limit: 1000, cursor: page.nextCursor });
        }
        expect(seen.size).toBe(3000);
        const [one] = (await source.load(['10042'])) as HostRecord[];
        expect((one!.attributes.packages as unknown[]).length).toBe(20);
      } finally {
        await bulk.stop();
      }
    });
  });

  describe('failures', () => {
    it('turns a 500 into a rejected listing, Errors per key and DOWN', async () => {
      fake.failWith = 500;
      const source = make();
      await expect(source.list({}, everything)).rejects.toThrow(/answered 500 \(errorCode 9\): .*JDBC/);
      const loaded = await source.load(['101', '102']);
      expect(loaded.every((slot) => slot instanceof Error)).toBe(true);
      expect(await source.health()).toEqual({ status: 'DOWN', lastError: expect.stringMatching(/count answered 500/), latencyMs: null });
    });

    it('gives up after connection.timeoutMs when the server is slow', async () => {
      fake.delayMs = 2000;
      const source = make({ connection: { url: fake.url, nsPath: '/acme/shop', timeoutMs: 150 } });
      const started = Date.now();
      await expect(source.list({}, everything)).rejects.toThrow('timed out after 150 ms');
      expect((await source.load(['101']))[0]).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(1500);
      // Without connection.timeoutMs, the entry's (the gateway's) timeoutMs applies.
      const fallback = make({ timeoutMs: 120, connection: { url: fake.url, nsPath: '/acme/shop' } });
      await expect(fallback.list({}, everything)).rejects.toThrow('timed out after 120 ms');
    });

    it('stops when the caller aborts', async () => {
      fake.delayMs = 2000;
      const controller = new AbortController();
      const pending = make({ connection: { url: fake.url, nsPath: '/acme/shop', snapshotTtlMs: 0 } }).list({}, everything, controller.signal);
      controller.abort(new Error('client went away'));
      await expect(pending).rejects.toThrow('client went away');
    });
  });
});
