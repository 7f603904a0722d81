// CRUD round trips for hosts and network devices, and their labels, through HTTP only.
// The caller is the ADMIN of a fresh project, as an operator's automation would be.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  makeHierarchy,
  makeHost,
  makeProjectWithUser,
  nodeOf,
  uniq,
  type ProjectUser,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

describeEachStore('device CRUD', (store) => {
  let root: TestGateway;
  let t: TestGateway;
  let admin: ProjectUser;

  beforeAll(async () => {
    root = await startGateway(store);
    admin = await makeProjectWithUser(root, 'ADMIN');
    t = root.as({ key: admin.key });
  });
  afterAll(async () => {
    await root?.stop();
  });

  const HOST_FIELDS = `
    __typename id name ipAddress deviceType active note labels variables createdAt
    cloud { id } region { id } cell { id } parent { id } children { id } source { name }
  `;

  it('creates a host with every field and returns them all, sorted labels included', async () => {
    const h = await makeHierarchy(t);
    const name = uniq('host');
    const created = await t.ok(`mutation($input: CreateHostInput!) { createHost(input: $input) { ${HOST_FIELDS} } }`, {
      input: {
        regionId: h.regionId,
        cloudId: h.cloudId,
        cellId: h.cellId,
        name,
        ipAddress: '10.1.2.3',
        deviceType: 'vm',
        active: false,
        note: 'a note',
        labels: ['zeta', 'alpha'],
        variables: { cores: 12, hardware: { disks: [{ vendor: 'Seagate' }] } },
      },
    });
    const host = created.createHost;
    expect(host).toMatchObject({
      __typename: 'Host',
      name,
      ipAddress: '10.1.2.3',
      deviceType: 'vm',
      active: false,
      note: 'a note',
      labels: ['alpha', 'zeta'],
      variables: { cores: 12, hardware: { disks: [{ vendor: 'Seagate' }] } },
      cloud: { id: h.cloudId },
      region: { id: h.regionId },
      cell: { id: h.cellId },
      parent: null,
      children: [],
      source: { name: 'craton' },
    });
    const read = await t.ok(`query($id: ID!) { node(id: $id) { ... on Host { ${HOST_FIELDS} } } }`, { id: host.id });
    expect(read.node).toEqual(host);
  });

  it('gives a host without optional fields deviceType server, active true, no labels, no cell and no variables', async () => {
    const h = await makeHierarchy(t);
    const created = await t.ok(`mutation($input: CreateHostInput!) { createHost(input: $input) { ${HOST_FIELDS} } }`, {
      input: { regionId: h.regionId, name: uniq('bare') },
    });
    expect(created.createHost).toMatchObject({
      deviceType: 'server',
      active: true,
      labels: [],
      variables: {},
      cell: null,
      parent: null,
      ipAddress: null,
      note: null,
      cloud: { id: h.cloudId },
    });
  });

  it('updates a host partially, moves it between cells and parents, and deletes it', async () => {
    const h = await makeHierarchy(t);
    const parent = await makeHost(t, { regionId: h.regionId, name: uniq('parent') });
    const name = uniq('host');
    const host = await makeHost(t, { regionId: h.regionId, cellId: h.cellId, name, note: 'keep me', ipAddress: '10.0.0.1' });

    const upd = `mutation($id: ID!, $input: UpdateHostInput!) {
      updateHost(id: $id, input: $input) { id name ipAddress active note deviceType cell { id } parent { id } }
    }`;
    const partial = await t.ok(upd, { id: host.id, input: { ipAddress: '10.0.0.2', active: false } });
    expect(partial.updateHost).toEqual({
      id: host.id,
      name,
      ipAddress: '10.0.0.2',
      active: false,
      note: 'keep me',
      deviceType: 'server',
      cell: { id: h.cellId },
      parent: null,
    });

    const outOfCell = await t.ok(upd, { id: host.id, input: { cellId: null } });
    expect(outOfCell.updateHost.cell).toBeNull();
    expect(outOfCell.updateHost.note).toBe('keep me');
    const backInCell = await t.ok(upd, { id: host.id, input: { cellId: h.cellId } });
    expect(backInCell.updateHost.cell).toEqual({ id: h.cellId });

    const parented = await t.ok(upd, { id: host.id, input: { parentId: parent.id } });
    expect(parented.updateHost.parent).toEqual({ id: parent.id });
    const children = await t.ok(`query($id: ID!) { node(id: $id) { ... on Device { children { id name } } } }`, {
      id: parent.id,
    });
    expect(children.node.children).toEqual([{ id: host.id, name }]);
    const unparented = await t.ok(upd, { id: host.id, input: { parentId: null } });
    expect(unparented.updateHost.parent).toBeNull();

    const renamed = await t.ok(upd, { id: host.id, input: { name: `${name}-2`, deviceType: 'baremetal' } });
    expect(renamed.updateHost).toMatchObject({ name: `${name}-2`, deviceType: 'baremetal', ipAddress: '10.0.0.2' });

    expect((await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: host.id })).deleteNode).toBe(host.id);
    expect(await nodeOf(t, host.id)).toBeNull();
    expect(await nodeOf(t, parent.id)).not.toBeNull();
  });

  it('adds labels once each and removes labels, ignoring absent ones', async () => {
    const h = await makeHierarchy(t);
    const host = await makeHost(t, { regionId: h.regionId, name: uniq('host'), labels: ['web'] });
    const added = await t.ok(
      `mutation($id: ID!, $l: [String!]!) { addLabels(id: $id, labels: $l) { id labels } }`,
      { id: host.id, l: ['db', 'web', 'db', 'canary'] },
    );
    expect(added.addLabels).toEqual({ id: host.id, labels: ['canary', 'db', 'web'] });
    const removed = await t.ok(
      `mutation($id: ID!, $l: [String!]!) { removeLabels(id: $id, labels: $l) { id labels } }`,
      { id: host.id, l: ['web', 'never-there'] },
    );
    expect(removed.removeLabels).toEqual({ id: host.id, labels: ['canary', 'db'] });
    expect((await t.ok(`query($id: ID!) { node(id: $id) { ... on Host { labels } } }`, { id: host.id })).node).toEqual({
      labels: ['canary', 'db'],
    });
  });

  it('creates a network device with its own fields, updates it and deletes it', async () => {
    const h = await makeHierarchy(t);
    const name = uniq('switch');
    const fields = `__typename id name deviceType active modelName osVersion vlans labels variables
      region { id } cell { id } cloud { id } source { name }`;
    const created = await t.ok(
      `mutation($input: CreateNetworkDeviceInput!) { createNetworkDevice(input: $input) { ${fields} } }`,
      {
        input: {
          regionId: h.regionId,
          cellId: h.cellId,
          name,
          modelName: 'Arista 7050',
          osVersion: '4.28',
          vlans: [{ id: 100, name: 'mgmt' }],
          labels: ['tor'],
          variables: { snmp: 'v3' },
        },
      },
    );
    const nd = created.createNetworkDevice;
    expect(nd).toMatchObject({
      __typename: 'NetworkDevice',
      name,
      deviceType: 'switch',
      active: true,
      modelName: 'Arista 7050',
      osVersion: '4.28',
      vlans: [{ id: 100, name: 'mgmt' }],
      labels: ['tor'],
      variables: { snmp: 'v3' },
      region: { id: h.regionId },
      cell: { id: h.cellId },
      cloud: { id: h.cloudId },
      source: { name: 'craton' },
    });
    expect((await t.ok(`query($id: ID!) { node(id: $id) { ... on NetworkDevice { ${fields} } } }`, { id: nd.id })).node).toEqual(nd);

    const updated = await t.ok(
      `mutation($id: ID!, $input: UpdateNetworkDeviceInput!) {
        updateNetworkDevice(id: $id, input: $input) { id name modelName osVersion deviceType vlans }
      }`,
      { id: nd.id, input: { osVersion: '4.30', deviceType: 'router' } },
    );
    expect(updated.updateNetworkDevice).toEqual({
      id: nd.id,
      name,
      modelName: 'Arista 7050',
      osVersion: '4.30',
      deviceType: 'router',
      vlans: [{ id: 100, name: 'mgmt' }],
    });

    const listed = await t.ok(`query($r: ID) { networkDevices(filter: { regionId: $r }) { edges { node { id } } } }`, {
      r: h.regionId,
    });
    expect(listed.networkDevices.edges.map((e: any) => e.node.id)).toEqual([nd.id]);

    expect((await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: nd.id })).deleteNode).toBe(nd.id);
    expect(await nodeOf(t, nd.id)).toBeNull();
  });

});
