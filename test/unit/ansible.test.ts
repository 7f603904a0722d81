import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ansibleHostVars,
  buildAnsibleInventory,
  sanitizeGroupName,
  type AnsibleGroup,
  type AnsibleHost,
  type AnsibleInventory,
} from '../../src/inventory/ansible.js';

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function host(name: string, region: string, cell: string | null, labels: string[] = [], vars: Record<string, unknown> = {}, ip: string | null = `10.0.0.${name.length}`): AnsibleHost {
  return { name, ipAddress: ip, region, cell, labels, vars };
}

/** Checks what Ansible's script plugin and docs require of `--list` output; returns the problems found. */
function problems(inventory: AnsibleInventory): string[] {
  const found: string[] = [];
  const hostvars = inventory._meta.hostvars;
  const groups = new Map<string, AnsibleGroup>();
  for (const [name, value] of Object.entries(inventory)) {
    if (name === '_meta') continue;
    const group = value as AnsibleGroup;
    groups.set(name, group);
    if (!VALID_NAME.test(name)) found.push(`group name '${name}' is not a valid identifier`);
    if (!('hosts' in group) && !('children' in group) && !('vars' in group)) found.push(`group '${name}' would be read as a host`);
    for (const key of Object.keys(group)) if (!['hosts', 'children', 'vars'].includes(key)) found.push(`group '${name}' has key '${key}'`);
    if (!Array.isArray(group.hosts)) found.push(`group '${name}' hosts is not a list`);
    for (const h of group.hosts ?? []) if (!(h in hostvars)) found.push(`host '${h}' in '${name}' has no hostvars`);
    if ([...(group.hosts ?? [])].sort().join() !== (group.hosts ?? []).join()) found.push(`hosts of '${name}' are not sorted`);
  }
  for (const [name, group] of groups) {
    for (const child of group.children ?? []) if (!groups.has(child)) found.push(`'${name}' names missing child '${child}'`);
  }
  if (!groups.has('all') || !groups.has('ungrouped')) found.push('all or ungrouped is missing');
  if (!groups.get('all')?.children?.includes('ungrouped')) found.push('all does not list ungrouped');
  const reachable = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name)) return void found.push(`cycle through '${name}'`);
    reachable.add(name);
    for (const child of groups.get(name)?.children ?? []) visit(child, [...path, name]);
  };
  visit('all', []);
  for (const name of groups.keys()) if (!reachable.has(name)) found.push(`group '${name}' is not reachable from all`);
  const listed = new Set([...groups.values()].flatMap((g) => g.hosts ?? []));
  for (const h of Object.keys(hostvars)) if (!listed.has(h)) found.push(`host '${h}' is in no group`);
  return found;
}

const fleet: AnsibleHost[] = [
  host('web2', 'east', 'c1', ['web', 'rack:12'], { role: 'web', ansible_user: 'ops' }, '10.0.0.2'),
  host('web1', 'east', 'c1', ['web'], { role: 'web' }, '10.0.0.1'),
  host('db1', 'east', null, ['db'], { role: 'db' }, '10.0.1.1'),
  host('gw', 'west', 'c9', [], {}, null),
];

describe('buildAnsibleInventory', () => {
  it('builds all, ungrouped, region, cell and label groups with resolved hostvars', () => {
    expect(buildAnsibleInventory(fleet)).toEqual({
      _meta: {
        hostvars: {
          db1: { ansible_host: '10.0.1.1', role: 'db' },
          gw: {},
          web1: { ansible_host: '10.0.0.1', role: 'web' },
          web2: { ansible_host: '10.0.0.2', ansible_user: 'ops', role: 'web' },
        },
      },
      all: { hosts: ['db1', 'gw', 'web1', 'web2'], children: ['ungrouped', 'db', 'east', 'rack_12', 'web', 'west'] },
      ungrouped: { hosts: [] },
      db: { hosts: ['db1'] },
      east: { hosts: ['db1'], children: ['east_c1'] },
      east_c1: { hosts: ['web1', 'web2'] },
      rack_12: { hosts: ['web2'] },
      web: { hosts: ['web1', 'web2'] },
      west: { hosts: [], children: ['west_c9'] },
      west_c9: { hosts: ['gw'] },
    });
  });

  it('produces output that meets the inventory-script rules', () => {
    expect(problems(buildAnsibleInventory(fleet))).toEqual([]);
  });

  it('has a rule checker that does flag broken output', () => {
    const broken = {
      _meta: { hostvars: { a: {} } },
      all: { hosts: ['a', 'ghost'], children: ['missing'] },
      'bad-name': { hosts: [] },
      looks_like_a_host: {},
    } as unknown as AnsibleInventory;
    expect(problems(broken)).toEqual(
      expect.arrayContaining([
        "host 'ghost' in 'all' has no hostvars",
        "'all' names missing child 'missing'",
        "group name 'bad-name' is not a valid identifier",
        "group 'looks_like_a_host' would be read as a host",
        'all or ungrouped is missing',
        "group 'bad-name' is not reachable from all",
      ]),
    );
  });

  it('produces an empty but valid inventory for no hosts', () => {
    const inventory = buildAnsibleInventory([]);
    expect(inventory).toEqual({ _meta: { hostvars: {} }, all: { hosts: [], children: ['ungrouped'] }, ungrouped: { hosts: [] } });
    expect(problems(inventory)).toEqual([]);
  });

  it('puts _meta, all and ungrouped first, then groups in name order', () => {
    expect(Object.keys(buildAnsibleInventory(fleet))).toEqual(['_meta', 'all', 'ungrouped', 'db', 'east', 'east_c1', 'rack_12', 'web', 'west', 'west_c9']);
  });

  it("lets a host's own ansible_host variable win over its IP", () => {
    const inventory = buildAnsibleInventory([host('a', 'r', null, [], { ansible_host: 'a.example.com' }, '10.1.1.1')]);
    expect(ansibleHostVars(inventory, 'a')).toEqual({ ansible_host: 'a.example.com' });
  });

  it('lists a label once per host even if the host repeats it', () => {
    const inventory = buildAnsibleInventory([host('a', 'r', null, ['x', 'x'])]);
    expect(inventory['x']).toEqual({ hosts: ['a'] });
  });

  it('gives the same output whatever the input order', () => {
    const messy = [...fleet, host('x', 'db', null, ['east', 'rack-12', 'all'])];
    const forward = JSON.stringify(buildAnsibleInventory(messy));
    expect(JSON.stringify(buildAnsibleInventory([...messy].reverse()))).toBe(forward);
  });
});

