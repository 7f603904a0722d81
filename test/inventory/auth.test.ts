// Authentication and roles: keys (bootstrap, created, revoked, expired), ADMIN/OPERATOR/VIEWER rights,
// root acting in another project, and graphql-ws connection authentication.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, randomKey, startGateway, type TestGateway } from '../helpers/gateway.js';
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
  type ProjectUser,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { connectOnly, subscribe } from '../helpers/ws.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachStore('authentication and roles', (store) => {
  let root: TestGateway;
  let admin: ProjectUser;
  let operator: ProjectUser;
  let viewer: ProjectUser;
  let operatorKeyId: string;
  // Objects of the project, created by its ADMIN.
  let inv: { cloud: string; region: string; cell: string; host: string; sw: string; net: string; nic: string };

  beforeAll(async () => {
    root = await startGateway(store);
    admin = await makeProjectWithUser(root, 'ADMIN', { userName: 'the-admin' });
    operator = await makeProjectWithUser(root, 'OPERATOR', { projectId: admin.projectId, userName: 'the-operator' });
    viewer = await makeProjectWithUser(root, 'VIEWER', { projectId: admin.projectId, userName: 'the-viewer' });
    const a = root.as({ key: admin.key });
    const keys = await a.ok(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id } } } }`, { id: operator.userId });
    operatorKeyId = keys.node.apiKeys[0].id;
    const cloud = await makeCloud(a, 'auth-cloud');
    const region = await makeRegion(a, { cloudId: cloud.id, name: 'auth-region' });
    const cell = await makeCell(a, { regionId: region.id, name: 'auth-cell' });
    const host = await makeHost(a, { regionId: region.id, cellId: cell.id, name: 'auth-host', labels: ['keep'] });
    const sw = await makeNetworkDevice(a, { regionId: region.id, name: 'auth-switch' });
    const net = await makeNetwork(a, { regionId: region.id, name: 'auth-net' });
    const nic = await makeInterface(a, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.0.0.1' });
    inv = { cloud: cloud.id, region: region.id, cell: cell.id, host: host.id, sw: sw.id, net: net.id, nic: nic.id };
  });
  afterAll(async () => {
    await root?.stop();
  });

  it('refuses a request without a key with UNAUTHENTICATED', async () => {
    for (const query of [`{ me { role } }`, `{ clouds { totalCount } }`, `mutation { createCloud(input: { name: "anon" }) { id } }`]) {
      const res = await root.gql(query, {}, { key: null });
      expect(codeOf(res), `${query}: ${describeResponse(res)}`).toBe('UNAUTHENTICATED');
      expect(res.body.data ?? null, 'no data without a key').toBeNull();
    }
  });

  it('refuses an unknown key, a tampered key and a malformed Authorization header with UNAUTHENTICATED', async () => {
    const attempts: Array<[string, Parameters<TestGateway['gql']>[2]]> = [
      ['unknown key', { key: randomKey() }],
      ['root key with one more character', { key: `${root.rootKey}x` }],
      ['root key cut short', { key: root.rootKey.slice(0, -1) }],
      ['empty bearer', { key: null, headers: { authorization: 'Bearer ' } }],
      ['basic scheme', { key: null, headers: { authorization: `Basic ${Buffer.from('root:x').toString('base64')}` } }],
      ['no scheme', { key: null, headers: { authorization: root.rootKey } }],
    ];
    for (const [what, opts] of attempts) {
      const res = await root.gql(`{ me { role } }`, {}, opts);
      expect(codeOf(res), `${what}: ${describeResponse(res)}`).toBe('UNAUTHENTICATED');
    }
  });

  it('accepts the bootstrap key from CRATON_BOOTSTRAP_KEY as a root key', async () => {
    expect(root.gateway.config.bootstrapKey).toBe(root.rootKey);
    if (root.gateway.bootstrap) expect(root.gateway.bootstrap).toEqual({ key: root.rootKey, fromEnv: true });
    const me = await root.ok(`{ me { isRoot role user { isRoot name } project { id } } }`);
    expect(me.me.isRoot).toBe(true);
    expect(me.me.user.isRoot).toBe(true);
    const p = await root.ok(`mutation { createProject(input: { name: "made-by-bootstrap-root" }) { id name } }`);
    expect(p.createProject.name).toBe('made-by-bootstrap-root');
  });

  it('generates a working root key when CRATON_BOOTSTRAP_KEY is not set, and reports it once', async () => {
    const fresh = await startGateway(store, { env: { CRATON_BOOTSTRAP_KEY: '' } });
    try {
      expect(fresh.gateway.bootstrap?.fromEnv).toBe(false);
      expect(fresh.gateway.bootstrap?.key).toBe(fresh.rootKey);
      const me = await fresh.ok(`{ me { isRoot } }`);
      expect(me.me.isRoot).toBe(true);
      const other = await fresh.gql(`{ me { isRoot } }`, {}, { key: root.rootKey });
      expect(codeOf(other), 'another gateway’s root key is not valid here').toBe('UNAUTHENTICATED');
    } finally {
      await fresh.stop();
    }
  });

  it('me returns each user with its role in its project', async () => {
    for (const [who, u, role] of [
      ['admin', admin, 'ADMIN'],
      ['operator', operator, 'OPERATOR'],
      ['viewer', viewer, 'VIEWER'],
    ] as const) {
      const data = await root.ok(`{ me { role isRoot user { id name role isRoot project { id } } project { id } } }`, {}, { key: u.key });
      expect(data.me, who).toEqual({
        role,
        isRoot: false,
        user: { id: u.userId, name: `the-${who}`, role, isRoot: false, project: { id: admin.projectId } },
        project: { id: admin.projectId },
      });
    }
  });

  it('lets root act in another project with X-Craton-Project', async () => {
    const me = await root.ok(`{ me { isRoot project { id } } }`, {}, { project: admin.projectId });
    expect(me.me).toEqual({ isRoot: true, project: { id: admin.projectId } });
    const home = await root.ok(`{ me { project { id } } }`);
    expect(home.me.project.id).not.toBe(admin.projectId);

    const name = uniq('root-made');
    await makeCloud(root, name, undefined, { project: admin.projectId });
    const seen = await root.ok(`query($n: String) { clouds(name: $n) { totalCount } }`, { n: name }, { key: admin.key });
    expect(seen.clouds.totalCount, 'the project’s admin sees the cloud root made there').toBe(1);
    const notHome = await root.ok(`query($n: String) { clouds(name: $n) { totalCount } }`, { n: name });
    expect(notHome.clouds.totalCount, 'root’s own project does not have it').toBe(0);
    expect(await nodeOf(root, inv.host, { project: admin.projectId })).toMatchObject({ __typename: 'Host' });
    const cloud = await root.ok(`query($n: String) { clouds(name: $n) { edges { node { id } } } }`, { n: name }, { project: admin.projectId });
    await root.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cloud.clouds.edges[0].node.id }, { project: admin.projectId });
  });

  it('answers FORBIDDEN to a non-root user who names another project in X-Craton-Project', async () => {
    const other = await makeProjectWithUser(root, 'ADMIN');
    for (const u of [admin, operator, viewer]) {
      const read = await root.gql(`{ me { project { id } } clouds { totalCount } }`, {}, { key: u.key, project: other.projectId });
      expect(codeOf(read), describeResponse(read)).toBe('FORBIDDEN');
      const write = await root.gql(`mutation { createCloud(input: { name: "via-header" }) { id } }`, {}, {
        key: u.key,
        project: other.projectId,
      });
      expect(codeOf(write), describeResponse(write)).toBe('FORBIDDEN');
    }
    const none = await root.ok(`{ clouds(name: "via-header") { totalCount } }`, {}, { key: other.key });
    expect(none.clouds.totalCount).toBe(0);
    const own = await root.ok(`{ me { project { id } } }`, {}, { key: admin.key, project: admin.projectId });
    expect(own.me.project.id, 'naming one’s own project is fine').toBe(admin.projectId);
  });

  it('lets a VIEWER read everything in its project', async () => {
    const v = root.as({ key: viewer.key });
    for (const id of Object.values(inv)) expect(await nodeOf(v, id)).not.toBeNull();
    const lists = await v.ok(`{
      clouds { totalCount } regions { totalCount } cells { totalCount } hosts { totalCount }
      networkDevices { totalCount } devices { totalCount } networks { totalCount } labels { totalCount }
    }`);
    expect(lists).toEqual({
      clouds: { totalCount: 1 },
      regions: { totalCount: 1 },
      cells: { totalCount: 1 },
      hosts: { totalCount: 1 },
      networkDevices: { totalCount: 1 },
      devices: { totalCount: 2 },
      networks: { totalCount: 1 },
      labels: { totalCount: 1 },
    });
    const vars = await v.ok(`query($id: ID!) { node(id: $id) { ... on Host { variables resolvedVariables } } }`, { id: inv.host });
    expect(vars.node).toBeTruthy();
  });

  /** Every mutation of the inventory, auth and variables APIs, aimed at objects of the project. */
  function everyMutation(): Array<[string, string, Record<string, unknown>]> {
    return [
      ['createCloud', `mutation { createCloud(input: { name: "forbidden" }) { id } }`, {}],
      ['createRegion', `mutation($c: ID!) { createRegion(input: { cloudId: $c, name: "forbidden" }) { id } }`, { c: inv.cloud }],
      ['createCell', `mutation($r: ID!) { createCell(input: { regionId: $r, name: "forbidden" }) { id } }`, { r: inv.region }],
      ['createHost', `mutation($r: ID!) { createHost(input: { regionId: $r, name: "forbidden" }) { id } }`, { r: inv.region }],
      ['createNetworkDevice', `mutation($r: ID!) { createNetworkDevice(input: { regionId: $r, name: "forbidden-sw" }) { id } }`, { r: inv.region }],
      ['createNetwork', `mutation($r: ID!) { createNetwork(input: { regionId: $r, name: "forbidden" }) { id } }`, { r: inv.region }],
      [
        'createNetworkInterface',
        `mutation($d: ID!) { createNetworkInterface(input: { deviceId: $d, name: "forbidden", ipAddress: "10.0.0.9" }) { id } }`,
        { d: inv.host },
      ],
      ['updateCloud', `mutation($id: ID!) { updateCloud(id: $id, input: { name: "renamed" }) { id } }`, { id: inv.cloud }],
      ['updateRegion', `mutation($id: ID!) { updateRegion(id: $id, input: { name: "renamed" }) { id } }`, { id: inv.region }],
      ['updateCell', `mutation($id: ID!) { updateCell(id: $id, input: { name: "renamed" }) { id } }`, { id: inv.cell }],
      ['updateHost', `mutation($id: ID!) { updateHost(id: $id, input: { name: "renamed" }) { id } }`, { id: inv.host }],
      ['updateNetworkDevice', `mutation($id: ID!) { updateNetworkDevice(id: $id, input: { name: "renamed" }) { id } }`, { id: inv.sw }],
      ['updateNetwork', `mutation($id: ID!) { updateNetwork(id: $id, input: { name: "renamed" }) { id } }`, { id: inv.net }],
      ['deleteNode interface', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: inv.nic }],
      ['deleteNode network device', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: inv.sw }],
      ['deleteNode cloud', `mutation($id: ID!) { deleteNode(id: $id) }`, { id: inv.cloud }],
      ['setVariables host', `mutation($id: ID!) { setVariables(id: $id, values: { x: 1 }) { id } }`, { id: inv.host }],
      ['setVariables project', `mutation($id: ID!) { setVariables(id: $id, values: { x: 1 }) { id } }`, { id: admin.projectId }],
      ['deleteVariables', `mutation($id: ID!) { deleteVariables(id: $id, keys: ["x"]) { id } }`, { id: inv.host }],
      ['addLabels', `mutation($id: ID!) { addLabels(id: $id, labels: ["forbidden"]) { id } }`, { id: inv.host }],
      ['removeLabels', `mutation($id: ID!) { removeLabels(id: $id, labels: ["keep"]) { id } }`, { id: inv.host }],
      ['createUser', `mutation { createUser(input: { name: "forbidden", role: ADMIN }) { id } }`, {}],
      ['createApiKey for another user', `mutation($u: ID!) { createApiKey(userId: $u) { secret } }`, { u: admin.userId }],
      ['revokeApiKey of another user', `mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: operatorKeyId }],
      ['createProject', `mutation { createProject(input: { name: "forbidden" }) { id } }`, {}],
    ];
  }

  /** The project as its ADMIN sees it: nothing a refused mutation could have changed. */
  async function snapshot() {
    return root.ok(
      `query($host: ID!, $project: ID!) {
        clouds { edges { node { id name } } } regions { edges { node { id name } } } cells { edges { node { id name } } }
        devices { edges { node { id name labels variables } } } networks { edges { node { id name } } }
        project: node(id: $project) { ... on Project { variables users { edges { node { id name } } } } }
        host: node(id: $host) { ... on Host { interfaces { id } } }
      }`,
      { host: inv.host, project: admin.projectId },
      { key: admin.key },
    );
  }

  it('answers FORBIDDEN to every mutation of a VIEWER and changes nothing', async () => {
    const before = await snapshot();
    for (const [what, query, variables] of everyMutation()) {
      const res = await root.gql(query, variables, { key: viewer.key });
      expect(codeOf(res), `VIEWER ${what}: ${describeResponse(res)}`).toBe('FORBIDDEN');
    }
    expect(await snapshot()).toEqual(before);
    const stillWorks = await root.gql(`{ me { role } }`, {}, { key: operator.key });
    expect(stillWorks.body.data?.me?.role, 'the operator key the viewer tried to revoke').toBe('OPERATOR');
  });

  it('lets an OPERATOR write inventory', async () => {
    const o = root.as({ key: operator.key });
    const cloud = await makeCloud(o, uniq('op-cloud'), { a: 1 });
    const region = await makeRegion(o, { cloudId: cloud.id, name: 'op-region' });
    const cell = await makeCell(o, { regionId: region.id, name: 'op-cell' });
    const host = await makeHost(o, { regionId: region.id, cellId: cell.id, name: 'op-host' });
    const sw = await makeNetworkDevice(o, { regionId: region.id, name: 'op-switch' });
    const net = await makeNetwork(o, { regionId: region.id, name: 'op-net' });
    const nic = await makeInterface(o, { deviceId: host.id, networkId: net.id, name: 'eth0', ipAddress: '10.0.0.2' });
    await o.ok(`mutation($id: ID!) { updateHost(id: $id, input: { note: "by operator" }) { id } }`, { id: host.id });
    await o.ok(`mutation($id: ID!) { updateCloud(id: $id, input: { note: "by operator" }) { id } }`, { id: cloud.id });
    await o.ok(`mutation($id: ID!) { setVariables(id: $id, values: { b: 2 }) { id } }`, { id: host.id });
    await o.ok(`mutation($id: ID!) { deleteVariables(id: $id, keys: ["b"]) { id } }`, { id: host.id });
    await o.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["op"]) { id } }`, { id: host.id });
    await o.ok(`mutation($id: ID!) { removeLabels(id: $id, labels: ["op"]) { id } }`, { id: host.id });
    await o.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: nic.id });
    await o.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: sw.id });
    await o.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: cloud.id });
    expect(await nodeOf(o, host.id)).toBeNull();
  });

  it('answers FORBIDDEN when an OPERATOR manages users, other users’ keys or projects', async () => {
    const viewerKeys = await root.ok(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id } } } }`, { id: viewer.userId }, {
      key: admin.key,
    });
    const refused: Array<[string, string, Record<string, unknown>]> = [
      ['createUser', `mutation { createUser(input: { name: "op-made", role: VIEWER }) { id } }`, {}],
      ['createApiKey for another user', `mutation($u: ID!) { createApiKey(userId: $u) { secret } }`, { u: viewer.userId }],
      ['revokeApiKey of another user', `mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: viewerKeys.node.apiKeys[0].id }],
      ['createProject', `mutation { createProject(input: { name: "op-project" }) { id } }`, {}],
    ];
    for (const [what, query, variables] of refused) {
      const res = await root.gql(query, variables, { key: operator.key });
      expect(codeOf(res), `OPERATOR ${what}: ${describeResponse(res)}`).toBe('FORBIDDEN');
    }
    const users = await root.ok(`query($id: ID!) { node(id: $id) { ... on Project { users { edges { node { name } } } } } }`, {
      id: admin.projectId,
    }, { key: admin.key });
    expect(users.node.users.edges.map((e: any) => e.node.name)).not.toContain('op-made');
  });

  it('lets an ADMIN create users and keys in its own project, and the new key works with the new role', async () => {
    const a = root.as({ key: admin.key });
    const created = await a.ok(`mutation { createUser(input: { name: "admin-made", role: OPERATOR }) { id role project { id } } }`);
    expect(created.createUser).toMatchObject({ role: 'OPERATOR', project: { id: admin.projectId } });
    const key = await a.ok(`mutation($u: ID!) { createApiKey(userId: $u, name: "ci") { secret apiKey { id name prefix revokedAt user { id } } } }`, {
      u: created.createUser.id,
    });
    const { secret, apiKey } = key.createApiKey;
    expect(apiKey).toMatchObject({ name: 'ci', revokedAt: null, user: { id: created.createUser.id } });
    expect(secret.startsWith(apiKey.prefix), 'the prefix is the start of the secret').toBe(true);
    expect(apiKey.prefix.length).toBeLessThan(secret.length);
    const me = await root.ok(`{ me { role user { name } } }`, {}, { key: secret });
    expect(me.me).toEqual({ role: 'OPERATOR', user: { name: 'admin-made' } });
    const project = await a.gql(`mutation { createProject(input: { name: "admin-project" }) { id } }`);
    expect(codeOf(project), `ADMIN createProject: ${describeResponse(project)}`).toBe('FORBIDDEN');
  });

  it('lets any user create a key for themself', async () => {
    const res = await root.ok(`mutation($u: ID!) { createApiKey(userId: $u) { secret } }`, { u: viewer.userId }, { key: viewer.key });
    const me = await root.ok(`{ me { role } }`, {}, { key: res.createApiKey.secret });
    expect(me.me.role).toBe('VIEWER');
  });

  it('refuses a revoked key with UNAUTHENTICATED while the user’s other keys keep working', async () => {
    const a = root.as({ key: admin.key });
    const mk = () =>
      a.ok(`mutation($u: ID!) { createApiKey(userId: $u) { secret apiKey { id } } }`, { u: operator.userId }).then((d) => d.createApiKey);
    const doomed = await mk();
    const kept = await mk();
    expect((await root.ok(`{ me { role } }`, {}, { key: doomed.secret })).me.role).toBe('OPERATOR');

    const revoked = await a.ok(`mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: doomed.apiKey.id });
    expect(revoked.revokeApiKey).toBe(true);
    for (const query of [`{ me { role } }`, `mutation { createCloud(input: { name: "revoked" }) { id } }`]) {
      const res = await root.gql(query, {}, { key: doomed.secret });
      expect(codeOf(res), `${query}: ${describeResponse(res)}`).toBe('UNAUTHENTICATED');
    }
    expect((await root.ok(`{ me { role } }`, {}, { key: kept.secret })).me.role).toBe('OPERATOR');
    const again = await a.ok(`mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: doomed.apiKey.id });
    expect(again.revokeApiKey, 'revoking twice answers false').toBe(false);
    const keys = await a.ok(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id revokedAt } } } }`, { id: operator.userId });
    const listed = keys.node.apiKeys.find((k: any) => k.id === doomed.apiKey.id);
    expect(listed?.revokedAt, 'the revoked key shows revokedAt').toBeTruthy();

    // The owner may revoke their own key.
    const own = await root.ok(`mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: kept.apiKey.id }, { key: kept.secret });
    expect(own.revokeApiKey).toBe(true);
    expect(codeOf(await root.gql(`{ me { role } }`, {}, { key: kept.secret }))).toBe('UNAUTHENTICATED');
  });

  it('refuses a key after its expiresAt with UNAUTHENTICATED', async () => {
    const expiresAt = new Date(Date.now() + 2_500).toISOString();
    const key = await root.ok(
      `mutation($u: ID!, $o: CreateApiKeyOptions) { createApiKey(userId: $u, options: $o) { secret apiKey { expiresAt } } }`,
      { u: viewer.userId, o: { expiresAt } },
      { key: admin.key },
    );
    // Stores may keep whole seconds only.
    expect(Math.abs(Date.parse(key.createApiKey.apiKey.expiresAt) - Date.parse(expiresAt))).toBeLessThan(1_000);
    expect((await root.ok(`{ me { role } }`, {}, { key: key.createApiKey.secret })).me.role).toBe('VIEWER');
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 1_000);
    const res = await root.gql(`{ me { role } }`, {}, { key: key.createApiKey.secret });
    expect(codeOf(res), describeResponse(res)).toBe('UNAUTHENTICATED');
  });

  it('acknowledges a graphql-ws connection with a good key', async () => {
    for (const params of [
      { authorization: `Bearer ${viewer.key}` },
      { authorization: `Bearer ${root.rootKey}` },
      { authorization: `Bearer ${root.rootKey}`, project: admin.projectId },
    ]) {
      const outcome = await connectOnly(root.url, params);
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ acknowledged: true });
      if (outcome.acknowledged) await outcome.close();
    }
  });

  it('closes a graphql-ws connection with 4401 or 4403 for a bad, missing or revoked key', async () => {
    const revoked = await root.ok(`mutation($u: ID!) { createApiKey(userId: $u) { secret apiKey { id } } }`, { u: viewer.userId }, {
      key: admin.key,
    });
    await root.ok(`mutation($k: ID!) { revokeApiKey(id: $k) }`, { k: revoked.createApiKey.apiKey.id }, { key: admin.key });
    const attempts: Array<[string, Record<string, unknown> | undefined]> = [
      ['unknown key', { authorization: `Bearer ${randomKey()}` }],
      ['revoked key', { authorization: `Bearer ${revoked.createApiKey.secret}` }],
      ['empty params', {}],
      ['no payload', undefined],
      ['not a bearer', { authorization: viewer.key.slice(0, 10) }],
    ];
    for (const [what, params] of attempts) {
      const outcome = await connectOnly(root.url, params);
      expect(outcome.acknowledged, `${what}: ${JSON.stringify(outcome)}`).toBe(false);
      if (!outcome.acknowledged) expect([4401, 4403], `${what}: ${JSON.stringify(outcome)}`).toContain(outcome.closeCode);
    }
  });

  it('answers queries over graphql-ws for the key’s user, and for root in the project named by connectionParams.project', async () => {
    const viewerSub = subscribe(root.url, `{ me { role project { id } } }`, {}, { authorization: `Bearer ${viewer.key}` });
    try {
      const result = await viewerSub.next();
      expect(result, JSON.stringify(result)).toEqual({ data: { me: { role: 'VIEWER', project: { id: admin.projectId } } } });
    } finally {
      await viewerSub.dispose();
    }
    const rootSub = subscribe(root.url, `{ me { isRoot project { id } } }`, {}, {
      authorization: `Bearer ${root.rootKey}`,
      project: admin.projectId,
    });
    try {
      const result = await rootSub.next();
      expect(result, JSON.stringify(result)).toEqual({ data: { me: { isRoot: true, project: { id: admin.projectId } } } });
    } finally {
      await rootSub.dispose();
    }
  });

  it('refuses a non-root user who names another project over graphql-ws: close 4401/4403 or FORBIDDEN', async () => {
    const other = await makeProjectWithUser(root, 'VIEWER');
    const params = { authorization: `Bearer ${admin.key}`, project: other.projectId };
    const outcome = await connectOnly(root.url, params);
    if (!outcome.acknowledged) {
      expect([4401, 4403], JSON.stringify(outcome)).toContain(outcome.closeCode);
      return;
    }
    await outcome.close();
    // Acknowledged: then every operation must be refused.
    const sub = subscribe(root.url, `{ me { project { id } } }`, {}, params);
    try {
      const result: any = await sub.next().catch((err: unknown) => ({ failure: err }));
      if ('failure' in result) {
        const failure = result.failure;
        if (Array.isArray(failure)) {
          expect(failure[0]?.extensions?.code, JSON.stringify(failure)).toBe('FORBIDDEN');
        } else {
          expect([4401, 4403], `socket closed: ${failure?.code} ${failure?.reason}`).toContain(failure?.code);
        }
      } else {
        expect(result.data?.me ?? null, JSON.stringify(result)).toBeNull();
        expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result)).toBe('FORBIDDEN');
      }
    } finally {
      await sub.dispose();
    }
  });
});
