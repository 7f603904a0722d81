// Role checks for EVERY mutation of the schema: a VIEWER gets FORBIDDEN and nothing changes; an OPERATOR
// writes inventory (and workflows) but gets FORBIDDEN for users, other users' keys and projects; an ADMIN
// manages users and keys of its project but creates no project; root does everything. The list of
// mutations comes from the schema: a mutation without an entry in CASES fails, so a new one gets a role.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type GqlOptions, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
import {
  makeCell,
  makeCloud,
  makeHost,
  makeInterface,
  makeKey,
  makeNetwork,
  makeNetworkDevice,
  makeProjectWithUser,
  makeRegion,
  uniq,
  type ProjectUser,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { rootFields } from './schema-walk.js';

type Who = 'VIEWER' | 'OPERATOR' | 'ADMIN' | 'ROOT';
const WHO: Who[] = ['VIEWER', 'OPERATOR', 'ADMIN', 'ROOT'];
const RANK: Record<Who, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2, ROOT: 3 };

/** What a case needs to build its request: fresh objects of the project, made by its ADMIN. */
interface Fixture {
  cloud(): Promise<string>;
  region(): Promise<string>;
  cell(): Promise<string>;
  host(labels?: string[]): Promise<{ id: string; name: string }>;
  networkDevice(): Promise<string>;
  network(): Promise<string>;
  iface(): Promise<string>;
  /** A fresh VIEWER of the project and one key of it. */
  user(): Promise<{ userId: string; keyId: string }>;
  /** The caller's own user id and one fresh key of it (for root: its home user). */
  self(who: Who): Promise<{ userId: string; keyId: string }>;
  projectId: string;
  workflow(): Promise<{ name: string; params: Record<string, unknown> }>;
  run(): Promise<string>;
  schedule(): Promise<string>;
}

interface RoleCase {
  label: string;
  /** The weakest caller allowed. */
  min: Who;
  /** Callers this case says nothing about (the contract does not fix their right). */
  unspecified?: Who[];
  /** Codes that still mean "allowed" (e.g. cancelling a run that already finished: CONFLICT). */
  allowedCodes?: string[];
  build(fx: Fixture, who: Who): Promise<{ query: string; variables?: Record<string, unknown> }>;
}

const named = (query: string) => async () => ({ query, variables: { n: uniq('role') } });

