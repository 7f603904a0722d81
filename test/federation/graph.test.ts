// One graph over several sources (issue: federation). A gateway configured with the fake OneOps CMS, the Ansible
// INI fixture and the example static plugin lists Craton's own hosts first, then each source's in config order;
// every host names its source; federated hosts have ids node(id) answers; pages walk across sources; and the
// device filters (sources, name, nameContains, ipAddress, labels, vars, placement ids) work whichever source holds
// the host. The sources file names the plugin and the inventory relative to itself, as an operator would.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
import { makeHost, makeNetworkDevice } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { startFakeOneOps, type FakeOneOps } from '../fakes/oneops/server.js';
import { seedCis, seedRelations } from '../fakes/oneops/seed.js';
import { ANSIBLE_INI, idsByName, makePlaces, names, sourcesFile, STATIC_PLUGIN, type Places, type SourcesFile } from './helpers.js';

// What each source serves, in the order it lists it (OneOps: ciId; Ansible: inventory hostname; static: as
// configured). OneOps: the bom.Compute CIs below /acme/shop, named by ciName; 401 and 501 live elsewhere.
const ONEOPS = ['compute-101-1', 'compute-102-1', 'compute-103-1', 'compute-201-1', 'web-qa-1'];
const ANSIBLE = ['10.0.2.2', 'db1.example.com', 'gateway.example.com', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com'];
const STATIC = ['static-1', 'static-2', 'static-3'];
/** Craton's own hosts, in creation (id) order. */
const REF = ['ref-web-1', 'ref-db-1', 'ref-west-1'];
const ALL = [...REF, ...ONEOPS, ...ANSIBLE, ...STATIC];

const STATIC_HOSTS = [
  { key: 's1', name: 'static-1', ipAddress: '10.9.0.1', labels: ['rack-a', 'lab'], attributes: { rack: 'r1', role: 'db' }, region: 'lab-west' },
  { key: 's2', name: 'static-2', ipAddress: '10.9.0.2', labels: ['lab'], attributes: { role: 'web' } },
  { key: 's3', name: 'static-3' },
];

const HOSTS = `query($first: Int, $after: String, $filter: DeviceFilter) {
  hosts(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name source { name } } }
  }
}`;

describeEachStore('one graph over Craton, OneOps, Ansible and a plugin', (store) => {
  let t: TestGateway;
  let fake: FakeOneOps;
  let file: SourcesFile;
  let places: Places;
  /** The very first request that touched the sources, sent right after start-up. */
  let firstAnswer: GqlResponse;
  /** Every host's global id, by name. */
  let ids: Record<string, string>;

  /** Names of the hosts matching `filter` (one page of 100), checking that totalCount agrees. */
  async function hostNames(filter: Record<string, unknown>): Promise<string[]> {
    const { hosts } = await t.ok(HOSTS, { first: 100, filter });
    expect(hosts.totalCount, `totalCount for ${JSON.stringify(filter)}`).toBe(hosts.edges.length);
    return names(hosts);
  }

  beforeAll(async () => {
    fake = await startFakeOneOps({ cis: seedCis, relations: seedRelations });
    file = sourcesFile();
    file.write([
      {
        name: 'oneops-prod',
        kind: 'oneops',
        project: 'default',
        timeoutMs: 5000,
        cacheTtlMs: 0,
        connection: { url: fake.url, nsPath: '/acme/shop', classes: ['bom.Compute'] },
        placement: { cloud: 'oneops', region: { fromNsPathSegment: 3 }, cell: { fromAttribute: 'availability_zone' } },
      },
      {
        name: 'lab-ansible',
        kind: 'ansible',
        project: 'default',
        connection: { path: file.relative(ANSIBLE_INI) },
        placement: { cloud: 'lab', region: 'lab-east', cell: { fromHostVar: 'cell' } },
      },
      {
        name: 'lab-static',
        kind: 'static',
        module: file.relative(STATIC_PLUGIN),
        project: 'default',
        placement: { cloud: 'lab', region: 'lab-east' },
        hosts: STATIC_HOSTS,
      },
    ]);
    t = await startGateway(store, { env: { CRATON_CONFIG: file.path } });
    // Creating the places the hosts name touches no source, so the next request is still the first that does.
    places = await makePlaces(t, {
      oneops: { prod: ['az-1', 'az-2'], qa: ['az-9'] },
      lab: { 'lab-east': ['c1'], 'lab-west': [] },
    });
    firstAnswer = await t.gql(`{ sources { name } hosts { totalCount } }`);

    const { regions, cells } = places;
    await makeHost(t, { regionId: regions['lab-east']!, cellId: cells.c1, name: 'ref-web-1', ipAddress: '10.50.0.1', labels: ['web', 'canary'], variables: { role: 'web' } });
    await makeHost(t, { regionId: regions.prod!, cellId: cells['az-1'], name: 'ref-db-1', labels: ['pci'], variables: { role: 'db' } });
    await makeHost(t, { regionId: regions['lab-west']!, name: 'ref-west-1' });
    await makeNetworkDevice(t, { regionId: regions['lab-east']!, name: 'ref-switch-1' });
    ids = idsByName((await t.ok(HOSTS, { first: 100 })).hosts);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
    file?.remove();
  });

  it('right after start-up, the first request that asks for sources and hosts together already lists the federated hosts', () => {
    // Sent before any Craton host existed (but after their clouds and regions): every host is a federated one.
    expect(firstAnswer.body.errors, describeResponse(firstAnswer)).toBeUndefined();
    expect(firstAnswer.body.data.sources.map((s: { name: string }) => s.name)).toEqual(['craton', 'oneops-prod', 'lab-ansible', 'lab-static']);
    expect(firstAnswer.body.data.hosts.totalCount, describeResponse(firstAnswer)).toBe(ONEOPS.length + ANSIBLE.length + STATIC.length);
  });

  it("hosts lists Craton's own hosts first, then each source's hosts in config order", async () => {
    const { hosts } = await t.ok(HOSTS, { first: 100 });
    expect(names(hosts)).toEqual(ALL);
    expect(hosts.totalCount).toBe(ALL.length);
    expect(hosts.pageInfo.hasNextPage).toBe(false);
    expect(hosts.edges.map((e: any) => e.node.source.name)).toEqual([
      ...REF.map(() => 'craton'),
      ...ONEOPS.map(() => 'oneops-prod'),
      ...ANSIBLE.map(() => 'lab-ansible'),
      ...STATIC.map(() => 'lab-static'),
    ]);
    expect(new Set(hosts.edges.map((e: any) => e.node.id)).size).toBe(ALL.length);
  });

  it("devices lists the same hosts with Craton's network devices among Craton's own; networkDevices has no federated host", async () => {
    const data = await t.ok(`{
      devices(first: 100) { totalCount edges { node { __typename name } } }
      networkDevices(first: 100) { totalCount edges { node { name } } }
    }`);
    expect(names(data.devices)).toEqual([...REF, 'ref-switch-1', ...ONEOPS, ...ANSIBLE, ...STATIC]);
    expect(data.devices.totalCount).toBe(ALL.length + 1);
    expect(data.devices.edges.filter((e: any) => e.node.__typename !== 'Host').map((e: any) => e.node.name)).toEqual(['ref-switch-1']);
    expect(names(data.networkDevices)).toEqual(['ref-switch-1']);
    expect(data.networkDevices.totalCount).toBe(1);
  });

  it('every host names its source with its kind and status, and the external ones are read-only', async () => {
    const { hosts } = await t.ok(`{ hosts(first: 100) { edges { node { name source { name kind status readOnly } } } } }`);
    const seen = new Map<string, unknown>(hosts.edges.map((e: any) => [e.node.source.name, e.node.source]));
    expect(Object.fromEntries(seen)).toEqual({
      craton: { name: 'craton', kind: 'reference', status: 'UP', readOnly: false },
      'oneops-prod': { name: 'oneops-prod', kind: 'oneops', status: 'UP', readOnly: true },
      'lab-ansible': { name: 'lab-ansible', kind: 'ansible', status: 'UP', readOnly: true },
      'lab-static': { name: 'lab-static', kind: 'static', status: 'UP', readOnly: true },
    });
  });

  it('sources lists the reference store and every configured source in config order, all UP', async () => {
    const { sources } = await t.ok(`{ sources { name kind status lastError latencyMs readOnly } }`);
    expect(sources.map((s: any) => [s.name, s.kind, s.status, s.lastError, s.readOnly])).toEqual([
      ['craton', 'reference', 'UP', null, false],
      ['oneops-prod', 'oneops', 'UP', null, true],
      ['lab-ansible', 'ansible', 'UP', null, true],
      ['lab-static', 'static', 'UP', null, true],
    ]);
    for (const s of sources) expect(typeof s.latencyMs, `${s.name} latencyMs`).toBe('number');
  });

  it("node(id) answers a federated host of each source with the source's data, under the id the listing gave", async () => {
    const data = await t.ok(
      `query($a: ID!, $b: ID!, $c: ID!) {
        a: node(id: $a) { ...H } b: node(id: $b) { ...H } c: node(id: $c) { ...H }
      }
      fragment H on Host { __typename id name ipAddress deviceType active labels variables source { name kind } }`,
      { a: ids['compute-101-1'], b: ids['web04.example.com'], c: ids['static-1'] },
    );
    expect(data.a).toMatchObject({
      __typename: 'Host', id: ids['compute-101-1'], name: 'compute-101-1', ipAddress: '10.1.2.3', deviceType: 'server', active: true,
      labels: ['frontend', 'pci'], source: { name: 'oneops-prod', kind: 'oneops' },
    });
    // OneOps keeps every attribute as a string and JSON inside strings: hashes arrive decoded, numbers do not.
    expect(data.a.variables).toMatchObject({ hostname: 'web-1', cores: '4', config_directives: { listen: [80, 443], tls: { enabled: true } } });
    expect(data.b).toMatchObject({
      id: ids['web04.example.com'], name: 'web04.example.com', ipAddress: '10.0.1.4', labels: ['region_ord', 'web'],
      source: { name: 'lab-ansible', kind: 'ansible' },
    });
    expect(data.b.variables).toMatchObject({ role: 'web', tier: 'frontend', motd: 'hello world', weight: 1.5, enabled: true, http_port: 80 });
    expect(data.c).toEqual({
      __typename: 'Host', id: ids['static-1'], name: 'static-1', ipAddress: '10.9.0.1', deviceType: 'server', active: true,
      labels: ['lab', 'rack-a'], variables: { rack: 'r1', role: 'db' }, source: { name: 'lab-static', kind: 'static' },
    });
  });

  it('a host the source no longer has is null by its id, without an error', async () => {
    const ci = fake.store.cis.get(103)!;
    fake.store.cis.delete(103);
    try {
      const res = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: ids['compute-103-1'] });
      expect(res.body.errors, describeResponse(res)).toBeUndefined();
      expect(res.body.data.node).toBeNull();
    } finally {
      fake.store.putCi(ci);
    }
    expect((await t.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: ids['compute-103-1'] })).node).toEqual({ id: ids['compute-103-1'] });
  });

  it('walking hosts a few at a time visits every host once, in the order of one big page, with the same totalCount on every page', async () => {
    const whole = (await t.ok(HOSTS, { first: 100 })).hosts.edges.map((e: any) => e.node.id);
    for (const first of [1, 2, 4, 7]) {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { hosts } = await t.ok(HOSTS, { first, after });
        pages++;
        expect(hosts.totalCount, `totalCount of page ${pages} (first: ${first})`).toBe(ALL.length);
        expect(hosts.edges.length, `page ${pages} (first: ${first})`).toBe(Math.min(first, ALL.length - seen.length));
        seen.push(...hosts.edges.map((e: any) => e.node.id));
        if (!hosts.pageInfo.hasNextPage) break;
        expect(hosts.pageInfo.endCursor).toBe(hosts.edges.at(-1).cursor);
        after = hosts.pageInfo.endCursor;
        expect(pages, 'too many pages').toBeLessThan(ALL.length + 2);
      }
      expect(seen, `walk with first: ${first}`).toEqual(whole);
      expect(pages).toBe(Math.ceil(ALL.length / first));
    }
  });

  it('a filtered walk across sources also visits every match once', async () => {
    const whole = await hostNames({ nameContains: 'web' });
    expect(whole).toEqual(['ref-web-1', 'web-qa-1', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com']);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const { hosts } = await t.ok(HOSTS, { first: 2, after, filter: { nameContains: 'web' } });
      expect(hosts.totalCount).toBe(whole.length);
      seen.push(...names(hosts));
      if (!hosts.pageInfo.hasNextPage) break;
      after = hosts.pageInfo.endCursor;
    }
    expect(seen).toEqual(whole);
  });

  it('filter.sources narrows the list to the named sources, Craton included by its name', async () => {
    expect(await hostNames({ sources: ['lab-ansible'] })).toEqual(ANSIBLE);
    expect(await hostNames({ sources: ['lab-static', 'craton'] })).toEqual([...REF, ...STATIC]);
    expect(await hostNames({ sources: ['oneops-prod', 'lab-static'] })).toEqual([...ONEOPS, ...STATIC]);
    expect(await hostNames({ sources: ['oneops-prod'], nameContains: 'qa' })).toEqual(['web-qa-1']);
    const { devices } = await t.ok(`{ devices(filter: { sources: ["lab-static"] }) { totalCount edges { node { name } } } }`);
    expect(names(devices)).toEqual(STATIC);
  });

  it('filter.sources with a name no source has is refused, naming it', async () => {
    const res = await t.gql(HOSTS, { filter: { sources: ['netbox'] } });
    expect(codeOf(res), describeResponse(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.message).toContain('netbox');
  });

  it('name, nameContains, ipAddress and active find hosts whichever source holds them', async () => {
    expect(await hostNames({ name: 'web02.example.com' })).toEqual(['web02.example.com']);
    expect(await hostNames({ name: 'static-2' })).toEqual(['static-2']);
    expect(await hostNames({ name: 'compute-201-1' })).toEqual(['compute-201-1']);
    expect(await hostNames({ nameContains: 'WEB0' })).toEqual(['web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com']);
    expect(await hostNames({ nameContains: '-1' })).toEqual(['ref-web-1', 'ref-db-1', 'ref-west-1', 'compute-101-1', 'compute-102-1', 'compute-103-1', 'compute-201-1', 'web-qa-1', 'static-1']);
    expect(await hostNames({ ipAddress: '203.0.113.10' })).toEqual(['compute-102-1']);
    expect(await hostNames({ ipAddress: '10.0.2.2' })).toEqual(['10.0.2.2']);
    expect(await hostNames({ ipAddress: '10.9.0.1' })).toEqual(['static-1']);
    expect(await hostNames({ ipAddress: '10.50.0.1' })).toEqual(['ref-web-1']);
    expect(await hostNames({ ipAddress: '192.0.2.99' })).toEqual([]);
    // compute-103-1 is pending_deletion in OneOps.
    expect(await hostNames({ active: false })).toEqual(['compute-103-1']);
  });

  it("labels requires every given label, counting the source's labels and labels added in Craton alike", async () => {
    await t.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["canary"]) { labels } }`, { id: ids['web01.example.com'] });
    const added = await t.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["canary", "web"]) { labels } }`, { id: ids['static-3'] });
    expect(added.addLabels.labels).toEqual(['canary', 'web']);

    expect(await hostNames({ labels: ['web'] })).toEqual(['ref-web-1', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com', 'static-3']);
    expect(await hostNames({ labels: ['web', 'canary'] })).toEqual(['ref-web-1', 'web01.example.com', 'static-3']);
    expect(await hostNames({ labels: ['canary'] })).toEqual(['ref-web-1', 'web01.example.com', 'static-3']);
    expect(await hostNames({ labels: ['frontend', 'pci'] })).toEqual(['compute-101-1']);
    expect(await hostNames({ labels: ['pci'] })).toEqual(['ref-db-1', 'compute-101-1', 'compute-201-1']);
    expect(await hostNames({ labels: ['db', 'region_ord'] })).toEqual(['10.0.2.2', 'db1.example.com']);
    expect(await hostNames({ labels: ['lab', 'rack-a'] })).toEqual(['static-1']);
    expect(await hostNames({ labels: ['lab', 'pci'] })).toEqual([]);
    expect(await hostNames({ labels: ['canary'], sources: ['lab-ansible'] })).toEqual(['web01.example.com']);
  });

  it('vars matches resolved variables, so federated hosts match what they inherit from Craton and what Craton overlays', async () => {
    await t.ok(`mutation($id: ID!) { setVariables(id: $id, values: { patch_window: "sun-02" }) { id } }`, { id: places.clouds.lab });
    const inLab = ['ref-web-1', 'ref-west-1', ...ANSIBLE, ...STATIC];
    expect(await hostNames({ vars: 'patch_window:"sun-02"' })).toEqual(inLab);
    expect(await hostNames({ vars: 'patch_window:"sun-02"', resolved: false })).toEqual([]);

    // Source attributes are the host's own variables.
    const webs = ['web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com'];
    expect(await hostNames({ vars: 'role:"web"' })).toEqual(['ref-web-1', ...webs, 'static-2']);
    expect(await hostNames({ vars: 'role:"web"', resolved: false })).toEqual(['ref-web-1', ...webs, 'static-2']);
    expect(await hostNames({ vars: 'role:"web",tier:"frontend"' })).toEqual(webs);
    expect(await hostNames({ vars: 'tags.owner:"web"' })).toEqual(['compute-101-1', 'compute-102-1']);
    expect(await hostNames({ vars: 'http_port:8080' })).toEqual(['web01.example.com', 'web02.example.com', 'web03.example.com']);

    // An overlay value wins over the source's (default precedence) and counts as the host's own.
    await t.ok(`mutation($id: ID!) { setVariables(id: $id, values: { role: "cache" }) { id } }`, { id: ids['static-2'] });
    await t.ok(`mutation($id: ID!) { setVariables(id: $id, values: { role: "web" }) { id } }`, { id: ids['static-3'] });
    expect(await hostNames({ vars: 'role:"web"' })).toEqual(['ref-web-1', ...webs, 'static-3']);
    expect(await hostNames({ vars: 'role:"cache"', resolved: false })).toEqual(['static-2']);
    expect(await hostNames({ vars: 'role:"web"', sources: ['lab-static'] })).toEqual(['static-3']);
  });

  it("a federated host's cloud, region and cell are the Craton objects its placement names", async () => {
    const { hosts } = await t.ok(`{ hosts(first: 100) { edges { node { name source { name }
      cloud { id name } region { id name cloud { id } } cell { id name region { id } } } } } }`);
    const { clouds, regions, cells } = places;
    const want: Record<string, [string, string, string | null]> = {
      'compute-101-1': ['oneops', 'prod', 'az-1'],
      'compute-102-1': ['oneops', 'prod', 'az-2'],
      'compute-103-1': ['oneops', 'prod', 'az-1'],
      'compute-201-1': ['oneops', 'prod', 'az-1'],
      'web-qa-1': ['oneops', 'qa', 'az-9'],
      '10.0.2.2': ['lab', 'lab-east', null],
      'db1.example.com': ['lab', 'lab-east', null],
      'gateway.example.com': ['lab', 'lab-east', null],
      'web01.example.com': ['lab', 'lab-east', 'c1'],
      'web02.example.com': ['lab', 'lab-east', 'c1'],
      'web03.example.com': ['lab', 'lab-east', 'c1'],
      'web04.example.com': ['lab', 'lab-east', 'c1'],
      'static-1': ['lab', 'lab-west', null],
      'static-2': ['lab', 'lab-east', null],
      'static-3': ['lab', 'lab-east', null],
    };
    const federated = hosts.edges.map((e: any) => e.node).filter((n: any) => n.source.name !== 'craton');
    expect(federated.map((n: any) => n.name)).toEqual(Object.keys(want));
    for (const n of federated) {
      const [cloud, region, cell] = want[n.name]!;
      expect(n.cloud, n.name).toEqual({ id: clouds[cloud], name: cloud });
      expect(n.region, n.name).toEqual({ id: regions[region], name: region, cloud: { id: clouds[cloud] } });
      expect(n.cell, n.name).toEqual(cell === null ? null : { id: cells[cell], name: cell, region: { id: regions[region] } });
    }
  });

  it('cloudId, regionId and cellId filters find federated hosts by the Craton objects they are placed in', async () => {
    const { clouds, regions, cells } = places;
    expect(await hostNames({ regionId: regions.prod })).toEqual(['ref-db-1', 'compute-101-1', 'compute-102-1', 'compute-103-1', 'compute-201-1']);
    expect(await hostNames({ cellId: cells['az-9'] })).toEqual(['web-qa-1']);
    expect(await hostNames({ cellId: cells.c1 })).toEqual(['ref-web-1', 'web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com']);
    expect(await hostNames({ regionId: regions['lab-west'] })).toEqual(['ref-west-1', 'static-1']);
    expect(await hostNames({ cloudId: clouds.oneops })).toEqual(['ref-db-1', ...ONEOPS]);
  });
});
