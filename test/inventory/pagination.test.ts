// Relay pagination over 250 hosts (cursors, totalCount, page limits) and every DeviceFilter condition,
// checked against the same predicates applied to the data set in the test.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  makeCell,
  makeCloud,
  makeHosts,
  makeNetworkDevice,
  makeProjectWithUser,
  makeRegion,
  type HostInput,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

const HOSTS = 250;

/** What host i of the data set looks like; parents are hosts 0..49 (created first), same region. */
interface Spec {
  i: number;
  name: string;
  region: 'r1' | 'r2';
  cell: 'c1a' | 'c1b' | 'c2a' | null;
  labels: string[];
  deviceType: string;
  active: boolean;
  ipAddress: string;
  parent: number | null;
}

function spec(i: number): Spec {
  const region = i % 2 === 0 ? 'r1' : 'r2';
  const cell = region === 'r1' ? (i % 4 === 0 ? 'c1a' : 'c1b') : i % 3 === 0 ? 'c2a' : null;
  const labels = [
    ...(i % 3 === 0 ? ['fizz'] : []),
    ...(i % 5 === 0 ? ['buzz'] : []),
    ...(i % 7 === 0 ? ['lucky'] : []),
    'all',
  ];
  return {
    i,
    name: `Host-${String(i).padStart(3, '0')}`,
    region,
    cell,
    labels,
    deviceType: i % 10 === 0 ? 'vm' : 'server',
    active: i % 6 !== 0,
    ipAddress: `10.${Math.floor(i / 100)}.${i % 100}.1`,
    parent: i >= 50 && i % 10 === 5 ? i % 50 : null,
  };
}

const specs = Array.from({ length: HOSTS }, (_, i) => spec(i));

