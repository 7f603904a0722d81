// Variable resolution (reference §2.2, issue 3): resolvedVariables(keys:) and variableOrigins(keys:) on every
// VariableHolder, through the real gateway. Each test works in a fresh project of its own (project variables
// are per project), as that project's ADMIN, so the tests cannot see each other's data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  makeCell,
  makeCloud,
  makeHost,
  makeInterface,
  makeNetwork,
  makeNetworkDevice,
  makeProjectWithUser,
  makeRegion,
  uniq,
  type Made,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

/** One entry of variableOrigins as these tests select it. */
interface Origin {
  key: string;
  value: unknown;
  holder: { __typename: string; id: string; name?: string };
}

/** What a holder says about its variables. */
interface HolderVars {
  __typename: string;
  variables: Record<string, unknown>;
  resolvedVariables: Record<string, unknown>;
  variableOrigins: Origin[];
}

const HOLDER_QUERY = `query($id: ID!, $keys: [String!]) {
  node(id: $id) {
    __typename
    ... on VariableHolder {
      variables
      resolvedVariables(keys: $keys)
      variableOrigins(keys: $keys) {
        key
        value
        holder {
          __typename
          id
          ... on Project { name }
          ... on Cloud { name }
          ... on Region { name }
          ... on Cell { name }
          ... on Host { name }
          ... on NetworkDevice { name }
          ... on Network { name }
          ... on NetworkInterface { name }
        }
      }
    }
  }
}`;

/** The same on a list: hosts with their resolution, so the list path is covered as well as node(id). */
const HOSTS_QUERY = `query($regionId: ID) {
  hosts(first: 1000, filter: { regionId: $regionId }) {
    edges { node { id name resolvedVariables variableOrigins { key value holder { __typename id } } } }
  }
}`;

/** `[typename, id]` of the holder that supplied each key. */
function originMap(origins: Origin[]): Record<string, [string, string]> {
  return Object.fromEntries(origins.map((o) => [o.key, [o.holder.__typename, o.holder.id]]));
}

