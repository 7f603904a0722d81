// Variable search in the Craton syntax (reference §2.5, issue 3), through the real gateway, on every store.
//
// ONE table of cases (CASES) runs unchanged against SQLite and MariaDB over one seeded fleet, so both stores
// must give the same answers. Then the same syntax on the other lists (regions, cells, clouds, networks,
// projects, devices, networkDevices), and the error rows: every invalid path or value is BAD_USER_INPUT with
// the reference's message, on an empty store, on the seeded fleet and on an empty project.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
import {
  makeCell,
  makeCloud,
  makeHost,
  makeNetwork,
  makeNetworkDevice,
  makeProjectWithUser,
  makeRegion,
  uniq,
} from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';

const INVALID_PATH = 'The query contains an invalid JSON Path expression.';
const INVALID_VALUE = 'An invalid JSON value was specified.';

// ---------------------------------------------------------------------------------------------------------
// The fleet. Names are unique in the project so a host name identifies a host.
//
// project {tier:"gold"}
// cloud-a {cloud_tag:"A", shared_obj:{from:"cloud"}}          cloud-b {cloud_tag:"B"} (empty)
//   r1 {datacenter_info:{id:543,name:"ord"}, env:"prod", ntp:["10.0.0.1","10.0.0.2"]}
//     r1-c1 {env:"staging"}   r1-c2 {rack:12}
//   r2 {datacenter_info:{id:999}, env:"dev"}
//     r2-c1 {env:"prod"}
// hosts:  seagate (r1)          own: the big profile below
//         wd (r1/r1-c2)         own: types that differ from seagate's (12 vs "12", 22 vs "22", true vs "true")
//         staging (r1/r1-c1)    own: cores 3.14, enabled false, flags, nested arrays in objects
//         override (r1/r1-c1)   own: env "prod" (a matching override under a non-matching cell)
//         child (r1, parent seagate)               own: env "prod"
//         grandchild (r1/r1-c1, parent child)       own: nothing (parent's env beats the cell's)
//         masked (r1, parent seagate)               own: hardware_profiles with a Hitachi disk only
//         r2-cell (r2/r2-c1), r2-bare (r2)          own: nothing
// network device: tor (r1) {hardware_profiles:{disks:[{manufacturer:"Seagate"}]}, role:"tor"}
// networks: net-mgmt (r1) {vlan:100, purpose:"mgmt"}, net-data (r1/r1-c1) {vlan:"100"}
// ---------------------------------------------------------------------------------------------------------

const SEAGATE_VARS = {
  hardware_profiles: {
    disks: [
      { manufacturer: 'Seagate', size: 4 },
      { manufacturer: 'WD', size: 8 },
    ],
    cpu: 8,
    ram: 64,
    nic: { speed: 10, vendor: 'Intel' },
  },
  'os-information': { release: { version: '4.4.0', codename: 'xenial' } },
  hardware: { core_count: 12 },
  cores: 12,
  port: '22',
  enabled: true,
  maint: null,
  tags: ['a', 'b'],
  'v3.0': { foo: { 'hyphenated-key': 'yes' } },
  ratio: 0.5,
  city: 'Zürich',
  'rack position': { u: 12 },
  url: 'http://pxe.example:8080/boot',
};

const WD_VARS = {
  hardware_profiles: { disks: [{ manufacturer: 'WD', size: 8 }], cpu: 16 },
  'os-information': { release: { version: '4.4.0' } },
  hardware: { core_count: 24 },
  cores: '12',
  port: 22,
  enabled: 'true',
  maint: 'null',
  tags: ['b', 'c'],
  matrix: [[1, 2], [3]],
  'v3.0': { foo: { 'hyphenated-key': 'no' } },
};

const STAGING_VARS = {
  cores: 3.14,
  enabled: false,
  flags: { a: 'zoo', b: 'bar' },
  nested: { deep: { deeper: [{ k: [1, 2] }] } },
};

const ALL_HOSTS = ['seagate', 'wd', 'staging', 'override', 'child', 'grandchild', 'masked', 'r2-cell', 'r2-bare'];
const R1_HOSTS = ['seagate', 'wd', 'staging', 'override', 'child', 'grandchild', 'masked'];
/** Hosts whose resolved variables carry seagate's profile, except where masked overrides hardware_profiles. */
const SEAGATE_LINE = ['seagate', 'child', 'grandchild', 'masked'];
const SEAGATE_PROFILE = ['seagate', 'child', 'grandchild'];

