// The tenancy matrix: for EVERY Query, Mutation and Subscription field of the schema, a caller of project A
// (an ADMIN, not root) who passes ids of project B's objects gets NOT_FOUND, FORBIDDEN, BAD_USER_INPUT, null
// or nothing — never B's data. Generated from the schema: ID-typed arguments (top level or inside input
// objects) get B's ids of every fitting type, other required arguments are synthesized, and everything the
// field returns is selected and searched for B's ids and names. A control call with A's own ids shows the
// synthesized arguments are accepted; a field (or an id argument) without an accepted automatic case and
// without a hand-written one FAILS, so a new field is covered or noticed.
import { buildClientSchema, getIntrospectionQuery, getNamedType, isAbstractType, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeResponse, startGateway, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
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
  type ProjectUser,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { subscribe, type Subscription } from '../helpers/ws.js';
import {
  documentFor,
  idSlots,
  rootFields,
  schema,
  synthesizeArgs,
  Unsynthesizable,
  type IdSlot,
  type RootKind,
} from './schema-walk.js';

/** Every kind of object an id can name, in the order a generic `id` argument tries them. */
const ALL_TYPES = [
  'Cloud', 'Region', 'Cell', 'Host', 'NetworkDevice', 'Network', 'NetworkInterface',
  'Project', 'User', 'ApiKey', 'Change', 'WorkflowRun', 'WorkflowSchedule',
] as const;
type ObjType = (typeof ALL_TYPES)[number];

/** Which of B's objects an id argument gets, by its name; any other id argument tries every type. */
const BY_NAME: Record<string, ObjType[]> = {
  cloudId: ['Cloud'],
  regionId: ['Region'],
  cellId: ['Cell'],
  parentId: ['Host', 'NetworkDevice'],
  deviceId: ['Host', 'NetworkDevice'],
  networkId: ['Network'],
  interfaceId: ['NetworkInterface'],
  userId: ['User'],
  projectId: ['Project'],
  runId: ['WorkflowRun'],
  scheduleId: ['WorkflowSchedule'],
  keyId: ['ApiKey'],
  apiKeyId: ['ApiKey'],
  changeId: ['Change'],
};

/** The marker in every name, label, variable value and request id of project B. */
const MARK = 'bzq';

/** Extra, hand-written calls: reaching into B by name, label or variables (which no id slot covers). */
type Extra = (w: { workflowName?: string; workflowParams?: Record<string, unknown> }) => Array<[label: string, args: Record<string, unknown>]>;
const deviceFilters: Extra = () => [
  ['by B’s device name', { filter: { name: `${MARK}-host` } }],
  ['by a substring of B’s names', { filter: { nameContains: MARK } }],
  ['by B’s label', { filter: { labels: [`${MARK}-label`] } }],
  ['by B’s variables', { filter: { vars: `owner:"${MARK}-secret"` } }],
  ['by B’s variables, unresolved', { filter: { vars: `owner:"${MARK}-secret"`, resolved: false } }],
];
/**
 * Hand-written cases, keyed `Type.field`. A field listed here is covered even when its arguments cannot
 * be synthesized; add an entry for every new field the automatic cases cannot call.
 */
const HANDWRITTEN: Record<string, Extra> = {
  'Query.devices': deviceFilters,
  'Query.hosts': deviceFilters,
  'Query.networkDevices': deviceFilters,
  'Query.ansibleInventory': deviceFilters,
  'Query.clouds': () => [['by B’s cloud name', { name: `${MARK}-cloud` }], ['by B’s variables', { vars: `owner:"${MARK}-secret"` }]],
  'Query.regions': () => [['by B’s region name', { name: `${MARK}-region` }], ['by B’s variables', { vars: `owner:"${MARK}-secret"` }]],
  'Query.cells': () => [['by B’s cell name', { name: `${MARK}-cell` }], ['by B’s variables', { vars: `owner:"${MARK}-secret"` }]],
  'Query.networks': () => [['by B’s network name', { name: `${MARK}-net` }], ['by B’s variables', { vars: `owner:"${MARK}-secret"` }]],
  'Mutation.startWorkflow': (w) =>
    w.workflowName ? [['targeting B’s devices by name and label', { input: { workflow: w.workflowName, target: { name: `${MARK}-host`, labels: [`${MARK}-label`] }, params: w.workflowParams, dryRun: true } }]] : [],
};

const ALLOWED_CODES = ['NOT_FOUND', 'FORBIDDEN', 'BAD_USER_INPUT'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One call's outcome, over HTTP or graphql-ws. */
interface Outcome {
  data?: unknown;
  errors?: Array<{ message?: string; extensions?: { code?: string } }>;
  status?: number;
  note?: string;
}

const codes = (o: Outcome): string[] => (o.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');

function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
  return out;
}

describeEachStore('tenancy matrix (every field, generated from the schema)', (store) => {
  let root: TestGateway;
  let a: TestGateway;
  let b: TestGateway;
  let adminA: ProjectUser;
  let adminB: ProjectUser;
  /** B's objects by type. */
  const foreign = new Map<ObjType, string[]>();
  /** What could not be set up for B (e.g. workflow runs), by type. */
  const foreignMissing = new Map<ObjType, string>();
  /** Every id of project B. */
  const bIds = new Set<string>();
  let workflowName: string | undefined;
  let workflowParams: Record<string, unknown> = {};
  let bSnapshotBefore: unknown;
  let shared: Own;
  let bWrites = 0;

  const has = (kind: RootKind, name: string) => rootFields(kind).some((f) => f.name === name);

  /** A's own objects, created on first use (fresh per mutation case, so a control may destroy them). */
  class Own {
    private made = new Map<ObjType, Promise<string>>();
    constructor(private readonly prefix: string) {}
    get(type: ObjType): Promise<string> {
      let p = this.made.get(type);
      if (!p) {
        p = this.create(type);
        this.made.set(type, p);
      }
      return p;
    }
    private async create(type: ObjType): Promise<string> {
      const n = `${this.prefix}-${type.toLowerCase()}`;
      switch (type) {
        case 'Cloud':
          return (await makeCloud(a, n, { owner: 'a' })).id;
        case 'Region':
          return (await makeRegion(a, { cloudId: await this.get('Cloud'), name: n })).id;
        case 'Cell':
          return (await makeCell(a, { regionId: await this.get('Region'), name: n })).id;
        case 'Host':
          return (await makeHost(a, { regionId: await this.get('Region'), cellId: await this.get('Cell'), name: n, labels: ['a-label'] })).id;
        case 'NetworkDevice':
          return (await makeNetworkDevice(a, { regionId: await this.get('Region'), name: n })).id;
        case 'Network':
          return (await makeNetwork(a, { regionId: await this.get('Region'), name: n })).id;
        case 'NetworkInterface':
          return (await makeInterface(a, { deviceId: await this.get('Host'), name: 'eth0', ipAddress: '10.76.0.1' })).id;
        case 'Project':
          return adminA.projectId;
        case 'User':
          return (await a.ok(`mutation($n: String!) { createUser(input: { name: $n, role: VIEWER }) { id } }`, { n })).createUser.id;
        case 'ApiKey':
          return (await a.ok(`mutation($u: ID!) { createApiKey(userId: $u, name: "throwaway") { apiKey { id } } }`, { u: await this.get('User') })).createApiKey.apiKey.id;
        case 'Change': {
          await this.get('Cloud');
          return (await a.ok(`{ changes(first: 1) { edges { node { id } } } }`)).changes.edges[0].node.id;
        }
        case 'WorkflowRun':
          return (await startRun(a, await this.get('Host'))) ?? placeholder('WorkflowRun');
        case 'WorkflowSchedule':
          return (await createSchedule(a, await this.get('Host'))) ?? placeholder('WorkflowSchedule');
      }
    }
  }

  /** A well-formed id of an object that does not exist. */
  const placeholder = (type: string) => Buffer.from(`${type}:craton:987654321`).toString('base64url');

  async function startRun(c: TestGateway, _hostId: string): Promise<string | undefined> {
    if (!has('Mutation', 'startWorkflow') || !workflowName) return undefined;
    const res = await c.gql(`mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id } }`, {
      i: { workflow: workflowName, target: { nameContains: 'host' }, params: workflowParams, dryRun: true },
    });
    return res.body.data?.startWorkflow?.id;
  }
  async function createSchedule(c: TestGateway, _hostId: string): Promise<string | undefined> {
    if (!has('Mutation', 'createWorkflowSchedule') || !workflowName) return undefined;
    const res = await c.gql(`mutation($i: CreateWorkflowScheduleInput!) { createWorkflowSchedule(input: $i) { id } }`, {
      i: { workflow: workflowName, cron: '0 3 * * *', timezone: 'UTC', target: { nameContains: 'host' }, params: workflowParams, enabled: false },
    });
    return res.body.data?.createWorkflowSchedule?.id;
  }

  function addForeign(type: ObjType, id: string) {
    foreign.set(type, [...(foreign.get(type) ?? []), id]);
    bIds.add(id);
  }

  /** B's request ids carry the marker, so the trail's requestId fields would show a leak too. */
  const bOpts = () => ({ headers: { 'x-request-id': `${MARK}-req-${++bWrites}` } });

  async function snapshotB(): Promise<unknown> {
    const lists = await b.ok(`{
      clouds(first: 1000) { edges { node { id name note variables } } }
      regions(first: 1000) { edges { node { id name note variables } } }
      cells(first: 1000) { edges { node { id name note variables } } }
      devices(first: 1000) { edges { node { id name ipAddress note active labels variables parent { id } cell { id }
        ... on Host { interfaces { id name ipAddress variables } } } } }
      networks(first: 1000) { edges { node { id name cidr variables } } }
      labels(first: 1000) { edges { node { name deviceCount } } }
      me { project { id name variables users(first: 1000) { edges { node { id name role apiKeys { id revokedAt expiresAt } } } } } }
    }`);
    return lists;
  }

  beforeAll(async () => {
    root = await startGateway(store);
    adminA = await makeProjectWithUser(root, 'ADMIN', { projectName: uniq('tenancy-a'), userName: 'tenancy-admin-a' });
    adminB = await makeProjectWithUser(root, 'ADMIN', { projectName: `${MARK}-project`, userName: `${MARK}-admin` });
    a = root.as({ key: adminA.key });
    b = root.as({ key: adminB.key });
    if (has('Query', 'workflows')) {
      // The workflow with the fewest parameters; required ones without a default get a plain value.
      const wf = await a.gql(`{ workflows { name parameters } }`);
      const defs: Array<{ name: string; parameters: Record<string, any> | null }> = wf.body.data?.workflows ?? [];
      const easiest = [...defs].sort((x, y) => Object.keys(x.parameters ?? {}).length - Object.keys(y.parameters ?? {}).length)[0];
      workflowName = easiest?.name;
      workflowParams = Object.fromEntries(
        Object.entries(easiest?.parameters ?? {})
          .filter(([, spec]) => spec?.required && spec?.default === undefined)
          .map(([k, spec]) => [k, Array.isArray(spec?.enum) && spec.enum.length ? spec.enum[0] : spec?.type === 'number' || spec?.type === 'integer' ? 1 : spec?.type === 'boolean' ? false : 'x']),
      );
    }

    // Project B: one object of every kind, every name and value marked.
    const vars = { owner: `${MARK}-secret` };
    const cloud = await b.ok(`mutation($i: CreateCloudInput!) { createCloud(input: $i) { id } }`, { i: { name: `${MARK}-cloud`, variables: vars } }, bOpts());
    const cloudId = cloud.createCloud.id as string;
    const region = await makeRegion(b.as(bOpts()), { cloudId, name: `${MARK}-region`, variables: vars });
    const cell = await makeCell(b.as(bOpts()), { regionId: region.id, name: `${MARK}-cell`, variables: vars });
    const host = await makeHost(b.as(bOpts()), { regionId: region.id, cellId: cell.id, name: `${MARK}-host`, labels: [`${MARK}-label`], variables: vars });
    const child = await makeHost(b.as(bOpts()), { regionId: region.id, parentId: host.id, name: `${MARK}-child`, labels: [`${MARK}-label`] });
    const sw = await makeNetworkDevice(b.as(bOpts()), { regionId: region.id, cellId: cell.id, name: `${MARK}-switch`, labels: [`${MARK}-label`], variables: vars });
    const net = await makeNetwork(b.as(bOpts()), { regionId: region.id, cellId: cell.id, name: `${MARK}-net`, cidr: '10.66.0.0/24', variables: vars });
    const nic = await makeInterface(b.as(bOpts()), { deviceId: host.id, networkId: net.id, name: `${MARK}-eth0`, ipAddress: '10.66.0.1', variables: vars });
    await b.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: adminB.projectId, v: vars }, bOpts());
    const viewerB = await makeProjectWithUser(root, 'VIEWER', { projectId: adminB.projectId, userName: `${MARK}-viewer` });
    const keyB = await b.ok(`mutation($u: ID!) { createApiKey(userId: $u, name: "${MARK}-key") { apiKey { id } } }`, { u: viewerB.userId });
    const meB = await b.ok(`{ me { user { id apiKeys { id } } } }`);

    for (const [type, id] of [
      ['Cloud', cloudId], ['Region', region.id], ['Cell', cell.id], ['Host', host.id], ['Host', child.id],
      ['NetworkDevice', sw.id], ['Network', net.id], ['NetworkInterface', nic.id], ['Project', adminB.projectId],
      ['User', viewerB.userId], ['User', adminB.userId], ['ApiKey', keyB.createApiKey.apiKey.id],
    ] as Array<[ObjType, string]>) addForeign(type, id);
    for (const k of meB.me.user.apiKeys) addForeign('ApiKey', k.id);
    const run = await startRun(b, host.id);
    if (run) addForeign('WorkflowRun', run);
    else if (has('Mutation', 'startWorkflow')) foreignMissing.set('WorkflowRun', 'startWorkflow as B failed');
    const schedule = await createSchedule(b, host.id);
    if (schedule) addForeign('WorkflowSchedule', schedule);
    else if (has('Mutation', 'createWorkflowSchedule')) foreignMissing.set('WorkflowSchedule', 'createWorkflowSchedule as B failed');
    const bChanges = await b.ok(`{ changes(first: 1000) { edges { node { id } } } }`);
    for (const e of bChanges.changes.edges) addForeign('Change', e.node.id);
    // Also every id B can list (users, keys), in case the lists above missed one.
    const snap = await snapshotB();
    for (const m of JSON.stringify(snap).matchAll(/"id":"([A-Za-z0-9_-]+)"/g)) bIds.add(m[1]!);

    shared = new Own(uniq('tn-shared'));
    await Promise.all(ALL_TYPES.filter((t) => t !== 'WorkflowRun' && t !== 'WorkflowSchedule').map((t) => shared.get(t)));
    bSnapshotBefore = await snapshotB();
  });
  afterAll(async () => {
    await root?.stop();
  });

  /** What in an outcome belongs to B: its ids (as whole tokens) and its marked names, outside what was sent. */
  function leaksOf(o: Outcome, sent: string[]): string[] {
    const found: string[] = [];
    const scan = (text: string, where: string) => {
      for (const id of bIds) {
        if (new RegExp(`(^|[^A-Za-z0-9_-])${id}($|[^A-Za-z0-9_-])`).test(text)) found.push(`${where} holds B's id ${id}`);
      }
      const m = new RegExp(`.{0,40}${MARK}.{0,40}`, 'i').exec(text);
      if (m) found.push(`${where} holds B's marked data: …${m[0]}…`);
    };
    scan(JSON.stringify(o.data ?? null), 'data');
    // Error messages may echo the caller's own arguments (a B id A passed); nothing else of B.
    let errors = JSON.stringify(o.errors ?? []);
    for (const s of [...sent].sort((x, y) => y.length - x.length)) if (s.length >= 3) errors = errors.split(s).join('<sent>');
    scan(errors, 'errors');
    return found;
  }

  async function viaHttp(query: string, variables: Record<string, unknown>): Promise<Outcome> {
    const res: GqlResponse = await a.gql(query, variables);
    return { data: res.body.data, errors: res.body.errors, status: res.status };
  }

  /** Subscribes as A, collects for `ms` (or until an error/completion), then disposes. */
  async function viaWs(query: string, variables: Record<string, unknown>, ms = 700, during?: () => Promise<void>): Promise<Outcome> {
    const sub: Subscription = subscribe(root.url, query, variables, { authorization: `Bearer ${adminA.key}` });
    let failure: unknown;
    let completed = false;
    sub.done.then(() => (completed = true), (err) => (failure = err));
    try {
      await sleep(150);
      if (during) await during();
      await sleep(ms);
    } finally {
      await sub.dispose();
    }
    const data = sub.results.map((r) => r.data).filter((d) => d != null);
    const errors: NonNullable<Outcome['errors']> = sub.results.flatMap((r) => r.errors ?? []);
    if (Array.isArray(failure)) errors.push(...(failure as NonNullable<Outcome['errors']>));
    let note = completed ? 'completed' : undefined;
    let status: number | undefined;
    if (failure && !Array.isArray(failure)) {
      // A closed socket: graphql-ws closes with 4500 on an internal error.
      const f = failure as { code?: number; reason?: string; message?: string };
      note = `socket closed: ${f.code ?? ''} ${f.reason ?? f.message ?? ''}`.trim();
      if (f.code !== 1000) status = f.code === 4500 ? 500 : 400;
    }
    return { data: data.length ? data : undefined, errors: errors.length ? errors : undefined, note, status };
  }

  function call(kind: RootKind, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, during?: () => Promise<void>): Promise<Outcome> {
    const { query, variables } = documentFor(kind, field, args);
    return kind === 'Subscription' ? viaWs(query, variables, 700, during) : viaHttp(query, variables);
  }

  /** The type an id argument gets when it is not the one under test. */
  function defaultType(field: GraphQLField<unknown, unknown>, slot: IdSlot): ObjType {
    const byName = BY_NAME[slot.name];
    if (byName) return byName[0]!;
    const ret = getNamedType(field.type);
    if ((ALL_TYPES as readonly string[]).includes(ret.name)) return ret.name as ObjType;
    if (isAbstractType(ret)) {
      const possible = schema.getPossibleTypes(ret).map((t) => t.name);
      const fit = ALL_TYPES.find((t) => possible.includes(t));
      if (fit) return fit;
    }
    return 'Cloud';
  }

  const samePath = (x: string[], y: string[]) => x.length === y.length && x.every((p, i) => p === y[i]);

  /** Builds args with `target` (or nothing) in the slot under test and A's own ids in the other required slots. */
  async function argsFor(field: GraphQLField<unknown, unknown>, own: Own, slot: IdSlot | undefined, target: string | undefined): Promise<Record<string, unknown>> {
    const ownIds = new Map<string, string>();
    for (const s of idSlots(field)) {
      if (slot && samePath(s.path, slot.path)) continue;
      if (s.required) ownIds.set(s.path.join('.'), await own.get(defaultType(field, s)));
    }
    return synthesizeArgs(field, {
      idFor: (s) => (slot && samePath(s.path, slot.path) ? target : ownIds.get(s.path.join('.'))),
      unique: () => uniq('tn'),
      workflowName,
    });
  }

  /** Asserts an outcome of a call with B's ids reveals nothing of B; returns a failure text or null. */
  function judge(label: string, o: Outcome, sent: string[]): string | null {
    const problems: string[] = [];
    if ((o.status ?? 200) >= 500) problems.push(o.note ?? `HTTP ${o.status}`);
    for (const code of codes(o)) if (!ALLOWED_CODES.includes(code)) problems.push(`error code ${code}`);
    problems.push(...leaksOf(o, sent));
    return problems.length ? `${label}: ${problems.join('; ')}\n  response: ${JSON.stringify({ data: o.data, errors: o.errors, note: o.note }).slice(0, 1500)}` : null;
  }

  /** A control outcome shows the synthesized call is accepted when it names A's own objects. */
  const accepted = (o: Outcome) => (o.status ?? 200) < 400 && codes(o).every((c) => ['NOT_FOUND', 'FORBIDDEN', 'CONFLICT'].includes(c));

  async function runField(kind: RootKind, field: GraphQLField<unknown, unknown>): Promise<void> {
    const key = `${kind}.${field.name}`;
    const failures: string[] = [];
    const uncovered: string[] = [];
    const handwritten = HANDWRITTEN[key]?.({ workflowName, workflowParams }) ?? [];
    const slots = idSlots(field);
    const fresh = () => (kind === 'Mutation' ? new Own(uniq('tn-own')) : shared);
    const bBurst = async () => {
      await b.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, {
        id: foreign.get('Cloud')![0],
        v: { burst: `${MARK}-burst-${uniq('x')}` },
      }, bOpts());
    };

    try {
      if (slots.every((s) => !s.required)) {
        // Without any id (lists, connections, creates): nothing of B in what comes back.
        const args = await argsFor(field, fresh(), undefined, undefined);
        const o = await call(kind, field, args, kind === 'Subscription' ? bBurst : undefined);
        const bad = judge(`${key} without ids`, o, stringLeaves(args));
        if (bad) failures.push(bad);
        if (slots.length === 0 && !accepted(o)) uncovered.push(`${key}: the synthesized call ${JSON.stringify(args)} was refused: ${JSON.stringify(o.errors)}`);
      }
      for (const slot of slots) {
        let meaningful = false;
        const tried: string[] = [];
        for (const type of BY_NAME[slot.name] ?? ALL_TYPES) {
          const ids = foreign.get(type);
          if (!ids?.length) {
            if (BY_NAME[slot.name] || foreignMissing.has(type)) tried.push(`no B ${type} (${foreignMissing.get(type) ?? 'not in this schema'})`);
            continue;
          }
          const own = fresh();
          for (const bId of ids.slice(0, 2)) {
            const args = await argsFor(field, own, slot, bId);
            const o = await call(kind, field, args);
            const bad = judge(`${key}(${slot.path.join('.')}: B's ${type})`, o, stringLeaves(args));
            if (bad) failures.push(bad);
          }
          const ownArgs = await argsFor(field, own, slot, await own.get(type));
          const control = await call(kind, field, ownArgs);
          if ((control.status ?? 200) >= 500 || codes(control).includes('INTERNAL_SERVER_ERROR')) {
            failures.push(`${key}(${slot.path.join('.')}: A's own ${type}) failed internally: ${JSON.stringify({ data: control.data, errors: control.errors, note: control.note }).slice(0, 800)}`);
          }
          if (accepted(control)) meaningful = true;
          else tried.push(`${type}: ${codes(control).join(',')} ${control.errors?.[0]?.message ?? ''}`.trim());
        }
        if (!meaningful && !handwritten.length) {
          uncovered.push(`${key}(${slot.path.join('.')}): no call with A's own ids was accepted (${tried.join(' | ')})`);
        }
      }
    } catch (err) {
      if (!(err instanceof Unsynthesizable)) throw err;
      if (!handwritten.length) uncovered.push(`${key}: ${err.message}`);
    }
    for (const [label, args] of handwritten) {
      const o = await call(kind, field, args);
      const bad = judge(`${key} ${label}`, o, stringLeaves(args));
      if (bad) failures.push(bad);
    }
    expect(failures, `calls of ${key} as project A revealed or touched project B, or failed internally:\n${failures.join('\n')}`).toEqual([]);
    if (uncovered.length) {
      throw new Error(`no tenancy case for ${key}: add one to HANDWRITTEN in test/security/tenancy-matrix.test.ts\n${uncovered.join('\n')}`);
    }
  }

  it('the live schema the gateway serves has exactly the root fields this matrix walks', async () => {
    const res = await a.gql(getIntrospectionQuery());
    expect(res.body.errors, describeResponse(res)).toBeUndefined();
    const live = buildClientSchema(res.body.data);
    for (const kind of ['Query', 'Mutation', 'Subscription'] as const) {
      expect(rootFields(kind, live).map((f) => f.name).sort(), kind).toEqual(rootFields(kind).map((f) => f.name).sort());
    }
  });

  for (const kind of ['Query', 'Mutation'] as const) {
    for (const field of rootFields(kind)) {
      it(`${kind}.${field.name}: a caller of project A with project B's ids gets NOT_FOUND, FORBIDDEN, BAD_USER_INPUT or nothing of B`, async () => {
        await runField(kind, field);
      });
    }
  }

  it('after the whole matrix, every object, variable, label, user and key of project B is unchanged', async () => {
    expect(await snapshotB()).toEqual(bSnapshotBefore);
  });

  for (const field of rootFields('Subscription')) {
    it(`Subscription.${field.name}: a subscriber of project A with project B's ids receives an error or nothing of B`, async () => {
      await runField('Subscription', field);
    });
  }

  it('inventoryChanged as A receives A’s own writes and nothing of B’s', async () => {
    if (!has('Subscription', 'inventoryChanged')) return;
    const sub = subscribe(root.url, `subscription { inventoryChanged { id objectId objectType requestId before after actor } }`, {}, {
      authorization: `Bearer ${adminA.key}`,
    });
    try {
      const warm = await shared.get('Cloud');
      // Live once A's own write arrives.
      for (let n = 0; ; n++) {
        await a.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: warm, v: { warm: n } });
        const got = await sub.next(300).catch(() => null);
        if (got) break;
        if (n > 40) throw new Error('inventoryChanged never went live');
      }
      await sleep(300);
      sub.results.splice(0);
      const bCloud = await b.ok(`mutation { createCloud(input: { name: "${MARK}-live-cloud", variables: { owner: "${MARK}-secret" } }) { id } }`, {}, bOpts());
      await b.ok(`mutation($id: ID!) { setVariables(id: $id, values: { more: "${MARK}" }) { id } }`, { id: bCloud.createCloud.id }, bOpts());
      await b.ok(`mutation($id: ID!) { deleteNode(id: $id) }`, { id: bCloud.createCloud.id }, bOpts());
      bIds.add(bCloud.createCloud.id);
      await a.ok(`mutation($id: ID!) { setVariables(id: $id, values: { sentinel: true }) { id } }`, { id: warm });
      await sleep(500);
      const received = JSON.stringify(sub.results);
      expect(received).not.toContain(MARK);
      expect(received).not.toContain(bCloud.createCloud.id);
      expect(received, 'A’s own sentinel arrived').toContain('sentinel');
    } finally {
      await sub.dispose();
    }
  });

  it('after B’s writes, A’s changes, labels, hosts, devices, projects and sources hold nothing of B', async () => {
    const data = await a.ok(`{
      changes(first: 1000) { totalCount edges { node { id objectId objectType before after requestId actor } } }
      labels(first: 1000) { totalCount edges { node { name deviceCount } } }
      hosts(first: 1000) { totalCount edges { node { id name labels variables resolvedVariables region { id name } } } }
      devices(first: 1000) { totalCount edges { node { id name labels } } }
      projects(first: 1000) { totalCount edges { node { id name variables } } }
      sources { name kind status }
    }`);
    expect(leaksOf({ data }, [])).toEqual([]);
    expect(data.projects.edges.map((e: any) => e.node.id)).toEqual([adminA.projectId]);
    expect(data.changes.totalCount).toBeGreaterThan(0);
    expect(data.labels.edges.map((e: any) => e.node.name)).toContain('a-label');
  });
});
