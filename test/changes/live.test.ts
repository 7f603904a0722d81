// Live inventory events: inventoryChanged delivers each change after it commits, with the content the
// trail shows; only to subscribers of the same project; never a rolled-back change; in commit order.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCloud, makeHierarchy, makeHost, makeProjectWithUser, uniq, type ProjectUser } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { subscribe, type Subscription } from '../helpers/ws.js';
import { CHANGE_FIELDS, changesAfter, describeChanges, newestChangeId, type Change } from './trail.js';

const SUBSCRIPTION = `subscription($types: [String!]) { inventoryChanged(objectTypes: $types) { ${CHANGE_FIELDS} } }`;
const SET_VARS = `mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`;

describeEachStore('live inventory events', (store) => {
  let root: TestGateway;
  let adminA: ProjectUser;
  let viewerA: ProjectUser;
  let adminB: ProjectUser;
  let a: TestGateway;
  let b: TestGateway;
  let hier: { cloudId: string; regionId: string; cellId: string };
  let warmCloudA: string;
  let warmHostA: string;
  let warmCloudB: string;
  const open: Subscription[] = [];

  beforeAll(async () => {
    root = await startGateway(store);
    adminA = await makeProjectWithUser(root, 'ADMIN', { userName: 'live-admin-a' });
    viewerA = await makeProjectWithUser(root, 'VIEWER', { projectId: adminA.projectId, userName: 'live-viewer-a' });
    adminB = await makeProjectWithUser(root, 'ADMIN', { userName: 'live-admin-b' });
    a = root.as({ key: adminA.key });
    b = root.as({ key: adminB.key });
    hier = await makeHierarchy(a, 'live');
    warmCloudA = (await makeCloud(a, 'warm-a')).id;
    warmHostA = (await makeHost(a, { regionId: hier.regionId, name: 'warm-host-a' })).id;
    warmCloudB = (await makeCloud(b, 'warm-b')).id;
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose().catch(() => undefined)));
    await root?.stop();
  });

  const isTimeout = (err: unknown) => err instanceof Error && err.message.startsWith('no subscription result within');

  /** The change carried by one subscription result; fails on an error result. */
  function changeOf(result: { data?: any; errors?: unknown[] }): Change {
    if (result.errors?.length || !result.data?.inventoryChanged) {
      throw new Error(`inventoryChanged delivered an error or no change: ${JSON.stringify(result)}`);
    }
    return result.data.inventoryChanged;
  }

  /**
   * Subscribes to inventoryChanged and returns once the stream is live: it writes `warm: n` on `warm.id`
   * until the matching event arrives (everything before it is consumed).
   */
  async function live(
    key: string,
    warm: { client: TestGateway; id: string },
    types: string[] | null = null,
    project?: string,
  ): Promise<Subscription> {
    const sub = subscribe(root.url, SUBSCRIPTION, { types }, { authorization: `Bearer ${key}`, ...(project ? { project } : {}) });
    open.push(sub);
    const token = uniq('warm');
    for (let n = 1; n <= 60; n++) {
      await warm.client.ok(SET_VARS, { id: warm.id, v: { warm: `${token}-${n}` } });
      const deadline = Date.now() + 250;
      try {
        for (;;) {
          const change = changeOf(await sub.next(Math.max(1, deadline - Date.now())));
          if (change.objectId === warm.id && change.after?.variables?.warm === `${token}-${n}`) return sub;
        }
      } catch (err) {
        if (!isTimeout(err)) throw err;
      }
    }
    throw new Error('inventoryChanged never delivered the warm-up writes');
  }

  /**
   * Writes a sentinel on `warm.id` and returns every change delivered before it (the sentinel excluded).
   * Because delivery follows commit order, anything that would wrongly be delivered shows up here.
   */
  async function untilSentinel(sub: Subscription, warm: { client: TestGateway; id: string }): Promise<Change[]> {
    const token = uniq('sentinel');
    await warm.client.ok(SET_VARS, { id: warm.id, v: { sentinel: token } });
    const before: Change[] = [];
    for (;;) {
      const change = changeOf(await sub.next(10_000));
      if (change.objectId === warm.id && change.after?.variables?.sentinel === token) return before;
      // Warm-ups and sentinels of other subscriptions that share this holder are not under test.
      const vars = change.objectId === warm.id ? change.after?.variables : undefined;
      if (vars && ('warm' in vars || 'sentinel' in vars)) continue;
      before.push(change);
    }
  }

  async function take(sub: Subscription, n: number): Promise<Change[]> {
    const got: Change[] = [];
    for (let i = 0; i < n; i++) got.push(changeOf(await sub.next(10_000)));
    return got;
  }

  it('delivers each committed change with exactly the content that changes() shows', async () => {
    const sub = await live(adminA.key, { client: a, id: warmCloudA });
    const mark = await newestChangeId(a);
    const requestId = uniq('req-live');
    const host = await a.ok(
      `mutation($r: ID!, $c: ID!) { createHost(input: { regionId: $r, cellId: $c, name: "live-host", labels: ["l1"], variables: { v: 1 } }) { id } }`,
      { r: hier.regionId, c: hier.cellId },
      { headers: { 'x-request-id': requestId } },
    );
    const id = host.createHost.id as string;
    // The event arrives after COMMIT: the record and the object are readable as soon as it is here.
    const first = changeOf(await sub.next(10_000));
    expect(first).toMatchObject({ action: 'CREATE', objectType: 'Host', objectId: id, actor: 'live-admin-a', requestId });
    const trail = await a.ok(`query($id: ID) { changes(objectId: $id) { edges { node { id } } } }`, { id });
    expect(trail.changes.edges.map((e: any) => e.node.id)).toContain(first.id);

    await a.ok(`mutation($id: ID!) { updateHost(id: $id, input: { note: "n" }) { id } }`, { id });
    await a.ok(SET_VARS, { id, v: { v: 2 } });
    await a.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["l2"]) { id } }`, { id });
    await a.ok(`mutation($id: ID!) { removeLabels(id: $id, labels: ["l1"]) { id } }`, { id });
    await a.ok(`mutation($id: ID!) { deleteVariables(id: $id, keys: ["v"]) { id } }`, { id });
    await a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id });
    const rest = await take(sub, 6);
    const recorded = await changesAfter(a, mark);
    expect([first, ...rest], `live events vs the trail:\n${describeChanges(recorded)}`).toEqual(recorded);
    expect(recorded.map((c) => c.action)).toEqual(['CREATE', 'UPDATE', 'UPDATE', 'UPDATE', 'UPDATE', 'UPDATE', 'DELETE']);
  });

  it('objectTypes limits the stream to those types', async () => {
    const clouds = await live(adminA.key, { client: a, id: warmCloudA }, ['Cloud']);
    const devices = await live(adminA.key, { client: a, id: warmHostA }, ['Host', 'NetworkDevice']);
    const cloud = await makeCloud(a, uniq('typed'));
    const region = await a.ok(`mutation($c: ID!) { createRegion(input: { cloudId: $c, name: "typed-region" }) { id } }`, { c: cloud.id });
    const host = await makeHost(a, { regionId: region.createRegion.id, name: 'typed-host' });
    const sw = await a.ok(`mutation($r: ID!) { createNetworkDevice(input: { regionId: $r, name: "typed-sw" }) { id } }`, { r: region.createRegion.id });
    await a.ok(`mutation($r: ID!) { createNetwork(input: { regionId: $r, name: "typed-net" }) { id } }`, { r: region.createRegion.id });
    await a.ok(SET_VARS, { id: cloud.id, v: { typed: true } });

    const gotClouds = await untilSentinel(clouds, { client: a, id: warmCloudA });
    expect(gotClouds.map((c) => `${c.action} ${c.objectType}:${c.objectId}`), describeChanges(gotClouds)).toEqual([
      `CREATE Cloud:${cloud.id}`,
      `UPDATE Cloud:${cloud.id}`,
    ]);
    const gotDevices = await untilSentinel(devices, { client: a, id: warmHostA });
    expect(gotDevices.map((c) => `${c.action} ${c.objectType}:${c.objectId}`), describeChanges(gotDevices)).toEqual([
      `CREATE Host:${host.id}`,
      `CREATE NetworkDevice:${sw.createNetworkDevice.id}`,
    ]);
  });

  it('a write that fails or is rolled back delivers nothing, while the committed half of a document does', async () => {
    const taken = await makeHost(a, { regionId: hier.regionId, name: uniq('rb-taken') });
    const child = await makeHost(a, { regionId: hier.regionId, parentId: taken.id, name: uniq('rb-child') });
    const outside = await makeHierarchy(a, uniq('rb'));
    const parent2 = await makeHost(a, { regionId: hier.regionId, name: uniq('rb-parent2') });
    await makeHost(a, { regionId: outside.regionId, parentId: parent2.id, name: uniq('rb-outside') });
    const sub = await live(adminA.key, { client: a, id: warmCloudA });

    const failures: Array<[string, string, string, Record<string, unknown>]> = [
      ['duplicate createHost', 'CONFLICT', `mutation($r: ID!, $n: String!) { createHost(input: { regionId: $r, name: $n, labels: ["x"], variables: { x: 1 } }) { id } }`, { r: hier.regionId, n: taken.name }],
      ['createHost with a bad variable', 'BAD_USER_INPUT', `mutation($r: ID!, $v: JSON) { createHost(input: { regionId: $r, name: "rb-bad", variables: $v }) { id } }`, { r: hier.regionId, v: { ok: 1, '': 1 } }],
      ['deleting a device with a child', 'CONFLICT', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: taken.id }],
      ['deleting the region of a parent with an outside child', 'CONFLICT', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: hier.regionId }],
      ['renaming onto a taken name', 'CONFLICT', `mutation($id: ID!, $n: String!) { updateHost(id: $id, input: { name: $n }) { id } }`, { id: child.id, n: taken.name }],
      ['setVariables with a bad key', 'BAD_USER_INPUT', SET_VARS, { id: taken.id, v: { ok: 1, '': 2 } }],
    ];
    for (const [what, code, query, variables] of failures) {
      const res = await a.gql(query, variables);
      expect(codeOf(res), `${what}: ${describeResponse(res)}`).toBe(code);
    }
    const fresh = uniq('rb-fresh');
    const pair = await a.gql(
      `mutation($r: ID!, $n1: String!, $n2: String!) {
        one: createHost(input: { regionId: $r, name: $n1 }) { id }
        two: createHost(input: { regionId: $r, name: $n2, labels: ["two"] }) { id }
      }`,
      { r: hier.regionId, n1: fresh, n2: taken.name },
    );
    expect(codeOf(pair), describeResponse(pair)).toBe('CONFLICT');
    const delivered = await untilSentinel(sub, { client: a, id: warmCloudA });
    expect(delivered.map((c) => `${c.action} ${c.objectType} ${c.after?.name}`), describeChanges(delivered)).toEqual([`CREATE Host ${fresh}`]);
  });

  it('subscribers of another project receive nothing of this project’s writes; root receives the project it chose', async () => {
    const ofB = await live(adminB.key, { client: b, id: warmCloudB });
    const rootInB = await live(root.rootKey, { client: b, id: warmCloudB }, null, adminB.projectId);
    const rootInA = await live(root.rootKey, { client: a, id: warmCloudA }, null, adminA.projectId);
    const viewer = await live(viewerA.key, { client: a, id: warmCloudA });

    const cloud = await makeCloud(a, uniq('secret-a'), { secret: 'a-only' });
    await a.ok(SET_VARS, { id: cloud.id, v: { more: 'a-only' } });
    await a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cloud.id });

    for (const [who, sub] of [
      ['B’s admin', ofB],
      ['root in B', rootInB],
    ] as const) {
      const got = await untilSentinel(sub, { client: b, id: warmCloudB });
      expect(got, `${who} received A’s changes:\n${describeChanges(got)}`).toEqual([]);
    }
    for (const [who, sub] of [
      ['root in A', rootInA],
      ['A’s viewer', viewer],
    ] as const) {
      const got = await untilSentinel(sub, { client: a, id: warmCloudA });
      expect(got.map((c) => `${c.action} ${c.objectId}`), who).toEqual([`CREATE ${cloud.id}`, `UPDATE ${cloud.id}`, `DELETE ${cloud.id}`]);
    }
  });

  it('delivers several writes in the order they committed, and each request’s records together', async () => {
    const sub = await live(adminA.key, { client: a, id: warmCloudA });
    const mark = await newestChangeId(a);
    const h = await makeHierarchy(a, uniq('order'));
    const hosts = [];
    for (let i = 0; i < 4; i++) hosts.push(await makeHost(a, { regionId: h.regionId, cellId: h.cellId, name: `order-${i}` }));
    for (let i = 0; i < 4; i++) await a.ok(SET_VARS, { id: hosts[i]!.id, v: { step: i } });
    const sequential = await changesAfter(a, mark);
    const got = await take(sub, sequential.length);
    expect(got.map((c) => c.id), 'sequential writes in commit order').toEqual(sequential.map((c) => c.id));

    // Concurrent writes from several requests: every record exactly once, each request's records together.
    const mark2 = await newestChangeId(a);
    const tasks: Array<Promise<unknown>> = [];
    for (let i = 0; i < 8; i++) tasks.push(makeCloud(a, uniq(`burst-${i}`)));
    for (let i = 0; i < 4; i++) tasks.push(a.ok(SET_VARS, { id: hosts[i]!.id, v: { burst: i } }));
    tasks.push(a.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: h.cloudId }));
    await Promise.all(tasks);
    const burst = await changesAfter(a, mark2);
    const delivered = await take(sub, burst.length);
    expect(delivered.map((c) => c.id).sort(), 'every committed record once').toEqual(burst.map((c) => c.id).sort());
    const requestOrder = delivered.map((c) => c.requestId);
    for (const rid of new Set(requestOrder)) {
      const positions = requestOrder.flatMap((r, i) => (r === rid ? [i] : []));
      expect(positions.at(-1)! - positions[0]! + 1, `records of request ${rid} arrive together`).toBe(positions.length);
    }
    const nothingMore = await untilSentinel(sub, { client: a, id: warmCloudA });
    expect(nothingMore, describeChanges(nothingMore)).toEqual([]);
  });
});