/** One row of the shared table: hosts(filter: { vars, resolved }) must return exactly `expected` (any order). */
interface SearchCase {
  name: string;
  vars: string;
  resolved?: boolean;
  expected: string[];
}

const CASES: SearchCase[] = [
  // Wildcards, indexes and quoted legs.
  { name: 'any disk is a Seagate, through [*]', vars: 'hardware_profiles.disks[*].manufacturer:"Seagate"', expected: SEAGATE_PROFILE },
  { name: 'any disk is a Hitachi (only the host that overrides the whole profile)', vars: 'hardware_profiles.disks[*].manufacturer:"Hitachi"', expected: ['masked'] },
  { name: 'any disk is a WD', vars: 'hardware_profiles.disks[*].manufacturer:"WD"', expected: [...SEAGATE_PROFILE, 'wd'] },
  { name: 'a one-element array candidate among the [*] matches', vars: 'hardware_profiles.disks[*].manufacturer:["Seagate"]', expected: SEAGATE_PROFILE },
  { name: 'the first disk is a WD, through [0]', vars: 'hardware_profiles.disks[0].manufacturer:"WD"', expected: ['wd'] },
  { name: 'the second disk has size 8, through [1]', vars: 'hardware_profiles.disks[1].size:8', expected: SEAGATE_PROFILE },
  { name: 'an index out of range matches nothing', vars: 'hardware_profiles.disks[5].size:8', expected: [] },
  { name: 'an object subset among the [*] matches', vars: 'hardware_profiles.disks[*]:{"manufacturer":"WD"}', expected: [...SEAGATE_PROFILE, 'wd'] },
  { name: 'a member wildcard * finds a member equal to 16', vars: 'hardware_profiles.*:16', expected: ['wd'] },
  { name: 'foo.*:"zoo" matches when any member is "zoo"', vars: 'flags.*:"zoo"', expected: ['staging'] },
  { name: 'foo.*:"baz" matches nothing when no member is "baz"', vars: 'flags.*:"baz"', expected: [] },
  { name: 'a quoted first leg with a hyphen', vars: '"os-information".release.version:"4.4.0"', expected: [...SEAGATE_LINE, 'wd'] },
  { name: 'a quoted first leg with a dot and a quoted hyphenated leg', vars: '"v3.0".foo."hyphenated-key":"yes"', expected: SEAGATE_LINE },
  { name: 'an object candidate whose key is hyphenated', vars: '"v3.0".foo:{"hyphenated-key":"no"}', expected: ['wd'] },
  { name: 'a quoted leg written for a plain key means the same key', vars: '"hardware_profiles"."cpu":16', expected: ['wd'] },
  { name: 'a quoted first leg with a space', vars: '"rack position".u:12', expected: SEAGATE_LINE },
  { name: 'a value holding colons (pairs split on the first colon only)', vars: 'url:"http://pxe.example:8080/boot"', expected: SEAGATE_LINE },
  { name: 'a non-ASCII string', vars: 'city:"Zürich"', expected: SEAGATE_LINE },
  { name: 'a \\u escape in the candidate is the same string', vars: 'city:"Z\\u00fcrich"', expected: SEAGATE_LINE },
  { name: 'strings compare case-sensitively', vars: '"os-information".release.codename:"Xenial"', expected: [] },

  // Object subset.
  { name: 'object subset: {"cpu":8} matches the full profile', vars: 'hardware_profiles:{"cpu":8}', expected: SEAGATE_PROFILE },
  { name: 'nested object subset', vars: 'hardware_profiles:{"nic":{"vendor":"Intel"}}', expected: SEAGATE_PROFILE },
  { name: 'object members keep their JSON types', vars: 'hardware_profiles:{"cpu":"8"}', expected: [] },
  { name: 'a scalar never matches an object', vars: 'hardware_profiles:8', expected: [] },
  { name: 'an empty object matches every object value', vars: 'datacenter_info:{}', expected: ALL_HOSTS },
  { name: 'an object subset with an array member', vars: 'nested.deep:{"deeper":[{"k":[2]}]}', expected: ['staging'] },

  // Scalar type strictness, numbers, booleans, null.
  { name: 'the number 12', vars: 'cores:12', expected: SEAGATE_LINE },
  { name: 'the string "12" is not the number 12', vars: 'cores:"12"', expected: ['wd'] },
  { name: '3 does not match 3.14', vars: 'cores:3', expected: [] },
  { name: '3.14 matches 3.14', vars: 'cores:3.14', expected: ['staging'] },
  { name: 'the number 22', vars: 'port:22', expected: ['wd'] },
  { name: 'the string "22"', vars: 'port:"22"', expected: SEAGATE_LINE },
  { name: 'numbers compare numerically: 0.50 is 0.5', vars: 'ratio:0.50', expected: SEAGATE_LINE },
  { name: 'numbers compare numerically: 5e-1 is 0.5', vars: 'ratio:5e-1', expected: SEAGATE_LINE },
  { name: 'the boolean true', vars: 'enabled:true', expected: SEAGATE_LINE },
  { name: 'the string "true" is not true', vars: 'enabled:"true"', expected: ['wd'] },
  { name: 'the boolean false', vars: 'enabled:false', expected: ['staging'] },
  { name: '1 is not true', vars: 'enabled:1', expected: [] },
  { name: 'a stored null matches null', vars: 'maint:null', expected: SEAGATE_LINE },
  { name: 'the string "null" is not null', vars: 'maint:"null"', expected: ['wd'] },
  { name: 'a missing key matches nothing, not even null', vars: 'nothing:null', expected: [] },
  { name: 'a missing path matches nothing, not even null', vars: 'hardware.missing:null', expected: [] },

  // Arrays, including arrays of arrays stored in a variable.
  { name: 'a scalar in a top-level array variable', vars: 'tags:"a"', expected: SEAGATE_LINE },
  { name: 'a one-element array candidate in a top-level array', vars: 'tags:["c"]', expected: ['wd'] },
  { name: 'an array candidate whose element is absent matches nothing', vars: 'tags:["d"]', expected: [] },
  { name: 'array elements keep their JSON types', vars: 'tags:"1"', expected: [] },
  { name: 'an empty array matches every array value', vars: 'tags:[]', expected: [...SEAGATE_LINE, 'wd'] },
  { name: 'an array index on a top-level array', vars: 'tags[1]:"b"', expected: SEAGATE_LINE },
  { name: 'tags[*] over a top-level array', vars: 'tags[*]:"c"', expected: ['wd'] },
  { name: 'a scalar inside a nested array matches recursively', vars: 'matrix:3', expected: ['wd'] },
  { name: 'both indexes of matrix[0][1] are applied', vars: 'matrix[0][1]:2', expected: ['wd'] },
  { name: 'matrix[0][1] is 2, not 1', vars: 'matrix[0][1]:1', expected: [] },
  { name: 'an array candidate against an inner array', vars: 'matrix[0]:[2]', expected: ['wd'] },
  { name: 'an array candidate not in that inner array', vars: 'matrix[1]:[2]', expected: [] },
  { name: 'an array candidate against [*] over arrays of arrays', vars: 'matrix[*]:[3]', expected: ['wd'] },
  { name: 'index after a member inside an array of objects', vars: 'nested.deep.deeper[0].k[1]:2', expected: ['staging'] },
  { name: 'wildcards mid-path', vars: 'nested.*.deeper[*]:{"k":[1]}', expected: ['staging'] },

  // Pairs are ANDed; duplicate paths collapse to the last one.
  { name: 'two pairs, both hold (the documented example)', vars: '"os-information".release.version:"4.4.0",hardware.core_count:12', expected: SEAGATE_LINE },
  { name: 'two pairs, the other core count', vars: '"os-information".release.version:"4.4.0",hardware.core_count:24', expected: ['wd'] },
  { name: 'two pairs that no host satisfies together', vars: 'cores:12,enabled:false', expected: [] },
  { name: 'a duplicate path: the last value wins (12)', vars: 'cores:"12",cores:12', expected: SEAGATE_LINE },
  { name: 'a duplicate path: the last value wins ("12")', vars: 'cores:12,cores:"12"', expected: ['wd'] },
  { name: 'spaces around pairs are ignored', vars: ' cores : 12 , enabled : true ', expected: SEAGATE_LINE },

  // Resolution-aware search.
  { name: 'a region value, excluded by a non-matching cell override, included by matching cell and host overrides', vars: 'env:"prod"', expected: ['seagate', 'wd', 'override', 'child', 'grandchild', 'masked', 'r2-cell'] },
  { name: 'the non-matching cell override itself', vars: 'env:"staging"', expected: ['staging'] },
  { name: 'the other region’s value, only where no cell overrides it', vars: 'env:"dev"', expected: ['r2-bare'] },
  { name: 'only own variables with resolved false', vars: 'env:"prod"', resolved: false, expected: ['override', 'child'] },
  { name: 'a region object reached through inheritance (datacenter_info.id:543)', vars: 'datacenter_info.id:543', expected: R1_HOSTS },
  { name: 'a region object by subset', vars: 'datacenter_info:{"name":"ord"}', expected: R1_HOSTS },
  { name: 'the other region’s datacenter', vars: 'datacenter_info.id:999', expected: ['r2-cell', 'r2-bare'] },
  { name: 'no region variable with resolved false', vars: 'datacenter_info.id:543', resolved: false, expected: [] },
  { name: 'an element of a region’s array', vars: 'ntp:"10.0.0.2"', expected: R1_HOSTS },
  { name: 'a cell value', vars: 'rack:12', expected: ['wd'] },
  { name: 'a project value reaches every host', vars: 'tier:"gold"', expected: ALL_HOSTS },
  { name: 'a project value with resolved false matches nothing', vars: 'tier:"gold"', resolved: false, expected: [] },
  { name: 'a cloud value reaches every host of the cloud', vars: 'cloud_tag:"A"', expected: ALL_HOSTS },
  { name: 'a resolved pair ANDed with another resolved pair', vars: 'env:"prod",datacenter_info.id:999', expected: ['r2-cell'] },
  { name: 'parent-device inheritance: the parent’s profile, hidden whole by a child’s own profile', vars: 'hardware_profiles.cpu:8', expected: SEAGATE_PROFILE },
  { name: 'parent-device inheritance only when resolved', vars: 'hardware_profiles.disks[*].manufacturer:"Seagate"', resolved: false, expected: ['seagate'] },
  { name: 'own scalar with resolved false', vars: 'cores:12', resolved: false, expected: ['seagate'] },
  { name: 'own override with resolved false', vars: 'hardware_profiles.disks[*].manufacturer:"Hitachi"', resolved: false, expected: ['masked'] },
];

