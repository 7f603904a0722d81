// CRUD round trips for clouds, regions, cells, networks, interfaces, projects and users, through HTTP only.
// The caller is the ADMIN of a fresh project, as an operator's automation would be.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
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

describeEachStore('inventory CRUD', (store) => {
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

  it('answers 200 on GET /healthz and GET /readyz', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${root.url}${path}`);
      expect(res.status, path).toBe(200);
    }
  });

  it('creates a cloud, reads it back, lists it, updates it partially and deletes it', async () => {
    const name = uniq('cloud');
    const created = await t.ok(
      `mutation($input: CreateCloudInput!) {
        createCloud(input: $input) { __typename id name note variables project { id } createdAt }
      }`,
      { input: { name, note: 'first note', variables: { tier: 'gold', limits: { cpu: 8 }, zones: ['a', 'b'] } } },
    );
    const cloud = created.createCloud;
    expect(cloud).toMatchObject({
      __typename: 'Cloud',
      name,
      note: 'first note',
      variables: { tier: 'gold', limits: { cpu: 8 }, zones: ['a', 'b'] },
      project: { id: admin.projectId },
    });
    expect(typeof cloud.id).toBe('string');
    expect(Number.isNaN(Date.parse(cloud.createdAt))).toBe(false);

    const read = await t.ok(`query($id: ID!) { node(id: $id) { __typename id ... on Cloud { name note variables } } }`, {
      id: cloud.id,
    });
    expect(read.node).toEqual({
      __typename: 'Cloud',
      id: cloud.id,
      name,
      note: 'first note',
      variables: cloud.variables,
    });

    const listed = await t.ok(`query($name: String) { clouds(name: $name) { totalCount edges { node { id name } } } }`, {
      name,
    });
    expect(listed.clouds.totalCount).toBe(1);
    expect(listed.clouds.edges.map((e: any) => e.node.id)).toEqual([cloud.id]);

    const noteOnly = await t.ok(
      `mutation($id: ID!, $input: UpdateCloudInput!) { updateCloud(id: $id, input: $input) { id name note } }`,
      { id: cloud.id, input: { note: 'second note' } },
    );
    expect(noteOnly.updateCloud).toEqual({ id: cloud.id, name, note: 'second note' });
    const renamed = await t.ok(
      `mutation($id: ID!, $input: UpdateCloudInput!) { updateCloud(id: $id, input: $input) { id name note } }`,
      { id: cloud.id, input: { name: `${name}-renamed` } },
    );
    expect(renamed.updateCloud).toEqual({ id: cloud.id, name: `${name}-renamed`, note: 'second note' });

    const deleted = await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cloud.id });
    expect(deleted.deleteNode).toBe(cloud.id);
    expect(await nodeOf(t, cloud.id)).toBeNull();
    const after = await t.ok(`query($name: String) { clouds(name: $name) { totalCount edges { node { id } } } }`, {
      name: `${name}-renamed`,
    });
    expect(after.clouds).toEqual({ totalCount: 0, edges: [] });
  });

  it('creates a region in a cloud, lists it under the cloud, updates and deletes it', async () => {
    const cloud = await makeCloud(t, uniq('cloud'));
    const name = uniq('region');
    const created = await t.ok(
      `mutation($input: CreateRegionInput!) {
        createRegion(input: $input) { __typename id name note variables cloud { id name } }
      }`,
      { input: { cloudId: cloud.id, name, note: 'r-note', variables: { dns: '10.0.0.53' } } },
    );
    const region = created.createRegion;
    expect(region).toMatchObject({
      __typename: 'Region',
      name,
      note: 'r-note',
      variables: { dns: '10.0.0.53' },
      cloud: { id: cloud.id, name: cloud.name },
    });

    const viaCloud = await t.ok(
      `query($id: ID!) { node(id: $id) { ... on Cloud { regions { totalCount edges { node { id name } } } } } }`,
      { id: cloud.id },
    );
    expect(viaCloud.node.regions.totalCount).toBe(1);
    expect(viaCloud.node.regions.edges[0].node).toEqual({ id: region.id, name });
    const listed = await t.ok(`query($c: ID) { regions(cloudId: $c) { totalCount edges { node { id } } } }`, {
      c: cloud.id,
    });
    expect(listed.regions.edges.map((e: any) => e.node.id)).toEqual([region.id]);
    const byName = await t.ok(`query($n: String) { regions(name: $n) { edges { node { id } } } }`, { n: name });
    expect(byName.regions.edges.map((e: any) => e.node.id)).toEqual([region.id]);

    const updated = await t.ok(
      `mutation($id: ID!, $input: UpdateRegionInput!) { updateRegion(id: $id, input: $input) { id name note cloud { id } } }`,
      { id: region.id, input: { note: 'changed' } },
    );
    expect(updated.updateRegion).toEqual({ id: region.id, name, note: 'changed', cloud: { id: cloud.id } });
    const read = await t.ok(`query($id: ID!) { node(id: $id) { ... on Region { name note variables } } }`, {
      id: region.id,
    });
    expect(read.node).toEqual({ name, note: 'changed', variables: { dns: '10.0.0.53' } });

    expect((await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: region.id })).deleteNode).toBe(region.id);
    expect(await nodeOf(t, region.id)).toBeNull();
    expect(await nodeOf(t, cloud.id)).not.toBeNull();
  });

  it('creates a cell in a region, lists it under the region, updates and deletes it', async () => {
    const cloud = await makeCloud(t, uniq('cloud'));
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region') });
    const name = uniq('cell');
    const created = await t.ok(
      `mutation($input: CreateCellInput!) {
        createCell(input: $input) { __typename id name note variables region { id } cloud { id } }
      }`,
      { input: { regionId: region.id, cloudId: cloud.id, name, note: 'c-note', variables: { rack: 12 } } },
    );
    const cell = created.createCell;
    expect(cell).toMatchObject({
      __typename: 'Cell',
      name,
      note: 'c-note',
      variables: { rack: 12 },
      region: { id: region.id },
      cloud: { id: cloud.id },
    });

    const viaRegion = await t.ok(
      `query($id: ID!) { node(id: $id) { ... on Region { cells { totalCount edges { node { id } } } } } }`,
      { id: region.id },
    );
    expect(viaRegion.node.cells).toEqual({ totalCount: 1, edges: [{ node: { id: cell.id } }] });
    const byRegion = await t.ok(`query($r: ID) { cells(regionId: $r) { edges { node { id } } } }`, { r: region.id });
    expect(byRegion.cells.edges.map((e: any) => e.node.id)).toEqual([cell.id]);
    const byCloud = await t.ok(`query($c: ID) { cells(cloudId: $c) { edges { node { id } } } }`, { c: cloud.id });
    expect(byCloud.cells.edges.map((e: any) => e.node.id)).toEqual([cell.id]);

    const updated = await t.ok(
      `mutation($id: ID!, $input: UpdateCellInput!) { updateCell(id: $id, input: $input) { id name note } }`,
      { id: cell.id, input: { name: `${name}-b` } },
    );
    expect(updated.updateCell).toEqual({ id: cell.id, name: `${name}-b`, note: 'c-note' });

    expect((await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cell.id })).deleteNode).toBe(cell.id);
    expect(await nodeOf(t, cell.id)).toBeNull();
    expect(await nodeOf(t, region.id)).not.toBeNull();
  });

  it('creates a network with its addressing, updates it partially and deletes it', async () => {
    const h = await makeHierarchy(t);
    const name = uniq('net');
    const fields = `__typename id name cidr gateway netmask ipBlockType nss variables region { id } cell { id } cloud { id }`;
    const created = await t.ok(`mutation($input: CreateNetworkInput!) { createNetwork(input: $input) { ${fields} } }`, {
      input: {
        regionId: h.regionId,
        cellId: h.cellId,
        name,
        cidr: '10.20.0.0/24',
        gateway: '10.20.0.1',
        netmask: '255.255.255.0',
        ipBlockType: 'private',
        nss: '10.20.0.2',
        variables: { mtu: 9000 },
      },
    });
    const net = created.createNetwork;
    expect(net).toMatchObject({
      __typename: 'Network',
      name,
      cidr: '10.20.0.0/24',
      gateway: '10.20.0.1',
      netmask: '255.255.255.0',
      ipBlockType: 'private',
      nss: '10.20.0.2',
      variables: { mtu: 9000 },
      region: { id: h.regionId },
      cell: { id: h.cellId },
      cloud: { id: h.cloudId },
    });
    expect((await t.ok(`query($id: ID!) { node(id: $id) { ... on Network { ${fields} } } }`, { id: net.id })).node).toEqual(net);

    const updated = await t.ok(
      `mutation($id: ID!, $input: UpdateNetworkInput!) { updateNetwork(id: $id, input: $input) { id name cidr gateway } }`,
      { id: net.id, input: { gateway: '10.20.0.254' } },
    );
    expect(updated.updateNetwork).toEqual({ id: net.id, name, cidr: '10.20.0.0/24', gateway: '10.20.0.254' });

    const listed = await t.ok(`query($r: ID) { networks(regionId: $r) { totalCount edges { node { id } } } }`, {
      r: h.regionId,
    });
    expect(listed.networks.edges.map((e: any) => e.node.id)).toEqual([net.id]);

    expect((await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: net.id })).deleteNode).toBe(net.id);
    expect(await nodeOf(t, net.id)).toBeNull();
  });

  it('creates network interfaces on a host and a network device, lists them on both ends and deletes one', async () => {
    const h = await makeHierarchy(t);
    const host = await makeHost(t, { regionId: h.regionId, name: uniq('host') });
    const sw = await makeNetworkDevice(t, { regionId: h.regionId, name: uniq('switch') });
    const net = await makeNetwork(t, { regionId: h.regionId, name: uniq('net'), cidr: '10.30.0.0/24' });
    const fields = `__typename id name interfaceType vlanId port ipAddress variables device { __typename id } network { id }`;
    const created = await t.ok(
      `mutation($input: CreateNetworkInterfaceInput!) { createNetworkInterface(input: $input) { ${fields} } }`,
      {
        input: {
          deviceId: host.id,
          networkId: net.id,
          name: 'eth0',
          interfaceType: 'ethernet',
          vlanId: 100,
          port: 1,
          ipAddress: '10.30.0.10',
          variables: { speed: '25G' },
        },
      },
    );
    const nic = created.createNetworkInterface;
    expect(nic).toMatchObject({
      __typename: 'NetworkInterface',
      name: 'eth0',
      interfaceType: 'ethernet',
      vlanId: 100,
      port: 1,
      ipAddress: '10.30.0.10',
      variables: { speed: '25G' },
      device: { __typename: 'Host', id: host.id },
      network: { id: net.id },
    });
    expect((await t.ok(`query($id: ID!) { node(id: $id) { ... on NetworkInterface { ${fields} } } }`, { id: nic.id })).node).toEqual(nic);

    const swNic = await makeInterface(t, { deviceId: sw.id, name: 'Ethernet1', ipAddress: '10.30.0.2', networkId: net.id });
    const swRead = await t.ok(
      `query($id: ID!) { node(id: $id) { ... on NetworkDevice { interfaces { id name device { __typename } } } } }`,
      { id: sw.id },
    );
    expect(swRead.node.interfaces).toEqual([{ id: swNic.id, name: 'Ethernet1', device: { __typename: 'NetworkDevice' } }]);

    const hostRead = await t.ok(`query($id: ID!) { node(id: $id) { ... on Host { interfaces { id name } } } }`, {
      id: host.id,
    });
    expect(hostRead.node.interfaces).toEqual([{ id: nic.id, name: 'eth0' }]);
    const netRead = await t.ok(`query($id: ID!) { node(id: $id) { ... on Network { interfaces { id } } } }`, { id: net.id });
    expect(netRead.node.interfaces.map((i: any) => i.id).sort()).toEqual([nic.id, swNic.id].sort());

    expect((await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: nic.id })).deleteNode).toBe(nic.id);
    expect(await nodeOf(t, nic.id)).toBeNull();
    const hostAfter = await t.ok(`query($id: ID!) { node(id: $id) { ... on Host { interfaces { id } } } }`, { id: host.id });
    expect(hostAfter.node.interfaces).toEqual([]);
  });

  it('creates a project and a user as root and reads both back by node(id)', async () => {
    const projectName = uniq('project');
    const p = await root.ok(
      `mutation($input: CreateProjectInput!) { createProject(input: $input) { __typename id name variables } }`,
      { input: { name: projectName, variables: { owner: 'team-a' } } },
    );
    expect(p.createProject).toMatchObject({ __typename: 'Project', name: projectName, variables: { owner: 'team-a' } });
    const projectId = p.createProject.id;
    expect(await nodeOf(root, projectId)).toMatchObject({ __typename: 'Project', id: projectId, name: projectName });
    const projects = await root.ok(`{ projects(first: 1000) { edges { node { id name } } } }`);
    expect(projects.projects.edges.map((e: any) => e.node.id)).toContain(projectId);

    const userName = uniq('user');
    const u = await root.ok(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { __typename id name role isRoot project { id } } }`,
      { input: { name: userName, role: 'OPERATOR', projectId } },
      { project: projectId },
    );
    expect(u.createUser).toMatchObject({
      __typename: 'User',
      name: userName,
      role: 'OPERATOR',
      isRoot: false,
      project: { id: projectId },
    });
    expect(await nodeOf(root, u.createUser.id, { project: projectId })).toMatchObject({
      __typename: 'User',
      name: userName,
      role: 'OPERATOR',
    });
    const users = await root.ok(
      `query($id: ID!) { node(id: $id) { ... on Project { users { totalCount edges { node { id } } } } } }`,
      { id: projectId },
      { project: projectId },
    );
    expect(users.node.users.edges.map((e: any) => e.node.id)).toContain(u.createUser.id);
  });

});
