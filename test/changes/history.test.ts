// Change history: every create, update and delete of inventory (variables and labels included) leaves
// exactly the expected change record, written in the same transaction as the change; failed writes leave
// nothing; `changes(objectId:, since:)` filters, pages newest first without gaps, and is scoped by project.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  makeCell,
  makeCloud,
  makeHierarchy,
  makeHost,
  makeInterface,
  makeNetwork,
  makeNetworkDevice,
  makeProjectWithUser,
  makeRegion,
  nodeOf,
  uniq,
  type ProjectUser,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { CHANGE_FIELDS, changesAfter, describeChanges, latestChanges, newestChangeId, recorded, type Change } from './trail.js';

describeEachStore('change history', (store) => {
  let root: TestGateway;
  let a: TestGateway; // ADMIN "hist-admin" of project P, the project under test
  let admin: ProjectUser;
  let operator: ProjectUser;
  let viewer: ProjectUser;
  let other: ProjectUser; // ADMIN of project Q
  let q: TestGateway;

  beforeAll(async () => {
    root = await startGateway(store);
    admin = await makeProjectWithUser(root, 'ADMIN', { projectName: uniq('history-p'), userName: 'hist-admin' });
    operator = await makeProjectWithUser(root, 'OPERATOR', { projectId: admin.projectId, userName: 'hist-operator' });
    viewer = await makeProjectWithUser(root, 'VIEWER', { projectId: admin.projectId, userName: 'hist-viewer' });
    other = await makeProjectWithUser(root, 'ADMIN', { projectName: uniq('history-q'), userName: 'other-admin' });
    a = root.as({ key: admin.key });
    q = root.as({ key: other.key });
  });
  afterAll(async () => {
    await root?.stop();
  });

  /**
   * Runs one mutation with a fresh X-Request-Id and returns its data and the single change record it
   * must have left (checked: one record, that request id, a timestamp inside the request's window).
   */
  async function single(
    what: string,
    query: string,
    variables: Record<string, unknown>,
    client: TestGateway = a,
  ): Promise<{ data: any; change: Change }> {
    const requestId = uniq(`req-${what}`);
    const t0 = Date.now();
    const { result, changes } = await recorded(a, () => client.ok(query, variables, { headers: { 'x-request-id': requestId } }));
    const t1 = Date.now();
    expect(changes, `${what}: exactly one change record\n${describeChanges(changes)}`).toHaveLength(1);
    const change = changes[0]!;
    expect(change.requestId, `${what}: the X-Request-Id of the request`).toBe(requestId);
    const at = Date.parse(change.at);
    expect(at, `${what}: 'at' (${change.at}) lies within the request (${new Date(t0).toISOString()} … ${new Date(t1).toISOString()})`).toBeGreaterThanOrEqual(t0 - 1000);
    expect(at, `${what}: 'at' (${change.at}) lies within the request`).toBeLessThanOrEqual(t1 + 1000);
    return { data: result, change };
  }

  /** Runs a mutation that must fail with `code` and asserts it left no change record. */
  async function failsWithoutTrace(what: string, code: string, query: string, variables: Record<string, unknown>): Promise<void> {
    const mark = await newestChangeId(a);
    const res = await a.gql(query, variables);
    expect(codeOf(res), `${what}: ${describeResponse(res)}`).toBe(code);
    const left = await changesAfter(a, mark);
    expect(left, `${what} left change records:\n${describeChanges(left)}`).toEqual([]);
  }

  const DEVICE_NAMES = `query($n: String) { devices(first: 1000, filter: { name: $n }) { totalCount edges { node { id name labels variables } } } }`;

  it('creating each kind of inventory object writes one CREATE record with the actor, the new object and the X-Request-Id', async () => {
    const cloudName = uniq('c-cloud');
    const cloud = await single('create-cloud', `mutation($i: CreateCloudInput!) { createCloud(input: $i) { id } }`, {
      i: { name: cloudName, note: 'cloud note', variables: { tier: 'gold', nested: { a: [1, 2] } } },
    });
    expect(cloud.change).toMatchObject({ actor: 'hist-admin', action: 'CREATE', objectType: 'Cloud', objectId: cloud.data.createCloud.id, before: null });
    expect(cloud.change.after).toMatchObject({ name: cloudName, note: 'cloud note', variables: { tier: 'gold', nested: { a: [1, 2] } } });
    const cloudId = cloud.data.createCloud.id as string;

    const region = await single('create-region', `mutation($i: CreateRegionInput!) { createRegion(input: $i) { id } }`, {
      i: { cloudId, name: 'c-region', note: 'region note', variables: { zone: 'eu' } },
    });
    expect(region.change).toMatchObject({ actor: 'hist-admin', action: 'CREATE', objectType: 'Region', objectId: region.data.createRegion.id, before: null });
    expect(region.change.after).toMatchObject({ name: 'c-region', note: 'region note', variables: { zone: 'eu' } });
    const regionId = region.data.createRegion.id as string;

    const cell = await single('create-cell', `mutation($i: CreateCellInput!) { createCell(input: $i) { id } }`, {
      i: { regionId, name: 'c-cell', variables: { rack: 7 } },
    });
    expect(cell.change).toMatchObject({ actor: 'hist-admin', action: 'CREATE', objectType: 'Cell', objectId: cell.data.createCell.id, before: null });
    expect(cell.change.after).toMatchObject({ name: 'c-cell', variables: { rack: 7 } });
    const cellId = cell.data.createCell.id as string;

    const host = await single('create-host', `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`, {
      i: {
        regionId,
        cellId,
        name: 'c-host',
        ipAddress: '10.1.0.5',
        deviceType: 'vm',
        active: false,
        note: 'host note',
        labels: ['zeta', 'alpha'],
        variables: { cores: 16, disks: [{ vendor: 'Seagate' }] },
      },
    });
    expect(host.change).toMatchObject({ actor: 'hist-admin', action: 'CREATE', objectType: 'Host', objectId: host.data.createHost.id, before: null });
    expect(host.change.after).toMatchObject({
      name: 'c-host',
      ipAddress: '10.1.0.5',
      deviceType: 'vm',
      active: false,
      note: 'host note',
      labels: ['alpha', 'zeta'],
      variables: { cores: 16, disks: [{ vendor: 'Seagate' }] },
    });

    const sw = await single('create-network-device', `mutation($i: CreateNetworkDeviceInput!) { createNetworkDevice(input: $i) { id } }`, {
      i: { regionId, name: 'c-switch', ipAddress: '2001:db8::1', modelName: 'qfx', osVersion: '21.4', vlans: [{ id: 10 }], labels: ['core'] },
    });
    expect(sw.change).toMatchObject({ action: 'CREATE', objectType: 'NetworkDevice', objectId: sw.data.createNetworkDevice.id, before: null });
    expect(sw.change.after).toMatchObject({ name: 'c-switch', ipAddress: '2001:db8::1', modelName: 'qfx', osVersion: '21.4', vlans: [{ id: 10 }], labels: ['core'] });

    const net = await single('create-network', `mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }`, {
      i: { regionId, cellId, name: 'c-net', cidr: '10.1.0.0/24', gateway: '10.1.0.1', netmask: '255.255.255.0', ipBlockType: 'private', nss: 'ns1', variables: { dhcp: true } },
    });
    expect(net.change).toMatchObject({ action: 'CREATE', objectType: 'Network', objectId: net.data.createNetwork.id, before: null });
    expect(net.change.after).toMatchObject({
      name: 'c-net', cidr: '10.1.0.0/24', gateway: '10.1.0.1', netmask: '255.255.255.0', ipBlockType: 'private', nss: 'ns1', variables: { dhcp: true },
    });

    const nic = await single('create-interface', `mutation($i: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $i) { id } }`, {
      i: { deviceId: host.data.createHost.id, networkId: net.data.createNetwork.id, name: 'eth0', ipAddress: '10.1.0.5', interfaceType: 'ethernet', vlanId: 10, port: 1, variables: { mtu: 9000 } },
    });
    expect(nic.change).toMatchObject({ action: 'CREATE', objectType: 'NetworkInterface', objectId: nic.data.createNetworkInterface.id, before: null });
    expect(nic.change.after).toMatchObject({ name: 'eth0', ipAddress: '10.1.0.5', interfaceType: 'ethernet', vlanId: 10, port: 1, variables: { mtu: 9000 } });
  });

  it('references inside before/after are the global ids clients use, never internal keys', async () => {
    const h = await makeHierarchy(a, uniq('ref'));
    const parent = await makeHost(a, { regionId: h.regionId, name: uniq('ref-parent') });
    const { change } = await single('create-referencing-host', `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`, {
      i: { regionId: h.regionId, cellId: h.cellId, parentId: parent.id, name: uniq('ref-child') },
    });
    // Every field named like a reference holds the id node() resolves, exactly as the API hands it out.
    expect(change.after, describeChanges([change])).toMatchObject({ cloudId: h.cloudId, regionId: h.regionId, cellId: h.cellId, parentId: parent.id });
    const net = await makeNetwork(a, { regionId: h.regionId, name: uniq('ref-net') });
    const nic = await single('create-referencing-interface', `mutation($i: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $i) { id } }`, {
      i: { deviceId: parent.id, networkId: net.id, name: 'eth0', ipAddress: '10.2.0.1' },
    });
    expect(nic.change.after, describeChanges([nic.change])).toMatchObject({ deviceId: parent.id, networkId: net.id });
  });

  it('updating each kind of object writes one UPDATE record holding only the changed fields, before and after', async () => {
    const h = await makeHierarchy(a, uniq('upd'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('upd-host'), ipAddress: '10.3.0.1' });
    const sw = await makeNetworkDevice(a, { regionId: h.regionId, name: uniq('upd-sw'), osVersion: '1.0' });
    const net = await makeNetwork(a, { regionId: h.regionId, name: uniq('upd-net'), cidr: '10.3.0.0/24' });
    const renamed = uniq('upd-region-renamed');
    const cases: Array<[string, string, string, string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]> = [
      ['Cloud', 'updateCloud', 'UpdateCloudInput', h.cloudId, { note: 'new note' }, { note: null }, { note: 'new note' }],
      ['Region', 'updateRegion', 'UpdateRegionInput', h.regionId, { name: renamed }, { name: expect.stringMatching(/-region$/) }, { name: renamed }],
      ['Cell', 'updateCell', 'UpdateCellInput', h.cellId, { note: 'cell note' }, { note: null }, { note: 'cell note' }],
      ['Host', 'updateHost', 'UpdateHostInput', host.id, { ipAddress: '10.3.0.2', active: false }, { ipAddress: '10.3.0.1', active: true }, { ipAddress: '10.3.0.2', active: false }],
      ['NetworkDevice', 'updateNetworkDevice', 'UpdateNetworkDeviceInput', sw.id, { osVersion: '2.0', vlans: [1, 2] }, { osVersion: '1.0', vlans: null }, { osVersion: '2.0', vlans: [1, 2] }],
      ['Network', 'updateNetwork', 'UpdateNetworkInput', net.id, { cidr: '10.3.0.0/16' }, { cidr: '10.3.0.0/24' }, { cidr: '10.3.0.0/16' }],
    ];
    for (const [type, mutation, inputType, id, input, before, after] of cases) {
      const { change } = await single(`update-${type}`, `mutation($id: ID!, $i: ${inputType}!) { ${mutation}(id: $id, input: $i) { id } }`, { id, i: input });
      expect(change, type).toMatchObject({ actor: 'hist-admin', action: 'UPDATE', objectType: type, objectId: id });
      expect(change.before, `${type} before`).toMatchObject(before);
      expect(change.after, `${type} after`).toMatchObject(after);
      // Only what changed: the name stays out of the record of an update that did not touch it.
      if (!('name' in input)) {
        expect(change.after, `${type}: unchanged name not recorded`).not.toHaveProperty('name');
        expect(change.before, `${type}: unchanged name not recorded`).not.toHaveProperty('name');
      }
    }
  });

  it('setVariables and deleteVariables on every kind of holder write one UPDATE record with the variables before and after', async () => {
    const h = await makeHierarchy(a, uniq('vars'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('vars-host'), variables: { keep: 1, old: 'x' } });
    const sw = await makeNetworkDevice(a, { regionId: h.regionId, name: uniq('vars-sw'), variables: { old: 'x' } });
    const net = await makeNetwork(a, { regionId: h.regionId, name: uniq('vars-net'), variables: { old: 'x' } });
    const nic = await makeInterface(a, { deviceId: host.id, name: 'eth0', ipAddress: '10.4.0.1', variables: { old: 'x' } });
    const holders: Array<[string, string]> = [
      ['Project', admin.projectId],
      ['Cloud', h.cloudId],
      ['Region', h.regionId],
      ['Cell', h.cellId],
      ['Host', host.id],
      ['NetworkDevice', sw.id],
      ['Network', net.id],
      ['NetworkInterface', nic.id],
    ];
    for (const [type, id] of holders) {
      await a.ok(`mutation($id: ID!) { setVariables(id: $id, values: { old: "x" }) { id } }`, { id });
      const set = await single(`set-variables-${type}`, `mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, {
        id,
        v: { old: { now: 'new' }, fresh: [1, 2, 3] },
      });
      expect(set.change, type).toMatchObject({ actor: 'hist-admin', action: 'UPDATE', objectType: type, objectId: id });
      expect(set.change.before?.variables, `${type}: variables before`).toMatchObject({ old: 'x' });
      expect(set.change.before?.variables?.fresh ?? null, `${type}: a new key was absent before`).toBeNull();
      expect(set.change.after?.variables, `${type}: variables after`).toMatchObject({ old: { now: 'new' }, fresh: [1, 2, 3] });

      const del = await single(`delete-variables-${type}`, `mutation($id: ID!) { deleteVariables(id: $id, keys: ["fresh", "never-set"]) { id } }`, { id });
      expect(del.change, type).toMatchObject({ action: 'UPDATE', objectType: type, objectId: id });
      expect(del.change.before?.variables, `${type}: deleted variable before`).toMatchObject({ fresh: [1, 2, 3] });
      expect(del.change.after?.variables?.fresh ?? null, `${type}: deleted variable after`).toBeNull();
    }
    const read = await a.ok(`query($id: ID!) { node(id: $id) { ... on Host { variables } } }`, { id: host.id });
    expect(read.node.variables).toEqual({ keep: 1, old: { now: 'new' } });
  });

  it('addLabels and removeLabels write one UPDATE record with the labels before and after', async () => {
    const h = await makeHierarchy(a, uniq('labels'));
    for (const [type, make] of [
      ['Host', () => makeHost(a, { regionId: h.regionId, name: uniq('lbl-host'), labels: ['b'] })],
      ['NetworkDevice', () => makeNetworkDevice(a, { regionId: h.regionId, name: uniq('lbl-sw'), labels: ['b'] })],
    ] as const) {
      const device = await make();
      const add = await single(`add-labels-${type}`, `mutation($id: ID!) { addLabels(id: $id, labels: ["c", "a", "b"]) { id } }`, { id: device.id });
      expect(add.change).toMatchObject({ actor: 'hist-admin', action: 'UPDATE', objectType: type, objectId: device.id });
      expect(add.change.before, `${type} before`).toMatchObject({ labels: ['b'] });
      expect(add.change.after, `${type} after`).toMatchObject({ labels: ['a', 'b', 'c'] });
      const remove = await single(`remove-labels-${type}`, `mutation($id: ID!) { removeLabels(id: $id, labels: ["b", "zz"]) { id } }`, { id: device.id });
      expect(remove.change).toMatchObject({ action: 'UPDATE', objectType: type, objectId: device.id });
      expect(remove.change.before, `${type} before`).toMatchObject({ labels: ['a', 'b', 'c'] });
      expect(remove.change.after, `${type} after`).toMatchObject({ labels: ['a', 'c'] });
    }
  });

  it('deleting an interface, a network device, a network or a host writes one DELETE record with the object before', async () => {
    const h = await makeHierarchy(a, uniq('del'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('del-host'), variables: { gone: true } });
    const keeper = await makeHost(a, { regionId: h.regionId, name: uniq('del-keeper') });
    const nic = await makeInterface(a, { deviceId: keeper.id, name: 'eth9', ipAddress: '10.5.0.9' });
    const sw = await makeNetworkDevice(a, { regionId: h.regionId, name: uniq('del-sw') });
    const net = await makeNetwork(a, { regionId: h.regionId, name: uniq('del-net') });
    for (const [type, obj] of [
      ['NetworkInterface', nic],
      ['NetworkDevice', sw],
      ['Network', net],
      ['Host', host],
    ] as const) {
      const { change } = await single(`delete-${type}`, `mutation($id: ID!) { deleteNode(id: $id) }`, { id: obj.id });
      expect(change, type).toMatchObject({ actor: 'hist-admin', action: 'DELETE', objectType: type, objectId: obj.id, after: null });
      expect(change.before, `${type} before`).toMatchObject({ name: obj.name });
      expect(await nodeOf(a, obj.id), `${type} is gone`).toBeNull();
    }
  });

  it('deleting a device records its labels and variables in before, so the record can restore it', async () => {
    const h = await makeHierarchy(a, uniq('del-full'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('del-full-host'), labels: ['web', 'prod'], variables: { role: 'db' } });
    const { change } = await single('delete-labelled-host', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: host.id });
    expect(change.before, describeChanges([change])).toMatchObject({ name: host.name, labels: ['prod', 'web'], variables: { role: 'db' } });
  });

  /** A cloud with everything a cloud can hold; returns the `Type:id` keys of what it holds. */
  async function populatedCloud(prefix: string) {
    const cloud = await makeCloud(a, uniq(`${prefix}-cloud`));
    const region = await makeRegion(a, { cloudId: cloud.id, name: `${prefix}-region` });
    const cell1 = await makeCell(a, { regionId: region.id, name: `${prefix}-cell1` });
    const cell2 = await makeCell(a, { regionId: region.id, name: `${prefix}-cell2` });
    const host = await makeHost(a, { regionId: region.id, cellId: cell1.id, name: `${prefix}-host`, labels: ['x'], variables: { v: 1 } });
    const child = await makeHost(a, { regionId: region.id, cellId: cell1.id, parentId: host.id, name: `${prefix}-child` });
    const loose = await makeHost(a, { regionId: region.id, name: `${prefix}-loose` });
    const sw = await makeNetworkDevice(a, { regionId: region.id, cellId: cell2.id, name: `${prefix}-sw` });
    const net = await makeNetwork(a, { regionId: region.id, cellId: cell1.id, name: `${prefix}-net` });
    const nic = await makeInterface(a, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.6.0.1' });
    const swNic = await makeInterface(a, { deviceId: sw.id, name: 'xe-0/0/0', ipAddress: '10.6.0.2' });
    return { cloud, region, cell1, cell2, host, child, loose, sw, net, nic, swNic };
  }

  it('deleting a cloud records a DELETE for the cloud and for everything it held, all in that request', async () => {
    const c = await populatedCloud(uniq('casc'));
    const requestId = uniq('req-cascade');
    const { changes } = await recorded(a, () => a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: c.cloud.id }, { headers: { 'x-request-id': requestId } }));
    const expected = [
      `Cloud:${c.cloud.id}`,
      `Region:${c.region.id}`,
      `Cell:${c.cell1.id}`,
      `Cell:${c.cell2.id}`,
      `Host:${c.host.id}`,
      `Host:${c.child.id}`,
      `Host:${c.loose.id}`,
      `NetworkDevice:${c.sw.id}`,
      `Network:${c.net.id}`,
      `NetworkInterface:${c.nic.id}`,
      `NetworkInterface:${c.swNic.id}`,
    ];
    const got = changes.map((ch) => `${ch.objectType}:${ch.objectId}`);
    expect([...got].sort(), `the records of the cascade:\n${describeChanges(changes)}`).toEqual([...expected].sort());
    for (const ch of changes) {
      expect(ch, describeChanges([ch])).toMatchObject({ action: 'DELETE', actor: 'hist-admin', requestId, after: null });
      expect(ch.before, describeChanges([ch])).toEqual(expect.objectContaining({ name: expect.any(String) }));
    }
    for (const obj of Object.values(c)) expect(await nodeOf(a, obj.id), `${obj.name} is gone`).toBeNull();
  });

  it('deleting a region or a cell records the contained cells, devices and networks', async () => {
    const c = await populatedCloud(uniq('casc2'));
    const cell = await recorded(a, () => a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: c.cell2.id }));
    expect(cell.changes.map((ch) => `${ch.action} ${ch.objectType}:${ch.objectId}`).sort(), describeChanges(cell.changes)).toEqual(
      [`DELETE Cell:${c.cell2.id}`, `DELETE NetworkDevice:${c.sw.id}`, `DELETE NetworkInterface:${c.swNic.id}`].sort(),
    );
    const region = await recorded(a, () => a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: c.region.id }));
    const got = region.changes.map((ch) => `${ch.action} ${ch.objectType}:${ch.objectId}`);
    expect([...got].sort(), describeChanges(region.changes)).toEqual(
      [
        `DELETE Region:${c.region.id}`,
        `DELETE Cell:${c.cell1.id}`,
        `DELETE Host:${c.host.id}`,
        `DELETE Host:${c.child.id}`,
        `DELETE Host:${c.loose.id}`,
        `DELETE Network:${c.net.id}`,
        `DELETE NetworkInterface:${c.nic.id}`,
      ].sort(),
    );
    expect(await nodeOf(a, c.cloud.id), 'the cloud stays').not.toBeNull();
  });

  it('deleting a host records its network interfaces too', async () => {
    const h = await makeHierarchy(a, uniq('nics'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('nics-host') });
    const eth0 = await makeInterface(a, { deviceId: host.id, name: 'eth0', ipAddress: '10.7.0.1' });
    const eth1 = await makeInterface(a, { deviceId: host.id, name: 'eth1', ipAddress: '10.7.0.2' });
    const { changes } = await recorded(a, () => a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: host.id }));
    expect(changes.map((ch) => `${ch.action} ${ch.objectType}:${ch.objectId}`).sort(), describeChanges(changes)).toEqual(
      [`DELETE Host:${host.id}`, `DELETE NetworkInterface:${eth0.id}`, `DELETE NetworkInterface:${eth1.id}`].sort(),
    );
  });

  it('a createHost with a valid name but an invalid variable, label or address writes nothing: no record, no host', async () => {
    const h = await makeHierarchy(a, uniq('bad'));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const invalid: Array<[string, Record<string, unknown>]> = [
      ['an empty variable key', { variables: { fine: 1, '': 2 } }],
      ['a variable key of 256 characters', { variables: { fine: 1, ['k'.repeat(256)]: 2 } }],
      ['a variable nested 40 levels deep', { variables: { fine: 1, deep } }],
      ['a variable value over the size cap', { variables: { fine: 1, big: 'x'.repeat(70 * 1024) } }],
      ['variables that are not an object', { variables: [1, 2] }],
      ['a label with a comma', { labels: ['fine', 'bad,label'] }],
      ['an empty label', { labels: ['fine', ''] }],
      ['an invalid IPv4 address', { ipAddress: '10.0.0.256' }],
      ['an invalid IPv6 address', { ipAddress: '2001:db8:::1' }],
    ];
    for (const [what, extra] of invalid) {
      const name = uniq('bad-host');
      await failsWithoutTrace(`createHost with ${what}`, 'BAD_USER_INPUT', `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`, {
        i: { regionId: h.regionId, name, labels: ['fine'], variables: { fine: 1 }, ...extra },
      });
      const found = await a.ok(DEVICE_NAMES, { n: name });
      expect(found.devices.totalCount, `createHost with ${what} left a host`).toBe(0);
    }
    const labels = await a.ok(`{ labels(first: 1000) { edges { node { name } } } }`);
    expect(labels.labels.edges.map((e: any) => e.node.name), 'no label of a refused host is in use').not.toContain('bad,label');
  });

  it('a createHost or createCloud with a duplicate name answers CONFLICT and writes nothing of the second object', async () => {
    const h = await makeHierarchy(a, uniq('dup'));
    const name = uniq('dup-host');
    const first = await makeHost(a, { regionId: h.regionId, name, labels: ['first'], variables: { n: 1 } });
    await failsWithoutTrace('duplicate createHost', 'CONFLICT', `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`, {
      i: { regionId: h.regionId, name, labels: ['second-only'], variables: { n: 2, second: true } },
    });
    const found = await a.ok(DEVICE_NAMES, { n: name });
    expect(found.devices.edges.map((e: any) => e.node), 'only the first host, untouched').toEqual([{ id: first.id, name, labels: ['first'], variables: { n: 1 } }]);
    const labels = await a.ok(`{ labels(first: 1000) { edges { node { name } } } }`);
    expect(labels.labels.edges.map((e: any) => e.node.name)).not.toContain('second-only');

    const cloudName = uniq('dup-cloud');
    const cloud = await makeCloud(a, cloudName, { v: 1 });
    await failsWithoutTrace('duplicate createCloud', 'CONFLICT', `mutation($i: CreateCloudInput!) { createCloud(input: $i) { id } }`, {
      i: { name: cloudName, variables: { v: 2, extra: true } },
    });
    const clouds = await a.ok(`query($n: String) { clouds(name: $n) { edges { node { id variables } } } }`, { n: cloudName });
    expect(clouds.clouds.edges.map((e: any) => e.node)).toEqual([{ id: cloud.id, variables: { v: 1 } }]);

    const other = await makeHost(a, { regionId: h.regionId, name: uniq('dup-other') });
    await failsWithoutTrace('renaming onto a taken name', 'CONFLICT', `mutation($id: ID!, $n: String!) { updateHost(id: $id, input: { name: $n, note: "x" }) { id } }`, {
      id: other.id,
      n: name,
    });
    expect((await nodeOf(a, other.id)).name).toBe(other.name);

    await makeInterface(a, { deviceId: first.id, name: 'eth0', ipAddress: '10.8.0.1' });
    await failsWithoutTrace('a duplicate interface name', 'CONFLICT', `mutation($d: ID!) { createNetworkInterface(input: { deviceId: $d, name: "eth0", ipAddress: "10.8.0.2" }) { id } }`, {
      d: first.id,
    });
  });

  it('a multi-key setVariables or multi-label addLabels with one invalid entry changes nothing and records nothing', async () => {
    const h = await makeHierarchy(a, uniq('multi'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('multi-host'), labels: ['a'], variables: { keep: 1 } });
    await failsWithoutTrace('setVariables with an empty key', 'BAD_USER_INPUT', `mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, {
      id: host.id,
      v: { good: 1, keep: 2, '': 3 },
    });
    await failsWithoutTrace('deleteVariables with an empty key', 'BAD_USER_INPUT', `mutation($id: ID!) { deleteVariables(id: $id, keys: ["keep", ""]) { id } }`, {
      id: host.id,
    });
    await failsWithoutTrace('addLabels with a bad label', 'BAD_USER_INPUT', `mutation($id: ID!) { addLabels(id: $id, labels: ["good", "bad,label"]) { id } }`, {
      id: host.id,
    });
    await failsWithoutTrace('updateHost with a good name and a bad address', 'BAD_USER_INPUT', `mutation($id: ID!) { updateHost(id: $id, input: { name: "multi-renamed", ipAddress: "300.1.1.1" }) { id } }`, {
      id: host.id,
    });
    await failsWithoutTrace('createNetworkInterface with a bad address', 'BAD_USER_INPUT', `mutation($d: ID!) { createNetworkInterface(input: { deviceId: $d, name: "eth5", ipAddress: "not-an-ip", variables: { a: 1 } }) { id } }`, {
      d: host.id,
    });
    await failsWithoutTrace('createNetwork with a bad CIDR', 'BAD_USER_INPUT', `mutation($r: ID!) { createNetwork(input: { regionId: $r, name: "multi-net", cidr: "10.0.0.0/33", variables: { a: 1 } }) { id } }`, {
      r: h.regionId,
    });
    const read = await a.ok(`query($id: ID!) { node(id: $id) { ... on Host { name labels variables ipAddress interfaces { id } } } }`, { id: host.id });
    expect(read.node).toEqual({ name: host.name, labels: ['a'], variables: { keep: 1 }, ipAddress: null, interfaces: [] });
    const nets = await a.ok(`{ networks(first: 1000, name: "multi-net") { totalCount } }`);
    expect(nets.networks.totalCount).toBe(0);
  });

  it('a refused delete (a device with children, a cloud holding the parent of an outside device) deletes and records nothing', async () => {
    const h1 = await makeHierarchy(a, uniq('refuse1'));
    const h2 = await makeHierarchy(a, uniq('refuse2'));
    const parent = await makeHost(a, { regionId: h1.regionId, cellId: h1.cellId, name: uniq('refuse-parent') });
    const child = await makeHost(a, { regionId: h2.regionId, parentId: parent.id, name: uniq('refuse-child') });
    await failsWithoutTrace('deleting a host with a child', 'CONFLICT', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: parent.id });
    await failsWithoutTrace('deleting the cloud of a parent with an outside child', 'CONFLICT', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: h1.cloudId });
    await failsWithoutTrace('deleting the cell of a parent with an outside child', 'CONFLICT', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: h1.cellId });
    for (const id of [h1.cloudId, h1.regionId, h1.cellId, parent.id, child.id]) expect(await nodeOf(a, id), id).not.toBeNull();
  });

  it('in a document of two createHost mutations where the second fails, the first is kept with its record and the second leaves none', async () => {
    const h = await makeHierarchy(a, uniq('pair'));
    const taken = await makeHost(a, { regionId: h.regionId, name: uniq('pair-taken') });
    const fresh = uniq('pair-fresh');
    const requestId = uniq('req-pair');
    const { result: res, changes } = await recorded(a, () =>
      a.gql(
        `mutation($r: ID!, $n1: String!, $n2: String!) {
          one: createHost(input: { regionId: $r, name: $n1, labels: ["pair"] }) { id }
          two: createHost(input: { regionId: $r, name: $n2, labels: ["pair-two"], variables: { two: 2 } }) { id }
        }`,
        { r: h.regionId, n1: fresh, n2: taken.name },
        { headers: { 'x-request-id': requestId } },
      ),
    );
    expect(codeOf(res), describeResponse(res)).toBe('CONFLICT');
    // Both fields are non-null, so the failure of the second nulls the data: find the first by its name.
    const found = await a.ok(DEVICE_NAMES, { n: fresh });
    expect(found.devices.totalCount, 'the first createHost committed').toBe(1);
    const oneId = found.devices.edges[0].node.id;
    expect(changes.map((ch) => [ch.action, ch.objectType, ch.objectId, ch.requestId]), describeChanges(changes)).toEqual([['CREATE', 'Host', oneId, requestId]]);
    const labels = await a.ok(`{ labels(first: 1000) { edges { node { name } } } }`);
    expect(labels.labels.edges.map((e: any) => e.node.name)).not.toContain('pair-two');
    expect((await nodeOf(a, oneId)).name).toBe(fresh);
  });

  it('changes(objectId:) returns the whole history of one object, newest first, even after it was deleted', async () => {
    const h = await makeHierarchy(a, uniq('obj'));
    const host = await makeHost(a, { regionId: h.regionId, name: uniq('obj-host') });
    const noise = await makeHost(a, { regionId: h.regionId, name: uniq('obj-noise') });
    await a.ok(`mutation($id: ID!) { updateHost(id: $id, input: { note: "one" }) { id } }`, { id: host.id });
    await a.ok(`mutation($id: ID!) { updateHost(id: $id, input: { note: "noise" }) { id } }`, { id: noise.id });
    await a.ok(`mutation($id: ID!) { setVariables(id: $id, values: { two: 2 }) { id } }`, { id: host.id });
    await a.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["three"]) { id } }`, { id: host.id });
    await a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: host.id });
    const data = await a.ok(`query($id: ID!) { changes(first: 100, objectId: $id) { totalCount edges { node { ${CHANGE_FIELDS} } } } }`, { id: host.id });
    const nodes: Change[] = data.changes.edges.map((e: any) => e.node);
    expect(nodes.map((n) => n.action), describeChanges(nodes)).toEqual(['DELETE', 'UPDATE', 'UPDATE', 'UPDATE', 'CREATE']);
    expect(nodes.every((n) => n.objectId === host.id && n.objectType === 'Host')).toBe(true);
    expect(nodes[1]!.after).toMatchObject({ labels: ['three'] });
    expect(nodes[2]!.after).toMatchObject({ variables: { two: 2 } });
    expect(nodes[3]!.after).toMatchObject({ note: 'one' });
    expect(data.changes.totalCount).toBe(5);

    const none = await a.ok(`query($id: ID!) { changes(objectId: $id) { totalCount edges { node { id } } } }`, { id: h.cellId });
    expect(none.changes.totalCount, 'the cell was only created').toBe(1);
    for (const bad of ['not-an-id', '', 'Q2xvdWQ']) {
      const res = await a.gql(`query($id: ID) { changes(objectId: $id) { totalCount } }`, { id: bad });
      expect(codeOf(res), `objectId '${bad}': ${describeResponse(res)}`).toBe('BAD_USER_INPUT');
    }
  });

  it('changes(since:) returns exactly the records at or after that instant', async () => {
    const cloud = await makeCloud(a, uniq('since'));
    for (let i = 0; i < 6; i++) {
      await a.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: cloud.id, v: { i } });
      await new Promise((r) => setTimeout(r, 15));
    }
    const all = await latestChanges(a);
    const pivot = all[3]!;
    const since = pivot.at;
    const data = await a.ok(`query($s: DateTime) { changes(first: 1000, since: $s) { totalCount edges { node { id at } } } }`, { s: since });
    const got = data.changes.edges.map((e: any) => e.node.id);
    const expected = all.filter((c) => Date.parse(c.at) >= Date.parse(since)).map((c) => c.id);
    expect(got).toEqual(expected);
    expect(got).toContain(pivot.id);
    expect(data.changes.totalCount).toBe(expected.length);

    const future = await a.ok(`query($s: DateTime) { changes(since: $s) { totalCount edges { node { id } } } }`, { s: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.changes).toEqual({ totalCount: 0, edges: [] });
    const both = await a.ok(`query($s: DateTime, $id: ID) { changes(first: 1000, since: $s, objectId: $id) { edges { node { id objectId } } } }`, { s: since, id: cloud.id });
    expect(both.changes.edges.map((e: any) => e.node.id)).toEqual(all.filter((c) => c.objectId === cloud.id && Date.parse(c.at) >= Date.parse(since)).map((c) => c.id));
    const bad = await a.gql(`query($s: DateTime) { changes(since: $s) { totalCount } }`, { s: 'yesterday' });
    expect(codeOf(bad), describeResponse(bad)).toBe('BAD_USER_INPUT');
  });

  it('pages through the trail newest first with no gap and no repeat, even while new changes arrive', async () => {
    const cloud = await makeCloud(a, uniq('pages'));
    for (let i = 0; i < 22; i++) await a.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: cloud.id, v: { i } });
    const full = await latestChanges(a);
    const ids = full.map((c) => c.id);
    expect(new Set(ids).size, 'ids are unique').toBe(ids.length);
    for (let i = 1; i < full.length; i++) {
      expect(Date.parse(full[i - 1]!.at), `newest first at ${i}`).toBeGreaterThanOrEqual(Date.parse(full[i]!.at));
    }
    expect(full[0]!.after).toMatchObject({ variables: { i: 21 } });

    const page = `query($after: String, $id: ID) { changes(first: 7, after: $after, objectId: $id) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`;
    for (const objectId of [null, cloud.id]) {
      const now = await latestChanges(a);
      const expected = (objectId ? now.filter((c) => c.objectId === objectId) : now).map((c) => c.id);
      const seen: string[] = [];
      let after: string | null = null;
      for (let n = 0; n < 100; n++) {
        const data: any = await a.ok(page, { after, id: objectId });
        if (n === 0) expect(data.changes.totalCount, 'totalCount').toBe(expected.length);
        seen.push(...data.changes.edges.map((e: any) => e.node.id));
        if (n === 0) {
          // Writes between two pages are newer than every record of the walk: they must not shift it.
          await a.ok(`mutation($id: ID!) { setVariables(id: $id, values: { between: true }) { id } }`, { id: cloud.id });
          await a.ok(`mutation($id: ID!) { deleteVariables(id: $id, keys: ["between"]) { id } }`, { id: cloud.id });
        }
        if (!data.changes.pageInfo.hasNextPage) break;
        after = data.changes.pageInfo.endCursor;
      }
      expect(seen, `walk of ${objectId ?? 'the project'} in pages of 7`).toEqual(expected);
    }
    const zero = await a.ok(`{ changes(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage } } }`);
    expect(zero.changes.edges).toEqual([]);
    expect(zero.changes.totalCount).toBeGreaterThan(20);
    const tooMany = await a.gql(`{ changes(first: 1001) { totalCount } }`);
    expect(codeOf(tooMany), describeResponse(tooMany)).toBe('BAD_USER_INPUT');
    const badCursor = await a.gql(`{ changes(after: "garbage!") { totalCount } }`);
    expect(codeOf(badCursor), describeResponse(badCursor)).toBe('BAD_USER_INPUT');
  });

  it('another project’s changes are invisible, even by objectId, while root sees them acting in that project', async () => {
    const requestId = uniq('req-q');
    const qCloud = await q.ok(`mutation { createCloud(input: { name: "q-cloud", variables: { secret: "q-only" } }) { id } }`, {}, { headers: { 'x-request-id': requestId } });
    const qId = qCloud.createCloud.id as string;
    await q.ok(`mutation($id: ID!) { setVariables(id: $id, values: { more: 1 }) { id } }`, { id: qId });

    const mine = JSON.stringify(await latestChanges(a));
    expect(mine).not.toContain(qId);
    expect(mine).not.toContain(requestId);
    expect(mine).not.toContain('q-only');
    const byId = await a.gql(`query($id: ID) { changes(objectId: $id) { totalCount edges { node { id } } } }`, { id: qId });
    if (byId.body.errors?.length) expect(codeOf(byId), describeResponse(byId)).toBe('NOT_FOUND');
    else expect(byId.body.data.changes, describeResponse(byId)).toEqual({ totalCount: 0, edges: [] });

    const theirs = await latestChanges(q);
    expect(theirs.map((c) => c.objectId)).toEqual([qId, qId]);
    expect(theirs[1]).toMatchObject({ actor: 'other-admin', requestId, action: 'CREATE' });
    const asRoot = await latestChanges(root, 1000, { project: other.projectId });
    expect(asRoot.map((c) => c.id)).toEqual(theirs.map((c) => c.id));
    const rootHome = JSON.stringify(await latestChanges(root));
    expect(rootHome, 'root’s own project has none of them').not.toContain(qId);
    const viewed = await latestChanges(root.as({ key: viewer.key }));
    expect(viewed.length, 'a VIEWER reads its project’s trail').toBeGreaterThan(0);
    expect(JSON.stringify(viewed)).not.toContain(qId);
  });

  it('names the acting user: an OPERATOR by its name, root by its own name when it acts in the project', async () => {
    const o = root.as({ key: operator.key });
    const byOperator = await single('operator-create', `mutation($n: String!) { createCloud(input: { name: $n }) { id } }`, { n: uniq('by-op') }, o);
    expect(byOperator.change.actor).toBe('hist-operator');
    const byRoot = await single('root-create', `mutation($n: String!) { createCloud(input: { name: $n }) { id } }`, { n: uniq('by-root') }, root.as({ project: admin.projectId }));
    expect(byRoot.change.actor).toBe('root');
    const refused = await root.gql(`mutation { createCloud(input: { name: "by-viewer" }) { id } }`, {}, { key: viewer.key });
    expect(codeOf(refused)).toBe('FORBIDDEN');
  });

  it('gives requests without X-Request-Id an id of their own, shared by all records of that request', async () => {
    const c = await populatedCloud(uniq('rid'));
    const { changes } = await recorded(a, () => a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: c.region.id }));
    expect(changes.length).toBeGreaterThan(3);
    const ids = new Set(changes.map((ch) => ch.requestId));
    expect(ids.size, describeChanges(changes)).toBe(1);
    const [rid] = [...ids];
    expect(rid && rid.length > 0).toBe(true);
    const next = await recorded(a, () => a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: c.cloud.id }));
    expect(next.changes[0]!.requestId, 'another request, another id').not.toBe(rid);
  });
});
