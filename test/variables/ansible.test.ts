// Ansible dynamic inventory (issue 3, reference §6, shared/data/ansible-inventory.md): ansibleInventory(filter:)
// over a seeded fleet, checked against the structure Ansible documents for inventory scripts, then
// bin/craton-inventory run as a child process against the same gateway, and ansible-inventory itself when it is
// installed.
import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCell, makeCloud, makeHost, makeNetworkDevice, makeProjectWithUser, makeRegion, uniq } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../bin/craton-inventory', import.meta.url));
const VALID_GROUP = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where ansible-inventory is, or null. */
const ANSIBLE_INVENTORY: string | null = (() => {
  try {
    return execFileSync('which', ['ansible-inventory'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();
if (!ANSIBLE_INVENTORY) {
  console.warn('\n*** ansible-inventory is not installed: the test that runs `ansible-inventory -i bin/craton-inventory --list` is SKIPPED ***\n');
}

interface Group {
  hosts?: string[];
  children?: string[];
  vars?: Record<string, unknown>;
}
type Inventory = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, any>;

/** The groups of an inventory (every top-level entry except _meta). */
function groupsOf(inv: Inventory): Map<string, Group> {
  return new Map(Object.entries(inv).filter(([k]) => k !== '_meta') as Array<[string, Group]>);
}

/** Every host of a group, directly or through its children, sorted. */
function effectiveHosts(inv: Inventory, name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const g = groupsOf(inv).get(name);
  if (!g) return [];
  const all = new Set(g.hosts ?? []);
  for (const c of g.children ?? []) for (const h of effectiveHosts(inv, c, seen)) all.add(h);
  return [...all].sort();
}

/** What Ansible's script contract requires of `--list` output; returns the problems found. */
function structureProblems(inv: Inventory): string[] {
  const found: string[] = [];
  if (!inv._meta || typeof inv._meta.hostvars !== 'object') return ['_meta.hostvars is missing'];
  const hostvars = inv._meta.hostvars;
  const groups = groupsOf(inv);
  for (const [name, g] of groups) {
    if (!VALID_GROUP.test(name)) found.push(`group name '${name}' is not a valid identifier`);
    if (g === null || typeof g !== 'object' || Array.isArray(g)) {
      found.push(`group '${name}' is not an object`);
      continue;
    }
    for (const key of Object.keys(g)) if (!['hosts', 'children', 'vars'].includes(key)) found.push(`group '${name}' has key '${key}'`);
    if (!('hosts' in g) && !('children' in g) && !('vars' in g)) found.push(`group '${name}' would be read as a host`);
    if (g.hosts !== undefined && !Array.isArray(g.hosts)) found.push(`hosts of '${name}' is not a list`);
    if (g.children !== undefined && !Array.isArray(g.children)) found.push(`children of '${name}' is not a list`);
    if (g.vars !== undefined && (typeof g.vars !== 'object' || Array.isArray(g.vars))) found.push(`vars of '${name}' is not an object`);
    for (const h of g.hosts ?? []) if (!Object.prototype.hasOwnProperty.call(hostvars, h)) found.push(`host '${h}' of '${name}' has no hostvars`);
    for (const c of g.children ?? []) if (!groups.has(c)) found.push(`'${name}' names missing child '${c}'`);
  }
  if (!groups.has('all')) found.push('there is no group all');
  // No cycles, and every group and host reachable from all.
  const reachable = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name)) return void found.push(`cycle through '${name}'`);
    if (reachable.has(name)) return;
    reachable.add(name);
    for (const c of groups.get(name)?.children ?? []) visit(c, [...path, name]);
  };
  visit('all', []);
  for (const name of groups.keys()) if (!reachable.has(name)) found.push(`group '${name}' is not reachable from all`);
  const listed = new Set([...reachable].flatMap((n) => groups.get(n)?.hosts ?? []));
  for (const h of Object.keys(hostvars)) if (!listed.has(h)) found.push(`host '${h}' is in no group reachable from all`);
  return found;
}

describeEachStore('Ansible inventory', (store) => {
  let root: TestGateway;
  /** Root acting in the fleet project (what the script does with CRATON_API_KEY=root key + CRATON_PROJECT). */
  let t: TestGateway;
  let projectId: string;
  const ids: Record<string, string> = {};
  /** name → { ip, resolved variables } for every host, read through GraphQL. */
  let hosts: Map<string, { ip: string; resolved: Record<string, unknown>; labels: string[] }>;

  async function inventory(filter?: Record<string, unknown>): Promise<Inventory> {
    const data = await t.ok(`query($f: DeviceFilter) { ansibleInventory(filter: $f) }`, filter === undefined ? {} : { f: filter });
    const inv = data.ansibleInventory;
    expect(typeof inv, 'ansibleInventory is a JSON object').toBe('object');
    return inv;
  }

  /** Runs bin/craton-inventory as a child process against the test gateway. */
  async function script(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
    return run(SCRIPT, args, {
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        CRATON_URL: root.url,
        CRATON_API_KEY: root.rootKey,
        CRATON_PROJECT: projectId,
        ...env,
      },
      timeout: 30_000,
    });
  }

  beforeAll(async () => {
    root = await startGateway(store);
    const admin = await makeProjectWithUser(root, 'ADMIN', { projectName: uniq('ansible') });
    projectId = admin.projectId;
    t = root.as({ project: projectId });
    await t.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: projectId, v: { ntp: 'pool.ntp.org' } });

    const cloud = await makeCloud(t, 'prod', { cloud_var: 'c', dns: 'cloud-dns' });
    const east = await makeRegion(t, { cloudId: cloud.id, name: 'east', variables: { dns: '10.0.0.53', region_var: 'east' } });
    const db = await makeRegion(t, { cloudId: cloud.id, name: 'db', variables: { region_var: 'db' } });
    const west = await makeRegion(t, { cloudId: cloud.id, name: 'us-west.1' });
    const eastC1 = await makeCell(t, { regionId: east.id, name: 'c1', variables: { rack_row: 1 } });
    const eastC2 = await makeCell(t, { regionId: east.id, name: 'c-2' });
    const westC1 = await makeCell(t, { regionId: west.id, name: 'c1', variables: { rack_row: 9 } });
    ids.eastC1 = eastC1.id;
    ids.east = east.id;

    const web1 = await makeHost(t, { regionId: east.id, cellId: eastC1.id, name: 'web1', ipAddress: '10.0.0.1', labels: ['web'], variables: { role: 'web' } });
    await makeHost(t, {
      regionId: east.id,
      cellId: eastC1.id,
      name: 'web2',
      ipAddress: '10.0.0.2',
      labels: ['web', 'rack:12'],
      variables: { role: 'web', ansible_user: 'ops', dns: { servers: ['10.0.0.54'] } },
    });
    await makeHost(t, { regionId: east.id, cellId: eastC2.id, parentId: web1.id, name: 'child1', ipAddress: '10.0.0.3' });
    await makeHost(t, { regionId: east.id, name: 'db1', ipAddress: '10.0.1.1', labels: ['db'] });
    await makeHost(t, { regionId: db.id, name: 'db2', ipAddress: '10.0.2.1', labels: ['db'], variables: { role: 'db' } });
    await makeHost(t, { regionId: west.id, cellId: westC1.id, name: 'gw1', ipAddress: '10.0.3.1', labels: ['rack:12'] });
    // Network devices are not Ansible hosts here.
    await makeNetworkDevice(t, { regionId: east.id, name: 'tor1', ipAddress: '10.0.0.254', labels: ['web'] });

    const data = await t.ok(`{ hosts(first: 1000) { edges { node { name ipAddress labels resolvedVariables } } } }`);
    hosts = new Map(data.hosts.edges.map((e: any) => [e.node.name, { ip: e.node.ipAddress, resolved: e.node.resolvedVariables, labels: e.node.labels }]));
  }, 120_000);

  afterAll(async () => {
    await root?.stop();
  });

  it('lists every host under _meta.hostvars by name, with its resolved variables and ansible_host set to its IP', async () => {
    const inv = await inventory();
    expect(Object.keys(inv._meta.hostvars).sort()).toEqual(['child1', 'db1', 'db2', 'gw1', 'web1', 'web2']);
    for (const [name, h] of hosts) {
      expect(inv._meta.hostvars[name], name).toEqual({ ...h.resolved, ansible_host: h.ip });
    }
    // Spot checks of the resolution itself.
    expect(inv._meta.hostvars.child1).toEqual({
      ansible_host: '10.0.0.3',
      role: 'web',
      dns: '10.0.0.53',
      region_var: 'east',
      cloud_var: 'c',
      ntp: 'pool.ntp.org',
    });
    expect(inv._meta.hostvars.web2).toMatchObject({ ansible_user: 'ops', dns: { servers: ['10.0.0.54'] }, rack_row: 1 });
    expect(inv._meta.hostvars.gw1).toMatchObject({ ansible_host: '10.0.3.1', rack_row: 9, dns: 'cloud-dns' });
  });

  it('meets the inventory-script structure Ansible documents: valid group names, known children, no cycles, every host reachable from all', async () => {
    const inv = await inventory();
    expect(structureProblems(inv)).toEqual([]);
    const groups = groupsOf(inv);
    for (const name of groups.keys()) expect(name).toMatch(VALID_GROUP);
    expect(effectiveHosts(inv, 'all')).toEqual(['child1', 'db1', 'db2', 'gw1', 'web1', 'web2']);
    // all lists the top-level groups as children: every region and label group.
    const children = groups.get('all')!.children ?? [];
    for (const g of ['east', 'us_west_1', 'web', 'rack_12']) expect(children, `all.children has ${g}`).toContain(g);
  });

  it('has one group per region whose children are its cells, named <region>_<cell> and sanitised', async () => {
    const inv = await inventory();
    const groups = groupsOf(inv);
    expect(groups.get('east_c1')?.hosts?.slice().sort()).toEqual(['web1', 'web2']);
    expect(groups.get('east_c_2')?.hosts).toEqual(['child1']);
    expect(groups.get('us_west_1_c1')?.hosts).toEqual(['gw1']);
    expect(groups.get('east')?.children?.slice().sort()).toEqual(['east_c1', 'east_c_2']);
    expect(groups.get('us_west_1')?.children).toEqual(['us_west_1_c1']);
    expect(effectiveHosts(inv, 'east'), 'a region holds its cell-less hosts and, through its cells, the rest').toEqual(['child1', 'db1', 'web1', 'web2']);
    expect(effectiveHosts(inv, 'us_west_1')).toEqual(['gw1']);
  });

  it('has one group per label with the hosts that carry it, network devices left out', async () => {
    const inv = await inventory();
    expect(effectiveHosts(inv, 'web')).toEqual(['web1', 'web2']);
    expect(effectiveHosts(inv, 'rack_12'), 'the label rack:12 becomes rack_12').toEqual(['gw1', 'web2']);
    expect(JSON.stringify(inv)).not.toContain('tor1');
  });

  it('keeps a region and a label that share the name db apart, without losing either', async () => {
    const inv = await inventory();
    const dbGroups = [...groupsOf(inv).keys()].filter((n) => n === 'db' || n.startsWith('db_'));
    expect(dbGroups).toHaveLength(2);
    const contents = dbGroups.map((n) => effectiveHosts(inv, n).join(',')).sort();
    expect(contents, 'region db holds db2; label db holds db1 and db2').toEqual(['db1,db2', 'db2']);
    expect(structureProblems(inv)).toEqual([]);
  });

  it('narrows the inventory with a label filter, and with a cell or a variable search', async () => {
    const web = await inventory({ labels: ['web'] });
    expect(Object.keys(web._meta.hostvars).sort()).toEqual(['web1', 'web2']);
    expect(effectiveHosts(web, 'all')).toEqual(['web1', 'web2']);
    expect(structureProblems(web)).toEqual([]);
    expect(web._meta.hostvars.web1).toEqual({ ...hosts.get('web1')!.resolved, ansible_host: '10.0.0.1' });

    const cell = await inventory({ cellId: ids.eastC1 });
    expect(Object.keys(cell._meta.hostvars).sort()).toEqual(['web1', 'web2']);

    const byVars = await inventory({ vars: 'role:"web"' });
    expect(Object.keys(byVars._meta.hostvars).sort(), 'child1 inherits role from its parent').toEqual(['child1', 'web1', 'web2']);
    expect(structureProblems(byVars)).toEqual([]);

    const none = await inventory({ labels: ['no-such-label'] });
    expect(none._meta.hostvars).toEqual({});
    expect(structureProblems(none)).toEqual([]);
  });

  it('prints the same inventory from bin/craton-inventory --list as the GraphQL query', async () => {
    const expected = await inventory();
    const { stdout } = await script(['--list']);
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('prints one host’s variables from bin/craton-inventory --host NAME, and {} for an unknown host', async () => {
    const expected = await inventory();
    for (const name of ['web2', 'child1', 'db2']) {
      const { stdout } = await script(['--host', name]);
      expect(JSON.parse(stdout), name).toEqual(expected._meta.hostvars[name]);
    }
    const unknown = await script(['--host', 'no-such-host']);
    expect(JSON.parse(unknown.stdout)).toEqual({});
  });

  it('passes CRATON_INVENTORY_FILTER through bin/craton-inventory', async () => {
    const expected = await inventory({ labels: ['web'] });
    const { stdout } = await script(['--list'], { CRATON_INVENTORY_FILTER: JSON.stringify({ labels: ['web'] }) });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('makes bin/craton-inventory exit 1 with the reference message for a bad variable search', async () => {
    const failed = await script(['--list'], { CRATON_INVENTORY_FILTER: JSON.stringify({ vars: 'foo..bar:1' }) }).then(
      () => null,
      (err: { code?: number; stdout?: string; stderr?: string }) => err,
    );
    expect(failed, 'the script must fail').not.toBeNull();
    expect(failed!.code).toBe(1);
    expect(failed!.stdout).toBe('');
    expect(failed!.stderr).toContain('The query contains an invalid JSON Path expression.');
    expect(failed!.stderr).toContain('BAD_USER_INPUT');
  });

  it.skipIf(!ANSIBLE_INVENTORY)(
    'is read by ansible-inventory -i bin/craton-inventory --list with the same hosts, variables and groups (skipped when ansible-inventory is not installed)',
    async () => {
      const expected = await inventory();
      const { stdout } = await run(ANSIBLE_INVENTORY!, ['-i', SCRIPT, '--list'], {
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          CRATON_URL: root.url,
          CRATON_API_KEY: root.rootKey,
          CRATON_PROJECT: projectId,
          ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
        },
        timeout: 120_000,
      });
      const seen = JSON.parse(stdout) as Inventory;
      for (const [name, vars] of Object.entries(expected._meta.hostvars)) {
        expect(seen._meta.hostvars[name], `ansible hostvars of ${name}`).toEqual(vars);
      }
      for (const group of ['web', 'rack_12', 'east_c1', 'east_c_2', 'us_west_1_c1']) {
        expect(effectiveHosts(seen, group), `ansible group ${group}`).toEqual(effectiveHosts(expected, group));
      }
      expect(effectiveHosts(seen, 'east')).toEqual(effectiveHosts(expected, 'east'));
    },
  );
});
