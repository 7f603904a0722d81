// Hierarchy consistency (cells, clouds and regions agree), device parent cycles, cascade deletes,
// refusals of deletes that would orphan something, and name uniqueness in each scope.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
import {
  makeCell,
  makeCloud,
  makeHost,
  makeInterface,
  makeNetwork,
  makeNetworkDevice,
  makeProjectWithUser,
  makeRegion,
  nodeOf,
  uniq,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

function expectCode(res: GqlResponse, code: string, what = ''): void {
  expect(codeOf(res), `${what} ${describeResponse(res)}`).toBe(code);
}

describeEachStore('inventory hierarchy', (store) => {
  let root: TestGateway;
  let t: TestGateway;
  let other: TestGateway;
  // Two clouds; cloud A has regions A1 (cells A1a, A1b) and A2 (cell A2a); cloud B has region B1.
  let cloudA: string, cloudB: string, regionA1: string, regionA2: string, regionB1: string;
  let cellA1a: string, cellA1b: string, cellA2a: string;

  const createHost = (input: Record<string, unknown>) =>
    t.gql(`mutation($input: CreateHostInput!) { createHost(input: $input) { id } }`, { input });
  const updateHost = (id: string, input: Record<string, unknown>) =>
    t.gql(`mutation($id: ID!, $input: UpdateHostInput!) { updateHost(id: $id, input: $input) { id parent { id } cell { id } } }`, {
      id,
      input,
    });
  const deleteNode = (id: string) => t.gql(`mutation($id: ID!) { deleteNode(id: $id) }`, { id });

  beforeAll(async () => {
    root = await startGateway(store);
    const admin = await makeProjectWithUser(root, 'ADMIN');
    t = root.as({ key: admin.key });
    other = root.as({ key: (await makeProjectWithUser(root, 'ADMIN')).key });
    cloudA = (await makeCloud(t, 'cloud-a')).id;
    cloudB = (await makeCloud(t, 'cloud-b')).id;
    regionA1 = (await makeRegion(t, { cloudId: cloudA, name: 'a1' })).id;
    regionA2 = (await makeRegion(t, { cloudId: cloudA, name: 'a2' })).id;
    regionB1 = (await makeRegion(t, { cloudId: cloudB, name: 'b1' })).id;
    cellA1a = (await makeCell(t, { regionId: regionA1, name: 'a1a' })).id;
    cellA1b = (await makeCell(t, { regionId: regionA1, name: 'a1b' })).id;
    cellA2a = (await makeCell(t, { regionId: regionA2, name: 'a2a' })).id;
  });
  afterAll(async () => {
    await root?.stop();
  });

  it('accepts a cell whose cloudId is its region’s cloud and refuses one with another cloud (BAD_USER_INPUT)', async () => {
    const good = await t.gql(`mutation($input: CreateCellInput!) { createCell(input: $input) { id cloud { id } } }`, {
      input: { regionId: regionA1, cloudId: cloudA, name: uniq('cell') },
    });
    expect(good.body.data?.createCell?.cloud, describeResponse(good)).toEqual({ id: cloudA });
    const name = uniq('cell');
    const bad = await t.gql(`mutation($input: CreateCellInput!) { createCell(input: $input) { id } }`, {
      input: { regionId: regionA1, cloudId: cloudB, name },
    });
    expectCode(bad, 'BAD_USER_INPUT');
    const cells = await t.ok(`query($n: String) { cells(name: $n) { totalCount } }`, { n: name });
    expect(cells.cells.totalCount).toBe(0);
  });

  it('refuses a host or network device whose cloudId is not its region’s cloud (BAD_USER_INPUT)', async () => {
    expectCode(await createHost({ regionId: regionB1, cloudId: cloudA, name: uniq('h') }), 'BAD_USER_INPUT', 'host');
    const nd = await t.gql(`mutation($input: CreateNetworkDeviceInput!) { createNetworkDevice(input: $input) { id } }`, {
      input: { regionId: regionB1, cloudId: cloudA, name: uniq('sw') },
    });
    expectCode(nd, 'BAD_USER_INPUT', 'network device');
    const net = await t.gql(`mutation($input: CreateNetworkInput!) { createNetwork(input: $input) { id } }`, {
      input: { regionId: regionB1, cloudId: cloudA, name: uniq('net') },
    });
    expectCode(net, 'BAD_USER_INPUT', 'network');
    const ok = await createHost({ regionId: regionB1, cloudId: cloudB, name: uniq('h') });
    expect(ok.body.errors, describeResponse(ok)).toBeUndefined();
  });

  it('refuses a device or network in a cell of another region (BAD_USER_INPUT), on create and on update', async () => {
    const name = uniq('h');
    expectCode(await createHost({ regionId: regionA1, cellId: cellA2a, name }), 'BAD_USER_INPUT', 'createHost');
    const hosts = await t.ok(`query($n: String) { hosts(filter: { name: $n }) { totalCount } }`, { n: name });
    expect(hosts.hosts.totalCount).toBe(0);

    const nd = await t.gql(`mutation($input: CreateNetworkDeviceInput!) { createNetworkDevice(input: $input) { id } }`, {
      input: { regionId: regionA1, cellId: cellA2a, name: uniq('sw') },
    });
    expectCode(nd, 'BAD_USER_INPUT', 'createNetworkDevice');
    const net = await t.gql(`mutation($input: CreateNetworkInput!) { createNetwork(input: $input) { id } }`, {
      input: { regionId: regionA1, cellId: cellA2a, name: uniq('net') },
    });
    expectCode(net, 'BAD_USER_INPUT', 'createNetwork');

    const host = await makeHost(t, { regionId: regionA1, cellId: cellA1a, name: uniq('h') });
    expectCode(await updateHost(host.id, { cellId: cellA2a }), 'BAD_USER_INPUT', 'updateHost');
    const moved = await updateHost(host.id, { cellId: cellA1b });
    expect(moved.body.data?.updateHost?.cell, describeResponse(moved)).toEqual({ id: cellA1b });

    const sw = await makeNetworkDevice(t, { regionId: regionA1, name: uniq('sw') });
    const swUpd = await t.gql(
      `mutation($id: ID!, $input: UpdateNetworkDeviceInput!) { updateNetworkDevice(id: $id, input: $input) { id } }`,
      { id: sw.id, input: { cellId: cellA2a } },
    );
    expectCode(swUpd, 'BAD_USER_INPUT', 'updateNetworkDevice');
    const swRead = await t.ok(`query($id: ID!) { node(id: $id) { ... on Device { cell { id } } } }`, { id: sw.id });
    expect(swRead.node.cell).toBeNull();
  });

  it('refuses an interface on a network of another region (BAD_USER_INPUT)', async () => {
    const host = await makeHost(t, { regionId: regionA1, name: uniq('h') });
    const farNet = await makeNetwork(t, { regionId: regionA2, name: uniq('net') });
    const res = await t.gql(`mutation($input: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $input) { id } }`, {
      input: { deviceId: host.id, networkId: farNet.id, name: 'eth0', ipAddress: '10.0.0.1' },
    });
    expectCode(res, 'BAD_USER_INPUT');
  });

  it('refuses a device as its own parent and a descendant as parent (BAD_USER_INPUT), leaving the tree unchanged', async () => {
    const a = await makeHost(t, { regionId: regionA1, name: uniq('a') });
    const b = await makeNetworkDevice(t, { regionId: regionA1, name: uniq('b'), parentId: a.id });
    const c = await makeHost(t, { regionId: regionA1, name: uniq('c'), parentId: b.id });
    const d = await makeHost(t, { regionId: regionA1, name: uniq('d'), parentId: c.id });

    expectCode(await updateHost(a.id, { parentId: a.id }), 'BAD_USER_INPUT', 'own parent');
    expectCode(await updateHost(a.id, { parentId: b.id }), 'BAD_USER_INPUT', 'child as parent');
    expectCode(await updateHost(a.id, { parentId: d.id }), 'BAD_USER_INPUT', 'great-grandchild as parent');
    expectCode(await updateHost(c.id, { parentId: d.id }), 'BAD_USER_INPUT', 'child as parent (middle)');
    const ndSelf = await t.gql(
      `mutation($id: ID!, $input: UpdateNetworkDeviceInput!) { updateNetworkDevice(id: $id, input: $input) { id } }`,
      { id: b.id, input: { parentId: d.id } },
    );
    expectCode(ndSelf, 'BAD_USER_INPUT', 'network device under its grandchild');

    const top = await t.ok(`query($id: ID!) { node(id: $id) { ... on Device { parent { id } } } }`, { id: a.id });
    expect(top.node.parent, 'a stays a root device').toBeNull();
    for (const [child, parent] of [
      [b, a],
      [c, b],
      [d, c],
    ] as const) {
      const read = await t.ok(`query($id: ID!) { node(id: $id) { ... on Device { parent { id } } } }`, { id: child.id });
      expect(read.node.parent, `${child.name} keeps its parent`).toEqual({ id: parent.id });
    }
    // A legal move still works: d directly under a.
    const moved = await updateHost(d.id, { parentId: a.id });
    expect(moved.body.data?.updateHost?.parent, describeResponse(moved)).toEqual({ id: a.id });
  });

  it('refuses to delete a device with children (CONFLICT) and deletes it once the children are gone', async () => {
    const parent = await makeHost(t, { regionId: regionA1, name: uniq('parent') });
    const child = await makeHost(t, { regionId: regionA1, name: uniq('child'), parentId: parent.id });
    expectCode(await deleteNode(parent.id), 'CONFLICT');
    expect(await nodeOf(t, parent.id)).not.toBeNull();
    expect(await nodeOf(t, child.id)).not.toBeNull();
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: child.id });
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: parent.id });
    expect(await nodeOf(t, parent.id)).toBeNull();
  });

  it('refuses to delete a network with interfaces (CONFLICT) and deletes it once they are gone', async () => {
    const net = await makeNetwork(t, { regionId: regionA1, name: uniq('net') });
    const host = await makeHost(t, { regionId: regionA1, name: uniq('h') });
    const nic = await makeInterface(t, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.0.0.5' });
    expectCode(await deleteNode(net.id), 'CONFLICT');
    expect(await nodeOf(t, net.id)).not.toBeNull();
    expect(await nodeOf(t, nic.id)).not.toBeNull();
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: nic.id });
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: net.id });
    expect(await nodeOf(t, net.id)).toBeNull();
  });

  it('deletes a device together with its interfaces', async () => {
    const net = await makeNetwork(t, { regionId: regionA1, name: uniq('net') });
    const host = await makeHost(t, { regionId: regionA1, name: uniq('h') });
    const nic = await makeInterface(t, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.0.0.6' });
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: host.id });
    expect(await nodeOf(t, nic.id)).toBeNull();
    const netRead = await t.ok(`query($id: ID!) { node(id: $id) { ... on Network { interfaces { id } } } }`, { id: net.id });
    expect(netRead.node.interfaces).toEqual([]);
  });

  /** A cloud with two regions, cells, a device tree, a network device, networks and interfaces. */
  async function populatedCloud() {
    const p = uniq('casc');
    const cloud = await makeCloud(t, `${p}-cloud`, { level: 'cloud' });
    const r1 = await makeRegion(t, { cloudId: cloud.id, name: `${p}-r1` });
    const r2 = await makeRegion(t, { cloudId: cloud.id, name: `${p}-r2` });
    const c1 = await makeCell(t, { regionId: r1.id, name: `${p}-c1` });
    const c2 = await makeCell(t, { regionId: r2.id, name: `${p}-c2` });
    const h1 = await makeHost(t, { regionId: r1.id, cellId: c1.id, name: `${p}-h1`, labels: [`${p}-label`] });
    const h2 = await makeHost(t, { regionId: r1.id, cellId: c1.id, name: `${p}-h2`, parentId: h1.id });
    const h3 = await makeHost(t, { regionId: r1.id, name: `${p}-h3`, labels: [`${p}-label`] });
    const sw = await makeNetworkDevice(t, { regionId: r2.id, cellId: c2.id, name: `${p}-sw` });
    const h4 = await makeHost(t, { regionId: r2.id, cellId: c2.id, name: `${p}-h4`, parentId: sw.id });
    const n1 = await makeNetwork(t, { regionId: r1.id, cellId: c1.id, name: `${p}-n1` });
    const n2 = await makeNetwork(t, { regionId: r2.id, name: `${p}-n2` });
    const i1 = await makeInterface(t, { deviceId: h1.id, networkId: n1.id, name: 'eth0', ipAddress: '10.1.0.1' });
    const i2 = await makeInterface(t, { deviceId: sw.id, networkId: n2.id, name: 'eth0', ipAddress: '10.2.0.1' });
    const i3 = await makeInterface(t, { deviceId: h3.id, networkId: n1.id, name: 'eth0', ipAddress: '10.1.0.3' });
    return { p, cloud, r1, r2, c1, c2, h1, h2, h3, h4, sw, n1, n2, i1, i2, i3 };
  }

  async function expectGone(ids: Record<string, { id: string }>) {
    for (const [what, { id }] of Object.entries(ids)) expect(await nodeOf(t, id), `${what} is gone`).toBeNull();
  }
  async function expectPresent(ids: Record<string, { id: string }>) {
    for (const [what, { id }] of Object.entries(ids)) expect(await nodeOf(t, id), `${what} is still there`).not.toBeNull();
  }

  it('deleting a cloud removes its regions, cells, devices, networks and interfaces, and nothing else', async () => {
    const bystander = await populatedCloud();
    const x = await populatedCloud();
    const res = await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: x.cloud.id });
    expect(res.deleteNode).toBe(x.cloud.id);
    const { p, ...everything } = x;
    await expectGone(everything);
    const { p: _bp, ...all } = bystander;
    await expectPresent(all);

    const left = await t.ok(`query($n: String) { devices(first: 1000, filter: { nameContains: $n }) { totalCount } }`, {
      n: p,
    });
    expect(left.devices.totalCount).toBe(0);
    const labels = await t.ok(`{ labels(first: 1000) { edges { node { name deviceCount } } } }`);
    expect(labels.labels.edges.map((e: any) => e.node.name)).not.toContain(`${p}-label`);
    expect(labels.labels.edges.find((e: any) => e.node.name === `${bystander.p}-label`)?.node.deviceCount).toBe(2);
    const regions = await t.ok(`query($c: ID) { regions(cloudId: $c) { totalCount } }`, { c: x.cloud.id });
    expect(regions.regions.totalCount).toBe(0);
  });

  it('deleting a region removes its cells, devices, networks and interfaces and keeps its cloud and sibling region', async () => {
    const x = await populatedCloud();
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: x.r1.id });
    await expectGone({ r1: x.r1, c1: x.c1, h1: x.h1, h2: x.h2, h3: x.h3, n1: x.n1, i1: x.i1, i3: x.i3 });
    await expectPresent({ cloud: x.cloud, r2: x.r2, c2: x.c2, sw: x.sw, h4: x.h4, n2: x.n2, i2: x.i2 });
    const regions = await t.ok(`query($id: ID!) { node(id: $id) { ... on Cloud { regions { edges { node { id } } } } } }`, {
      id: x.cloud.id,
    });
    expect(regions.node.regions.edges.map((e: any) => e.node.id)).toEqual([x.r2.id]);
  });

  it('deleting a cell removes the devices and networks in it and keeps the rest of its region', async () => {
    const x = await populatedCloud();
    // c1 holds h1 (with child h2 and interface i1), h2 and n1; n1 also carries i3 of h3, which is outside c1.
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: x.i3.id });
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: x.c1.id });
    await expectGone({ c1: x.c1, h1: x.h1, h2: x.h2, n1: x.n1, i1: x.i1 });
    await expectPresent({ cloud: x.cloud, r1: x.r1, h3: x.h3, r2: x.r2, c2: x.c2, sw: x.sw, h4: x.h4, n2: x.n2, i2: x.i2 });
  });

  it('refuses a second cloud of the same name in a project (CONFLICT) but accepts it in another project', async () => {
    const name = uniq('dup-cloud');
    await makeCloud(t, name);
    expectCode(await t.gql(`mutation { createCloud(input: { name: "${name}" }) { id } }`), 'CONFLICT');
    const elsewhere = await other.gql(`mutation { createCloud(input: { name: "${name}" }) { id } }`);
    expect(elsewhere.body.errors, describeResponse(elsewhere)).toBeUndefined();
    const listed = await t.ok(`query($n: String) { clouds(name: $n) { totalCount } }`, { n: name });
    expect(listed.clouds.totalCount).toBe(1);
  });

  it('refuses renaming a cloud onto an existing name (CONFLICT) and frees a name when its cloud is deleted', async () => {
    const a = await makeCloud(t, uniq('cloud'));
    const b = await makeCloud(t, uniq('cloud'));
    const rename = await t.gql(`mutation($id: ID!, $n: String!) { updateCloud(id: $id, input: { name: $n }) { id } }`, {
      id: b.id,
      n: a.name,
    });
    expectCode(rename, 'CONFLICT');
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: a.id });
    const again = await t.gql(`mutation($n: String!) { createCloud(input: { name: $n }) { id } }`, { n: a.name });
    expect(again.body.errors, describeResponse(again)).toBeUndefined();
  });

  it('refuses a duplicate region name in a cloud (CONFLICT) but accepts it in another cloud', async () => {
    const name = uniq('region');
    await makeRegion(t, { cloudId: cloudA, name });
    const dup = await t.gql(`mutation($c: ID!, $n: String!) { createRegion(input: { cloudId: $c, name: $n }) { id } }`, {
      c: cloudA,
      n: name,
    });
    expectCode(dup, 'CONFLICT');
    await makeRegion(t, { cloudId: cloudB, name });
    const existing = await makeRegion(t, { cloudId: cloudA, name: uniq('region') });
    const rename = await t.gql(`mutation($id: ID!, $n: String!) { updateRegion(id: $id, input: { name: $n }) { id } }`, {
      id: existing.id,
      n: name,
    });
    expectCode(rename, 'CONFLICT', 'rename');
  });

  it('refuses a duplicate cell name in a region (CONFLICT) but accepts it in another region', async () => {
    const name = uniq('cell');
    await makeCell(t, { regionId: regionA1, name });
    const dup = await t.gql(`mutation($r: ID!, $n: String!) { createCell(input: { regionId: $r, name: $n }) { id } }`, {
      r: regionA1,
      n: name,
    });
    expectCode(dup, 'CONFLICT');
    await makeCell(t, { regionId: regionA2, name });
    const existing = await makeCell(t, { regionId: regionA1, name: uniq('cell') });
    const rename = await t.gql(`mutation($id: ID!, $n: String!) { updateCell(id: $id, input: { name: $n }) { id } }`, {
      id: existing.id,
      n: name,
    });
    expectCode(rename, 'CONFLICT', 'rename');
  });

  it('refuses a device name already used in the region by a host or a network device (CONFLICT) but accepts it in another region', async () => {
    const hostName = uniq('dev');
    await makeHost(t, { regionId: regionA1, cellId: cellA1a, name: hostName });
    expectCode(await createHost({ regionId: regionA1, name: hostName }), 'CONFLICT', 'host after host');
    expectCode(await createHost({ regionId: regionA1, cellId: cellA1b, name: hostName }), 'CONFLICT', 'host in another cell');
    const ndAfterHost = await t.gql(`mutation($input: CreateNetworkDeviceInput!) { createNetworkDevice(input: $input) { id } }`, {
      input: { regionId: regionA1, name: hostName },
    });
    expectCode(ndAfterHost, 'CONFLICT', 'network device after host');

    const swName = uniq('dev');
    await makeNetworkDevice(t, { regionId: regionA1, name: swName });
    expectCode(await createHost({ regionId: regionA1, name: swName }), 'CONFLICT', 'host after network device');

    await makeHost(t, { regionId: regionA2, name: hostName });
    await makeNetworkDevice(t, { regionId: regionB1, name: swName });

    const h = await makeHost(t, { regionId: regionA1, name: uniq('dev') });
    expectCode(await updateHost(h.id, { name: swName }), 'CONFLICT', 'rename host onto a network device');
  });

  it('refuses a duplicate network name in a region of the project (CONFLICT) but accepts it in another region or project', async () => {
    const name = uniq('net');
    await makeNetwork(t, { regionId: regionA1, name });
    const dup = await t.gql(`mutation($r: ID!, $n: String!) { createNetwork(input: { regionId: $r, name: $n }) { id } }`, {
      r: regionA1,
      n: name,
    });
    expectCode(dup, 'CONFLICT');
    const dupInCell = await t.gql(
      `mutation($r: ID!, $c: ID!, $n: String!) { createNetwork(input: { regionId: $r, cellId: $c, name: $n }) { id } }`,
      { r: regionA1, c: cellA1a, n: name },
    );
    expectCode(dupInCell, 'CONFLICT', 'same region, in a cell');
    await makeNetwork(t, { regionId: regionA2, name });
    const otherCloud = await makeCloud(other, uniq('cloud'));
    const otherRegion = await makeRegion(other, { cloudId: otherCloud.id, name: 'a1' });
    await makeNetwork(other, { regionId: otherRegion.id, name });
    const existing = await makeNetwork(t, { regionId: regionA1, name: uniq('net') });
    const rename = await t.gql(`mutation($id: ID!, $n: String!) { updateNetwork(id: $id, input: { name: $n }) { id } }`, {
      id: existing.id,
      n: name,
    });
    expectCode(rename, 'CONFLICT', 'rename');
  });

  it('refuses a duplicate interface name on a device (CONFLICT) but accepts it on another device', async () => {
    const h1 = await makeHost(t, { regionId: regionA1, name: uniq('h') });
    const h2 = await makeHost(t, { regionId: regionA1, name: uniq('h') });
    await makeInterface(t, { deviceId: h1.id, name: 'eth0', ipAddress: '10.9.0.1' });
    const dup = await t.gql(
      `mutation($d: ID!) { createNetworkInterface(input: { deviceId: $d, name: "eth0", ipAddress: "10.9.0.2" }) { id } }`,
      { d: h1.id },
    );
    expectCode(dup, 'CONFLICT');
    await makeInterface(t, { deviceId: h2.id, name: 'eth0', ipAddress: '10.9.0.3' });
    await makeInterface(t, { deviceId: h1.id, name: 'eth1', ipAddress: '10.9.0.4' });
  });
});
