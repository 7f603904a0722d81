// Craton's overlays on federated hosts (issue: overlays). setVariables, deleteVariables, addLabels and removeLabels
// work on hosts of OneOps, Ansible and a plugin; the overlay lives in Craton's store keyed by (source, key);
// resolution is overlay > source attributes > cell > region > cloud > project (the first two swapped with
// `precedence: source`), and variableOrigins names the source when the source's value wins; the change history
// records overlay writes under the federated id; another project sees none of it; and overlays and ids survive a
// restart of the gateway on the same store.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeProjectWithUser } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { startFakeOneOps, type FakeOneOps } from '../fakes/oneops/server.js';
import { seedCis, seedRelations } from '../fakes/oneops/seed.js';
import { ANSIBLE_INI, idsByName, makePlaces, sourcesFile, STATIC_PLUGIN, type Places, type SourcesFile } from './helpers.js';

/** Keys defined at every level down to the one named: k_<level> is won by that level. */
const LEVEL_KEYS = ['k_overlay', 'k_attr', 'k_cell', 'k_region', 'k_cloud', 'k_project'];
const upTo = (level: string, value: string) => Object.fromEntries(LEVEL_KEYS.slice(0, LEVEL_KEYS.indexOf(`k_${level}`) + 1).map((k) => [k, value]));
/** The same attributes in both static sources: they define k_overlay and k_attr. */
const ATTRIBUTES = upTo('attr', 'attr');

const VARS = `query($id: ID!, $keys: [String!]) {
  node(id: $id) {
    ... on Host { id name labels variables resolvedVariables(keys: $keys)
      variableOrigins(keys: $keys) { key value source holder { __typename id } } }
  }
}`;