/** Invalid `vars` strings and the message each must start with (reference §2.5 table and syntax rules). */
const ERROR_ROWS: Array<{ vars: string; message: string; why: string }> = [
  { vars: 'v3.0.foo:"x"', message: INVALID_PATH, why: 'an unquoted key with a dot' },
  { vars: '[*]foo.bar:"x"', message: INVALID_PATH, why: 'a path that starts with [*]' },
  { vars: 'foo[1:3]:"x"', message: INVALID_PATH, why: 'a slice' },
  { vars: 'foo..bar:"x"', message: INVALID_PATH, why: 'the descendants operator' },
  { vars: 'foo.hyphenated-key:"x"', message: INVALID_PATH, why: 'an unquoted hyphenated key' },
  { vars: '$.foo:"x"', message: INVALID_PATH, why: 'MySQL’s leading $ (a 500 in the original)' },
  { vars: '*.a:1', message: INVALID_PATH, why: 'a wildcard as the first leg' },
  { vars: 'foo.**.bar:1', message: INVALID_PATH, why: 'the ** operator' },
  { vars: 'foo', message: INVALID_PATH, why: 'a pair without a colon' },
  { vars: ':1', message: INVALID_PATH, why: 'an empty path' },
  { vars: 'a:1,', message: INVALID_PATH, why: 'an empty second pair' },
  { vars: '', message: INVALID_PATH, why: 'an empty search' },
  { vars: 'foo.bar:string', message: INVALID_VALUE, why: 'an unquoted string' },
  { vars: "foo:'single'", message: INVALID_VALUE, why: 'a single-quoted string' },
  { vars: 'foo:', message: INVALID_VALUE, why: 'an empty value' },
  { vars: 'foo:tru', message: INVALID_VALUE, why: 'a misspelt literal' },
  { vars: 'hw:{"cpu":8,"ram":64}', message: INVALID_VALUE, why: 'an object with two members (split at the comma)' },
  { vars: 'tags:["c","b"]', message: INVALID_VALUE, why: 'an array with two elements (split at the comma)' },
  { vars: 'matrix:[[1]]', message: INVALID_VALUE, why: 'an array directly inside an array' },
  { vars: 'tags:[1,[2]]', message: INVALID_VALUE, why: 'an array element that is an array' },
  { vars: 'hw:{"a":[[1]]}', message: INVALID_VALUE, why: 'an array of arrays inside an object' },
];

