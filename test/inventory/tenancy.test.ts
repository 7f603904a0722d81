// Tenancy: nothing of project B can be read, listed, changed, deleted or referenced from project A,
// and every refusal looks like the object does not exist (NOT_FOUND, node null).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
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
  type ProjectUser,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

describeEachStore('tenancy between projects', (store) => {
  let root: TestGateway;
  let a: TestGateway; // ADMIN of project A
  let b: TestGateway; // ADMIN of project B
  let adminA: ProjectUser;
  let adminB: ProjectUser;
  let viewerB: ProjectUser;
  let viewerBKeyId: string;
  // Project A's own objects, used as legal parents next to B's foreign ones.
  let own: { cloud: string; region: string; cell: string; host: string; network: string };
  // One object of every type in project B.
  let foreign: {
    Project: string;
    User: string;
    Cloud: string;
    Region: string;
    Cell: string;
    Host: string;
    ChildHost: string;
    NetworkDevice: string;
    Network: string;
    NetworkInterface: string;
  };
  const foreignNames = ['b-cloud', 'b-region', 'b-cell', 'b-host', 'b-child', 'b-switch', 'b-net', 'b-label'];

  beforeAll(async () => {
    root = await startGateway(store);
    adminA = await makeProjectWithUser(root, 'ADMIN', { projectName: 'project-a' });
    adminB = await makeProjectWithUser(root, 'ADMIN', { projectName: 'project-b' });
    a = root.as({ key: adminA.key });
    b = root.as({ key: adminB.key });

    const cloudA = await makeCloud(a, 'a-cloud');
    const regionA = await makeRegion(a, { cloudId: cloudA.id, name: 'a-region' });
    const cellA = await makeCell(a, { regionId: regionA.id, name: 'a-cell' });
    const hostA = await makeHost(a, { regionId: regionA.id, cellId: cellA.id, name: 'a-host', labels: ['a-label'] });
    const netA = await makeNetwork(a, { regionId: regionA.id, name: 'a-net' });
    own = { cloud: cloudA.id, region: regionA.id, cell: cellA.id, host: hostA.id, network: netA.id };

    const vars = { owner: 'b' };
    const cloud = await makeCloud(b, 'b-cloud', vars);
    const region = await makeRegion(b, { cloudId: cloud.id, name: 'b-region', variables: vars });
    const cell = await makeCell(b, { regionId: region.id, name: 'b-cell', variables: vars });
    const host = await makeHost(b, { regionId: region.id, cellId: cell.id, name: 'b-host', labels: ['b-label'], variables: vars });
    const child = await makeHost(b, { regionId: region.id, name: 'b-child', parentId: host.id, labels: ['b-label'] });
    const sw = await makeNetworkDevice(b, { regionId: region.id, name: 'b-switch', labels: ['b-label'], variables: vars });
    const net = await makeNetwork(b, { regionId: region.id, name: 'b-net', variables: vars });
    const nic = await makeInterface(b, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.66.0.1', variables: vars });
    viewerB = await makeProjectWithUser(root, 'VIEWER', { projectId: adminB.projectId, userName: 'b-viewer' });
    const keys = await b.ok(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id } } } }`, { id: viewerB.userId });
    viewerBKeyId = keys.node.apiKeys[0].id;
    await b.ok(`mutation($id: ID!) { setVariables(id: $id, values: { owner: "b" }) { id } }`, { id: adminB.projectId });
    foreign = {
      Project: adminB.projectId,
      User: viewerB.userId,
      Cloud: cloud.id,
      Region: region.id,
      Cell: cell.id,
      Host: host.id,
      ChildHost: child.id,
      NetworkDevice: sw.id,
      Network: net.id,
      NetworkInterface: nic.id,
    };
  });
  afterAll(async () => {
    await root?.stop();
  });

  /** Checks through B's own admin that every foreign object is still there, unchanged. */
  async function expectBUntouched() {
    for (const [type, id] of Object.entries(foreign)) {
      const node = await nodeOf(b, id);
      expect(node, `B's ${type} still exists`).not.toBeNull();
      if (type !== 'User' && type !== 'Project' && type !== 'NetworkInterface') {
        expect(foreignNames, `B's ${type} keeps its name`).toContain(node.name);
      }
    }
    for (const type of ['Project', 'Cloud', 'Region', 'Cell', 'Host', 'NetworkDevice', 'Network', 'NetworkInterface'] as const) {
      const read = await b.ok(`query($id: ID!) { node(id: $id) { ... on VariableHolder { variables } } }`, { id: foreign[type] });
      expect(read.node.variables, `B's ${type} keeps its variables`).toEqual({ owner: 'b' });
    }
    const labels = await b.ok(`query($id: ID!) { node(id: $id) { ... on Device { labels } } }`, { id: foreign.Host });
    expect(labels.node.labels).toEqual(['b-label']);
    const key = await b.gql(`{ me { user { id } } }`, {}, { key: viewerB.key });
    expect(key.body.data?.me?.user?.id, `B's viewer key still works: ${describeResponse(key)}`).toBe(viewerB.userId);
  }

  it('node(id) of every type of another project is null, while its own project sees it', async () => {
    for (const [type, id] of Object.entries(foreign)) {
      expect(await nodeOf(a, id), `A reads B's ${type}`).toBeNull();
      expect(await nodeOf(b, id), `B reads its own ${type}`).not.toBeNull();
    }
    // Nested reads through an own object never reach into B either.
    const keys = await a.gql(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id } } } }`, { id: foreign.User });
    expect(keys.body.data?.node ?? null, describeResponse(keys)).toBeNull();
  });

  it('lists of every type leave out another project’s objects', async () => {
    const lists: Array<[string, string]> = [
      ['clouds', `{ clouds(first: 1000) { totalCount edges { node { id name } } } }`],
      ['regions', `{ regions(first: 1000) { totalCount edges { node { id name } } } }`],
      ['cells', `{ cells(first: 1000) { totalCount edges { node { id name } } } }`],
      ['hosts', `{ hosts(first: 1000) { totalCount edges { node { id name } } } }`],
      ['devices', `{ devices(first: 1000) { totalCount edges { node { id name } } } }`],
      ['networkDevices', `{ networkDevices(first: 1000) { totalCount edges { node { id name } } } }`],
      ['networks', `{ networks(first: 1000) { totalCount edges { node { id name } } } }`],
      ['labels', `{ labels(first: 1000) { totalCount edges { node { name } } } }`],
      ['projects', `{ projects(first: 1000) { totalCount edges { node { id name } } } }`],
    ];
    const expectedOwn: Record<string, string[]> = {
      clouds: ['a-cloud'],
      regions: ['a-region'],
      cells: ['a-cell'],
      hosts: ['a-host'],
      devices: ['a-host'],
      networkDevices: [],
      networks: ['a-net'],
      labels: ['a-label'],
      projects: ['project-a'],
    };
    const foreignIds = new Set(Object.values(foreign));
    for (const [field, query] of lists) {
      const data = await a.ok(query);
      const names = data[field].edges.map((e: any) => e.node.name);
      for (const e of data[field].edges) expect(foreignIds.has(e.node.id), `${field} lists a B object`).toBe(false);
      expect(names, field).toEqual(expectedOwn[field]);
      expect(data[field].totalCount, `${field} totalCount`).toBe(expectedOwn[field]!.length);
    }
    const users = await a.ok(`query($id: ID!) { node(id: $id) { ... on Project { users { edges { node { id } } } } } }`, {
      id: adminA.projectId,
    });
    expect(users.node.users.edges.map((e: any) => e.node.id)).toEqual([adminA.userId]);
  });

  it('list filters naming another project’s objects return none of them', async () => {
    const filtered: Array<[string, string, Record<string, unknown>]> = [
      ['hosts', `query($f: DeviceFilter) { hosts(filter: $f) { totalCount edges { node { id } } } }`, { f: { cloudId: foreign.Cloud } }],
      ['hosts', `query($f: DeviceFilter) { hosts(filter: $f) { totalCount edges { node { id } } } }`, { f: { regionId: foreign.Region } }],
      ['hosts', `query($f: DeviceFilter) { hosts(filter: $f) { totalCount edges { node { id } } } }`, { f: { cellId: foreign.Cell } }],
      ['hosts', `query($f: DeviceFilter) { hosts(filter: $f) { totalCount edges { node { id } } } }`, { f: { parentId: foreign.Host } }],
      ['devices', `query($f: DeviceFilter) { devices(filter: $f) { totalCount edges { node { id } } } }`, { f: { labels: ['b-label'] } }],
      ['devices', `query($f: DeviceFilter) { devices(filter: $f) { totalCount edges { node { id } } } }`, { f: { name: 'b-host' } }],
      ['regions', `query($c: ID) { regions(cloudId: $c) { totalCount edges { node { id } } } }`, { c: foreign.Cloud }],
      ['cells', `query($r: ID) { cells(regionId: $r) { totalCount edges { node { id } } } }`, { r: foreign.Region }],
      ['networks', `query($r: ID) { networks(regionId: $r) { totalCount edges { node { id } } } }`, { r: foreign.Region }],
    ];
    for (const [field, query, variables] of filtered) {
      const res = await a.gql(query, variables);
      const what = `${field} ${JSON.stringify(variables)}: ${describeResponse(res)}`;
      if (res.body.errors?.length) {
        expect(['NOT_FOUND', 'BAD_USER_INPUT'], what).toContain(codeOf(res));
      } else {
        expect(res.body.data[field], what).toEqual({ totalCount: 0, edges: [] });
      }
    }
  });

  it('updates of another project’s objects answer NOT_FOUND and change nothing', async () => {
    const updates: Array<[string, string, string]> = [
      ['Cloud', 'updateCloud', 'UpdateCloudInput'],
      ['Region', 'updateRegion', 'UpdateRegionInput'],
      ['Cell', 'updateCell', 'UpdateCellInput'],
      ['Host', 'updateHost', 'UpdateHostInput'],
      ['NetworkDevice', 'updateNetworkDevice', 'UpdateNetworkDeviceInput'],
      ['Network', 'updateNetwork', 'UpdateNetworkInput'],
    ];
    for (const [type, mutation, input] of updates) {
      const res = await a.gql(`mutation($id: ID!, $input: ${input}!) { ${mutation}(id: $id, input: $input) { id } }`, {
        id: foreign[type as keyof typeof foreign],
        input: { name: `stolen-${type}` },
      });
      expect(codeOf(res), `${mutation}: ${describeResponse(res)}`).toBe('NOT_FOUND');
    }
    // Moving an own device under a foreign parent or into a foreign cell is also NOT_FOUND.
    for (const input of [{ parentId: foreign.Host }, { parentId: foreign.NetworkDevice }, { cellId: foreign.Cell }]) {
      const res = await a.gql(`mutation($id: ID!, $input: UpdateHostInput!) { updateHost(id: $id, input: $input) { id } }`, {
        id: own.host,
        input,
      });
      expect(codeOf(res), `updateHost ${JSON.stringify(input)}: ${describeResponse(res)}`).toBe('NOT_FOUND');
    }
    const mine = await a.ok(`query($id: ID!) { node(id: $id) { ... on Host { parent { id } cell { id } } } }`, { id: own.host });
    expect(mine.node).toEqual({ parent: null, cell: { id: own.cell } });
    await expectBUntouched();
  });

  it('deletes of another project’s objects are refused and delete nothing', async () => {
    // Leaves first, so that a wrongly allowed delete would really remove something.
    for (const type of ['NetworkInterface', 'ChildHost', 'NetworkDevice', 'Network', 'Cell', 'Region', 'Cloud'] as const) {
      const res = await a.gql(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: foreign[type] });
      expect(codeOf(res), `deleteNode(${type}): ${describeResponse(res)}`).toBe('NOT_FOUND');
    }
    // Projects and users are not inventory: an ADMIN of A may be refused for its role (FORBIDDEN) or
    // because the object is not visible (NOT_FOUND), or the id may be refused as not deletable
    // (BAD_USER_INPUT); what matters is that nothing is deleted and nothing is revealed.
    for (const type of ['User', 'Project'] as const) {
      const res = await a.gql(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: foreign[type] });
      expect(['NOT_FOUND', 'FORBIDDEN', 'BAD_USER_INPUT'], `deleteNode(${type}): ${describeResponse(res)}`).toContain(codeOf(res));
    }
    await expectBUntouched();
  });

  it('setVariables, deleteVariables, addLabels and removeLabels on another project’s objects answer NOT_FOUND', async () => {
    for (const type of ['Project', 'Cloud', 'Region', 'Cell', 'Host', 'NetworkDevice', 'Network', 'NetworkInterface'] as const) {
      const set = await a.gql(`mutation($id: ID!) { setVariables(id: $id, values: { owner: "a", extra: 1 }) { id } }`, {
        id: foreign[type],
      });
      expect(codeOf(set), `setVariables(${type}): ${describeResponse(set)}`).toBe('NOT_FOUND');
      const del = await a.gql(`mutation($id: ID!) { deleteVariables(id: $id, keys: ["owner"]) { id } }`, { id: foreign[type] });
      expect(codeOf(del), `deleteVariables(${type}): ${describeResponse(del)}`).toBe('NOT_FOUND');
    }
    for (const type of ['Host', 'NetworkDevice'] as const) {
      const add = await a.gql(`mutation($id: ID!) { addLabels(id: $id, labels: ["a-was-here"]) { id } }`, { id: foreign[type] });
      expect(codeOf(add), `addLabels(${type}): ${describeResponse(add)}`).toBe('NOT_FOUND');
      const rm = await a.gql(`mutation($id: ID!) { removeLabels(id: $id, labels: ["b-label"]) { id } }`, { id: foreign[type] });
      expect(codeOf(rm), `removeLabels(${type}): ${describeResponse(rm)}`).toBe('NOT_FOUND');
    }
    await expectBUntouched();
  });

  it('creates that name another project’s cloud, region, cell, device or network answer NOT_FOUND and create nothing', async () => {
    const creates: Array<[string, string, Record<string, unknown>]> = [
      ['createRegion foreign cloud', `mutation($i: CreateRegionInput!) { createRegion(input: $i) { id } }`, { cloudId: foreign.Cloud, name: 'x-region' }],
      ['createCell foreign region', `mutation($i: CreateCellInput!) { createCell(input: $i) { id } }`, { regionId: foreign.Region, name: 'x-cell' }],
      [
        'createCell own region, foreign cloud',
        `mutation($i: CreateCellInput!) { createCell(input: $i) { id } }`,
        { regionId: own.region, cloudId: foreign.Cloud, name: 'x-cell' },
      ],
      ['createHost foreign region', `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`, { regionId: foreign.Region, name: 'x-host' }],
      [
        'createHost foreign cell',
        `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`,
        { regionId: own.region, cellId: foreign.Cell, name: 'x-host' },
      ],
      [
        'createHost foreign parent',
        `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`,
        { regionId: own.region, parentId: foreign.Host, name: 'x-host' },
      ],
      [
        'createHost foreign cloud',
        `mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`,
        { regionId: own.region, cloudId: foreign.Cloud, name: 'x-host' },
      ],
      [
        'createNetworkDevice foreign region',
        `mutation($i: CreateNetworkDeviceInput!) { createNetworkDevice(input: $i) { id } }`,
        { regionId: foreign.Region, name: 'x-switch' },
      ],
      [
        'createNetworkDevice foreign parent',
        `mutation($i: CreateNetworkDeviceInput!) { createNetworkDevice(input: $i) { id } }`,
        { regionId: own.region, parentId: foreign.NetworkDevice, name: 'x-switch' },
      ],
      ['createNetwork foreign region', `mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }`, { regionId: foreign.Region, name: 'x-net' }],
      [
        'createNetwork foreign cell',
        `mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }`,
        { regionId: own.region, cellId: foreign.Cell, name: 'x-net' },
      ],
      [
        'createNetworkInterface foreign device',
        `mutation($i: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $i) { id } }`,
        { deviceId: foreign.Host, name: 'x-eth', ipAddress: '10.0.0.1' },
      ],
      [
        'createNetworkInterface foreign network',
        `mutation($i: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $i) { id } }`,
        { deviceId: own.host, networkId: foreign.Network, name: 'x-eth', ipAddress: '10.0.0.1' },
      ],
    ];
    for (const [what, query, input] of creates) {
      const res = await a.gql(query, { i: input });
      // The optional cloudId is only a consistency check against the region's cloud: a server may compare
      // ids without loading the cloud and answer BAD_USER_INPUT, which reveals nothing about B either.
      const codes = what.endsWith('foreign cloud') && what !== 'createRegion foreign cloud' ? ['NOT_FOUND', 'BAD_USER_INPUT'] : ['NOT_FOUND'];
      expect(codes, `${what}: ${describeResponse(res)}`).toContain(codeOf(res));
    }
    for (const [who, client] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const devices = await client.ok(`{ devices(first: 1000, filter: { nameContains: "x-" }) { totalCount } }`);
      expect(devices.devices.totalCount, `${who} got no x- devices`).toBe(0);
      const regions = await client.ok(`{ regions(first: 1000, name: "x-region") { totalCount } cells(name: "x-cell") { totalCount } networks(name: "x-net") { totalCount } }`);
      expect(regions, `${who} got nothing else`).toEqual({ regions: { totalCount: 0 }, cells: { totalCount: 0 }, networks: { totalCount: 0 } });
    }
    const nics = await a.ok(`query($id: ID!) { node(id: $id) { ... on Host { interfaces { id } } } }`, { id: own.host });
    expect(nics.node.interfaces).toEqual([]);
  });

  it('users and keys of another project cannot be created, keyed or revoked', async () => {
    const key = await a.gql(`mutation($u: ID!) { createApiKey(userId: $u) { secret } }`, { u: foreign.User });
    expect(codeOf(key), `createApiKey for B's user: ${describeResponse(key)}`).toBe('NOT_FOUND');
    const revoke = await a.gql(`mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: viewerBKeyId });
    expect(codeOf(revoke), `revokeApiKey of B's key: ${describeResponse(revoke)}`).toBe('NOT_FOUND');
    const user = await a.gql(`mutation($p: ID!) { createUser(input: { name: "intruder", role: ADMIN, projectId: $p }) { id } }`, {
      p: adminB.projectId,
    });
    expect(['FORBIDDEN', 'NOT_FOUND'], `createUser in B: ${describeResponse(user)}`).toContain(codeOf(user));
    const users = await b.ok(`query($id: ID!) { node(id: $id) { ... on Project { users { edges { node { name } } } } } }`, {
      id: adminB.projectId,
    });
    expect(users.node.users.edges.map((e: any) => e.node.name)).not.toContain('intruder');
    await expectBUntouched();
  });

  it('an own object and a foreign one look the same from outside: both NOT_FOUND once the own one is deleted', async () => {
    const gone = await makeCloud(a, 'a-gone');
    await a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: gone.id });
    const q = `mutation($id: ID!) { updateCloud(id: $id, input: { note: "x" }) { id } }`;
    const missing = await a.gql(q, { id: gone.id });
    const hidden = await a.gql(q, { id: foreign.Cloud });
    expect(codeOf(missing)).toBe('NOT_FOUND');
    expect(codeOf(hidden)).toBe('NOT_FOUND');
  });
});