describeEachStore('variable resolution', (store) => {
  let root: TestGateway;

  beforeAll(async () => {
    root = await startGateway(store);
  });
  afterAll(async () => {
    await root?.stop();
  });

  /** A new project and a client acting as its ADMIN. */
  async function freshProject(): Promise<{ t: TestGateway; projectId: string }> {
    const admin = await makeProjectWithUser(root, 'ADMIN');
    return { t: root.as({ key: admin.key }), projectId: admin.projectId };
  }

  async function holder(t: TestGateway, id: string, keys?: string[]): Promise<HolderVars> {
    const data = await t.ok(HOLDER_QUERY, keys === undefined ? { id } : { id, keys });
    expect(data.node, `node(${id}) exists`).not.toBeNull();
    return data.node;
  }

  async function setVars(t: TestGateway, id: string, values: Record<string, unknown>): Promise<void> {
    await t.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id, v: values });
  }

  async function deleteVars(t: TestGateway, id: string, keys: string[]): Promise<void> {
    await t.ok(`mutation($id: ID!, $k: [String!]!) { deleteVariables(id: $id, keys: $k) { id } }`, { id, k: keys });
  }

  async function reparent(t: TestGateway, id: string, parentId: string | null): Promise<void> {
    await t.ok(`mutation($id: ID!, $p: ID) { updateHost(id: $id, input: { parentId: $p }) { id } }`, { id, p: parentId });
  }

  /**
   * The fleet of reference §2.2: project {foo:P1, zoo:P2, boo:P3}, cloud {zoo:CL1}, region {foo:R1, bar:R2,
   * bax:R3}, cell_1 {bar:C2}, host1 {foo:H1, baz:H3} (in cell_1 when withCell).
   */
  async function workedExample(withCell: boolean) {
    const { t, projectId } = await freshProject();
    await setVars(t, projectId, { foo: 'P1', zoo: 'P2', boo: 'P3' });
    const cloud = await makeCloud(t, uniq('cloud'), { zoo: 'CL1' });
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region'), variables: { foo: 'R1', bar: 'R2', bax: 'R3' } });
    const cell = await makeCell(t, { regionId: region.id, name: 'cell_1', variables: { bar: 'C2' } });
    const host1 = await makeHost(t, {
      regionId: region.id,
      ...(withCell ? { cellId: cell.id } : {}),
      name: 'host1',
      ipAddress: '10.0.0.1',
      variables: { foo: 'H1', baz: 'H3' },
    });
    return { t, projectId, cloud, region, cell, host1 };
  }

  it('resolves the worked example of the reference for a host in a cell: {foo:H1, bar:C2, baz:H3, bax:R3, zoo:CL1, boo:P3}', async () => {
    const { t, projectId, cloud, region, cell, host1 } = await workedExample(true);
    const h = await holder(t, host1.id);
    expect(h.__typename).toBe('Host');
    expect(h.variables).toEqual({ foo: 'H1', baz: 'H3' });
    expect(h.resolvedVariables).toEqual({ foo: 'H1', bar: 'C2', baz: 'H3', bax: 'R3', zoo: 'CL1', boo: 'P3' });
    expect(originMap(h.variableOrigins)).toEqual({
      foo: ['Host', host1.id],
      bar: ['Cell', cell.id],
      baz: ['Host', host1.id],
      bax: ['Region', region.id],
      zoo: ['Cloud', cloud.id],
      boo: ['Project', projectId],
    });
    // Craton's blame example: blame['bar'].source.name == 'cell_1'.
    expect(h.variableOrigins.find((o) => o.key === 'bar')?.holder.name).toBe('cell_1');
    for (const o of h.variableOrigins) expect(o.value, `origin value of ${o.key}`).toEqual(h.resolvedVariables[o.key]);
    expect(h.variableOrigins).toHaveLength(6);
  });

  it('resolves bar to the region value R2 when the host is in no cell', async () => {
    const { t, projectId, cloud, region, host1 } = await workedExample(false);
    const h = await holder(t, host1.id);
    expect(h.resolvedVariables).toEqual({ foo: 'H1', bar: 'R2', baz: 'H3', bax: 'R3', zoo: 'CL1', boo: 'P3' });
    expect(originMap(h.variableOrigins)).toEqual({
      foo: ['Host', host1.id],
      bar: ['Region', region.id],
      baz: ['Host', host1.id],
      bax: ['Region', region.id],
      zoo: ['Cloud', cloud.id],
      boo: ['Project', projectId],
    });
  });

  it('gives a host without variables its parent host’s foo:H1 and baz:H3 before the cell, region, cloud and project', async () => {
    const { t, projectId, cloud, region, cell, host1 } = await workedExample(true);
    const host2 = await makeHost(t, { regionId: region.id, cellId: cell.id, parentId: host1.id, name: 'host2', ipAddress: '10.0.0.2' });
    const h = await holder(t, host2.id);
    expect(h.variables).toEqual({});
    expect(h.resolvedVariables).toEqual({ foo: 'H1', bar: 'C2', baz: 'H3', bax: 'R3', zoo: 'CL1', boo: 'P3' });
    expect(originMap(h.variableOrigins)).toEqual({
      foo: ['Host', host1.id],
      bar: ['Cell', cell.id],
      baz: ['Host', host1.id],
      bax: ['Region', region.id],
      zoo: ['Cloud', cloud.id],
      boo: ['Project', projectId],
    });
    expect(h.variableOrigins.find((o) => o.key === 'foo')?.holder.name).toBe('host1');
  });

  it('takes each key from the nearest device of a grandparent chain, network devices included', async () => {
    const { t, projectId } = await freshProject();
    await setVars(t, projectId, { a: 'P', e: 'P' });
    const cloud = await makeCloud(t, uniq('cloud'));
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region'), variables: { a: 'R', d: 'R' } });
    const cell = await makeCell(t, { regionId: region.id, name: uniq('cell'), variables: { a: 'CELL', c: 'CELL', d: 'CELL' } });
    // grandparent is a switch: any device may parent any device.
    const grand = await makeNetworkDevice(t, { regionId: region.id, name: 'grand', variables: { a: 'G', b: 'G', c: 'G' } });
    const parent = await makeHost(t, { regionId: region.id, parentId: grand.id, name: 'parent', variables: { a: 'PA', b: 'PA' } });
    const child = await makeHost(t, { regionId: region.id, cellId: cell.id, parentId: parent.id, name: 'child', variables: { a: 'CH' } });

    const c = await holder(t, child.id);
    expect(c.resolvedVariables).toEqual({ a: 'CH', b: 'PA', c: 'G', d: 'CELL', e: 'P' });
    expect(originMap(c.variableOrigins)).toEqual({
      a: ['Host', child.id],
      b: ['Host', parent.id],
      c: ['NetworkDevice', grand.id],
      d: ['Cell', cell.id],
      e: ['Project', projectId],
    });
    // The parent is in no cell: its own chain is parent > grand > region > cloud > project.
    const p = await holder(t, parent.id);
    expect(p.resolvedVariables).toEqual({ a: 'PA', b: 'PA', c: 'G', d: 'R', e: 'P' });
    // The switch at the top resolves like any device.
    const g = await holder(t, grand.id);
    expect(g.__typename).toBe('NetworkDevice');
    expect(g.resolvedVariables).toEqual({ a: 'G', b: 'G', c: 'G', d: 'R', e: 'P' });

    // The list path answers the same as node(id).
    const listed = await t.ok(HOSTS_QUERY, { regionId: region.id });
    const byName = Object.fromEntries(listed.hosts.edges.map((e: any) => [e.node.name, e.node]));
    expect(byName.child.resolvedVariables).toEqual(c.resolvedVariables);
    expect(originMap(byName.child.variableOrigins)).toEqual(originMap(c.variableOrigins));
    expect(byName.parent.resolvedVariables).toEqual(p.resolvedVariables);
  });

  it('limits resolvedVariables and variableOrigins to the keys asked for, ignoring keys nobody defines', async () => {
    const { t, region, host1 } = await workedExample(true);
    const h = await holder(t, host1.id, ['foo', 'bax', 'nope']);
    expect(h.resolvedVariables).toEqual({ foo: 'H1', bax: 'R3' });
    expect(originMap(h.variableOrigins)).toEqual({ foo: ['Host', host1.id], bax: ['Region', region.id] });
    expect(h.variables, 'own variables are not filtered').toEqual({ foo: 'H1', baz: 'H3' });

    const none = await holder(t, host1.id, []);
    expect(none.resolvedVariables).toEqual({});
    expect(none.variableOrigins).toEqual([]);

    const onlyUnknown = await holder(t, host1.id, ['nope']);
    expect(onlyUnknown.resolvedVariables).toEqual({});
  });

  it('does not deep-merge: an object on the host hides the region’s object entirely, and a stored null still hides', async () => {
    const { t } = await freshProject();
    const cloud = await makeCloud(t, uniq('cloud'));
    const region = await makeRegion(t, {
      cloudId: cloud.id,
      name: uniq('region'),
      variables: { hw: { cpu: 8, ram: 64, disks: ['a', 'b'] }, list: [1, 2, 3], maybe: 'region', flag: true },
    });
    const host = await makeHost(t, {
      regionId: region.id,
      name: uniq('host'),
      variables: { hw: { cpu: 16 }, list: [9], maybe: null, flag: false },
    });
    const h = await holder(t, host.id);
    expect(h.resolvedVariables).toEqual({ hw: { cpu: 16 }, list: [9], maybe: null, flag: false });
    expect(originMap(h.variableOrigins)).toEqual({
      hw: ['Host', host.id],
      list: ['Host', host.id],
      maybe: ['Host', host.id],
      flag: ['Host', host.id],
    });
    expect(h.variableOrigins.find((o) => o.key === 'maybe')?.value).toBeNull();
  });

  it('resolves a cell as itself > region > cloud > project, and a region as itself > cloud > project', async () => {
    const { t, projectId } = await freshProject();
    await setVars(t, projectId, { a: 'P', b: 'P', c: 'P', d: 'P' });
    const cloud = await makeCloud(t, uniq('cloud'), { a: 'CL', b: 'CL', c: 'CL' });
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region'), variables: { a: 'R', b: 'R' } });
    const cell = await makeCell(t, { regionId: region.id, name: uniq('cell'), variables: { a: 'CE' } });
    // Devices and networks below must not leak upwards.
    await makeHost(t, { regionId: region.id, cellId: cell.id, name: uniq('host'), variables: { a: 'H', z: 'H' } });
    await makeNetwork(t, { regionId: region.id, cellId: cell.id, name: uniq('net'), variables: { a: 'N', z: 'N' } });

    const ce = await holder(t, cell.id);
    expect(ce.__typename).toBe('Cell');
    expect(ce.resolvedVariables).toEqual({ a: 'CE', b: 'R', c: 'CL', d: 'P' });
    expect(originMap(ce.variableOrigins)).toEqual({
      a: ['Cell', cell.id],
      b: ['Region', region.id],
      c: ['Cloud', cloud.id],
      d: ['Project', projectId],
    });

    const r = await holder(t, region.id);
    expect(r.resolvedVariables).toEqual({ a: 'R', b: 'R', c: 'CL', d: 'P' });
    expect(originMap(r.variableOrigins)).toEqual({
      a: ['Region', region.id],
      b: ['Region', region.id],
      c: ['Cloud', cloud.id],
      d: ['Project', projectId],
    });

    // The same through the lists.
    const lists = await t.ok(
      `query($cloudId: ID!) {
        regions(cloudId: $cloudId) { edges { node { id resolvedVariables } } }
        cells(cloudId: $cloudId) { edges { node { id resolvedVariables(keys: ["a", "d"]) } } }
      }`,
      { cloudId: cloud.id },
    );
    expect(lists.regions.edges.map((e: any) => e.node)).toEqual([{ id: region.id, resolvedVariables: r.resolvedVariables }]);
    expect(lists.cells.edges.map((e: any) => e.node)).toEqual([{ id: cell.id, resolvedVariables: { a: 'CE', d: 'P' } }]);
  });

  it('resolves a cloud, a project, a network and an interface to their own variables only', async () => {
    const { t, projectId } = await freshProject();
    await setVars(t, projectId, { p: 'P', shared: 'P' });
    const cloud = await makeCloud(t, uniq('cloud'), { c: 'CL', shared: 'CL' });
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region'), variables: { r: 'R', shared: 'R' } });
    const cell = await makeCell(t, { regionId: region.id, name: uniq('cell'), variables: { ce: 'CE', shared: 'CE' } });
    const net = await makeNetwork(t, { regionId: region.id, cellId: cell.id, name: uniq('net'), variables: { n: 'N' } });
    const emptyNet = await makeNetwork(t, { regionId: region.id, name: uniq('net') });
    const host = await makeHost(t, { regionId: region.id, cellId: cell.id, name: uniq('host'), variables: { h: 'H', shared: 'H' } });
    const nic = await makeInterface(t, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.9.0.1', variables: { i: 'I' } });
    const bareNic = await makeInterface(t, { deviceId: host.id, name: 'eth1', ipAddress: '10.9.0.2' });

    const cases: Array<[string, string, string, Record<string, unknown>]> = [
      ['Cloud', cloud.id, 'does not inherit project variables', { c: 'CL', shared: 'CL' }],
      ['Project', projectId, 'has only its own variables', { p: 'P', shared: 'P' }],
      ['Network', net.id, 'does not inherit from its cell, region, cloud or project', { n: 'N' }],
      ['Network', emptyNet.id, 'without variables resolves to nothing', {}],
      ['NetworkInterface', nic.id, 'does not inherit from its device or network', { i: 'I' }],
      ['NetworkInterface', bareNic.id, 'without variables resolves to nothing', {}],
    ];
    for (const [typename, id, why, expected] of cases) {
      const h = await holder(t, id);
      expect(h.__typename).toBe(typename);
      expect(h.resolvedVariables, `${typename} ${why}`).toEqual(expected);
      expect(h.variableOrigins.every((o) => o.holder.id === id && o.holder.__typename === typename), `${typename} origins are itself`).toBe(true);
      expect(h.variableOrigins.map((o) => o.key).sort()).toEqual(Object.keys(expected).sort());
    }
  });

  it('follows setVariables and deleteVariables at every level: an upsert on the host wins, deleting it falls back to the cell, then the region', async () => {
    const { t, projectId, cloud, region, cell, host1 } = await workedExample(true);
    const bar = async () => {
      const h = await holder(t, host1.id, ['bar']);
      return [h.resolvedVariables.bar, originMap(h.variableOrigins).bar];
    };
    expect(await bar()).toEqual(['C2', ['Cell', cell.id]]);

    await setVars(t, host1.id, { bar: { set: 'on host' } });
    expect(await bar()).toEqual([{ set: 'on host' }, ['Host', host1.id]]);
    const h = await holder(t, host1.id);
    expect(h.variables, 'setVariables upserts: other keys stay').toEqual({ foo: 'H1', baz: 'H3', bar: { set: 'on host' } });

    await deleteVars(t, host1.id, ['bar', 'never-set']);
    expect(await bar()).toEqual(['C2', ['Cell', cell.id]]);

    await deleteVars(t, cell.id, ['bar']);
    expect(await bar()).toEqual(['R2', ['Region', region.id]]);

    await setVars(t, region.id, { bar: 'R2-updated' });
    expect(await bar()).toEqual(['R2-updated', ['Region', region.id]]);

    await deleteVars(t, region.id, ['bar']);
    const gone = await holder(t, host1.id, ['bar']);
    expect(gone.resolvedVariables).toEqual({});
    expect(gone.variableOrigins).toEqual([]);

    // zoo: the cloud's CL1 hides the project's P2 until the cloud's value is deleted.
    await deleteVars(t, cloud.id, ['zoo']);
    const zoo = await holder(t, host1.id, ['zoo']);
    expect(zoo.resolvedVariables).toEqual({ zoo: 'P2' });
    expect(originMap(zoo.variableOrigins)).toEqual({ zoo: ['Project', projectId] });
  });

  it('reaches devices, cells and regions with variables set on the project by setVariables(id: projectId), but not clouds', async () => {
    const { t, projectId } = await freshProject();
    const cloud = await makeCloud(t, uniq('cloud'));
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region') });
    const cell = await makeCell(t, { regionId: region.id, name: uniq('cell') });
    const host = await makeHost(t, { regionId: region.id, cellId: cell.id, name: uniq('host') });
    const sw = await makeNetworkDevice(t, { regionId: region.id, name: uniq('switch') });
    for (const id of [host.id, sw.id, cell.id, region.id, cloud.id]) {
      expect((await holder(t, id)).resolvedVariables).toEqual({});
    }

    await setVars(t, projectId, { ntp_servers: ['10.0.0.1', '10.0.0.2'], owner: 'ops' });
    for (const id of [host.id, sw.id, cell.id, region.id]) {
      const h = await holder(t, id);
      expect(h.resolvedVariables, `${h.__typename} inherits the project variables`).toEqual({ ntp_servers: ['10.0.0.1', '10.0.0.2'], owner: 'ops' });
      expect(originMap(h.variableOrigins)).toEqual({ ntp_servers: ['Project', projectId], owner: ['Project', projectId] });
    }
    expect((await holder(t, cloud.id)).resolvedVariables, 'a cloud does not inherit project variables').toEqual({});

    await deleteVars(t, projectId, ['owner']);
    expect((await holder(t, host.id)).resolvedVariables).toEqual({ ntp_servers: ['10.0.0.1', '10.0.0.2'] });
  });

  it('changes what a host inherits when it is reparented, for its descendants too', async () => {
    const { t } = await freshProject();
    const cloud = await makeCloud(t, uniq('cloud'));
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region'), variables: { x: 'region', y: 'region' } });
    const a = await makeHost(t, { regionId: region.id, name: 'a', variables: { x: 'A', only_a: true } });
    const b = await makeHost(t, { regionId: region.id, name: 'b', variables: { x: 'B', y: 'B' } });
    const mid = await makeHost(t, { regionId: region.id, parentId: a.id, name: 'mid' });
    const leaf = await makeHost(t, { regionId: region.id, parentId: mid.id, name: 'leaf' });

    const view = async (h: Made) => {
      const v = await holder(t, h.id);
      return { values: v.resolvedVariables, origins: originMap(v.variableOrigins) };
    };
    expect((await view(mid)).values).toEqual({ x: 'A', only_a: true, y: 'region' });
    expect(await view(leaf)).toEqual({
      values: { x: 'A', only_a: true, y: 'region' },
      origins: { x: ['Host', a.id], only_a: ['Host', a.id], y: ['Region', region.id] },
    });

    await reparent(t, mid.id, b.id);
    expect((await view(mid)).values).toEqual({ x: 'B', y: 'B' });
    expect(await view(leaf), 'the grandchild follows its parent to the new grandparent').toEqual({
      values: { x: 'B', y: 'B' },
      origins: { x: ['Host', b.id], y: ['Host', b.id] },
    });

    await reparent(t, mid.id, null);
    expect((await view(mid)).values).toEqual({ x: 'region', y: 'region' });
    expect((await view(leaf)).values, 'a root device inherits only from containers').toEqual({ x: 'region', y: 'region' });

    // Reparent the leaf straight under a, and then a under b: leaf now sees a first, then b.
    await reparent(t, leaf.id, a.id);
    await reparent(t, a.id, b.id);
    expect(await view(leaf)).toEqual({
      values: { x: 'A', only_a: true, y: 'B' },
      origins: { x: ['Host', a.id], only_a: ['Host', a.id], y: ['Host', b.id] },
    });

    // Cycles are refused and leave the inheritance as it was.
    const cycle = await t.gql(`mutation($id: ID!, $p: ID) { updateHost(id: $id, input: { parentId: $p }) { id } }`, { id: b.id, p: leaf.id });
    expect(cycle.body.errors?.length, describeResponse(cycle)).toBeGreaterThan(0);
    expect((await view(leaf)).values).toEqual({ x: 'A', only_a: true, y: 'B' });
  });

  it('answers resolvedVariables on every holder type through node(id) without errors', async () => {
    const { t, projectId } = await freshProject();
    const cloud = await makeCloud(t, uniq('cloud'), { k: 'cloud' });
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region') });
    const cell = await makeCell(t, { regionId: region.id, name: uniq('cell') });
    const host = await makeHost(t, { regionId: region.id, cellId: cell.id, name: uniq('host') });
    const sw = await makeNetworkDevice(t, { regionId: region.id, cellId: cell.id, name: uniq('switch') });
    const net = await makeNetwork(t, { regionId: region.id, name: uniq('net') });
    const nic = await makeInterface(t, { deviceId: sw.id, name: 'ge-0/0/1', ipAddress: '10.8.0.1' });
    const expected: Array<[string, string, Record<string, unknown>]> = [
      [projectId, 'Project', {}],
      [cloud.id, 'Cloud', { k: 'cloud' }],
      [region.id, 'Region', { k: 'cloud' }],
      [cell.id, 'Cell', { k: 'cloud' }],
      [host.id, 'Host', { k: 'cloud' }],
      [sw.id, 'NetworkDevice', { k: 'cloud' }],
      [net.id, 'Network', {}],
      [nic.id, 'NetworkInterface', {}],
    ];
    for (const [id, typename, values] of expected) {
      const h = await holder(t, id);
      expect(h.__typename).toBe(typename);
      expect(h.resolvedVariables, typename).toEqual(values);
      const cloudOrigin = h.variableOrigins.find((o) => o.key === 'k');
      if (Object.keys(values).length) expect(cloudOrigin?.holder).toMatchObject({ __typename: 'Cloud', id: cloud.id });
    }
  });
});