describe('group names', () => {
  it('replaces characters outside letters, digits and underscore', () => {
    expect(sanitizeGroupName('rack:12')).toBe('rack_12');
    expect(sanitizeGroupName('us-east.1')).toBe('us_east_1');
    expect(sanitizeGroupName('größe')).toBe('gr__e');
    expect(sanitizeGroupName('a😀b')).toBe('a_b');
  });

  it('prefixes a name that starts with a digit and names the empty string', () => {
    expect(sanitizeGroupName('1rack')).toBe('_1rack');
    expect(sanitizeGroupName('')).toBe('_');
  });

  it('keeps the plain name for a region and suffixes a label of the same name', () => {
    const inventory = buildAnsibleInventory([host('a', 'db', null, ['db'])]);
    const names = Object.keys(inventory).filter((n) => n.startsWith('db'));
    expect(names).toHaveLength(2);
    expect(inventory['db']).toEqual({ hosts: ['a'] });
    const label = names.find((n) => n !== 'db')!;
    expect(label).toMatch(/^db_[0-9a-f]{8}$/);
    expect(problems(inventory)).toEqual([]);
  });

  it('keeps the plain name for the label already spelled validly when two labels collide', () => {
    const inventory = buildAnsibleInventory([host('a', 'r', null, ['rack-1']), host('b', 'r', null, ['rack_1'])]);
    expect(inventory['rack_1']).toEqual({ hosts: ['b'] });
    const other = Object.keys(inventory).find((n) => /^rack_1_[0-9a-f]{8}$/.test(n));
    expect(other && inventory[other]).toEqual({ hosts: ['a'] });
  });

  it('disambiguates cell groups whose <region>_<cell> names coincide', () => {
    const inventory = buildAnsibleInventory([host('a', 'a_b', 'c', []), host('b', 'a', 'b_c', [])]);
    const cells = Object.keys(inventory).filter((n) => n.startsWith('a_b_c'));
    expect(cells).toHaveLength(2);
    expect((inventory['a'] as AnsibleGroup).children).toHaveLength(1);
    expect((inventory['a_b'] as AnsibleGroup).children).toHaveLength(1);
    expect(problems(inventory)).toEqual([]);
  });

  it('never reuses all, ungrouped, _meta or __proto__ for a label', () => {
    const inventory = buildAnsibleInventory([host('a', 'r', null, ['all', 'ungrouped', '_meta', '-meta', '__proto__'])]);
    expect(inventory['all']).toEqual({ hosts: ['a'], children: expect.arrayContaining(['ungrouped', 'r']) });
    expect(inventory['ungrouped']).toEqual({ hosts: [] });
    expect(Object.keys(inventory).filter((n) => /^(all|ungrouped|_meta|__proto__)_[0-9a-f]{8}$/.test(n))).toHaveLength(5);
    expect(problems(inventory)).toEqual([]);
  });
});

describe('host keys', () => {
  it('keys hosts that share a name by name and region', () => {
    const inventory = buildAnsibleInventory([host('web1', 'west', null, [], {}, '10.2.0.1'), host('web1', 'east', null, [], {}, '10.1.0.1')]);
    expect(Object.keys(inventory._meta.hostvars)).toEqual(['web1.east', 'web1.west']);
    expect(ansibleHostVars(inventory, 'web1.west')).toEqual({ ansible_host: '10.2.0.1' });
    expect(problems(inventory)).toEqual([]);
  });

  it('points ansible_host at the real name when a renamed host has no IP', () => {
    const inventory = buildAnsibleInventory([host('h', 'r1', null, [], {}, null), host('h', 'r2', null, [], {}, null)]);
    expect(ansibleHostVars(inventory, 'h.r1')).toEqual({ ansible_host: 'h' });
  });
});