describeEachStore('overlays on federated hosts', (store) => {
  let t: TestGateway;
  /** The first gateway: started with keepStore so the restart test can start another on its store. */
  let first: TestGateway;
  let fake: FakeOneOps;
  let file: SourcesFile;
  let places: Places;
  let projectId: string;
  /** Every host's global id, by name. */
  let ids: Record<string, string>;

  const node = async (id: string, keys?: string[]) => (await t.ok(VARS, { id, keys })).node;
  const setVars = (id: string, values: Record<string, unknown>) =>
    t.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { __typename id ... on Host { variables } } }`, { id, v: values });
  const labelsOf = async (id: string): Promise<string[]> => (await node(id)).labels;

  beforeAll(async () => {
    fake = await startFakeOneOps({ cis: seedCis, relations: seedRelations });
    file = sourcesFile();
    const staticSource = (name: string, precedence: 'overlay' | 'source', hosts: unknown[]) => ({
      name,
      kind: 'static',
      module: file.relative(STATIC_PLUGIN),
      project: 'default',
      precedence,
      placement: { cloud: 'lab', region: 'lab-east', cell: 'rack-1' },
      hosts,
    });
    file.write([
      {
        name: 'oneops-prod',
        kind: 'oneops',
        project: 'default',
        cacheTtlMs: 0,
        connection: { url: fake.url, nsPath: '/acme/shop' },
        placement: { cloud: 'oneops', region: { fromNsPathSegment: 3 } },
      },
      {
        name: 'lab-ansible',
        kind: 'ansible',
        project: 'default',
        connection: { path: file.relative(ANSIBLE_INI) },
        placement: { cloud: 'lab', region: 'lab-east' },
      },
      // The same key `o1` in two sources: two hosts, two overlays.
      staticSource('lab-static', 'overlay', [
        { key: 'o1', name: 'ovl-1', attributes: ATTRIBUTES },
        { key: 'o2', name: 'ovl-2', attributes: { rack: 'r2' }, labels: ['lab'] },
      ]),
      staticSource('lab-static-src', 'source', [{ key: 'o1', name: 'src-1', attributes: ATTRIBUTES }]),
    ]);
    first = await startGateway(store, { env: { CRATON_CONFIG: file.path }, keepStore: true });
    t = first;
    places = await makePlaces(
      t,
      { oneops: { prod: [], qa: [] }, lab: { 'lab-east': ['rack-1'] } },
      { lab: upTo('cloud', 'cloud'), 'lab-east': upTo('region', 'region'), 'rack-1': upTo('cell', 'cell') },
    );
    projectId = (await t.ok(`{ me { project { id } } }`)).me.project.id;
    await setVars(projectId, upTo('project', 'project'));
    ids = idsByName((await t.ok(`{ hosts(first: 100) { edges { node { id name } } } }`)).hosts);
  });
  afterAll(async () => {
    if (t !== first) await t?.stop();
    await first?.stop();
    await first?.dropStore();
    await fake?.stop();
    file?.remove();
  });

  it.each([
    ['OneOps', 'compute-101-1', { hostname: 'web-1', cores: '4' }],
    ['Ansible', 'web01.example.com', { role: 'web', tier: 'frontend' }],
    ['the static plugin', 'ovl-2', { rack: 'r2' }],
  ])('setVariables on a %s host upserts Craton keys beside the source attributes, which stay', async (_kind, name, attributes) => {
    const id = ids[name]!;
    const set = await setVars(id, { owner_team: 'sre', build: { id: 7, tags: ['a'] } });
    expect(set.setVariables).toMatchObject({ __typename: 'Host', id });
    expect(set.setVariables.variables).toMatchObject({ ...attributes, owner_team: 'sre', build: { id: 7, tags: ['a'] } });

    await setVars(id, { build: { id: 8 } });
    const after = await node(id, ['owner_team', 'build']);
    expect(after.variables).toMatchObject({ ...attributes, owner_team: 'sre', build: { id: 8 } });
    expect(after.resolvedVariables).toEqual({ owner_team: 'sre', build: { id: 8 } });
    expect(after.variableOrigins).toEqual([
      { key: 'build', value: { id: 8 }, source: 'craton', holder: { __typename: 'Host', id } },
      { key: 'owner_team', value: 'sre', source: 'craton', holder: { __typename: 'Host', id } },
    ]);
  });

  it("deleteVariables removes overlay keys: the source's value under them shows again, and keys only the source has stay", async () => {
    const id = ids['web02.example.com']!;
    await setVars(id, { role: 'canary', extra: true });
    expect((await node(id, ['role'])).variableOrigins).toEqual([{ key: 'role', value: 'canary', source: 'craton', holder: { __typename: 'Host', id } }]);

    const del = await t.ok(
      `mutation($id: ID!) { deleteVariables(id: $id, keys: ["role", "extra", "tier", "never-set"]) { id ... on Host { variables } } }`,
      { id },
    );
    expect(del.deleteVariables.id).toBe(id);
    expect(del.deleteVariables.variables).toMatchObject({ role: 'web', tier: 'frontend' });
    expect(del.deleteVariables.variables).not.toHaveProperty('extra');
    const after = await node(id, ['role', 'tier', 'extra']);
    expect(after.resolvedVariables).toEqual({ role: 'web', tier: 'frontend' });
    expect(after.variableOrigins.map((o: any) => [o.key, o.source, o.holder.id])).toEqual([
      ['role', 'lab-ansible', id],
      ['tier', 'lab-ansible', id],
    ]);
  });

  it.each([
    ['OneOps', 'compute-102-1', ['frontend']],
    ['Ansible', 'web03.example.com', ['region_ord', 'web']],
    ['the static plugin', 'ovl-2', ['lab']],
  ])("addLabels and removeLabels change Craton's labels on a %s host; the source's own labels stay", async (_kind, name, own) => {
    const id = ids[name]!;
    const added = await t.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["canary", "zz-ops", "canary"]) { __typename id labels } }`, { id });
    expect(added.addLabels).toEqual({ __typename: 'Host', id, labels: [...own, 'canary', 'zz-ops'].sort() });
    expect(await labelsOf(id)).toEqual([...own, 'canary', 'zz-ops'].sort());

    // Removing a label the source gives is not Craton's to do: it stays. Absent labels are ignored.
    const removed = await t.ok(`mutation($id: ID!, $l: [String!]!) { removeLabels(id: $id, labels: $l) { labels } }`, { id, l: ['canary', own[0], 'absent'] });
    expect(removed.removeLabels.labels).toEqual([...own, 'zz-ops'].sort());
    expect(await labelsOf(id)).toEqual([...own, 'zz-ops'].sort());
  });

  it('resolution is overlay > source attributes > cell > region > cloud > project, and origins name where each value is kept', async () => {
    const id = ids['ovl-1']!;
    await setVars(id, { k_overlay: 'overlay' });
    const host = await node(id, LEVEL_KEYS);
    expect(host.resolvedVariables).toEqual({ k_overlay: 'overlay', k_attr: 'attr', k_cell: 'cell', k_region: 'region', k_cloud: 'cloud', k_project: 'project' });
    expect(host.variables).toEqual({ k_overlay: 'overlay', k_attr: 'attr' });
    const origins = Object.fromEntries(host.variableOrigins.map((o: any) => [o.key, [o.source, o.holder.__typename, o.holder.id]]));
    expect(origins).toEqual({
      k_overlay: ['craton', 'Host', id],
      k_attr: ['lab-static', 'Host', id],
      k_cell: ['craton', 'Cell', places.cells['rack-1']],
      k_region: ['craton', 'Region', places.regions['lab-east']],
      k_cloud: ['craton', 'Cloud', places.clouds.lab],
      k_project: ['craton', 'Project', projectId],
    });
  });

  it('with precedence: source the source attributes win over the overlay, which still wins over the cell', async () => {
    const id = ids['src-1']!;
    await setVars(id, { k_overlay: 'overlay', k_attr: 'overlay', k_cell: 'overlay' });
    const host = await node(id, LEVEL_KEYS);
    expect(host.resolvedVariables).toEqual({ k_overlay: 'attr', k_attr: 'attr', k_cell: 'overlay', k_region: 'region', k_cloud: 'cloud', k_project: 'project' });
    expect(host.variables).toEqual({ k_overlay: 'attr', k_attr: 'attr', k_cell: 'overlay' });
    const origins = Object.fromEntries(host.variableOrigins.map((o: any) => [o.key, [o.source, o.holder.__typename, o.holder.id]]));
    expect(origins).toEqual({
      k_overlay: ['lab-static-src', 'Host', id],
      k_attr: ['lab-static-src', 'Host', id],
      k_cell: ['craton', 'Host', id],
      k_region: ['craton', 'Region', places.regions['lab-east']],
      k_cloud: ['craton', 'Cloud', places.clouds.lab],
      k_project: ['craton', 'Project', projectId],
    });
  });

  it('an overlay belongs to one source and key: the same key in another source does not see it', async () => {
    expect(ids['ovl-1']).not.toBe(ids['src-1']);
    await setVars(ids['ovl-1']!, { only_lab_static: 1 });
    await t.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["only-lab-static"]) { id } }`, { id: ids['ovl-1'] });
    const [mine, other] = [await node(ids['ovl-1']!), await node(ids['src-1']!)];
    expect(mine.variables).toHaveProperty('only_lab_static', 1);
    expect(mine.labels).toContain('only-lab-static');
    expect(other.variables).not.toHaveProperty('only_lab_static');
    expect(other.labels).not.toContain('only-lab-static');
  });

  it("the change history records overlay changes under the federated host's id", async () => {
    const id = ids['web04.example.com']!;
    await setVars(id, { audit_me: 'yes' });
    await t.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["audited"]) { id } }`, { id });
    await t.ok(`mutation($id: ID!) { deleteVariables(id: $id, keys: ["audit_me"]) { id } }`, { id });
    const { changes } = await t.ok(
      `query($id: ID) { changes(objectId: $id, first: 10) { totalCount edges { node { action objectType objectId actor before after } } } }`,
      { id },
    );
    expect(changes.totalCount).toBe(3);
    expect(changes.edges.map((e: any) => e.node)).toEqual([
      { action: 'UPDATE', objectType: 'Host', objectId: id, actor: 'root', before: { variables: { audit_me: 'yes' } }, after: { variables: { audit_me: null } } },
      { action: 'UPDATE', objectType: 'Host', objectId: id, actor: 'root', before: { labels: [] }, after: { labels: ['audited'] } },
      { action: 'UPDATE', objectType: 'Host', objectId: id, actor: 'root', before: { variables: { audit_me: null } }, after: { variables: { audit_me: 'yes' } } },
    ]);
    const all = await t.ok(`{ changes(first: 100) { edges { node { objectId } } } }`);
    expect(all.changes.edges.filter((e: any) => e.node.objectId === id)).toHaveLength(3);
  });

  it("updateHost and deleteNode on a federated host are refused: the source's own data is not Craton's to change", async () => {
    const id = ids['10.0.2.2']!;
    for (const mutation of [
      `mutation($id: ID!) { updateHost(id: $id, input: { note: "x", ipAddress: "10.0.2.3" }) { id } }`,
      `mutation($id: ID!) { deleteNode(id: $id) }`,
    ]) {
      const res = await t.gql(mutation, { id });
      expect(codeOf(res), `${mutation}\n${describeResponse(res)}`).toBe('BAD_USER_INPUT');
    }
    const host = (await t.ok(`query($id: ID!) { node(id: $id) { id ... on Host { ipAddress note } } }`, { id })).node;
    expect(host).toEqual({ id, ipAddress: '10.0.2.2', note: null });
  });

  it('a VIEWER of the project reads federated hosts but cannot write their overlays', async () => {
    const viewer = await makeProjectWithUser(t, 'VIEWER', { projectId });
    const as = { key: viewer.key };
    const id = ids['db1.example.com']!;
    expect((await t.ok(`query($id: ID!) { node(id: $id) { id } }`, { id }, as)).node).toEqual({ id });
    for (const mutation of [
      `mutation($id: ID!) { setVariables(id: $id, values: { x: 1 }) { id } }`,
      `mutation($id: ID!) { deleteVariables(id: $id, keys: ["x"]) { id } }`,
      `mutation($id: ID!) { addLabels(id: $id, labels: ["x"]) { id } }`,
      `mutation($id: ID!) { removeLabels(id: $id, labels: ["x"]) { id } }`,
    ]) {
      const res = await t.gql(mutation, { id }, as);
      expect(codeOf(res), `${mutation}\n${describeResponse(res)}`).toBe('FORBIDDEN');
    }
    const host = await node(id);
    expect(host.variables).not.toHaveProperty('x');
    expect(host.labels).not.toContain('x');
  });

  it("a project that is not the source's sees none of its hosts and cannot write their overlays", async () => {
    const other = await makeProjectWithUser(t, 'ADMIN');
    const id = ids['gateway.example.com']!;
    for (const as of [{ key: other.key }, { project: other.projectId }]) {
      const who = JSON.stringify(as.project ? 'root in the other project' : 'the other project ADMIN');
      const data = await t.ok(`{ hosts { totalCount edges { node { id } } } devices { totalCount } sources { name } }`, undefined, as);
      expect(data, who).toEqual({ hosts: { totalCount: 0, edges: [] }, devices: { totalCount: 0 }, sources: [{ name: 'craton' }] });
      const bySource = await t.ok(`{ hosts(filter: { sources: ["lab-ansible"] }) { totalCount } }`, undefined, as);
      expect(bySource.hosts.totalCount, who).toBe(0);
      const read = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, as);
      expect(read.body, who).toEqual({ data: { node: null } });
      for (const mutation of [
        `mutation($id: ID!) { setVariables(id: $id, values: { intruder: 1 }) { id } }`,
        `mutation($id: ID!) { deleteVariables(id: $id, keys: ["env"]) { id } }`,
        `mutation($id: ID!) { addLabels(id: $id, labels: ["intruder"]) { id } }`,
        `mutation($id: ID!) { removeLabels(id: $id, labels: ["intruder"]) { id } }`,
      ]) {
        const res = await t.gql(mutation, { id }, as);
        expect(codeOf(res), `${who}: ${mutation}\n${describeResponse(res)}`).toBe('NOT_FOUND');
        expect(res.body.data ?? null, who).toBeNull();
      }
      const trail = await t.ok(`query($id: ID) { changes(objectId: $id) { totalCount } }`, { id }, as);
      expect(trail.changes.totalCount, who).toBe(0);
    }
    const host = await node(id);
    expect(host.variables).not.toHaveProperty('intruder');
    expect(host.labels).not.toContain('intruder');
    expect((await t.ok(`query($id: ID) { changes(objectId: $id) { totalCount } }`, { id })).changes.totalCount).toBe(0);
  });

  // Last: it replaces the gateway the tests above used.
  it('after a restart on the same store, federated ids, overlay variables, overlay labels and their history are all still there', async () => {
    const id = ids['web03.example.com']!;
    await setVars(id, { restart_marker: { before: true } });
    await t.ok(`mutation($id: ID!) { addLabels(id: $id, labels: ["survivor"]) { id } }`, { id });
    const LIST = `{ hosts(first: 100) { totalCount edges { node { id name labels variables } } } }`;
    const before = (await t.ok(LIST)).hosts;
    const historyBefore = (await t.ok(`query($id: ID) { changes(objectId: $id) { edges { node { objectId before after } } } }`, { id })).changes;

    await t.stop();
    t = await startGateway(store, { databaseUrl: first.databaseUrl, env: { CRATON_CONFIG: file.path, CRATON_BOOTSTRAP_KEY: first.rootKey } });
    expect(t.url).not.toBe(first.url);

    const after = (await t.ok(LIST)).hosts;
    expect(after).toEqual(before);
    const host = await node(id, ['restart_marker']);
    expect(host.labels).toContain('survivor');
    expect(host.variableOrigins).toEqual([{ key: 'restart_marker', value: { before: true }, source: 'craton', holder: { __typename: 'Host', id } }]);
    const historyAfter = (await t.ok(`query($id: ID) { changes(objectId: $id) { edges { node { objectId before after } } } }`, { id })).changes;
    expect(historyAfter).toEqual(historyBefore);
    expect(historyAfter.edges.length).toBeGreaterThanOrEqual(2);

    // Overlays written before the restart keep resolving in their place, and new writes still work.
    expect((await node(ids['ovl-1']!, ['k_overlay'])).resolvedVariables).toEqual({ k_overlay: 'overlay' });
    await setVars(id, { restart_marker: { after: true } });
    expect((await node(id, ['restart_marker'])).resolvedVariables).toEqual({ restart_marker: { after: true } });
  });
});
