// Fuzzing and limits. A seeded, deterministic generator sends thousands of malformed requests per store
// (wrong types, huge strings, deep JSON, bad variable-search paths, SQL metacharacters, unicode, bad ids,
// addresses and CIDRs, bad page sizes, malformed, oversized and batched bodies) and checks: never an
// INTERNAL_SERVER_ERROR or HTTP 500, no partial write of a failed mutation (object counts, the change trail
// and a victim host are compared at checkpoints), and the server still answers. Then each limit (depth,
// cost, aliases, body size, first, variable size) answers BAD_USER_INPUT naming the limit and the numbers,
// a realistic dashboard query is accepted, and introspection can be turned off.
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeResponse, startGateway, type GqlResponse, type TestGateway } from '../helpers/gateway.js';
import { makeCloud, makeHierarchy, makeHost, makeHosts, makeProjectWithUser, uniq, type ProjectUser } from '../helpers/fixtures.js';
import { describeEachStore } from '../helpers/stores.js';
import { CHANGE_FIELDS } from '../changes/trail.js';
import { rootFields } from './schema-walk.js';

const rootFieldNames = (kind: 'Query' | 'Mutation') => rootFields(kind).map((f) => f.name);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a tiny seeded PRNG, so every run sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof prng>;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
function deep(n: number, array: boolean): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = array ? [v] : { d: v };
  return v;
}

const SQL = [
  `' OR 1=1 --`, `" OR ""="`, `"; DROP TABLE devices; --`, `'; DELETE FROM changes; --`, `%`, `_`, `\\`, `%_%`, `\\%`, `'`, `"`, `\\'`,
  `;`, `--`, `/*`, `*/`, `' UNION SELECT token_hash FROM api_keys --`, `%' OR '1'='1`, `NULL`, `\\0`, `$.a`, `' AND SLEEP(5) --`, '`',
];
const UNICODE = [
  '😀🔥', 'מחשב-שרת', '\u202Eevil\u202C', 'e\u0301', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83dy', '\uFEFF', '\u200B',
  'Ω≈ç√∫', '𝕳𝖔𝖘𝖙', 'ǅ', '\u0085', '\u2028', 'İı', 'ß', 'ﷺ', '\u0007bell', '\t', '\r\n', ' lead', 'trail ', '',
];
const BAD_IPS = [
  '256.1.1.1', '1.2.3', '::g', '1.2.3.4/24', ' 10.0.0.1', '10.0.0.1 ', '0x7f.0.0.1', '10.0.0.1.1', '2001:db8:::1', ':::',
  '1'.repeat(300), 'localhost', '10.0.0.-1', '', '10.0.0.1\u0000', '١٢٣.١.١.١',
];
const BAD_CIDRS = ['10.0.0.0/33', '10.0.0.0', '::/129', '10.0.0.0/-1', '10.0.0.0/24/1', 'abc/24', '/24', '10.0.0.0/ 24', '10.0.0.0/024x', '2001:db8::/999'];
const BAD_VARS = [
  'a..b:1', 'a[:1', 'a]:1', '$.a:1', 'a[-1]:1', 'a[99999999999]:1', ':1', 'a:', 'a:{', 'a."b:1', 'a.**:1', 'a[*]x:1', 'a:1,', ',',
  'a b:1', '"a:1', 'a.b.:1', 'a:[1,', 'a:"x', '[0]:1', 'a:1,,b:2', 'a[1.5]:1', 'a[0x1]:1', 'a:[[1]]', 'a:1e999', 'a:NaN', 'a:undefined',
  `a:"' OR 1=1 --"`, 'a:1'.repeat(30), 'a.'.repeat(3000) + 'b:1', '\u0000:1', 'a:\u0000', `a') OR 1=1 --:1`, 'a:1;DROP TABLE devices',
];
const BAD_ID_TEXT = [
  'Cloud:craton:0', 'Cloud:craton:-1', 'Cloud:other:1', 'Nope:craton:1', 'Cloud:craton:99999999999999999999', 'Cloud:craton:1 OR 1=1',
  'Cloud:craton:', '::', 'Cloud::1', 'Host:craton:1e3', 'Host:craton:0x10', `Cloud:craton:1'`, 'Change:craton:1', 'ApiKey:craton:1',
];
const BAD_IDS = ['', 'x', '!!!', '=', 'a b', '😀', 'x'.repeat(5000), ...BAD_ID_TEXT.map(b64), ...SQL];
const WRONG = [1, -1, 1.5, 0, true, false, null, {}, [], [1], { a: 1 }, 'string', 2 ** 53 + 2, -0, 1e300];
const FIRSTS = [-1, -1000, 1001, 2 ** 31, 2 ** 31 - 1, 100000, 0];

function huge(r: Rng): string {
  return r.pick(['x'.repeat(100_000), '😀'.repeat(30_000), 'a\u0000'.repeat(20_000), `${'%'.repeat(50_000)}_`, 'é'.repeat(70_000)]);
}
function fuzzString(r: Rng): string {
  const x = r.next();
  if (x < 0.3) return r.pick(SQL);
  if (x < 0.6) return r.pick(UNICODE);
  if (x < 0.65) return huge(r);
  if (x < 0.8) return `${r.pick(SQL)}${r.pick(UNICODE)}${r.int(1000)}`;
  let s = '';
  const n = 1 + r.int(40);
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(0x3000));
  return s;
}
function fuzzJson(r: Rng): unknown {
  const x = r.next();
  if (x < 0.15) return deep(r.pick([40, 1000]), r.chance(0.5));
  if (x < 0.25) return { [r.pick(['', ' ', 'k'.repeat(300), '\u0000', 'a.b', '$', "'"])]: 1 };
  if (x < 0.35) return { big: 'v'.repeat(r.pick([70_000, 200_000])) };
  if (x < 0.45) return r.pick(WRONG);
  if (x < 0.55) return { many: Array.from({ length: 2000 }, (_, i) => i) };
  if (x < 0.65) return Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`k${i}`, i]));
  return { [fuzzString(r).slice(0, 300) || 'k']: r.chance(0.5) ? fuzzString(r) : r.pick(WRONG) };
}

type CountKey = 'clouds' | 'regions' | 'cells' | 'hosts' | 'networkDevices' | 'networks';

/** One generated request. */
interface FuzzRequest {
  label: string;
  /** A GraphQL request (sent as JSON), or a raw body. */
  gql?: { query: string; variables?: unknown; operationName?: string };
  raw?: { body: string; contentType?: string };
  /** A mutation that contains an invalid ingredient: it must be refused as a whole. */
  mustFail?: boolean;
  /** The root field of a single-mutation document and what its success adds. */
  field?: string;
  creates?: CountKey;
  /**
   * A document of this many aliased valid createClouds followed by an invalid one: mutation fields run one
   * after another, each its own write, so the valid ones may commit (the non-null failure nulls `data`).
   */
  aliased?: number;
  /** For reads: an invariant every returned node must satisfy, or null. */
  check?: (data: any) => string | null;
}