/** One or more cases per mutation, keyed by field name. Add an entry for every new mutation. */
const CASES: Record<string, RoleCase[]> = {
  createProject: [{ label: 'a project', min: 'ROOT', build: named(`mutation($n: String!) { createProject(input: { name: $n }) { id } }`) }],
  createUser: [{ label: 'a user of the project', min: 'ADMIN', build: named(`mutation($n: String!) { createUser(input: { name: $n, role: VIEWER }) { id } }`) }],
  createApiKey: [
    { label: 'for another user', min: 'ADMIN', build: async (fx) => ({ query: `mutation($u: ID!) { createApiKey(userId: $u) { secret } }`, variables: { u: (await fx.user()).userId } }) },
    { label: 'for themself', min: 'VIEWER', build: async (fx, who) => ({ query: `mutation($u: ID!) { createApiKey(userId: $u) { secret } }`, variables: { u: (await fx.self(who)).userId } }) },
  ],
  revokeApiKey: [
    { label: 'another user’s key', min: 'ADMIN', build: async (fx) => ({ query: `mutation($k: ID!) { revokeApiKey(id: $k) }`, variables: { k: (await fx.user()).keyId } }) },
    { label: 'their own key', min: 'VIEWER', build: async (fx, who) => ({ query: `mutation($k: ID!) { revokeApiKey(id: $k) }`, variables: { k: (await fx.self(who)).keyId } }) },
  ],
  createCloud: [{ label: 'a cloud', min: 'OPERATOR', build: named(`mutation($n: String!) { createCloud(input: { name: $n, variables: { a: 1 } }) { id } }`) }],
  createRegion: [{ label: 'a region', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($c: ID!, $n: String!) { createRegion(input: { cloudId: $c, name: $n }) { id } }`, variables: { c: await fx.cloud(), n: uniq('role') } }) }],
  createCell: [{ label: 'a cell', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($r: ID!, $n: String!) { createCell(input: { regionId: $r, name: $n }) { id } }`, variables: { r: await fx.region(), n: uniq('role') } }) }],
  createHost: [{ label: 'a host', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($r: ID!, $n: String!) { createHost(input: { regionId: $r, name: $n, labels: ["x"] }) { id } }`, variables: { r: await fx.region(), n: uniq('role') } }) }],
  createNetworkDevice: [{ label: 'a network device', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($r: ID!, $n: String!) { createNetworkDevice(input: { regionId: $r, name: $n }) { id } }`, variables: { r: await fx.region(), n: uniq('role') } }) }],
  createNetwork: [{ label: 'a network', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($r: ID!, $n: String!) { createNetwork(input: { regionId: $r, name: $n, cidr: "10.9.0.0/24" }) { id } }`, variables: { r: await fx.region(), n: uniq('role') } }) }],
  createNetworkInterface: [{ label: 'an interface', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($d: ID!) { createNetworkInterface(input: { deviceId: $d, name: "eth1", ipAddress: "10.9.0.7" }) { id } }`, variables: { d: (await fx.host()).id } }) }],
  updateCloud: [{ label: 'a cloud', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { updateCloud(id: $id, input: { note: "changed" }) { id } }`, variables: { id: await fx.cloud() } }) }],
  updateRegion: [{ label: 'a region', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { updateRegion(id: $id, input: { note: "changed" }) { id } }`, variables: { id: await fx.region() } }) }],
  updateCell: [{ label: 'a cell', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { updateCell(id: $id, input: { note: "changed" }) { id } }`, variables: { id: await fx.cell() } }) }],
  updateHost: [{ label: 'a host', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { updateHost(id: $id, input: { note: "changed", active: false }) { id } }`, variables: { id: (await fx.host()).id } }) }],
  updateNetworkDevice: [{ label: 'a network device', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { updateNetworkDevice(id: $id, input: { osVersion: "2" }) { id } }`, variables: { id: await fx.networkDevice() } }) }],
  updateNetwork: [{ label: 'a network', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { updateNetwork(id: $id, input: { cidr: "10.9.0.0/16" }) { id } }`, variables: { id: await fx.network() } }) }],
  deleteNode: (
    [
      ['a cloud with its contents', (fx: Fixture) => fx.cloud()],
      ['a region', (fx: Fixture) => fx.region()],
      ['a cell', (fx: Fixture) => fx.cell()],
      ['a host', async (fx: Fixture) => (await fx.host()).id],
      ['a network device', (fx: Fixture) => fx.networkDevice()],
      ['a network', (fx: Fixture) => fx.network()],
      ['an interface', (fx: Fixture) => fx.iface()],
    ] as const
  ).map(([label, make]) => ({ label, min: 'OPERATOR' as Who, build: async (fx: Fixture) => ({ query: `mutation($id: ID!) { deleteNode(id: $id) }`, variables: { id: await make(fx) } }) })),
  setVariables: [
    { label: 'on a host', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { setVariables(id: $id, values: { role: "x" }) { id } }`, variables: { id: (await fx.host()).id } }) },
    { label: 'on a cloud', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { setVariables(id: $id, values: { role: "x" }) { id } }`, variables: { id: await fx.cloud() } }) },
    // The project's own variables are project configuration: the contract does not say whether an OPERATOR may set them.
    { label: 'on the project', min: 'ADMIN', unspecified: ['OPERATOR'], build: async (fx) => ({ query: `mutation($id: ID!) { setVariables(id: $id, values: { role: "x" }) { id } }`, variables: { id: fx.projectId } }) },
  ],
  deleteVariables: [
    { label: 'of a host', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { deleteVariables(id: $id, keys: ["v"]) { id } }`, variables: { id: (await fx.host()).id } }) },
    { label: 'of the project', min: 'ADMIN', unspecified: ['OPERATOR'], build: async (fx) => ({ query: `mutation($id: ID!) { deleteVariables(id: $id, keys: ["v"]) { id } }`, variables: { id: fx.projectId } }) },
  ],
  addLabels: [{ label: 'to a host', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { addLabels(id: $id, labels: ["added"]) { id } }`, variables: { id: (await fx.host()).id } }) }],
  removeLabels: [{ label: 'from a host', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { removeLabels(id: $id, labels: ["keep"]) { id } }`, variables: { id: (await fx.host(['keep'])).id } }) }],
  startWorkflow: [
    {
      label: 'a dry run',
      min: 'OPERATOR',
      build: async (fx) => {
        const wf = await fx.workflow();
        const host = await fx.host();
        return {
          query: `mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id } }`,
          variables: { i: { workflow: wf.name, target: { name: host.name }, params: wf.params, dryRun: true } },
        };
      },
    },
  ],
  cancelWorkflowRun: [
    // A dry run over one device may finish before the cancel arrives: CONFLICT then still means "allowed".
    { label: 'a run', min: 'OPERATOR', allowedCodes: ['CONFLICT'], build: async (fx) => ({ query: `mutation($id: ID!) { cancelWorkflowRun(id: $id) { id } }`, variables: { id: await fx.run() } }) },
  ],
  createWorkflowSchedule: [
    {
      label: 'a disabled schedule',
      min: 'OPERATOR',
      build: async (fx) => {
        const wf = await fx.workflow();
        return {
          query: `mutation($i: CreateWorkflowScheduleInput!) { createWorkflowSchedule(input: $i) { id } }`,
          variables: { i: { workflow: wf.name, cron: '0 3 * * *', timezone: 'UTC', target: { name: 'no-such-device' }, params: wf.params, enabled: false } },
        };
      },
    },
  ],
  deleteWorkflowSchedule: [
    { label: 'a schedule', min: 'OPERATOR', build: async (fx) => ({ query: `mutation($id: ID!) { deleteWorkflowSchedule(id: $id) }`, variables: { id: await fx.schedule() } }) },
  ],
};

/** A value for a workflow parameter described as { type, required, default, enum }. */
function paramValue(spec: any): unknown {
  if (spec?.default !== undefined) return spec.default;
  if (Array.isArray(spec?.enum) && spec.enum.length) return spec.enum[0];
  switch (spec?.type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return 'x';
  }
}

describeEachStore('role checks for every mutation', (store) => {
  let root: TestGateway;
  let admin: ProjectUser;
  let operator: ProjectUser;
  let viewer: ProjectUser;
  let rootUserId: string;
  let fx: Fixture;
  const mutations = rootFields('Mutation').map((f) => f.name);
  const hasQuery = (name: string) => rootFields('Query').some((f) => f.name === name);

  beforeAll(async () => {
    root = await startGateway(store);
    admin = await makeProjectWithUser(root, 'ADMIN', { userName: 'role-admin' });
    operator = await makeProjectWithUser(root, 'OPERATOR', { projectId: admin.projectId, userName: 'role-operator' });
    viewer = await makeProjectWithUser(root, 'VIEWER', { projectId: admin.projectId, userName: 'role-viewer' });
    rootUserId = (await root.ok(`{ me { user { id } } }`)).me.user.id;
    const a = root.as({ key: admin.key });
    const keyIdOf = async (userId: string, opts: GqlOptions, secret: string) => {
      const data = await root.ok(`query($id: ID!) { node(id: $id) { ... on User { apiKeys { id prefix } } } }`, { id: userId }, opts);
      return data.node.apiKeys.find((k: any) => secret.startsWith(k.prefix)).id as string;
    };
    let workflow: Promise<{ name: string; params: Record<string, unknown> }> | undefined;
    fx = {
      projectId: admin.projectId,
      cloud: async () => (await makeCloud(a, uniq('role-cloud'), { v: 1 })).id,
      region: async () => (await makeRegion(a, { cloudId: await fx.cloud(), name: uniq('role-region') })).id,
      cell: async () => (await makeCell(a, { regionId: await fx.region(), name: uniq('role-cell') })).id,
      host: async (labels = ['keep']) => makeHost(a, { regionId: await fx.region(), name: uniq('role-host'), labels, variables: { v: 1 } }),
      networkDevice: async () => (await makeNetworkDevice(a, { regionId: await fx.region(), name: uniq('role-sw') })).id,
      network: async () => (await makeNetwork(a, { regionId: await fx.region(), name: uniq('role-net') })).id,
      iface: async () => (await makeInterface(a, { deviceId: (await fx.host()).id, name: 'eth0', ipAddress: '10.9.1.1' })).id,
      user: async () => {
        const u = await a.ok(`mutation($n: String!) { createUser(input: { name: $n, role: VIEWER }) { id } }`, { n: uniq('role-user') });
        const secret = await makeKey(a, u.createUser.id);
        return { userId: u.createUser.id, keyId: await keyIdOf(u.createUser.id, { key: admin.key }, secret) };
      },
      self: async (who) => {
        const user = { VIEWER: viewer, OPERATOR: operator, ADMIN: admin, ROOT: undefined }[who];
        const userId = user?.userId ?? rootUserId;
        const opts: GqlOptions = user ? { key: user.key } : {};
        const secret = await makeKey(root.as(opts), userId);
        return { userId, keyId: await keyIdOf(userId, opts, secret) };
      },
      workflow: () =>
        (workflow ??= (async () => {
          const data = await a.ok(`{ workflows { name parameters } }`);
          const defs: Array<{ name: string; parameters: Record<string, any> }> = data.workflows;
          if (!defs.length) throw new Error('the gateway offers no workflow to start');
          const easiest = [...defs].sort((x, y) => Object.keys(x.parameters ?? {}).length - Object.keys(y.parameters ?? {}).length)[0]!;
          const params = Object.fromEntries(
            Object.entries(easiest.parameters ?? {}).filter(([, spec]) => spec?.required && spec?.default === undefined).map(([k, spec]) => [k, paramValue(spec)]),
          );
          return { name: easiest.name, params };
        })()),
      run: async () => {
        const wf = await fx.workflow();
        const host = await fx.host();
        const data = await a.ok(`mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id } }`, {
          i: { workflow: wf.name, target: { name: host.name }, params: wf.params, dryRun: true },
        });
        return data.startWorkflow.id;
      },
      schedule: async () => {
        const wf = await fx.workflow();
        const data = await a.ok(`mutation($i: CreateWorkflowScheduleInput!) { createWorkflowSchedule(input: $i) { id } }`, {
          i: { workflow: wf.name, cron: '0 3 * * *', target: { name: 'no-such-device' }, params: wf.params, enabled: false },
        });
        return data.createWorkflowSchedule.id;
      },
    };
  });
  afterAll(async () => {
    await root?.stop();
  });

  function optsOf(who: Who, selfCase: boolean): GqlOptions {
    switch (who) {
      case 'VIEWER':
        return { key: viewer.key };
      case 'OPERATOR':
        return { key: operator.key };
      case 'ADMIN':
        return { key: admin.key };
      case 'ROOT':
        // Root acts in the project; for its own keys it stays in its home project, where its user lives.
        return selfCase ? {} : { project: admin.projectId };
    }
  }

  /** Everything of the project (and the count of projects) a refused mutation could have changed. */
  async function snapshot(): Promise<unknown> {
    const inventory = await root.ok(
      `query($p: ID!) {
        clouds(first: 1000) { edges { node { id name note variables } } }
        regions(first: 1000) { edges { node { id name note variables } } }
        cells(first: 1000) { edges { node { id name note variables } } }
        devices(first: 1000) { edges { node { id name note active labels variables ... on Host { interfaces { id } } } } }
        networks(first: 1000) { edges { node { id name cidr variables } } }
        changes(first: 1) { totalCount }
        projects(first: 1000) { totalCount }
        project: node(id: $p) { ... on Project { variables users(first: 1000) { edges { node { id name role apiKeys { id revokedAt } } } } } }
      }`,
      { p: admin.projectId },
      { project: admin.projectId },
    );
    // Workflow state separately: a failure there is compared as it is, without hiding the inventory.
    const parts = [
      hasQuery('workflowRuns') ? 'workflowRuns(first: 1000) { totalCount edges { node { id status } } }' : '',
      hasQuery('workflowSchedules') ? 'workflowSchedules(first: 1000) { totalCount }' : '',
    ].filter(Boolean);
    const body = parts.length ? (await root.gql(`{ ${parts.join(' ')} }`, {}, { project: admin.projectId })).body : null;
    // Runs move on by themselves (PENDING → RUNNING → …): what a refused call could change is a cancellation.
    const runs = body?.data?.workflowRuns?.edges?.map((e: any) => ({ id: e.node.id, cancelled: ['CANCELLING', 'CANCELLED'].includes(e.node.status) }));
    const workflows = body && { errors: body.errors?.map((e) => e.extensions?.code), runs, schedules: body.data?.workflowSchedules };
    return { inventory, workflows };
  }

  it('has a role case for every mutation of the schema', () => {
    const missing = mutations.filter((m) => !CASES[m]?.length);
    expect(missing.map((m) => `no role case for Mutation.${m}: add one to CASES in test/security/roles.test.ts`)).toEqual([]);
  });

  for (const mutation of mutations) {
    it(`${mutation}: VIEWER and too-weak roles get FORBIDDEN and change nothing; allowed roles succeed`, async () => {
      const cases = CASES[mutation];
      if (!cases?.length) throw new Error(`no role case for Mutation.${mutation}: add one to CASES in test/security/roles.test.ts`);
      for (const c of cases) {
        for (const who of WHO) {
          if (c.unspecified?.includes(who)) continue;
          const selfCase = c.label.includes('themself') || c.label.includes('their own');
          const { query, variables } = await c.build(fx, who);
          const what = `${who} ${mutation} ${c.label}`;
          if (RANK[who] < RANK[c.min]) {
            const before = await snapshot();
            const res: GqlResponse = await root.gql(query, variables, optsOf(who, selfCase));
            expect(codeOf(res), `${what} must be FORBIDDEN: ${describeResponse(res)}`).toBe('FORBIDDEN');
            expect(res.body.data?.[mutation] ?? null, `${what}: no data`).toBeNull();
            expect(await snapshot(), `${what} changed the project`).toEqual(before);
          } else {
            const res = await root.gql(query, variables, optsOf(who, selfCase));
            const errors = (res.body.errors ?? []).filter((e) => !c.allowedCodes?.includes(e.extensions?.code ?? ''));
            expect(errors, `${what} must be allowed: ${describeResponse(res)}`).toEqual([]);
          }
        }
      }
    });
  }

  it('a VIEWER can still read everything after all refusals, and the keys it tried to revoke still work', async () => {
    const read = await root.ok(`{ clouds { totalCount } devices { totalCount } changes { totalCount } me { role } }`, {}, { key: viewer.key });
    expect(read.me.role).toBe('VIEWER');
    expect((await root.ok(`{ me { role } }`, {}, { key: operator.key })).me.role).toBe('OPERATOR');
  });
});