/** A list that accepts a Craton variable search, and how to ask it. */
interface Target {
  name: string;
  query: string;
  /** GraphQL variables for one search. */
  variables(vars: string, resolved?: boolean): Record<string, unknown>;
  /** Names in the answer. */
  names(data: any): string[];
}

const edgesNames = (conn: any): string[] => conn.edges.map((e: any) => e.node.name);
const deviceFilter = (vars: string, resolved?: boolean) => ({ filter: resolved === undefined ? { vars } : { vars, resolved } });
const listArgs = (vars: string, resolved?: boolean) => (resolved === undefined ? { vars } : { vars, resolved });

const TARGETS: Record<string, Target> = {
  hosts: {
    name: 'hosts',
    query: `query($filter: DeviceFilter) { hosts(first: 1000, filter: $filter) { totalCount edges { node { name } } } }`,
    variables: deviceFilter,
    names: (d) => edgesNames(d.hosts),
  },
  devices: {
    name: 'devices',
    query: `query($filter: DeviceFilter) { devices(first: 1000, filter: $filter) { edges { node { name } } } }`,
    variables: deviceFilter,
    names: (d) => edgesNames(d.devices),
  },
  networkDevices: {
    name: 'networkDevices',
    query: `query($filter: DeviceFilter) { networkDevices(first: 1000, filter: $filter) { edges { node { name } } } }`,
    variables: deviceFilter,
    names: (d) => edgesNames(d.networkDevices),
  },
  regions: {
    name: 'regions',
    query: `query($vars: String, $resolved: Boolean) { regions(first: 1000, vars: $vars, resolved: $resolved) { edges { node { name } } } }`,
    variables: listArgs,
    names: (d) => edgesNames(d.regions),
  },
  cells: {
    name: 'cells',
    query: `query($vars: String, $resolved: Boolean) { cells(first: 1000, vars: $vars, resolved: $resolved) { edges { node { name } } } }`,
    variables: listArgs,
    names: (d) => edgesNames(d.cells),
  },
  clouds: {
    name: 'clouds',
    query: `query($vars: String) { clouds(first: 1000, vars: $vars) { edges { node { name } } } }`,
    variables: (vars) => ({ vars }),
    names: (d) => edgesNames(d.clouds),
  },
  networks: {
    name: 'networks',
    query: `query($vars: String) { networks(first: 1000, vars: $vars) { edges { node { name } } } }`,
    variables: (vars) => ({ vars }),
    names: (d) => edgesNames(d.networks),
  },
  ansibleInventory: {
    name: 'ansibleInventory',
    query: `query($filter: DeviceFilter) { ansibleInventory(filter: $filter) }`,
    variables: deviceFilter,
    names: (d) => Object.keys(d.ansibleInventory._meta.hostvars),
  },
};