describeEachStore('fuzzing and limits', (store) => {
  let root: TestGateway;
  let admin: ProjectUser;
  let t: TestGateway;
  let hier: { cloudId: string; regionId: string; cellId: string };
  let victim: string;
  let scratch: string;
  let metaRegion: string;
  let seq = 0;

  beforeAll(async () => {
    root = await startGateway(store);
    admin = await makeProjectWithUser(root, 'ADMIN', { userName: 'fuzz-admin' });
    t = root.as({ key: admin.key });
    hier = await makeHierarchy(t, 'fuzz');
    victim = (await makeHost(t, { regionId: hier.regionId, cellId: hier.cellId, name: 'victim', ipAddress: '10.10.0.1', labels: ['keep'], variables: { ok: 1 } })).id;
    await t.ok(`mutation($d: ID!) { createNetworkInterface(input: { deviceId: $d, name: "eth0", ipAddress: "10.10.0.1" }) { id } }`, { d: victim });
    scratch = (await makeHost(t, { regionId: hier.regionId, name: 'scratch' })).id;
    // Hosts whose names hold LIKE and quote characters, in a region of their own (the fuzz adds more elsewhere).
    metaRegion = (await makeHierarchy(t, 'meta')).regionId;
    for (const name of ['meta-%-host', 'meta-_-host', 'meta-\\-host', "meta-'-host", 'plainhost', 'UPPER-host']) {
      await makeHost(t, { regionId: metaRegion, name, labels: [name.replace('host', 'label')] });
    }
  });
  afterAll(async () => {
    await root?.stop();
  });

  /** Sends one request as the project's ADMIN with its own X-Request-Id; never throws on a bad answer. */
  async function send(req: FuzzRequest, requestId: string): Promise<{ status: number; text: string; json?: any }> {
    const body = req.raw ? req.raw.body : JSON.stringify(req.gql);
    const headers: Record<string, string> = { authorization: `Bearer ${admin.key}`, 'x-request-id': requestId };
    if (req.raw?.contentType !== '') headers['content-type'] = req.raw?.contentType ?? 'application/json';
    const res = await fetch(`${root.url}/graphql`, { method: 'POST', headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }

  /** A single-mutation request. */
  function mutation(label: string, field: string, args: string, variables: unknown, extra: Partial<FuzzRequest> = {}): FuzzRequest {
    const sel = field === 'deleteNode' || field === 'revokeApiKey' ? '' : '{ id }';
    return { label, field, gql: { query: `mutation(${args.split(';')[0]}) { ${field}(${args.split(';')[1]}) ${sel} }`, variables }, ...extra };
  }

  /** The generator: request `i` of a run with rng `r`. */
  function generate(r: Rng, i: number): FuzzRequest {
    const u = () => `fz-${i}-${seq++}`;
    const kind = r.next();
    // 1. Mutations with one guaranteed-invalid ingredient next to valid ones: must fail as a whole.
    if (kind < 0.3) {
      const which = r.int(11);
      switch (which) {
        case 0: {
          const bad = r.pick<Record<string, unknown>>([
            { variables: { ok: 1, '': 2 } },
            { variables: { ok: 1, deep: deep(r.pick([40, 1000]), r.chance(0.5)) } },
            { variables: { ok: 1, big: 'v'.repeat(70_000) } },
            { variables: { ok: 1, ['k'.repeat(256)]: 1 } },
            { variables: r.pick([[1], 'str', 5, true]) },
            { labels: ['fine', r.pick(['', 'a,b', 'x'.repeat(256), '\u0000', ' lead', 'trail '])] },
            { labels: Array.from({ length: 101 }, (_, k) => `l${k}`) },
            { ipAddress: r.pick(BAD_IPS.filter((x) => x !== '')) },
            { name: r.pick(['', ' x', 'x ', 'a\u0000b', 'x'.repeat(256), huge(r)]) },
            { parentId: r.pick(BAD_IDS) },
            { cellId: r.pick(BAD_IDS) },
          ]);
          return mutation('createHost with one invalid ingredient', 'createHost', '$i: CreateHostInput!;input: $i', {
            i: { regionId: hier.regionId, cellId: hier.cellId, name: u(), labels: ['fz'], variables: { fz: true }, ...bad },
          }, { mustFail: true, creates: 'hosts' });
        }
        case 1:
          return mutation('createNetwork with a bad cidr/gateway/netmask', 'createNetwork', '$i: CreateNetworkInput!;input: $i', {
            i: { regionId: hier.regionId, name: u(), variables: { ok: 1 }, ...r.pick<Record<string, unknown>>([{ cidr: r.pick(BAD_CIDRS) }, { gateway: r.pick(BAD_IPS.filter((x) => x !== '')) }, { netmask: r.pick(['255.0.255.0', '/129', '300.0.0.0', 'abc', '24x']) }]) },
          }, { mustFail: true, creates: 'networks' });
        case 2:
          return mutation('createCloud with bad variables', 'createCloud', '$i: CreateCloudInput!;input: $i', {
            i: { name: u(), variables: r.pick([{ ok: 1, '': 1 }, { ok: 1, d: deep(1000, false) }, 'not-an-object', [1, 2], { ok: 1, big: 'v'.repeat(70_000) }]) },
          }, { mustFail: true, creates: 'clouds' });
        case 3:
          return mutation('updateHost of the victim with a good name and a bad address', 'updateHost', '$id: ID!, $i: UpdateHostInput!;id: $id, input: $i', {
            id: victim,
            i: { name: u(), note: 'fuzzed', ...r.pick<Record<string, unknown>>([{ ipAddress: r.pick(BAD_IPS.filter((x) => x !== '')) }, { parentId: r.pick(BAD_IDS) }, { cellId: r.pick(BAD_IDS) }, { parentId: victim }, { deviceType: 'x'.repeat(300) }]) },
          }, { mustFail: true });
        case 4:
          return mutation('setVariables on the victim with one bad entry', 'setVariables', '$id: ID!, $v: JSON!;id: $id, values: $v', {
            id: victim,
            v: { ok: 2, fresh: 'x', ...r.pick<Record<string, unknown>>([{ '': 1 }, { ['k'.repeat(256)]: 1 }, { d: deep(r.pick([33, 1000]), r.chance(0.5)) }, { big: 'v'.repeat(70_000) }, { 'a\u0000': 1 }]) },
          }, { mustFail: true });
        case 5:
          return mutation('deleteVariables of the victim with one bad key', 'deleteVariables', '$id: ID!, $k: [String!]!;id: $id, keys: $k', {
            id: victim,
            k: ['ok', r.pick(['', 'k'.repeat(256), 'a\u0000b'])],
          }, { mustFail: true });
        case 6:
          return mutation('addLabels to the victim with one bad label', 'addLabels', '$id: ID!, $l: [String!]!;id: $id, labels: $l', {
            id: victim,
            l: ['fine-label', r.pick(['', 'a,b', 'x'.repeat(256), '\u0007', ' lead'])],
          }, { mustFail: true });
        case 7:
          return mutation('removeLabels of the victim with one bad label', 'removeLabels', '$id: ID!, $l: [String!]!;id: $id, labels: $l', {
            id: victim,
            l: ['keep', r.pick(['', 'a,b', 'x'.repeat(256)])],
          }, { mustFail: true });
        case 8:
          return mutation('deleteNode of a bad or missing id', 'deleteNode', '$id: ID!;id: $id', { id: r.pick([...BAD_IDS, b64('Host:craton:987654321'), b64('Cloud:craton:987654321'), admin.projectId, admin.userId]) }, { mustFail: true });
        case 9: {
          // Many aliased creates where the last is invalid: the valid ones before it may commit, each alone.
          const n = 2 + r.int(3);
          const fields = Array.from({ length: n }, (_, k) => `c${k}: createCloud(input: { name: "${u()}" }) { id }`);
          fields.push(`bad: createCloud(input: { name: "" }) { id }`);
          return { label: 'aliased createClouds ending in an invalid one', aliased: n, gql: { query: `mutation { ${fields.join(' ')} }` } };
        }
        default:
          return mutation('createNetworkInterface on the victim with a bad address or numbers', 'createNetworkInterface', '$i: CreateNetworkInterfaceInput!;input: $i', {
            i: { deviceId: victim, name: u(), ...r.pick<Record<string, unknown>>([{ ipAddress: r.pick(BAD_IPS) }, { ipAddress: '10.0.0.9', vlanId: r.pick([-1, 65536, 2 ** 31 - 1]) }, { ipAddress: '10.0.0.9', port: -5 }, { ipAddress: '10.0.0.9', networkId: r.pick(BAD_IDS) }]) },
          }, { mustFail: true });
      }
    }
    // 2. Mutations with fuzzed but possibly valid values: success or a clean refusal, never half of both.
    if (kind < 0.45) {
      const which = r.int(6);
      switch (which) {
        case 0:
          return mutation('createCloud with a fuzzed name', 'createCloud', '$i: CreateCloudInput!;input: $i', { i: { name: fuzzString(r), note: r.chance(0.3) ? fuzzString(r) : null, variables: r.chance(0.5) ? fuzzJson(r) : undefined } }, { creates: 'clouds' });
        case 1:
          return mutation('createHost with fuzzed fields', 'createHost', '$i: CreateHostInput!;input: $i', {
            i: { regionId: r.chance(0.8) ? hier.regionId : r.pick(BAD_IDS), name: r.chance(0.7) ? fuzzString(r) : u(), labels: r.chance(0.5) ? [fuzzString(r)] : undefined, deviceType: r.chance(0.3) ? fuzzString(r) : undefined, ipAddress: r.chance(0.3) ? r.pick(['10.1.2.3', '::1', 'fe80::1', ...BAD_IPS]) : undefined, variables: r.chance(0.4) ? fuzzJson(r) : undefined },
          }, { creates: 'hosts' });
        case 2:
          return mutation('createRegion with fuzzed fields', 'createRegion', '$i: CreateRegionInput!;input: $i', { i: { cloudId: r.chance(0.7) ? hier.cloudId : r.pick(BAD_IDS), name: fuzzString(r) } }, { creates: 'regions' });
        case 3:
          return mutation('setVariables on the scratch host with fuzzed values', 'setVariables', '$id: ID!, $v: JSON!;id: $id, values: $v', { id: r.chance(0.85) ? scratch : r.pick(BAD_IDS), v: fuzzJson(r) });
        case 4:
          return mutation('updateHost of the scratch host with fuzzed fields', 'updateHost', '$id: ID!, $i: UpdateHostInput!;id: $id, input: $i', {
            id: scratch,
            i: r.pick<Record<string, unknown>>([{ note: fuzzString(r) }, { deviceType: fuzzString(r) }, { ipAddress: r.pick(['10.9.9.9', ...BAD_IPS]) }, { name: fuzzString(r) }, { active: r.pick(WRONG) }]),
          });
        default:
          return mutation('createNetwork with fuzzed fields', 'createNetwork', '$i: CreateNetworkInput!;input: $i', {
            i: { regionId: hier.regionId, name: fuzzString(r), cidr: r.chance(0.5) ? r.pick(['10.0.0.0/8', '2001:db8::/32', ...BAD_CIDRS]) : undefined, ipBlockType: r.chance(0.3) ? fuzzString(r) : undefined },
          }, { creates: 'networks' });
      }
    }
    // 3. Reads with fuzzed arguments; some have invariants on what they return.
    if (kind < 0.8) {
      const which = r.int(9);
      const s = fuzzString(r);
      switch (which) {
        case 0: {
          const filter = r.pick<Record<string, unknown>>([{ name: s }, { nameContains: s }, { labels: [s] }, { deviceType: s }, { ipAddress: s }, { vars: r.pick(BAD_VARS) }, { vars: s }, { cloudId: r.pick(BAD_IDS) }, { parentId: r.pick(BAD_IDS) }, { sources: [s] }]);
          const check = (data: any) => {
            for (const e of data?.devices?.edges ?? []) {
              const n = e.node;
              // ASCII needles only: the stores may compare non-ASCII text case- and accent-insensitively.
              if ('nameContains' in filter && /^[\x20-\x7e]*$/.test(s) && !n.name.toLowerCase().includes(s.toLowerCase())) return `nameContains ${JSON.stringify(s)} returned ${JSON.stringify(n.name)}`;
              if ('name' in filter && /^[\x20-\x7e]*$/.test(s) && n.name.toLowerCase() !== s.toLowerCase()) return `name ${JSON.stringify(s)} returned ${JSON.stringify(n.name)}`;
              if ('labels' in filter && /^[\x20-\x7e]*$/.test(s) && !n.labels.some((l: string) => l.toLowerCase() === s.toLowerCase())) return `labels [${JSON.stringify(s)}] returned ${JSON.stringify(n)}`;
            }
            return null;
          };
          return { label: `devices(filter: ${Object.keys(filter)[0]})`, gql: { query: `query($f: DeviceFilter, $n: Int) { devices(first: $n, filter: $f) { totalCount edges { node { id name labels } } } }`, variables: { f: filter, n: r.chance(0.2) ? r.pick(FIRSTS) : 1000 } }, check };
        }
        case 1:
          return { label: 'node(fuzzed id)', gql: { query: `query($id: ID!) { node(id: $id) { id __typename } }`, variables: { id: r.chance(0.8) ? r.pick(BAD_IDS) : fuzzString(r) } } };
        case 2:
          return { label: 'changes(fuzzed objectId, since, after, first)', gql: { query: `query($o: ID, $s: DateTime, $a: String, $n: Int) { changes(objectId: $o, since: $s, after: $a, first: $n) { totalCount edges { node { ${CHANGE_FIELDS} } } } }`, variables: { o: r.chance(0.5) ? r.pick(BAD_IDS) : undefined, s: r.chance(0.4) ? r.pick(['yesterday', '2026-13-01T00:00:00Z', '0000-00-00', '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', s]) : undefined, a: r.chance(0.4) ? r.pick([...BAD_IDS, b64('c:-1'), b64('c:99999999999999999')]) : undefined, n: r.chance(0.4) ? r.pick(FIRSTS) : undefined } } };
        case 3:
          return { label: 'clouds/regions/cells/networks with fuzzed names and vars', gql: { query: `query($n: String, $v: String, $c: ID) { clouds(name: $n) { totalCount } regions(name: $n, vars: $v, cloudId: $c) { totalCount } cells(name: $n) { totalCount } networks(name: $n) { totalCount } }`, variables: { n: s, v: r.chance(0.5) ? r.pick(BAD_VARS) : undefined, c: r.chance(0.3) ? r.pick(BAD_IDS) : undefined } } };
        case 4:
          return { label: 'hosts(vars: bad path)', gql: { query: `query($v: String, $r: Boolean) { hosts(filter: { vars: $v, resolved: $r }) { totalCount } }`, variables: { v: r.pick(BAD_VARS), r: r.chance(0.5) } } };
        case 5:
          return { label: 'ansibleInventory(fuzzed filter)', gql: { query: `query($f: DeviceFilter) { ansibleInventory(filter: $f) }`, variables: { f: r.pick([{ vars: r.pick(BAD_VARS) }, { name: s }, { labels: [s, s] }, { regionId: r.pick(BAD_IDS) }]) } } };
        case 6:
          return { label: 'a page with a bad first/after', gql: { query: `query($n: Int, $a: String) { hosts(first: $n, after: $a) { totalCount } labels(first: $n, after: $a) { totalCount } }`, variables: { n: r.pick(FIRSTS), a: r.chance(0.5) ? r.pick([...BAD_IDS, b64('c:0'), b64('c:-5')]) : undefined } } };
        case 7:
          return { label: 'resolvedVariables(keys: fuzzed)', gql: { query: `query($id: ID!, $k: [String!]) { node(id: $id) { ... on Host { resolvedVariables(keys: $k) variableOrigins(keys: $k) { key } } } }`, variables: { id: victim, k: [s, r.pick(SQL)] } } };
        default:
          return { label: 'labels and sources', gql: { query: `{ labels(first: 1000) { totalCount edges { node { name deviceCount } } } sources { name status } }` } };
      }
    }
    // 4. Wrong types for variables and malformed documents.
    if (kind < 0.9) {
      const which = r.int(8);
      switch (which) {
        case 0:
          return { label: 'createCloud with a wrongly typed input', mustFail: true, field: 'createCloud', creates: 'clouds', gql: { query: `mutation($i: CreateCloudInput!) { createCloud(input: $i) { id } }`, variables: { i: r.pick([{ name: r.pick(WRONG.filter((w) => typeof w !== 'string')) }, 'string', 5, [{ name: 'x' }], { name: 'ok', variables: 'x', note: 5 }, { name: u(), extra: 1 }, null]) } } };
        case 1:
          return { label: 'updateHost with a wrongly typed id or input', mustFail: true, field: 'updateHost', gql: { query: `mutation($id: ID!, $i: UpdateHostInput!) { updateHost(id: $id, input: $i) { id } }`, variables: { id: r.pick([5, true, {}, [victim], null]), i: { note: 'x' } } } };
        case 2: {
          const k = 1 + r.int(200);
          return { label: `selection nested ${k} parents deep`, gql: { query: `{ hosts { edges { node { ${'parent { '.repeat(k)}id${' }'.repeat(k)} } } } }` } };
        }
        case 3: {
          const n = r.pick([50, 3000, 20000]);
          return { label: `document nested ${n} levels`, gql: { query: `${'{ a '.repeat(n)}${'}'.repeat(n)}` } };
        }
        case 4:
          return { label: 'garbage document', gql: { query: r.pick([fuzzString(r), '{', '}', 'query', 'mutation { }', '{ __schema }', 'query($a: Int = "x") { hosts(first: $a) { totalCount } }', 'fragment F on Host { ...F } { hosts { edges { node { ...F } } } }', 'query A { me { role } } query B { me { role } }', '{ me { role @skip(if: "yes") } }', `{ ${'me { role } '.repeat(0)}${'__typename '.repeat(5000)}}`]) } };
        case 5:
          return { label: 'operationName that is not there', gql: { query: 'query A { me { role } }', operationName: r.pick(['B', '', fuzzString(r)]) } };
        case 6:
          return { label: 'variables of the wrong shape', gql: { query: 'query($n: Int) { hosts(first: $n) { totalCount } }', variables: r.pick<unknown>(['string', 5, [1, 2], { n: '10' }, { n: 1.5 }, { n: 2 ** 31 }, { n: deep(1000, false) }, { extra: deep(1000, true) }]) } };
        default:
          return { label: 'deep JSON in a JSON argument of a query', gql: { query: `query($id: ID!, $k: [String!]) { node(id: $id) { ... on Host { resolvedVariables(keys: $k) } } }`, variables: { id: victim, k: deep(r.pick([10, 1000]), true) } } };
      }
    }
    // 5. Raw bodies: malformed JSON, batches, wrong content types, oversized.
    const which = r.int(8);
    switch (which) {
      case 0:
        return { label: 'malformed JSON', raw: { body: r.pick(['{', '{"query": "{ me { role } }"', '{"query": }', 'nul', '"unterminated', '{"query": "\\ud800"}', '\u0000', '{"query":"{ me { role } }"}}', '{"query": 1e999}']) } };
      case 1:
        return { label: 'JSON that is not an object', raw: { body: r.pick(['1', '"string"', 'null', 'true', '[]', '[1,2]']) } };
      case 2:
        return {
          label: 'array-batched operations',
          mustFail: true,
          raw: { body: JSON.stringify([{ query: `mutation { createCloud(input: { name: "${u()}" }) { id } }` }, { query: `mutation { createCloud(input: { name: "${u()}" }) { id } }` }]) },
          creates: 'clouds',
        };
      case 3:
        return { label: 'query that is not a string', raw: { body: JSON.stringify({ query: r.pick<unknown>([5, null, ['{ me { role } }'], { a: 1 }]), variables: {} }) } };
      case 4:
        return { label: 'a body of the wrong content type', raw: { body: '{"query":"mutation { createCloud(input: { name: \\"ctype\\" }) { id } }"}', contentType: r.pick(['text/plain', 'application/x-www-form-urlencoded', '', 'application/graphql', 'multipart/form-data; boundary=x']) }, mustFail: true, creates: 'clouds' };
      case 5:
        return { label: 'an oversized body', raw: { body: JSON.stringify({ query: `mutation($n: String!) { createCloud(input: { name: $n }) { id } }`, variables: { n: 'x'.repeat(1_100_000) } }) }, mustFail: true, creates: 'clouds' };
      case 6:
      {
        const n = r.pick([1000, 50_000]);
        return { label: `JSON nested ${n} levels as the variables object`, raw: { body: `{"query":"{ me { role } }","variables":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}` } };
      }
      default:
        return { label: 'variables as a string or array', raw: { body: JSON.stringify({ query: 'query($n: Int) { hosts(first: $n) { totalCount } }', variables: r.pick<unknown>(['{"n": 1}', [1], 'x']) }) } };
    }
  }

  const COUNTS = `query($v: ID!) {
    clouds { totalCount } regions { totalCount } cells { totalCount } hosts { totalCount } networkDevices { totalCount } networks { totalCount }
    victim: node(id: $v) { ... on Host { name ipAddress note deviceType active labels variables parent { id } cell { id } interfaces { id name ipAddress } } }
  }`;

  async function state() {
    const d = await t.ok(COUNTS, { v: victim });
    return {
      counts: { clouds: d.clouds.totalCount, regions: d.regions.totalCount, cells: d.cells.totalCount, hosts: d.hosts.totalCount, networkDevices: d.networkDevices.totalCount, networks: d.networks.totalCount } as Record<CountKey, number>,
      victim: d.victim,
    };
  }

  /** Every change record after the record `mark` (newest first, all pages). */
  async function recordsAfter(mark: string | null): Promise<Array<{ id: string; requestId: string; action: string; objectType: string }>> {
    const out: Array<{ id: string; requestId: string; action: string; objectType: string }> = [];
    let after: string | null = null;
    for (;;) {
      const d: any = await t.ok(`query($a: String) { changes(first: 1000, after: $a) { pageInfo { hasNextPage endCursor } edges { node { id requestId action objectType } } } }`, { a: after });
      for (const e of d.changes.edges) {
        if (e.node.id === mark) return out;
        out.push(e.node);
      }
      if (!d.changes.pageInfo.hasNextPage) return out;
      after = d.changes.pageInfo.endCursor;
    }
  }

  it(
    'answers thousands of seeded malformed requests with no internal error, no partial write, and keeps answering',
    async () => {
      const r = prng(0xc2a70 + (store === 'mysql' ? 1 : 0));
      const TOTAL = 2400;
      const BATCH = 300;
      const CONCURRENCY = 8;
      const problems: string[] = [];
      const started = Date.now();
      let sent = 0;
      let codes: Record<string, number> = {};
      for (let start = 0; start < TOTAL; start += BATCH) {
        const before = await state();
        const mark = (await t.ok(`{ changes(first: 1) { edges { node { id } } } }`)).changes.edges[0]?.node.id ?? null;
        const batch = Array.from({ length: Math.min(BATCH, TOTAL - start) }, (_, k) => generate(r, start + k));
        const succeeded = new Set<string>();
        const created: Record<CountKey, number> = { clouds: 0, regions: 0, cells: 0, hosts: 0, networkDevices: 0, networks: 0 };
        const aliased = new Map<string, number>();
        let next = 0;
        const worker = async () => {
          while (next < batch.length) {
            const k = next++;
            const req = batch[k]!;
            const rid = `fz-${start + k}`;
            const res = await send(req, rid);
            sent++;
            const describe = () => `#${start + k} ${req.label}: request ${(req.raw?.body ?? JSON.stringify(req.gql)).slice(0, 300)}\n  → HTTP ${res.status} ${res.text.slice(0, 400)}`;
            const errs: Array<{ extensions?: { code?: string } }> = Array.isArray(res.json?.errors) ? res.json.errors : [];
            for (const e of errs) codes[e.extensions?.code ?? 'NO_CODE'] = (codes[e.extensions?.code ?? 'NO_CODE'] ?? 0) + 1;
            if (res.status >= 500 || errs.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) problems.push(`internal error: ${describe()}`);
            else if (req.gql && res.json === undefined) problems.push(`not JSON: ${describe()}`);
            const data = res.json?.data;
            if (req.field) {
              const ok = data?.[req.field] != null && errs.length === 0;
              if (ok) {
                succeeded.add(rid);
                if (req.creates) created[req.creates]++;
                if (req.mustFail) problems.push(`accepted a mutation with an invalid ingredient: ${describe()}`);
              }
            } else if (req.aliased) {
              aliased.set(rid, req.aliased);
            } else if (req.mustFail && req.raw && res.status < 300 && errs.length === 0) {
              problems.push(`accepted a request that must be refused: ${describe()}`);
            }
            if (req.check && data && !errs.length) {
              const bad = req.check(data);
              if (bad) problems.push(`wrong answer (${bad}): ${describe()}`);
            }
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));

        // Checkpoint: nothing but the successful requests left a trace.
        const records = await recordsAfter(mark);
        for (const [rid, valid] of aliased) {
          // The valid aliased creates commit one by one; the invalid last one must leave nothing.
          const made = records.filter((rec) => rec.requestId === rid);
          if (made.length > valid || made.some((rec) => rec.action !== 'CREATE' || rec.objectType !== 'Cloud')) {
            problems.push(`batch at ${start}: request ${rid} (${valid} valid aliased createClouds) left ${JSON.stringify(made)}`);
          }
          created.clouds += made.length;
          succeeded.add(rid);
        }
        const after = await state();
        for (const key of Object.keys(created) as CountKey[]) {
          if (after.counts[key] !== before.counts[key] + created[key]) {
            problems.push(`batch at ${start}: ${key} went from ${before.counts[key]} to ${after.counts[key]} with ${created[key]} successful creates`);
          }
        }
        if (JSON.stringify(after.victim) !== JSON.stringify(before.victim)) {
          problems.push(`batch at ${start}: the victim host changed although every write to it must fail:\n  before ${JSON.stringify(before.victim)}\n  after  ${JSON.stringify(after.victim)}`);
        }
        for (const rec of records) {
          if (!succeeded.has(rec.requestId)) problems.push(`batch at ${start}: change record ${rec.action} ${rec.objectType} from request ${rec.requestId}, which did not succeed`);
        }
        if (problems.length > 50) break;
      }
      const health = await t.gql(`{ me { role } hosts(first: 5) { totalCount edges { node { id name } } } }`);
      expect(health.status, describeResponse(health)).toBe(200);
      expect(health.body.data?.me?.role, describeResponse(health)).toBe('ADMIN');
      const ready = await fetch(`${root.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(problems, `${problems.length} problems in ${sent} requests (${Date.now() - started} ms); codes seen ${JSON.stringify(codes)}:\n${problems.slice(0, 25).join('\n')}`).toEqual([]);
      expect(sent).toBeGreaterThanOrEqual(2000);
    },
    180_000,
  );

  it('treats SQL metacharacters in names, labels and filters as plain text', async () => {
    const names = async (filter: Record<string, unknown>) => {
      const d = await t.ok(`query($f: DeviceFilter) { devices(first: 1000, filter: $f) { edges { node { name } } } }`, { f: { ...filter, regionId: metaRegion } });
      return d.devices.edges.map((e: any) => e.node.name).sort();
    };
    expect(await names({ nameContains: '%' })).toEqual(['meta-%-host']);
    expect(await names({ nameContains: '_' })).toEqual(['meta-_-host']);
    expect(await names({ nameContains: '\\' })).toEqual(['meta-\\-host']);
    expect(await names({ nameContains: "'" })).toEqual(["meta-'-host"]);
    expect(await names({ nameContains: 'upper-' })).toEqual(['UPPER-host']);
    expect(await names({ name: "' OR 1=1 --" })).toEqual([]);
    expect(await names({ name: 'meta-%-host' })).toEqual(['meta-%-host']);
    expect(await names({ name: 'meta-%' })).toEqual([]);
    expect(await names({ labels: ['meta-%-label'] })).toEqual(['meta-%-host']);
    expect(await names({ labels: ['%'] })).toEqual([]);
    expect(await names({ labels: ["' OR 1=1 --"] })).toEqual([]);
    expect(await names({ vars: `x:"' OR 1=1 --"` })).toEqual([]);
    // An exact-name filter of "%" or "_" returns only objects named exactly that (the fuzz may have made some).
    const exact = await t.ok(`{ clouds(first: 1000, name: "%") { edges { node { name } } } regions(first: 1000, name: "_") { edges { node { name } } } }`);
    for (const e of exact.clouds.edges) expect(e.node.name).toBe('%');
    for (const e of exact.regions.edges) expect(e.node.name).toBe('_');
    const made = await makeCloud(t, `cloud'; DROP TABLE clouds; --`);
    expect((await t.ok(`query($n: String) { clouds(name: $n) { edges { node { id } } } }`, { n: `cloud'; DROP TABLE clouds; --` })).clouds.edges).toEqual([{ node: { id: made.id } }]);
  });

  it('stores and returns unicode names, labels and variable keys exactly, and refuses control characters', async () => {
    for (const name of ['😀🔥-host', 'מחשב-שרת', 'e\u0301-composed', '𝕳𝖔𝖘𝖙', 'ß-İı', '\u202Eevil\u202C']) {
      const res = await t.gql(`mutation($i: CreateHostInput!) { createHost(input: $i) { id name } }`, { i: { regionId: hier.regionId, name, labels: [name], variables: { [name]: name } } });
      expect(res.body.errors, `${JSON.stringify(name)}: ${describeResponse(res)}`).toBeUndefined();
      const read = await t.ok(`query($id: ID!) { node(id: $id) { ... on Host { name labels variables } } }`, { id: res.body.data.createHost.id });
      expect(read.node, `${JSON.stringify(name)} read back`).toEqual({ name, labels: [name], variables: { [name]: name } });
    }
    for (const name of ['a\u0000b', 'bell\u0007', 'x\u001by']) {
      const res = await t.gql(`mutation($i: CreateHostInput!) { createHost(input: $i) { name } }`, { i: { regionId: hier.regionId, name } });
      expect(res.status, `${JSON.stringify(name)}: ${describeResponse(res)}`).toBeLessThan(500);
      expect(codeOf(res), `${JSON.stringify(name)}: ${describeResponse(res)}`).toBe('BAD_USER_INPUT');
    }
  });

  it('refuses lone surrogates (text that is not Unicode) in names, labels and keys, or stores exactly what it accepted', async () => {
    for (const bad of ['x\ud800y', '\udfff', 'a\ud83d']) {
      for (const [what, input] of [
        ['name', { name: bad }],
        ['label', { name: uniq('surrogate'), labels: [bad] }],
        ['variable key', { name: uniq('surrogate'), variables: { [bad]: 1 } }],
      ] as const) {
        const res = await t.gql(`mutation($i: CreateHostInput!) { createHost(input: $i) { id } }`, { i: { regionId: hier.regionId, ...input } });
        const what2 = `${what} ${JSON.stringify(bad)}: ${describeResponse(res)}`;
        expect(res.status, what2).toBeLessThan(500);
        if (res.body.errors?.length) {
          expect(codeOf(res), what2).toBe('BAD_USER_INPUT');
          continue;
        }
        const read = await t.ok(`query($id: ID!) { node(id: $id) { ... on Host { name labels variables } } }`, { id: res.body.data.createHost.id });
        expect(read.node, `${what2}\nread back as ${JSON.stringify(read.node)}`).toMatchObject(input);
      }
    }
  });

  it('refuses an array of operations (batching) and runs none of them', async () => {
    const name = uniq('batched');
    const res = await fetch(`${root.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ query: `mutation { createCloud(input: { name: "${name}-1" }) { id } }` }, { query: `mutation { createCloud(input: { name: "${name}-2" }) { id } }` }]),
    });
    const text = await res.text();
    expect(res.status, text).toBeGreaterThanOrEqual(400);
    expect(res.status, text).toBeLessThan(500);
    const none = await t.ok(`query($a: String, $b: String) { a: clouds(name: $a) { totalCount } b: clouds(name: $b) { totalCount } }`, { a: `${name}-1`, b: `${name}-2` });
    expect(none).toEqual({ a: { totalCount: 0 }, b: { totalCount: 0 } });
  });

  it('survives malformed graphql-ws traffic: bad frames close that socket only, never with an internal error', async () => {
    const frames: Array<[string, Array<string | Buffer>]> = [
      ['not JSON', ['{']],
      ['a JSON array', ['[]']],
      ['an unknown message type', [JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin.key}` } }), JSON.stringify({ type: 'nope' })]],
      ['subscribe before connection_init', [JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ me { role } }' } })]],
      ['a subscribe without an id', [JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin.key}` } }), JSON.stringify({ type: 'subscribe', payload: { query: '{ me { role } }' } })]],
      ['a payload that is not an object', [JSON.stringify({ type: 'connection_init', payload: 'x' })]],
      ['a frame over the size limit', [JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(1_200_000) } })]],
      ['deeply nested JSON', [`{"type":"connection_init","payload":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`]],
      ['binary garbage', [Buffer.from([0xff, 0xfe, 0x00, 0x01])]],
      [
        'a subscription with a garbage query',
        [JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin.key}` } }), JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: '{'.repeat(5000), variables: 5 } })],
      ],
    ];
    const { default: WebSocket } = await import('ws');
    for (const [what, messages] of frames) {
      const outcome = await new Promise<{ code: number; reason: string; received: string[] }>((resolve, reject) => {
        const socket = new WebSocket(`${root.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
        const received: string[] = [];
        const timer = setTimeout(() => {
          socket.terminate();
          resolve({ code: 0, reason: 'still open after 3 s', received });
        }, 3_000);
        socket.on('open', async () => {
          for (const m of messages) {
            socket.send(m);
            await sleep(50);
          }
        });
        socket.on('message', (data) => received.push(String(data).slice(0, 300)));
        socket.on('close', (code, reason) => {
          clearTimeout(timer);
          resolve({ code, reason: reason.toString(), received });
        });
        socket.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      expect([1011, 4500], `${what}: ${JSON.stringify(outcome)}`).not.toContain(outcome.code);
      expect(outcome.received.join('\n'), `${what}`).not.toContain('INTERNAL_SERVER_ERROR');
    }
    const still = await t.gql(`{ me { role } }`);
    expect(still.body.data?.me?.role, describeResponse(still)).toBe('ADMIN');
  });

  it('never fails internally when runs are cancelled the moment they start (when the schema has workflows)', async () => {
    const mutationNames = rootFieldNames('Mutation');
    if (!mutationNames.includes('startWorkflow') || !mutationNames.includes('cancelWorkflowRun')) return;
    const defs: Array<{ name: string; parameters: Record<string, any> | null }> = (await t.ok(`{ workflows { name parameters } }`)).workflows;
    const wf = defs.find((d) => !Object.values(d.parameters ?? {}).some((p) => p?.required && p?.default === undefined));
    if (!wf) return;
    const h = await makeHierarchy(t, uniq('race'));
    await makeHosts(t, Array.from({ length: 6 }, (_, i) => ({ regionId: h.regionId, cellId: h.cellId, name: `race-${i}` })));
    const problems: string[] = [];
    for (let i = 0; i < 20; i++) {
      const run = await t.ok(`mutation($i: StartWorkflowInput!) { startWorkflow(input: $i) { id } }`, { i: { workflow: wf.name, target: { regionId: h.regionId }, dryRun: true } });
      const variables = { id: run.startWorkflow.id };
      const res = await t.gql(`mutation($id: ID!) { cancelWorkflowRun(id: $id) { id status } }`, variables);
      if (res.status >= 500 || res.body.errors?.some((e) => e.extensions?.code !== 'CONFLICT')) {
        problems.push(`cancelWorkflowRun ${JSON.stringify(variables)} right after startWorkflow(${wf.name}): ${describeResponse(res)}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  // ---- Limits ----

  /** Checks a refusal over a limit: BAD_USER_INPUT, the limit named by a word and its number, and how far over. */
  function expectLimit(res: GqlResponse, word: RegExp, limit: number, overBy: number[]) {
    const what = describeResponse(res);
    expect(codeOf(res), what).toBe('BAD_USER_INPUT');
    expect(res.body.data ?? null, `no data over a limit: ${what}`).toBeNull();
    const message = res.body.errors![0]!.message;
    expect(message, what).toMatch(word);
    const numbers = (message.match(/\d[\d,_ ]*\d|\d/g) ?? []).map((n) => Number(n.replace(/[,_ ]/g, '')));
    expect(numbers, `the message names the limit ${limit}: ${message}`).toContain(limit);
    expect(overBy.some((n) => numbers.includes(n)), `the message says by how much (one of ${overBy.join(', ')}): ${message}`).toBe(true);
  }

  it('refuses a query deeper than 15 levels, naming the depth limit and the excess', async () => {
    const parents = 13;
    const query = `{ hosts { edges { node { ${'parent { '.repeat(parents)}id${' }'.repeat(parents)} } } } }`;
    const depth = 3 + parents + 1;
    expectLimit(await t.gql(query), /depth/i, 15, [depth, depth - 15]);
    const ok = await t.gql(`{ hosts { edges { node { ${'parent { '.repeat(10)}id${' }'.repeat(10)} } } } }`);
    expect(ok.body.errors, describeResponse(ok)).toBeUndefined();
  });

  it('refuses a query over the cost limit, naming it and how far over', async () => {
    const query = `{ clouds(first: 1000) { edges { node { regions(first: 1000) { edges { node { id name note } } } } } } }`;
    const res = await t.gql(query);
    expect(codeOf(res), describeResponse(res)).toBe('BAD_USER_INPUT');
    const message = res.body.errors![0]!.message;
    expect(message).toMatch(/cost/i);
    const numbers = (message.match(/\d+/g) ?? []).map(Number);
    expect(numbers, message).toContain(250000);
    const actual = numbers.find((n) => n > 250000);
    expect(actual, `the message gives the query's cost: ${message}`).toBeDefined();
    expect(numbers, `the message gives the excess: ${message}`).toContain(actual! - 250000);
  });

  it('refuses more than 500 aliases, naming the limit and the count', async () => {
    const query = `{ ${Array.from({ length: 600 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expectLimit(await t.gql(query), /alias/i, 500, [600, 100]);
    const mutations = `mutation { ${Array.from({ length: 501 }, (_, i) => `c${i}: createCloud(input: { name: "alias-${i}" }) { id }`).join(' ')} }`;
    expectLimit(await t.gql(mutations), /alias/i, 500, [501, 1]);
    expect((await t.ok(`{ clouds(name: "alias-0") { totalCount } }`)).clouds.totalCount, 'none of the aliased mutations ran').toBe(0);
  });

  it('refuses first: 1001 (and a negative first) with BAD_USER_INPUT naming the cap', async () => {
    for (const list of ['hosts', 'devices', 'clouds', 'changes', 'labels', 'projects']) {
      const res = await t.gql(`{ ${list}(first: 1001) { totalCount } }`);
      expectLimit(res, /first/i, 1000, [1001, 1]);
      const neg = await t.gql(`{ ${list}(first: -1) { totalCount } }`);
      expect(codeOf(neg), `${list}(first: -1): ${describeResponse(neg)}`).toBe('BAD_USER_INPUT');
    }
    const ok = await t.gql(`{ hosts(first: 1000) { totalCount } }`);
    expect(ok.body.errors, describeResponse(ok)).toBeUndefined();
  });

  it('refuses a body over 1 MiB with 413 and BAD_USER_INPUT naming the limit', async () => {
    const body = JSON.stringify({ query: `mutation($n: String!) { createCloud(input: { name: $n }) { id } }`, variables: { n: 'x'.repeat(1_200_000) } });
    const res = await fetch(`${root.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' }, body });
    const json: any = await res.json();
    expect(res.status).toBe(413);
    expect(json.errors?.[0]?.extensions?.code, JSON.stringify(json)).toBe('BAD_USER_INPUT');
    expect(json.errors[0].message, JSON.stringify(json)).toMatch(/body/i);
    expect(json.errors[0].message, JSON.stringify(json)).toContain('1048576');
  });

  it('says by how much a body is over the size limit', async () => {
    const body = JSON.stringify({ query: `{ me { role } }`, variables: { pad: 'x'.repeat(1_200_000) } });
    const size = Buffer.byteLength(body);
    const res = await fetch(`${root.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' }, body });
    const json: any = await res.json();
    const message: string = json.errors?.[0]?.message ?? '';
    const numbers = (message.match(/\d+/g) ?? []).map(Number);
    expect(numbers.includes(size) || numbers.includes(size - 1048576), `request of ${size} bytes; the message should give the size or the excess (${size - 1048576}): ${JSON.stringify(json)}`).toBe(true);
  });

  it('refuses a variable value over the JSON size cap, naming the cap and the size', async () => {
    const value = 'v'.repeat(70_000);
    const res = await t.gql(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: scratch, v: { big: value } });
    const size = JSON.stringify(value).length;
    expectLimit(res, /byte|size|limit/i, 65536, [size, size - 65536]);
  });

  it('accepts a realistic dashboard query of 1000 hosts with labels, places, resolved variables and origins', async () => {
    const h = await makeHierarchy(t, uniq('dash'));
    await t.ok(`mutation($id: ID!) { setVariables(id: $id, values: { dc: "fra1", tier: 1 }) { id } }`, { id: h.regionId });
    await makeHosts(t, Array.from({ length: 120 }, (_, i) => ({ regionId: h.regionId, cellId: h.cellId, name: `dash-${i}`, ipAddress: `10.20.${i >> 8}.${i & 255}`, labels: ['web', `rack-${i % 7}`], variables: { i } })));
    const query = `query Dashboard($after: String) {
      hosts(first: 1000, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id name ipAddress deviceType active note labels updatedAt
          cloud { name } region { name } cell { name }
          parent { id name }
          resolvedVariables
          variableOrigins { key value holder { __typename id } }
        } }
      }
    }`;
    const res = await t.gql(query);
    expect(res.body.errors, describeResponse(res)).toBeUndefined();
    expect(res.body.data.hosts.edges.length).toBeGreaterThanOrEqual(120);
    const dash = res.body.data.hosts.edges.find((e: any) => e.node.name === 'dash-5').node;
    expect(dash.resolvedVariables).toMatchObject({ dc: 'fra1', tier: 1, i: 5 });
  });

  it('keeps introspection on by default, including a standard full introspection query', async () => {
    const small = await t.gql(`{ __schema { queryType { name } } __type(name: "Host") { name } }`);
    expect(small.body.data, describeResponse(small)).toEqual({ __schema: { queryType: { name: 'Query' } }, __type: { name: 'Host' } });
    const full = await t.gql(getIntrospectionQuery());
    expect(full.body.errors, describeResponse(full)).toBeUndefined();
    expect(full.body.data.__schema.types.length).toBeGreaterThan(20);
  });

  it('follows configured limits, and refuses introspection with CRATON_INTROSPECTION=false', async () => {
    const tight = await startGateway(store, {
      env: {
        CRATON_INTROSPECTION: 'false',
        CRATON_MAX_QUERY_DEPTH: '6',
        CRATON_MAX_QUERY_COST: '500',
        CRATON_MAX_ALIASES: '3',
        CRATON_MAX_BODY_BYTES: '4096',
        CRATON_MAX_VARIABLE_BYTES: '100',
      },
    });
    try {
      for (const q of [`{ __schema { queryType { name } } }`, `{ __type(name: "Host") { name fields { name } } }`, getIntrospectionQuery()]) {
        const res = await tight.gql(q);
        expect(res.body.data?.__schema ?? res.body.data?.__type ?? null, describeResponse(res)).toBeNull();
        expect(res.body.errors?.length, describeResponse(res)).toBeGreaterThan(0);
        expect(res.status, describeResponse(res)).toBeLessThan(500);
      }
      expect((await tight.ok(`{ __typename me { role } }`)).__typename, '__typename is not introspection').toBe('Query');

      expectLimit(await tight.gql(`{ hosts { edges { node { parent { parent { parent { id } } } } } } }`), /depth/i, 6, [7, 1]);
      expect((await tight.gql(`{ hosts(first: 5) { edges { node { parent { parent { id } } } } } }`)).body.errors).toBeUndefined();
      const cost = await tight.gql(`{ hosts(first: 200) { edges { node { id name } } } }`);
      expect(codeOf(cost), describeResponse(cost)).toBe('BAD_USER_INPUT');
      expect(cost.body.errors![0]!.message).toMatch(/cost/i);
      expect(cost.body.errors![0]!.message).toContain('500');
      expectLimit(await tight.gql(`{ a: __typename b: __typename c: __typename d: __typename }`), /alias/i, 3, [4, 1]);
      expect((await tight.gql(`{ a: __typename b: __typename c: __typename }`)).body.errors).toBeUndefined();

      const big = await fetch(`${tight.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tight.rootKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ me { role } }`, variables: { pad: 'x'.repeat(5000) } }),
      });
      const bigJson: any = await big.json();
      expect(big.status).toBe(413);
      expect(bigJson.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bigJson.errors?.[0]?.message).toContain('4096');

      const cloud = await makeCloud(tight, 'tight-cloud');
      const vars = await tight.gql(`mutation($id: ID!, $v: JSON!) { setVariables(id: $id, values: $v) { id } }`, { id: cloud.id, v: { big: 'v'.repeat(200) } });
      expectLimit(vars, /byte|size|limit/i, 100, [202, 102]);
    } finally {
      await tight.stop();
    }
  });
});
