// A source that is down costs its own data, never the whole answer (issue: failures). OneOps sits behind a
// forwarder that can really go away (connection refused) and come back on the same port; the fake itself can
// answer 500 or too slowly. Ansible reads a copy of the INI fixture that a test breaks and fixes again. In every
// case the other sources keep answering, the failing one is reported as SOURCE_UNAVAILABLE naming it (never as
// an internal error), writes to its hosts are refused without writing anything, and all is well once it is back.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeResponse, startGateway, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
import { makeHost } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { startFakeOneOps, type FakeOneOps } from '../fakes/oneops/server.js';
import { seedCis, seedRelations } from '../fakes/oneops/seed.js';
import { ANSIBLE_INI, idsByName, makePlaces, names, sourcesFile, STATIC_PLUGIN, switchable, unavailable, type SourcesFile, type Switchable } from './helpers.js';

const REF = ['ref-1', 'ref-2'];
const ONEOPS = ['compute-101-1', 'compute-102-1', 'compute-103-1', 'compute-201-1', 'web-qa-1'];
const ANSIBLE = ['10.0.2.2', 'db1.example.com', 'gateway.example.com', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com'];
const STATIC = ['static-1'];
const ALL = [...REF, ...ONEOPS, ...ANSIBLE, ...STATIC];
/** Circuit-breaker cooldown in this file: after a recovery, waiting this long lets the next call probe the source. */
const COOLDOWN_MS = 100;
const afterCooldown = () => new Promise((r) => setTimeout(r, COOLDOWN_MS * 2));
/** OneOps's per-call timeout in this file; the slow fake answers well after it. */
const TIMEOUT_MS = 500;

const HOSTS = `query($filter: DeviceFilter) {
  hosts(first: 100, filter: $filter) { totalCount edges { node { id name source { name status } cloud { name } region { name } } } }
}`;
const SOURCES = `{ sources { name status lastError } }`;

describeEachStore('a source that fails', (store) => {
  let t: TestGateway;
  let fake: FakeOneOps;
  let cms: Switchable;
  let file: SourcesFile;
  let inventory: string;
  let ids: Record<string, string>;

  const setVars = (id: string, values: Record<string, unknown>) => t.gql(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id, v: values });
  const addLabels = (id: string, labels: string[]) => t.gql(`mutation($id: ID!, $l: [String!]!) { addLabels(id: $id, labels: $l) { id } }`, { id, l: labels });
  const nodeOf = (id: string) => t.gql(`query($id: ID!) { node(id: $id) { id ... on Host { name variables labels } } }`, { id });
  /** The change history of an object, newest first: before and after of each change. */
  const historyOf = async (id: string): Promise<Array<{ before: unknown; after: unknown }>> =>
    (await t.ok(`query($id: ID) { changes(objectId: $id, first: 100) { edges { node { before after } } } }`, { id })).changes.edges.map((e: any) => e.node);
  const sourcesNow = async () => Object.fromEntries((await t.ok(SOURCES)).sources.map((s: any) => [s.name, s]));

  /** Exactly one error, SOURCE_UNAVAILABLE, naming `source`; never INTERNAL_SERVER_ERROR. */
  function expectOneUnavailable(res: GqlResponse, source: string): void {
    const errors = res.body.errors ?? [];
    expect(errors.map((e) => e.extensions?.code), describeResponse(res)).toEqual(['SOURCE_UNAVAILABLE']);
    expect(errors[0]!.extensions?.source, describeResponse(res)).toBe(source);
    expect(errors[0]!.message).toContain(`'${source}'`);
  }

  /** Everything answers again, with no error at all. */
  async function expectAllWell(): Promise<void> {
    const res = await t.gql(HOSTS);
    expect(res.body.errors, describeResponse(res)).toBeUndefined();
    expect(names(res.body.data.hosts)).toEqual(ALL);
    expect(res.body.data.hosts.totalCount).toBe(ALL.length);
    const sources = await sourcesNow();
    for (const name of ['craton', 'oneops-prod', 'lab-ansible', 'lab-static']) expect(sources[name], name).toMatchObject({ status: 'UP', lastError: null });
  }

  beforeAll(async () => {
    fake = await startFakeOneOps({ cis: seedCis, relations: seedRelations });
    cms = await switchable(fake.url);
    file = sourcesFile();
    mkdirSync(join(file.dir, 'inventory'));
    inventory = join(file.dir, 'inventory', 'hosts.ini');
    copyFileSync(ANSIBLE_INI, inventory);
    file.write([
      {
        name: 'oneops-prod',
        kind: 'oneops',
        project: 'default',
        timeoutMs: TIMEOUT_MS,
        cacheTtlMs: 0,
        circuitBreaker: { failures: 3, cooldownMs: COOLDOWN_MS },
        // No snapshot either: every listing asks the CMS, so an outage shows at once.
        connection: { url: cms.url, nsPath: '/acme/shop', snapshotTtlMs: 0 },
        placement: { cloud: 'oneops', region: { fromNsPathSegment: 3 } },
      },
      { name: 'lab-ansible', kind: 'ansible', project: 'default', cacheTtlMs: 0, circuitBreaker: { failures: 3, cooldownMs: COOLDOWN_MS }, connection: { path: 'inventory/hosts.ini' }, placement: { cloud: 'lab', region: 'lab-east' } },
      {
        name: 'lab-static',
        kind: 'static',
        module: file.relative(STATIC_PLUGIN),
        project: 'default',
        placement: { cloud: 'lab', region: 'lab-east' },
        hosts: [{ key: 's1', name: 'static-1' }],
      },
    ]);
    t = await startGateway(store, { env: { CRATON_CONFIG: file.path } });
    const places = await makePlaces(t, { oneops: { prod: [], qa: [] }, lab: { 'lab-east': [] } });
    for (const name of REF) await makeHost(t, { regionId: places.regions['lab-east']!, name });
    ids = idsByName((await t.ok(HOSTS)).hosts);
    await expectAllWell();
  });
  afterAll(async () => {
    await t?.stop();
    await cms?.close();
    await fake?.stop();
    file?.remove();
  });

  const outages: Array<[string, string, () => Promise<void>, () => Promise<void>]> = [
    ['is stopped', 'stopped', () => cms.down(), async () => { await cms.up(); await afterCooldown(); }],
    ['answers HTTP 500', 'http500', async () => void (fake.failWith = 500), async () => { fake.failWith = null; await afterCooldown(); }],
    [`answers later than its timeoutMs (${TIMEOUT_MS} ms)`, 'slow', async () => void (fake.delayMs = TIMEOUT_MS * 3), async () => { fake.delayMs = 0; await afterCooldown(); }],
  ];

  describe.each(outages)('while OneOps %s', (_how, tag, fail, recover) => {
    /** The variable (and, with `-`, the label) the refused writes try to add; it must never appear. */
    const refusedKey = `refused_${tag}`;
    beforeAll(async () => {
      await fail();
    });
    afterAll(async () => {
      await recover();
    });

    it('hosts and devices still list the Craton, Ansible and plugin hosts, with one SOURCE_UNAVAILABLE error naming OneOps', async () => {
      const res = await t.gql(HOSTS);
      expect(res.status).toBe(200);
      expectOneUnavailable(res, 'oneops-prod');
      expect(names(res.body.data.hosts)).toEqual([...REF, ...ANSIBLE, ...STATIC]);
      expect(res.body.data.hosts.totalCount).toBe(REF.length + ANSIBLE.length + STATIC.length);
      const statuses = new Set(res.body.data.hosts.edges.map((e: any) => `${e.node.source.name}:${e.node.source.status}`));
      expect([...statuses]).toEqual(['craton:UP', 'lab-ansible:UP', 'lab-static:UP']);

      const devices = await t.gql(`{ devices(first: 100) { totalCount edges { node { name } } } }`);
      expectOneUnavailable(devices, 'oneops-prod');
      expect(names(devices.body.data.devices)).toEqual([...REF, ...ANSIBLE, ...STATIC]);
    });

    it('a list of only OneOps hosts is empty, with the SOURCE_UNAVAILABLE error saying why', async () => {
      const res = await t.gql(HOSTS, { filter: { sources: ['oneops-prod'] } });
      expectOneUnavailable(res, 'oneops-prod');
      expect(res.body.data.hosts).toEqual({ totalCount: 0, edges: [] });
    });

    it('sources shows OneOps DOWN with its last error while the others stay UP', async () => {
      const sources = await sourcesNow();
      expect(sources['oneops-prod'].status).toBe('DOWN');
      expect(sources['oneops-prod'].lastError).toEqual(expect.any(String));
      expect(sources['oneops-prod'].lastError.length).toBeGreaterThan(0);
      for (const name of ['craton', 'lab-ansible', 'lab-static']) expect(sources[name], name).toMatchObject({ status: 'UP', lastError: null });
    });

    it('node(id) of a OneOps host answers SOURCE_UNAVAILABLE naming the source, not an internal error; other hosts still answer', async () => {
      const res = await nodeOf(ids['compute-101-1']!);
      expectOneUnavailable(res, 'oneops-prod');
      expect(res.body.data).toEqual({ node: null });
      const other = await nodeOf(ids['web01.example.com']!);
      expect(other.body.errors, describeResponse(other)).toBeUndefined();
      expect(other.body.data.node.name).toBe('web01.example.com');
    });

    it('setVariables and addLabels on a OneOps host answer SOURCE_UNAVAILABLE and write nothing', async () => {
      const id = ids['compute-102-1']!;
      for (const res of [await setVars(id, { [refusedKey]: true }), await addLabels(id, [refusedKey.replace('_', '-')])]) {
        expectOneUnavailable(res, 'oneops-prod');
        expect(res.body.data ?? null).toBeNull();
      }
      // Craton's own store answers the history without asking the source: no trace of either write.
      expect(JSON.stringify(await historyOf(id))).not.toContain(refusedKey.replace('_', '-'));
      expect(JSON.stringify(await historyOf(id))).not.toContain(refusedKey);
    });

    it('once OneOps is back, its hosts, node(id), writes and status are all back, and the refused writes left no trace', async () => {
      await recover();
      await expectAllWell();
      const id = ids['compute-102-1']!;
      const res = await nodeOf(id);
      expect(res.body.errors, describeResponse(res)).toBeUndefined();
      expect(res.body.data.node.name).toBe('compute-102-1');
      expect(res.body.data.node.variables).not.toHaveProperty(refusedKey);
      expect(res.body.data.node.labels).toEqual(['frontend']);

      const marker = `after_${refusedKey}`;
      const set = await setVars(id, { [marker]: 1 });
      expect(set.body.errors, describeResponse(set)).toBeUndefined();
      expect((await nodeOf(id)).body.data.node.variables).toHaveProperty(marker, 1);
      await t.ok(`mutation($id: ID!, $k: [String!]!) { deleteVariables(id: $id, keys: $k) { id } }`, { id, k: [marker] });
      const trail = await historyOf(id);
      expect(trail.filter((c) => JSON.stringify(c).includes(refusedKey))).toEqual([
        { before: { variables: { [marker]: 1 } }, after: { variables: { [marker]: null } } },
        { before: { variables: { [marker]: null } }, after: { variables: { [marker]: 1 } } },
      ]);
    });
  });

  describe('while the Ansible inventory does not parse', () => {
    let good: string;
    beforeAll(() => {
      good = readFileSync(inventory, 'utf8');
      // A vars section line without `=`.
      writeFileSync(inventory, `${good.trimEnd()}\n\n[web:vars]\nthis line assigns nothing\n`);
    });
    afterAll(async () => {
      writeFileSync(inventory, good);
      await afterCooldown();
    });

    it('hosts lists the Craton, OneOps and plugin hosts, with one SOURCE_UNAVAILABLE error naming the Ansible source', async () => {
      const res = await t.gql(HOSTS);
      expectOneUnavailable(res, 'lab-ansible');
      expect(names(res.body.data.hosts)).toEqual([...REF, ...ONEOPS, ...STATIC]);
      expect(res.body.data.hosts.totalCount).toBe(REF.length + ONEOPS.length + STATIC.length);
    });

    it('sources shows the Ansible source DOWN with the file and line that do not parse; the others stay UP', async () => {
      const sources = await sourcesNow();
      expect(sources['lab-ansible'].status).toBe('DOWN');
      expect(sources['lab-ansible'].lastError).toMatch(/hosts\.ini:\d+: .*key=value/);
      for (const name of ['craton', 'oneops-prod', 'lab-static']) expect(sources[name], name).toMatchObject({ status: 'UP', lastError: null });
    });

    it('node(id) of an Ansible host answers SOURCE_UNAVAILABLE naming the source', async () => {
      const res = await nodeOf(ids['web01.example.com']!);
      expectOneUnavailable(res, 'lab-ansible');
      expect(res.body.data).toEqual({ node: null });
    });

    it('once the file is fixed, the Ansible hosts are back', async () => {
      writeFileSync(inventory, good);
      await afterCooldown();
      await expectAllWell();
    });
  });

  it('two sources down at once cost exactly their two parts, each named in its own error', async () => {
    const good = readFileSync(inventory, 'utf8');
    await cms.down();
    writeFileSync(inventory, `${good}\n[broken:nonsense]\n`);
    try {
      const res = await t.gql(HOSTS);
      expect(unavailable(res).map((e) => e.extensions?.source).sort(), describeResponse(res)).toEqual(['lab-ansible', 'oneops-prod']);
      expect(res.body.errors).toHaveLength(2);
      expect(names(res.body.data.hosts)).toEqual([...REF, ...STATIC]);
    } finally {
      await cms.up();
      writeFileSync(inventory, good);
      await afterCooldown();
    }
    await expectAllWell();
  });
  it('hosts placed in a region Craton does not have are left out with a SOURCE_UNAVAILABLE error, the rest still listed', async () => {
    // Deleting OneOps's 'qa' region leaves web-qa-1 without a place; everything else must still arrive.
    const qa = (await t.ok(`{ regions(name: "qa") { edges { node { id } } } }`)).regions.edges[0].node.id;
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: qa });
    try {
      const res = await t.gql(HOSTS);
      expectOneUnavailable(res, 'oneops-prod');
      expect(res.body.errors![0]!.message).toContain("region 'qa'");
      expect(names(res.body.data.hosts)).toEqual(ALL.filter((n) => n !== 'web-qa-1'));
    } finally {
      const cloud = (await t.ok(`{ clouds(name: "oneops") { edges { node { id } } } }`)).clouds.edges[0].node.id;
      await t.ok(`mutation($c: ID!) { createRegion(input: { cloudId: $c, name: "qa" }) { id } }`, { c: cloud });
    }
    await expectAllWell();
  });
});