describe('ansibleHostVars', () => {
  it('returns a host’s variables and {} for an unknown host', () => {
    const inventory = buildAnsibleInventory(fleet);
    expect(ansibleHostVars(inventory, 'web1')).toEqual({ ansible_host: '10.0.0.1', role: 'web' });
    expect(ansibleHostVars(inventory, 'nope')).toEqual({});
    expect(ansibleHostVars(inventory, 'toString')).toEqual({});
  });
});

describe('bin/craton-inventory', () => {
  const script = fileURLToPath(new URL('../../bin/craton-inventory', import.meta.url));
  const canned = buildAnsibleInventory(fleet);
  let server: Server;
  let url: string;
  let mode: 'ok' | 'graphql-error' | 'http-error' = 'ok';
  let last: { headers: IncomingMessage['headers']; body: { query?: string; variables?: { filter?: unknown } } } | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        last = { headers: req.headers, body: JSON.parse(text || '{}') };
        res.setHeader('content-type', 'application/json');
        if (req.method !== 'POST' || req.url !== '/graphql') return void res.writeHead(404).end('{}');
        if (req.headers.authorization !== 'Bearer secret') {
          return void res.writeHead(401).end(JSON.stringify({ errors: [{ message: 'Invalid API key', extensions: { code: 'UNAUTHENTICATED' } }] }));
        }
        if (mode === 'http-error') return void res.writeHead(502).end('bad gateway');
        if (mode === 'graphql-error') {
          return void res.end(JSON.stringify({ data: null, errors: [{ message: 'The query contains an invalid JSON Path expression.', extensions: { code: 'BAD_USER_INPUT' } }] }));
        }
        res.end(JSON.stringify({ data: { ansibleInventory: canned } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(script, args, { env: { PATH: process.env['PATH'] ?? '', CRATON_URL: url, CRATON_API_KEY: 'secret', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints the whole inventory for --list, sending the bearer key and the query', async () => {
    mode = 'ok';
    const { code, stdout } = await run(['--list']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(canned);
    expect(last?.headers.authorization).toBe('Bearer secret');
    expect(last?.headers['content-type']).toBe('application/json');
    expect(last?.body.query).toMatch(/ansibleInventory\(filter: \$filter\)/);
    expect(last?.body.variables).toEqual({ filter: null });
  });

  it('sends CRATON_INVENTORY_FILTER as the filter and CRATON_PROJECT as X-Craton-Project', async () => {
    mode = 'ok';
    const { code } = await run(['--list'], { CRATON_INVENTORY_FILTER: '{"labels":["compute"]}', CRATON_PROJECT: 'p-1' });
    expect(code).toBe(0);
    expect(last?.body.variables).toEqual({ filter: { labels: ['compute'] } });
    expect(last?.headers['x-craton-project']).toBe('p-1');
  });

  it("prints one host's variables for --host, and {} for an unknown host", async () => {
    mode = 'ok';
    const known = await run(['--host', 'web2']);
    expect(known.code).toBe(0);
    expect(JSON.parse(known.stdout)).toEqual({ ansible_host: '10.0.0.2', ansible_user: 'ops', role: 'web' });
    const unknown = await run(['--host=nope']);
    expect(JSON.parse(unknown.stdout)).toEqual({});
  });

  it('exits 1 and prints the GraphQL error messages', async () => {
    mode = 'graphql-error';
    const { code, stdout, stderr } = await run(['--list']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('The query contains an invalid JSON Path expression. [BAD_USER_INPUT]');
  });

  it('exits 1 with the status for an HTTP error', async () => {
    mode = 'http-error';
    const { code, stderr } = await run(['--list']);
    expect(code).toBe(1);
    expect(stderr).toContain('HTTP 502');
  });

  it('exits 1 when the key is rejected or missing', async () => {
    mode = 'ok';
    const rejected = await run(['--list'], { CRATON_API_KEY: 'wrong' });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('Invalid API key');
    const missing = await run(['--list'], { CRATON_API_KEY: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('CRATON_API_KEY is not set');
  });

  it('exits 1 for a filter that is not JSON', async () => {
    const { code, stderr } = await run(['--list'], { CRATON_INVENTORY_FILTER: '{labels' });
    expect(code).toBe(1);
    expect(stderr).toContain('CRATON_INVENTORY_FILTER is not valid JSON');
  });

  it('exits 2 with usage for no arguments, for both --list and --host, and for unknown ones', async () => {
    for (const args of [[], ['--list', '--host', 'a'], ['--host'], ['--bogus']]) {
      const { code, stderr } = await run(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^usage: craton-inventory --list/);
    }
  });
});