describeEachStore('device lists and pagination', (store) => {
  let root: TestGateway;
  let t: TestGateway;
  const ids = new Map<string, string>(); // name or key → id
  const nameOfId = new Map<string, string>();

  beforeAll(async () => {
    root = await startGateway(store);
    const op = await makeProjectWithUser(root, 'OPERATOR');
    t = root.as({ key: op.key });
    const cloud = await makeCloud(t, 'cloud');
    const r1 = await makeRegion(t, { cloudId: cloud.id, name: 'r1' });
    const r2 = await makeRegion(t, { cloudId: cloud.id, name: 'r2' });
    const cells = {
      c1a: (await makeCell(t, { regionId: r1.id, name: 'c1a' })).id,
      c1b: (await makeCell(t, { regionId: r1.id, name: 'c1b' })).id,
      c2a: (await makeCell(t, { regionId: r2.id, name: 'c2a' })).id,
    };
    ids.set('cloud', cloud.id).set('r1', r1.id).set('r2', r2.id);
    for (const [k, v] of Object.entries(cells)) ids.set(k, v);

    const input = (s: Spec): HostInput => ({
      regionId: s.region === 'r1' ? r1.id : r2.id,
      ...(s.cell ? { cellId: cells[s.cell] } : {}),
      ...(s.parent !== null ? { parentId: ids.get(specs[s.parent]!.name)! } : {}),
      name: s.name,
      labels: s.labels,
      ipAddress: s.ipAddress,
      ...(s.deviceType !== 'server' ? { deviceType: s.deviceType } : {}),
      ...(s.active ? {} : { active: false }),
    });
    // Parents (hosts 0..49) first, so the children can name them.
    for (const batch of [specs.slice(0, 50), specs.slice(50)]) {
      const made = await makeHosts(t, batch.map(input), {}, 50);
      for (const h of made) {
        ids.set(h.name, h.id);
        nameOfId.set(h.id, h.name);
      }
    }
    // Network devices that must show up in devices/networkDevices but never in hosts.
    for (const n of ['switch-1', 'switch-2', 'switch-3']) {
      const nd = await makeNetworkDevice(t, { regionId: r1.id, name: n, labels: ['fizz', 'buzz', 'all'], deviceType: 'vm' });
      ids.set(n, nd.id);
      nameOfId.set(nd.id, n);
    }
  });
  afterAll(async () => {
    await root?.stop();
  });

  /** Walks a host list page by page; returns the names in order and checks every page's bookkeeping. */
  async function walk(filter: Record<string, unknown> | undefined, pageSize: number, field = 'hosts') {
    const names: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let total: number | undefined;
    for (;;) {
      const data: any = await t.ok(
        `query($first: Int, $after: String, $filter: DeviceFilter) {
          ${field}(first: $first, after: $after, filter: $filter) {
            totalCount
            edges { cursor node { id name } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }`,
        { first: pageSize, after, filter },
      );
      const conn = data[field];
      pages++;
      if (total === undefined) total = conn.totalCount;
      expect(conn.totalCount, `totalCount on page ${pages}`).toBe(total);
      expect(conn.edges.length).toBeLessThanOrEqual(pageSize);
      expect(conn.pageInfo.hasPreviousPage, `hasPreviousPage on page ${pages}`).toBe(after !== null);
      if (conn.edges.length > 0) {
        expect(conn.pageInfo.startCursor).toBe(conn.edges[0].cursor);
        expect(conn.pageInfo.endCursor).toBe(conn.edges[conn.edges.length - 1].cursor);
      }
      for (const e of conn.edges) {
        expect(typeof e.cursor).toBe('string');
        names.push(e.node.name);
      }
      if (!conn.pageInfo.hasNextPage) break;
      expect(conn.edges.length, `a page with hasNextPage is full (page ${pages})`).toBe(pageSize);
      after = conn.pageInfo.endCursor;
      expect(pages, 'page walk terminates').toBeLessThan(1000);
    }
    return { names, total: total!, pages };
  }

  function expected(pred: (s: Spec) => boolean): string[] {
    return specs.filter(pred).map((s) => s.name).sort();
  }

  it('walks 250 hosts in pages of 40 with no duplicates, no gaps and a constant totalCount', async () => {
    const { names, total, pages } = await walk(undefined, 40);
    expect(total).toBe(HOSTS);
    expect(pages).toBe(Math.ceil(HOSTS / 40));
    expect(new Set(names).size, 'no duplicates').toBe(names.length);
    expect([...names].sort()).toEqual(expected(() => true));
  });

  it('returns the same order whatever the page size', async () => {
    const small = await walk(undefined, 7);
    const large = await walk(undefined, 100);
    const all = await walk(undefined, 1000);
    expect(all.pages).toBe(1);
    expect(small.names).toEqual(all.names);
    expect(large.names).toEqual(all.names);
  });

  it('defaults to pages of 100', async () => {
    const data = await t.ok(`{ hosts { totalCount edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(data.hosts.totalCount).toBe(HOSTS);
    expect(data.hosts.edges).toHaveLength(100);
    expect(data.hosts.pageInfo.hasNextPage).toBe(true);
  });

  it('accepts first: 1000 and refuses first: 1001 with BAD_USER_INPUT on every list', async () => {
    const ok = await t.ok(`{ hosts(first: 1000) { edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(ok.hosts.edges).toHaveLength(HOSTS);
    expect(ok.hosts.pageInfo.hasNextPage).toBe(false);
    for (const list of ['hosts', 'devices', 'networkDevices', 'clouds', 'regions', 'cells', 'networks', 'labels', 'projects']) {
      const res = await t.gql(`{ ${list}(first: 1001) { totalCount } }`);
      expect(codeOf(res), `${list}(first: 1001): ${describeResponse(res)}`).toBe('BAD_USER_INPUT');
    }
  });

  it('refuses a cursor it did not issue without an internal error', async () => {
    for (const after of ['garbage', 'Y3Vyc29yOjk5OTk5OQ==', '']) {
      const res = await t.gql(`query($a: String) { hosts(first: 5, after: $a) { edges { node { id } } } }`, { a: after });
      if (res.body.errors?.length) {
        expect(codeOf(res), `after ${JSON.stringify(after)}: ${describeResponse(res)}`).toBe('BAD_USER_INPUT');
      }
    }
  });

  it('answers an empty page after the last cursor', async () => {
    const all = await t.ok(`{ hosts(first: 1000) { pageInfo { endCursor } } }`);
    const res = await t.ok(`query($a: String) { hosts(first: 10, after: $a) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`, {
      a: all.hosts.pageInfo.endCursor,
    });
    expect(res.hosts.edges).toEqual([]);
    expect(res.hosts.totalCount).toBe(HOSTS);
    expect(res.hosts.pageInfo.hasNextPage).toBe(false);
  });

  it('keeps a page walk gapless when hosts already seen are deleted mid-walk', async () => {
    // A separate set of hosts in a project of its own, so the main data set is untouched.
    const w = root.as({ key: (await makeProjectWithUser(root, 'OPERATOR')).key });
    const region = await makeRegion(w, { cloudId: (await makeCloud(w, 'walk')).id, name: 'walk' });
    const made = await makeHosts(
      w,
      Array.from({ length: 30 }, (_, i) => ({ regionId: region.id, name: `walk-${String(i).padStart(2, '0')}` })),
    );
    const filter = { regionId: region.id };
    const q = `query($after: String, $filter: DeviceFilter) {
      hosts(first: 10, after: $after, filter: $filter) { edges { node { id name } } pageInfo { hasNextPage endCursor } }
    }`;
    const seen: string[] = [];
    let page = (await w.ok(q, { after: null, filter })).hosts;
    seen.push(...page.edges.map((e: any) => e.node.name));
    // Delete two hosts already seen; cursor-based pages must not shift.
    for (const name of seen.slice(0, 2)) {
      await w.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: made.find((m) => m.name === name)!.id });
    }
    while (page.pageInfo.hasNextPage) {
      page = (await w.ok(q, { after: page.pageInfo.endCursor, filter })).hosts;
      seen.push(...page.edges.map((e: any) => e.node.name));
    }
    expect(new Set(seen).size, 'no duplicates').toBe(seen.length);
    expect([...seen].sort()).toEqual(made.map((m) => m.name).sort());
  });

  it('filters by all-of labels, with totalCount and pagination over the filtered set', async () => {
    const both = await walk({ labels: ['fizz', 'buzz'] }, 5);
    expect(both.total).toBe(expected((s) => s.i % 15 === 0).length);
    expect([...both.names].sort()).toEqual(expected((s) => s.i % 15 === 0));

    const three = await walk({ labels: ['lucky', 'buzz', 'fizz'] }, 100);
    expect([...three.names].sort()).toEqual(expected((s) => s.i % 105 === 0));

    const one = await walk({ labels: ['lucky'] }, 1000);
    expect([...one.names].sort()).toEqual(expected((s) => s.i % 7 === 0));

    const none = await walk({ labels: ['fizz', 'no-such-label'] }, 10);
    expect(none).toMatchObject({ total: 0, names: [] });

    const devices = await walk({ labels: ['fizz', 'buzz'] }, 1000, 'devices');
    expect([...devices.names].sort()).toEqual([...expected((s) => s.i % 15 === 0), 'switch-1', 'switch-2', 'switch-3'].sort());
  });

  it('filters by cloud, region, cell and parent', async () => {
    const cases: Array<[string, Record<string, unknown>, (s: Spec) => boolean]> = [
      ['cloudId', { cloudId: ids.get('cloud') }, () => true],
      ['regionId r1', { regionId: ids.get('r1') }, (s) => s.region === 'r1'],
      ['regionId r2', { regionId: ids.get('r2') }, (s) => s.region === 'r2'],
      ['cellId c1a', { cellId: ids.get('c1a') }, (s) => s.cell === 'c1a'],
      ['cellId c2a', { cellId: ids.get('c2a') }, (s) => s.cell === 'c2a'],
      ['parentId Host-005', { parentId: ids.get('Host-005') }, (s) => s.parent === 5],
      ['parentId Host-001 (no children)', { parentId: ids.get('Host-001') }, () => false],
      ['regionId + cellId', { regionId: ids.get('r1'), cellId: ids.get('c1b') }, (s) => s.cell === 'c1b'],
    ];
    for (const [what, filter, pred] of cases) {
      const { names, total } = await walk(filter, 60);
      expect([...names].sort(), what).toEqual(expected(pred));
      expect(total, `${what} totalCount`).toBe(expected(pred).length);
    }
  });

  it('filters by exact name, case-insensitive name substring, deviceType, active and ipAddress', async () => {
    const cases: Array<[string, Record<string, unknown>, (s: Spec) => boolean]> = [
      ['name', { name: 'Host-042' }, (s) => s.i === 42],
      ['name is exact', { name: 'Host-04' }, () => false],
      ['nameContains upper case', { nameContains: 'HOST-00' }, (s) => s.i < 10],
      ['nameContains lower case', { nameContains: 'st-24' }, (s) => s.i >= 240 && s.i < 250],
      ['deviceType vm', { deviceType: 'vm' }, (s) => s.deviceType === 'vm'],
      ['deviceType server', { deviceType: 'server' }, (s) => s.deviceType === 'server'],
      ['active false', { active: false }, (s) => !s.active],
      ['active true', { active: true }, (s) => s.active],
      ['ipAddress', { ipAddress: '10.1.23.1' }, (s) => s.i === 123],
      [
        'everything at once',
        { regionId: ids.get('r1'), labels: ['fizz'], active: true, deviceType: 'server', nameContains: 'host-1' },
        (s) => s.region === 'r1' && s.i % 3 === 0 && s.active && s.deviceType === 'server' && s.name.startsWith('Host-1'),
      ],
    ];
    for (const [what, filter, pred] of cases) {
      const { names, total } = await walk(filter, 60);
      expect([...names].sort(), what).toEqual(expected(pred));
      expect(total, `${what} totalCount`).toBe(expected(pred).length);
    }
  });

  it('lists hosts only in hosts, network devices only in networkDevices, and both in devices', async () => {
    const hosts = await walk(undefined, 1000, 'hosts');
    expect(hosts.names.filter((n) => n.startsWith('switch-'))).toEqual([]);
    const nds = await walk(undefined, 1000, 'networkDevices');
    expect([...nds.names].sort()).toEqual(['switch-1', 'switch-2', 'switch-3']);
    const devices = await walk(undefined, 1000, 'devices');
    expect(devices.total).toBe(HOSTS + 3);
    const vms = await walk({ deviceType: 'vm' }, 1000, 'devices');
    expect([...vms.names].sort()).toEqual([...expected((s) => s.deviceType === 'vm'), 'switch-1', 'switch-2', 'switch-3'].sort());
    const typed = await t.ok(`{ devices(first: 1000) { edges { node { __typename name } } } }`);
    for (const e of typed.devices.edges) {
      expect(e.node.__typename, e.node.name).toBe(e.node.name.startsWith('switch-') ? 'NetworkDevice' : 'Host');
    }
  });

  it('counts devices per label in labels', async () => {
    const data = await t.ok(`{ labels(first: 1000) { totalCount edges { cursor node { name deviceCount } } } }`);
    const counts = Object.fromEntries(data.labels.edges.map((e: any) => [e.node.name, e.node.deviceCount]));
    expect(counts).toEqual({
      all: HOSTS + 3,
      fizz: specs.filter((s) => s.i % 3 === 0).length + 3,
      buzz: specs.filter((s) => s.i % 5 === 0).length + 3,
      lucky: specs.filter((s) => s.i % 7 === 0).length,
    });
    expect(data.labels.totalCount).toBe(4);
    expect(data.labels.edges.map((e: any) => e.node.name)).toEqual(['all', 'buzz', 'fizz', 'lucky']);
    const page = await t.ok(`query($a: String) { labels(first: 2, after: $a) { edges { node { name } } pageInfo { hasNextPage } } }`, {
      a: data.labels.edges[1].cursor,
    });
    expect(page.labels.edges.map((e: any) => e.node.name)).toEqual(['fizz', 'lucky']);
    expect(page.labels.pageInfo.hasNextPage).toBe(false);
  });

  it('pages clouds, regions, cells and networks the same way', async () => {
    const cloud = ids.get('cloud')!;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await makeRegion(t, { cloudId: cloud, name: `page-r${i}` })).id);
    const seen: string[] = [];
    let after: string | null = null;
    let total = -1;
    for (;;) {
      const data: any = await t.ok(
        `query($c: ID, $a: String) { regions(cloudId: $c, first: 3, after: $a) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { c: cloud, a: after },
      );
      total = data.regions.totalCount;
      seen.push(...data.regions.edges.map((e: any) => e.node.id));
      if (!data.regions.pageInfo.hasNextPage) break;
      after = data.regions.pageInfo.endCursor;
    }
    // r1, r2 and the 7 new ones.
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([ids.get('r1'), ids.get('r2'), ...made].sort());
    expect(total).toBe(9);

    const clouds = await t.ok(`{ clouds(first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(clouds.clouds).toEqual({ totalCount: 1, edges: [{ node: { id: cloud } }], pageInfo: { hasNextPage: false } });
    const cells = await t.ok(`query($r: ID) { cells(regionId: $r, first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`, {
      r: ids.get('r1'),
    });
    expect(cells.cells.totalCount).toBe(2);
    expect(cells.cells.edges).toHaveLength(1);
    expect(cells.cells.pageInfo.hasNextPage).toBe(true);
    const cells2 = await t.ok(`query($r: ID, $a: String) { cells(regionId: $r, first: 1, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }`, {
      r: ids.get('r1'),
      a: cells.cells.pageInfo.endCursor,
    });
    expect(cells2.cells.edges).toHaveLength(1);
    expect(cells2.cells.edges[0].node.id).not.toBe(cells.cells.edges[0].node.id);
    expect(cells2.cells.pageInfo.hasNextPage).toBe(false);
    const networks = await t.ok(`{ networks(first: 5) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(networks.networks).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
  });
});