/** Every list that validates `vars`: the error rows run against each. */
const ERROR_TARGETS = Object.values(TARGETS);

/** Checks that a response is BAD_USER_INPUT whose message starts with `message`; returns a problem or null. */
function errorProblem(res: GqlResponse, message: string): string | null {
  const err = res.body.errors?.[0];
  if (!err) return `expected an error, got ${describeResponse(res)}`;
  if (codeOf(res) !== 'BAD_USER_INPUT') return `expected BAD_USER_INPUT, got ${describeResponse(res)}`;
  if (!err.message.startsWith(message)) return `expected a message starting with ${JSON.stringify(message)}, got ${JSON.stringify(err.message)}`;
  return null;
}

const sorted = (names: string[]) => [...names].sort();

describeEachStore('variable search', (store) => {
  let root: TestGateway;
  /** The fleet project's ADMIN. */
  let t: TestGateway;
  let projectName: string;
  /** Error answers recorded in beforeAll while the store had no variables at all. */
  const emptyStore: Array<{ target: string; vars: string; message: string; res: GqlResponse }> = [];
  const ids: Record<string, string> = {};

  async function search(target: Target, vars: string, resolved?: boolean, as: TestGateway = t): Promise<string[]> {
    const data = await as.ok(target.query, target.variables(vars, resolved));
    return sorted(target.names(data));
  }

  beforeAll(async () => {
    root = await startGateway(store);

    // First, with nothing stored anywhere: bad paths and values must still be refused (the original only
    // validated them when the variables table had rows).
    for (const row of ERROR_ROWS) {
      for (const target of ERROR_TARGETS) {
        const res = await root.gql(target.query, target.variables(row.vars));
        emptyStore.push({ target: target.name, vars: row.vars, message: row.message, res });
      }
    }

    projectName = uniq('fleet');
    const admin = await makeProjectWithUser(root, 'ADMIN', { projectName });
    t = root.as({ key: admin.key });
    ids.project = admin.projectId;
    await t.ok(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: admin.projectId, v: { tier: 'gold' } });

    const cloudA = await makeCloud(t, 'cloud-a', { cloud_tag: 'A', shared_obj: { from: 'cloud' } });
    await makeCloud(t, 'cloud-b', { cloud_tag: 'B' });
    const r1 = await makeRegion(t, {
      cloudId: cloudA.id,
      name: 'r1',
      variables: { datacenter_info: { id: 543, name: 'ord' }, env: 'prod', ntp: ['10.0.0.1', '10.0.0.2'] },
    });
    const r2 = await makeRegion(t, { cloudId: cloudA.id, name: 'r2', variables: { datacenter_info: { id: 999 }, env: 'dev' } });
    ids.r1 = r1.id;
    ids.r2 = r2.id;
    const r1c1 = await makeCell(t, { regionId: r1.id, name: 'r1-c1', variables: { env: 'staging' } });
    const r1c2 = await makeCell(t, { regionId: r1.id, name: 'r1-c2', variables: { rack: 12 } });
    const r2c1 = await makeCell(t, { regionId: r2.id, name: 'r2-c1', variables: { env: 'prod' } });

    const seagate = await makeHost(t, { regionId: r1.id, name: 'seagate', ipAddress: '10.1.0.1', variables: SEAGATE_VARS });
    await makeHost(t, { regionId: r1.id, cellId: r1c2.id, name: 'wd', ipAddress: '10.1.0.2', variables: WD_VARS });
    await makeHost(t, { regionId: r1.id, cellId: r1c1.id, name: 'staging', ipAddress: '10.1.0.3', variables: STAGING_VARS });
    await makeHost(t, { regionId: r1.id, cellId: r1c1.id, name: 'override', ipAddress: '10.1.0.4', variables: { env: 'prod' } });
    const child = await makeHost(t, { regionId: r1.id, parentId: seagate.id, name: 'child', ipAddress: '10.1.0.5', variables: { env: 'prod' } });
    await makeHost(t, { regionId: r1.id, cellId: r1c1.id, parentId: child.id, name: 'grandchild', ipAddress: '10.1.0.6' });
    await makeHost(t, {
      regionId: r1.id,
      parentId: seagate.id,
      name: 'masked',
      ipAddress: '10.1.0.7',
      variables: { hardware_profiles: { disks: [{ manufacturer: 'Hitachi' }] } },
    });
    await makeHost(t, { regionId: r2.id, cellId: r2c1.id, name: 'r2-cell', ipAddress: '10.2.0.1' });
    await makeHost(t, { regionId: r2.id, name: 'r2-bare', ipAddress: '10.2.0.2' });
    await makeNetworkDevice(t, {
      regionId: r1.id,
      name: 'tor',
      ipAddress: '10.1.255.1',
      variables: { hardware_profiles: { disks: [{ manufacturer: 'Seagate' }] }, role: 'tor' },
    });
    await makeNetwork(t, { regionId: r1.id, name: 'net-mgmt', cidr: '10.1.0.0/24', variables: { vlan: 100, purpose: 'mgmt' } });
    await makeNetwork(t, { regionId: r1.id, cellId: r1c1.id, name: 'net-data', cidr: '10.1.1.0/24', variables: { vlan: '100' } });
  }, 120_000);

  afterAll(async () => {
    await root?.stop();
  });

  it('has seeded the fleet the table is written for', async () => {
    expect(await search(TARGETS.hosts!, 'tier:"gold"')).toEqual(sorted(ALL_HOSTS));
    const data = await t.ok(`{ hosts(first: 1000) { totalCount } devices(first: 1000) { totalCount } }`);
    expect(data.hosts.totalCount).toBe(ALL_HOSTS.length);
    expect(data.devices.totalCount).toBe(ALL_HOSTS.length + 1);
  });

  // The shared table: the same rows, the same expected names, on every store.
  for (const c of CASES) {
    const resolvedText = c.resolved === undefined ? '' : `, resolved: ${c.resolved}`;
    it(`finds ${c.expected.length ? c.expected.join(', ') : 'no host'} for ${c.name} (vars: ${c.vars}${resolvedText})`, async () => {
      expect(await search(TARGETS.hosts!, c.vars, c.resolved)).toEqual(sorted(c.expected));
    });
  }

  it('searches with resolved: true exactly as when resolved is left out', async () => {
    for (const c of CASES.filter((x) => x.resolved === undefined).slice(0, 10)) {
      expect(await search(TARGETS.hosts!, c.vars, true), c.vars).toEqual(sorted(c.expected));
    }
  });

  it('counts only the matching hosts in totalCount and pages through them', async () => {
    const data = await t.ok(
      `query($f: DeviceFilter) { hosts(first: 2, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }`,
      { f: { vars: 'env:"prod"' } },
    );
    expect(data.hosts.totalCount).toBe(7);
    expect(data.hosts.edges).toHaveLength(2);
    expect(data.hosts.pageInfo.hasNextPage).toBe(true);
    const rest = await t.ok(
      `query($f: DeviceFilter, $a: String) { hosts(first: 100, after: $a, filter: $f) { edges { node { name } } } }`,
      { f: { vars: 'env:"prod"' }, a: data.hosts.pageInfo.endCursor },
    );
    const all = [...data.hosts.edges, ...rest.hosts.edges].map((e: any) => e.node.name);
    expect(sorted(all)).toEqual(sorted(['seagate', 'wd', 'override', 'child', 'grandchild', 'masked', 'r2-cell']));
  });

  it('combines a variable search with the other device filters', async () => {
    const data = await t.ok(`query($f: DeviceFilter) { hosts(first: 100, filter: $f) { edges { node { name } } } }`, {
      f: { vars: 'env:"prod"', regionId: ids.r2 },
    });
    expect(edgesNames(data.hosts)).toEqual(['r2-cell']);
    const named = await t.ok(`query($f: DeviceFilter) { hosts(first: 100, filter: $f) { edges { node { name } } } }`, {
      f: { vars: 'datacenter_info.id:543', nameContains: 'child' },
    });
    expect(sorted(edgesNames(named.hosts))).toEqual(['child', 'grandchild']);
  });

  it('searches devices across hosts and network devices, and networkDevices alone', async () => {
    const seagateVars = 'hardware_profiles.disks[*].manufacturer:"Seagate"';
    expect(await search(TARGETS.devices!, seagateVars)).toEqual(sorted([...SEAGATE_PROFILE, 'tor']));
    expect(await search(TARGETS.devices!, seagateVars, false)).toEqual(['seagate', 'tor']);
    expect(await search(TARGETS.devices!, 'role:"tor"')).toEqual(['tor']);
    expect(await search(TARGETS.devices!, 'env:"prod"')).toEqual(sorted(['seagate', 'wd', 'override', 'child', 'grandchild', 'masked', 'r2-cell', 'tor']));
    expect(await search(TARGETS.networkDevices!, seagateVars)).toEqual(['tor']);
    expect(await search(TARGETS.networkDevices!, 'datacenter_info.id:543')).toEqual(['tor']);
    expect(await search(TARGETS.networkDevices!, 'datacenter_info.id:543', false)).toEqual([]);
    expect(await search(TARGETS.networkDevices!, 'env:"staging"')).toEqual([]);
  });

  it('searches regions on their own, cloud and project variables', async () => {
    const regions = TARGETS.regions!;
    expect(await search(regions, 'datacenter_info.id:543')).toEqual(['r1']);
    expect(await search(regions, 'env:"dev"')).toEqual(['r2']);
    expect(await search(regions, 'env:"prod"'), 'a cell’s value does not reach its region').toEqual(['r1']);
    expect(await search(regions, 'tier:"gold"')).toEqual(['r1', 'r2']);
    expect(await search(regions, 'tier:"gold"', false)).toEqual([]);
    expect(await search(regions, 'cloud_tag:"A"')).toEqual(['r1', 'r2']);
    expect(await search(regions, 'cloud_tag:"A"', false)).toEqual([]);
    expect(await search(regions, 'ntp:"10.0.0.1",datacenter_info:{"name":"ord"}')).toEqual(['r1']);
  });

  it('searches cells resolution-aware: a cell inherits its region, cloud and project values unless it overrides them', async () => {
    const cells = TARGETS.cells!;
    expect(await search(cells, 'env:"prod"')).toEqual(['r1-c2', 'r2-c1']);
    expect(await search(cells, 'env:"prod"', false)).toEqual(['r2-c1']);
    expect(await search(cells, 'env:"staging"')).toEqual(['r1-c1']);
    expect(await search(cells, 'env:"dev"'), 'r2’s only cell overrides env').toEqual([]);
    expect(await search(cells, 'datacenter_info.id:543')).toEqual(['r1-c1', 'r1-c2']);
    expect(await search(cells, 'tier:"gold"')).toEqual(['r1-c1', 'r1-c2', 'r2-c1']);
    expect(await search(cells, 'cloud_tag:"A"')).toEqual(['r1-c1', 'r1-c2', 'r2-c1']);
    expect(await search(cells, 'rack:12')).toEqual(['r1-c2']);
    expect(await search(cells, 'role:"tor"'), 'device values never reach containers').toEqual([]);
  });

  it('searches clouds on their own variables only', async () => {
    const clouds = TARGETS.clouds!;
    expect(await search(clouds, 'cloud_tag:"A"')).toEqual(['cloud-a']);
    expect(await search(clouds, 'cloud_tag:"B"')).toEqual(['cloud-b']);
    expect(await search(clouds, 'shared_obj:{"from":"cloud"}')).toEqual(['cloud-a']);
    expect(await search(clouds, 'tier:"gold"'), 'a cloud does not inherit project variables').toEqual([]);
    expect(await search(clouds, 'env:"prod"')).toEqual([]);
  });

  it('searches networks on their own variables only', async () => {
    const networks = TARGETS.networks!;
    expect(await search(networks, 'vlan:100')).toEqual(['net-mgmt']);
    expect(await search(networks, 'vlan:"100"')).toEqual(['net-data']);
    expect(await search(networks, 'purpose:"mgmt",vlan:100')).toEqual(['net-mgmt']);
    expect(await search(networks, 'env:"prod"'), 'a network does not inherit its region').toEqual([]);
    expect(await search(networks, 'tier:"gold"')).toEqual([]);
  });

  it('searches projects on their own variables with projects(vars:)', async () => {
    const q = `query($vars: String) { projects(first: 1000, vars: $vars) { edges { node { name } } } }`;
    const gold = await t.gql(q, { vars: 'tier:"gold"' });
    expect(gold.body.errors, describeResponse(gold)).toBeUndefined();
    expect(edgesNames(gold.body.data.projects)).toEqual([projectName]);
    const silver = await t.ok(q, { vars: 'tier:"silver"' });
    expect(edgesNames(silver.projects)).toEqual([]);
    const bad = await t.gql(q, { vars: 'foo..bar:1' });
    expect(errorProblem(bad, INVALID_PATH)).toBeNull();
  });

  it('narrows the Ansible inventory by a variable search the same way', async () => {
    expect(await search(TARGETS.ansibleInventory!, 'env:"prod"')).toEqual(sorted(['seagate', 'wd', 'override', 'child', 'grandchild', 'masked', 'r2-cell']));
    expect(await search(TARGETS.ansibleInventory!, 'hardware_profiles.disks[*].manufacturer:"Seagate"', false)).toEqual(['seagate']);
  });

  it('matches nothing in another project that has the same values', async () => {
    const other = await makeProjectWithUser(root, 'ADMIN');
    const o = root.as({ key: other.key });
    expect(await search(TARGETS.hosts!, 'tier:"gold"', undefined, o)).toEqual([]);
    expect(await search(TARGETS.regions!, 'datacenter_info.id:543', undefined, o)).toEqual([]);
    expect(await search(TARGETS.clouds!, 'cloud_tag:"A"', undefined, o)).toEqual([]);
  });

  it('refuses every invalid path and value with BAD_USER_INPUT on an empty store, before anything was stored', () => {
    const problems = emptyStore
      .map((e) => ({ e, problem: errorProblem(e.res, e.message) }))
      .filter((x) => x.problem !== null)
      .map((x) => `${x.e.target}(vars: ${JSON.stringify(x.e.vars)}): ${x.problem}`);
    expect(emptyStore).toHaveLength(ERROR_ROWS.length * ERROR_TARGETS.length);
    expect(problems).toEqual([]);
  });

  for (const row of ERROR_ROWS) {
    it(`refuses ${row.why} (${JSON.stringify(row.vars)}) on every list with "${row.message}", on the fleet and on an empty project`, async () => {
      const empty = await makeProjectWithUser(root, 'VIEWER');
      const callers: Array<[string, TestGateway]> = [
        ['fleet project', t],
        ['empty project', root.as({ key: empty.key })],
      ];
      const problems: string[] = [];
      for (const [where, caller] of callers) {
        for (const target of ERROR_TARGETS) {
          const res = await caller.gql(target.query, target.variables(row.vars));
          const problem = errorProblem(res, row.message);
          if (problem) problems.push(`${where}: ${target.name}: ${problem}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('refuses an invalid search also when resolved is false', async () => {
    for (const target of [TARGETS.hosts!, TARGETS.regions!, TARGETS.cells!]) {
      const res = await t.gql(target.query, target.variables('foo..bar:1', false));
      expect(errorProblem(res, INVALID_PATH), target.name).toBeNull();
      const val = await t.gql(target.query, target.variables('matrix:[[1]]', false));
      expect(errorProblem(val, INVALID_VALUE), target.name).toBeNull();
    }
  });
});
