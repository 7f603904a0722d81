// node(id) for every type, malformed and stale ids, variables on every VariableHolder, and me.
// The caller is the ADMIN of a fresh project, as an operator's automation would be.
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

/** Codes acceptable for an id that cannot be parsed or names another type. */
const BAD_ID_CODES = ['BAD_USER_INPUT', 'NOT_FOUND'];

describeEachStore('global ids and variables', (store) => {
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

  it('node(id) returns each type with its own __typename', async () => {
    const h = await makeHierarchy(t);
    const host = await makeHost(t, { regionId: h.regionId, cellId: h.cellId, name: uniq('host') });
    const sw = await makeNetworkDevice(t, { regionId: h.regionId, name: uniq('switch') });
    const net = await makeNetwork(t, { regionId: h.regionId, name: uniq('net') });
    const nic = await makeInterface(t, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.0.0.9' });
    const expected: Array<[string, string]> = [
      [admin.projectId, 'Project'],
      [admin.userId, 'User'],
      [h.cloudId, 'Cloud'],
      [h.regionId, 'Region'],
      [h.cellId, 'Cell'],
      [host.id, 'Host'],
      [sw.id, 'NetworkDevice'],
      [net.id, 'Network'],
      [nic.id, 'NetworkInterface'],
    ];
    for (const [id, typename] of expected) {
      const node = await nodeOf(t, id);
      expect(node, `node(${typename})`).toMatchObject({ __typename: typename, id });
    }
    const ids = expected.map(([id]) => id);
    expect(new Set(ids).size, 'global ids are unique across types').toBe(ids.length);
  });

  it('returns variables given at create time on every VariableHolder, upserts with setVariables and removes with deleteVariables', async () => {
    const start = { a: 1, b: 'one', keep: { deep: [1, 2, { x: true }] } };
    const cloud = await makeCloud(t, uniq('cloud'), start);
    const region = await makeRegion(t, { cloudId: cloud.id, name: uniq('region'), variables: start });
    const cell = await makeCell(t, { regionId: region.id, name: uniq('cell'), variables: start });
    const host = await makeHost(t, { regionId: region.id, name: uniq('host'), variables: start });
    const sw = await makeNetworkDevice(t, { regionId: region.id, name: uniq('switch'), variables: start });
    const net = await makeNetwork(t, { regionId: region.id, name: uniq('net'), variables: start });
    const nic = await makeInterface(t, { deviceId: host.id, name: 'eth0', ipAddress: '10.0.0.1', variables: start });
    const holders: Array<[string, string]> = [
      ['Cloud', cloud.id],
      ['Region', region.id],
      ['Cell', cell.id],
      ['Host', host.id],
      ['NetworkDevice', sw.id],
      ['Network', net.id],
      ['NetworkInterface', nic.id],
    ];
    for (const [typename, id] of holders) {
      const read = await t.ok(`query($id: ID!) { node(id: $id) { ... on VariableHolder { variables } } }`, { id });
      expect(read.node.variables, `${typename} create-time variables`).toEqual(start);

      const set = await t.ok(
        `mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { __typename id variables } }`,
        { id, v: { b: 'two', c: { nested: null }, list: ['x'], flag: false } },
      );
      expect(set.setVariables, `${typename} setVariables`).toEqual({
        __typename: typename,
        id,
        variables: { a: 1, b: 'two', keep: start.keep, c: { nested: null }, list: ['x'], flag: false },
      });

      const del = await t.ok(
        `mutation($id: ID!, $k: [String!]!) { deleteVariables(id: $id, keys: $k) { id variables } }`,
        { id, k: ['a', 'list', 'not-there'] },
      );
      expect(del.deleteVariables.variables, `${typename} deleteVariables`).toEqual({
        b: 'two',
        keep: start.keep,
        c: { nested: null },
        flag: false,
      });
      const reread = await t.ok(`query($id: ID!) { node(id: $id) { ... on VariableHolder { variables } } }`, { id });
      expect(reread.node.variables, `${typename} persisted`).toEqual(del.deleteVariables.variables);
    }
  });

  it('sets and deletes variables on the caller’s own project', async () => {
    const set = await t.ok(
      `mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { __typename variables } }`,
      { id: admin.projectId, v: { ntp: 'pool.ntp.org', owner: 'ops' } },
    );
    expect(set.setVariables.__typename).toBe('Project');
    expect(set.setVariables.variables).toMatchObject({ ntp: 'pool.ntp.org', owner: 'ops' });
    const del = await t.ok(
      `mutation($id: ID!, $k: [String!]!) { deleteVariables(id: $id, keys: $k) { variables } }`,
      { id: admin.projectId, k: ['owner'] },
    );
    expect(del.deleteVariables.variables).toMatchObject({ ntp: 'pool.ntp.org' });
    expect(del.deleteVariables.variables).not.toHaveProperty('owner');
  });

  it('me returns the calling user, its role and the project it acts in', async () => {
    const data = await t.ok(`{ me { role isRoot user { id name role isRoot } project { id } } }`);
    expect(data.me).toMatchObject({
      role: 'ADMIN',
      isRoot: false,
      user: { id: admin.userId, role: 'ADMIN', isRoot: false },
      project: { id: admin.projectId },
    });
  });

  it('answers a malformed or wrong-type id with BAD_USER_INPUT or NOT_FOUND, never an internal error', async () => {
    const h = await makeHierarchy(t);
    const host = await makeHost(t, { regionId: h.regionId, name: uniq('host') });
    const malformed = ['garbage', '', '%%%', 'Q2xvdWQ6eHl6', 'x'.repeat(300), '0', '-1', 'null', '../../etc/passwd'];
    for (const id of malformed) {
      const read = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id });
      if (read.body.errors?.length) {
        expect(BAD_ID_CODES, `node(${JSON.stringify(id)}): ${describeResponse(read)}`).toContain(codeOf(read));
      } else {
        expect(read.body.data.node, `node(${JSON.stringify(id)})`).toBeNull();
      }
      const calls: Array<[string, Record<string, unknown>]> = [
        [`mutation($id: ID!) { deleteNode(id: $id) }`, { id }],
        [`mutation($id: ID!) { updateCloud(id: $id, input: { note: "x" }) { id } }`, { id }],
        [`mutation($id: ID!) { updateHost(id: $id, input: { note: "x" }) { id } }`, { id }],
        [`mutation($id: ID!) { setVariables(id: $id, values: { a: 1 }) { id } }`, { id }],
        [`mutation($id: ID!) { addLabels(id: $id, labels: ["a"]) { id } }`, { id }],
        [`mutation($id: ID!) { createRegion(input: { cloudId: $id, name: "r" }) { id } }`, { id }],
        [`mutation($id: ID!, $r: ID!) { createHost(input: { regionId: $r, parentId: $id, name: "p" }) { id } }`, { id, r: h.regionId }],
      ];
      for (const [query, variables] of calls) {
        const res = await t.gql(query, variables);
        expect(BAD_ID_CODES, `${query} with id ${JSON.stringify(id)}: ${describeResponse(res)}`).toContain(codeOf(res));
      }
    }

    // A well-formed id of the wrong type.
    const wrongType: Array<[string, Record<string, unknown>]> = [
      [`mutation($id: ID!) { updateRegion(id: $id, input: { note: "x" }) { id } }`, { id: h.cloudId }],
      [`mutation($id: ID!) { updateCloud(id: $id, input: { note: "x" }) { id } }`, { id: host.id }],
      [`mutation($id: ID!) { updateNetwork(id: $id, input: { cidr: "10.0.0.0/8" }) { id } }`, { id: host.id }],
      [`mutation($id: ID!) { updateNetworkDevice(id: $id, input: { note: "x" }) { id } }`, { id: host.id }],
      [`mutation($id: ID!) { addLabels(id: $id, labels: ["a"]) { id } }`, { id: h.cloudId }],
      [`mutation($id: ID!) { createRegion(input: { cloudId: $id, name: "r" }) { id } }`, { id: h.regionId }],
      [`mutation($id: ID!) { createCell(input: { regionId: $id, name: "c" }) { id } }`, { id: h.cloudId }],
      [`mutation($id: ID!) { createHost(input: { regionId: $id, name: "h" }) { id } }`, { id: h.cellId }],
      [`mutation($id: ID!) { createNetworkInterface(input: { deviceId: $id, name: "e", ipAddress: "10.0.0.1" }) { id } }`, { id: h.regionId }],
    ];
    for (const [query, variables] of wrongType) {
      const res = await t.gql(query, variables);
      expect(BAD_ID_CODES, `${query}: ${describeResponse(res)}`).toContain(codeOf(res));
    }
    // Nothing was changed by the refused calls.
    expect((await t.ok(`query($id: ID!) { node(id: $id) { ... on Cloud { note } } }`, { id: h.cloudId })).node.note).toBeNull();
  });

  it('answers NOT_FOUND for updates and deletes of a deleted object, and node(id) is null', async () => {
    const cloud = await makeCloud(t, uniq('gone'));
    await t.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cloud.id });
    expect(await nodeOf(t, cloud.id)).toBeNull();
    const upd = await t.gql(`mutation($id: ID!) { updateCloud(id: $id, input: { note: "x" }) { id } }`, { id: cloud.id });
    expect(codeOf(upd), describeResponse(upd)).toBe('NOT_FOUND');
    const del = await t.gql(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cloud.id });
    expect(codeOf(del), describeResponse(del)).toBe('NOT_FOUND');
    const vars = await t.gql(`mutation($id: ID!) { setVariables(id: $id, values: { a: 1 }) { id } }`, { id: cloud.id });
    expect(codeOf(vars), describeResponse(vars)).toBe('NOT_FOUND');
  });
});
