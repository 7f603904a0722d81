// The Ansible inventory source against the fixtures in test/fixtures/ansible: the source contract on an
// INI file and on a YAML file, then the formats' details, Ansible's variable precedence, directories,
// re-reading on change, and broken files.
import { cp, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnsibleInventorySource, parseAnsibleConfig } from '../../sources/ansible/index.js';
import { expandHostRange } from '../../sources/ansible/inventory.js';
import { shlexSplit } from '../../sources/ansible/parse-ini.js';
import { parsePythonLiteral } from '../../sources/ansible/python-literal.js';
import type { HostRecord } from '../../sources/source.js';
import { defineSourceContract } from './contract.js';
import { testDeps } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/ansible/', import.meta.url));

/** A scratch copy of a fixture, so a test may change or break it. */
async function scratch(fixture: string): Promise<{ dir: string; path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'craton-ansible-'));
  const path = join(dir, fixture.replace(/\/$/, '').split('/').pop()!);
  await cp(join(FIXTURES, fixture), path, { recursive: true });
  return { dir, path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `text` to `path` and moves its mtime on, so the change shows even within one clock tick. */
async function rewrite(path: string, text: string, bumpSeconds = 5): Promise<void> {
  await writeFile(path, text);
  const later = new Date(Date.now() + bumpSeconds * 1000);
  await utimes(path, later, later);
}

function source(path: string, extra: Record<string, unknown> = {}): AnsibleInventorySource {
  return AnsibleInventorySource.fromConfig({ name: 'ansible-test', kind: 'ansible', connection: { path }, ...extra }, testDeps(), 'sources[2]');
}

const host = (fields: Partial<HostRecord> & Pick<HostRecord, 'key' | 'attributes'>): HostRecord => ({
  name: fields.key,
  ipAddress: null,
  deviceType: 'server',
  active: true,
  labels: [],
  placement: { cloud: 'lab' },
  ...fields,
});

const region = { env: 'lab', ntp_server: '10.0.0.1', http_port: 80, dns: ['10.0.0.53', '10.0.0.54'] };
const web = { ...region, role: 'web', tier: 'frontend', cell: 'c1' };
const iniPlacement = { placement: { cloud: 'lab', region: { fromGroupPattern: '^region_(.+)$' }, cell: { fromHostVar: 'cell' } } };
const inOrd = { cloud: 'lab', region: 'ord' };
const iniHosts: HostRecord[] = [
  host({ key: 'gateway.example.com', ipAddress: '192.0.2.1', attributes: { env: 'lab', http_port: 1, ansible_host: '192.0.2.1' } }),
  ...['web01', 'web02', 'web03'].map((n) =>
    host({ key: `${n}.example.com`, labels: ['region_ord', 'web'], attributes: { ...web, http_port: 8080 }, placement: { ...inOrd, cell: 'c1' } }),
  ),
  host({
    key: 'web04.example.com',
    ipAddress: '10.0.1.4',
    labels: ['region_ord', 'web'],
    attributes: { ...web, ansible_port: 2222, ansible_host: '10.0.1.4', motd: 'hello world', weight: 1.5, enabled: true },
    placement: { ...inOrd, cell: 'c1' },
  }),
  host({ key: 'db1.example.com', labels: ['db', 'region_ord'], attributes: { ...region, ansible_host: 'db1.internal' }, placement: inOrd }),
  host({ key: '10.0.2.2', ipAddress: '10.0.2.2', labels: ['db', 'region_ord'], attributes: region, placement: inOrd }),
];

const yamlPlacement = { placement: { cloud: 'lab', region: { fromHostVar: 'role', map: { compute: 'ord' } } } };
const yamlAll = { env: 'lab', managed: true };
const yamlHosts: HostRecord[] = [
  host({ key: 'bastion.example.com', ipAddress: '203.0.113.5', attributes: { ...yamlAll, ansible_host: '203.0.113.5' } }),
  // compute (priority 10) merges after storage (priority 1) although 'compute' < 'storage'.
  host({ key: 'nodea.example.com', labels: ['compute', 'storage'], attributes: { ...yamlAll, role: 'compute' }, placement: { cloud: 'lab', region: 'ord' } }),
  host({ key: 'nodeb.example.com', labels: ['compute'], attributes: { ...yamlAll, role: 'compute' }, placement: { cloud: 'lab', region: 'ord' } }),
  host({ key: 'nodec.example.com', labels: ['compute'], attributes: { ...yamlAll, role: 'compute' }, placement: { cloud: 'lab', region: 'ord' } }),
  host({
    key: 'node-gpu.example.com',
    ipAddress: '2001:db8::10',
    labels: ['compute', 'gpu'],
    attributes: { ...yamlAll, role: 'gpu', ansible_host: '2001:db8::10', gpu: { vendor: 'nvidia', count: 4 } },
    placement: { cloud: 'lab', region: 'gpu' },
  }),
];

for (const [label, fixture, expectedHosts, extra] of [
  ['ansible (INI file)', 'hosts.ini', iniHosts, iniPlacement],
  ['ansible (YAML file)', 'inventory.yml', yamlHosts, yamlPlacement],
] as const) {
  defineSourceContract(label, async () => {
    const copy = await scratch(fixture);
    return {
      source: source(copy.path, extra),
      expectedHosts: [...expectedHosts],
      breakSource: () => rewrite(copy.path, fixture.endsWith('.ini') ? '[web]\nweb1 ok=1 broken\n' : 'all:\n  hosts: [\n'),
      cleanup: copy.remove,
    };
  });
}

describe('ansible inventory source', () => {
  describe('configuration', () => {
    it('names the missing field and a bad pattern with their place in the sources file', () => {
      expect(() => parseAnsibleConfig({ name: 'a', kind: 'ansible', connection: {} }, 'sources[2]')).toThrow('sources[2].connection.path: required');
      expect(() => parseAnsibleConfig({ name: 'a', kind: 'ansible', connection: { path: 'x', wacth: true }, placement: { region: { fromGroupPattern: '(' } } }, 'sources[2]')).toThrow(
        'sources[2].connection.wacth: unknown field\nsources[2].placement.region.fromGroupPattern: must be a valid regular expression',
      );
    });

    it('reads nothing when built: a missing inventory is DOWN, not a failed start', async () => {
      const s = source('/nonexistent/inventory.ini');
      expect(await s.health()).toEqual({ status: 'DOWN', lastError: expect.stringContaining('/nonexistent/inventory.ini: cannot read the inventory (ENOENT)'), latencyMs: null });
    });
  });

  describe('INI and YAML formats', () => {
    it('expands host ranges: zero padding, letters, steps, several ranges', () => {
      expect(expandHostRange('web[01:03].example.com')).toEqual(['web01.example.com', 'web02.example.com', 'web03.example.com']);
      expect(expandHostRange('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
      expect(expandHostRange('n[0:10:5]')).toEqual(['n0', 'n5', 'n10']);
      expect(expandHostRange('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
      expect(() => expandHostRange('w[01:100]')).toThrow('equal-length');
    });

    it('splits host lines as shlex does and evaluates values as Python literals', () => {
      expect(shlexSplit(`h a="x y" b='c d' e=f\\ g # note`)).toEqual(['h', 'a=x y', 'b=c d', 'e=f g']);
      expect(() => shlexSplit('h a="open')).toThrow('No closing quotation');
      const cases: Array<[string, unknown]> = [
        ['80', 80], ['-1.5', -1.5], ['True', true], ['None', null], ["'a b'", 'a b'], ['"x"', 'x'],
        ["[1, 'x', (2, 3)]", [1, 'x', [2, 3]]], ["{'k': {'n': 1}}", { k: { n: 1 } }],
        ['010', '010'], ['yes', 'yes'], ['10.0.0.1', '10.0.0.1'], ['a b', 'a b'], ["{'k':", "{'k':"],
      ];
      for (const [text, value] of cases) expect(parsePythonLiteral(text), text).toEqual(value);
    });

    it('labels hosts with the groups they reach through children', async () => {
      const [db1] = (await source(join(FIXTURES, 'hosts.ini')).load(['db1.example.com'])) as HostRecord[];
      expect(db1!.labels).toEqual(['db', 'region_ord']);
    });

    it('merges group vars parents first, children over parents, host vars last', async () => {
      const [web01, web04, gateway] = (await source(join(FIXTURES, 'hosts.ini')).load(['web01.example.com', 'web04.example.com', 'gateway.example.com'])) as HostRecord[];
      expect([web01!.attributes.http_port, web04!.attributes.http_port, gateway!.attributes.http_port]).toEqual([8080, 80, 1]);
    });

    it('orders sibling groups by ansible_group_priority, then name', async () => {
      const copy = await scratch('inventory.yml');
      try {
        const s = source(copy.path);
        expect(((await s.load(['nodea.example.com']))[0] as HostRecord).attributes.role).toBe('compute');
        await rewrite(copy.path, (await readFile(copy.path, 'utf8')).replace('ansible_group_priority: 10', 'ansible_group_priority: 1'));
        expect(((await s.load(['nodea.example.com']))[0] as HostRecord).attributes.role).toBe('storage');
      } finally {
        await copy.remove();
      }
    });
  });

  describe('a directory', () => {
    let hosts: Map<string, HostRecord>;
    beforeAll(async () => {
      const page = await source(join(FIXTURES, 'dir')).list({}, { limit: 100, cursor: null });
      hosts = new Map(page.hosts.map((h) => [h.key, h]));
    });

    it('reads every inventory file in ASCII order, subdirectories too, skipping hidden, *.md and *.retry', () => {
      expect([...hosts.keys()].sort()).toEqual(['app1.example.com', 'app2.example.com', 'app3.example.com', 'app4.example.com']);
      expect(hosts.get('app4.example.com')).toMatchObject({ labels: ['extra'], ipAddress: '10.0.4.4' });
    });

    it('lets a later file override an earlier one, group_vars/ the inventory, host_vars/ the group_vars', () => {
      expect(hosts.get('app1.example.com')!.attributes).toEqual({ env: 'dir', port: 8080, team: 'payments', owner: 'alice' });
      expect(hosts.get('app2.example.com')!.attributes).toEqual({ env: 'dir', port: 8080, team: 'payments', owner: 'app-team', extra: true });
      expect(hosts.get('app3.example.com')!.attributes).toEqual({ env: 'dir' });
    });
  });

  describe('changes on disk', () => {
    let copy: Awaited<ReturnType<typeof scratch>>;
    beforeAll(async () => {
      copy = await scratch('hosts.ini');
    });
    afterAll(() => copy.remove());

    it('re-reads the file when it changes', async () => {
      const s = source(copy.path);
      expect((await s.list({}, { limit: 100, cursor: null })).hosts).toHaveLength(7);
      await rewrite(copy.path, '[web]\nweb[1:2] role=new\n');
      expect((await s.list({}, { limit: 100, cursor: null })).hosts.map((h) => h.key)).toEqual(['web1', 'web2']);
      expect(((await s.load(['web1']))[0] as HostRecord).attributes).toEqual({ role: 'new' });
    });

    it('keeps the first read with watch: false', async () => {
      await rewrite(copy.path, 'only1\n', 10);
      const s = AnsibleInventorySource.fromConfig({ name: 'still', kind: 'ansible', connection: { path: copy.path, watch: false } }, testDeps());
      expect((await s.list({}, { limit: 10, cursor: null })).hosts.map((h) => h.key)).toEqual(['only1']);
      await rewrite(copy.path, 'only2\n', 20);
      expect((await s.list({}, { limit: 10, cursor: null })).hosts.map((h) => h.key)).toEqual(['only1']);
    });

    it('goes DOWN naming the file and line of a malformed INI file, and UP once it is fixed', async () => {
      const s = source(copy.path);
      await rewrite(copy.path, '[web]\nweb1\nweb2 role=web color\n', 30);
      const expected = `${copy.path}:3: Expected key=value host variable assignment, got: color`;
      await expect(s.list({}, { limit: 10, cursor: null })).rejects.toThrow(expected);
      expect(await s.health()).toEqual({ status: 'DOWN', lastError: expected, latencyMs: null });
      expect((await s.load(['web1']))[0]).toMatchObject({ name: 'InventoryError', message: expected, line: 3, file: copy.path });
      await rewrite(copy.path, '[web]\nweb1\n', 40);
      expect((await s.health()).status).toBe('UP');
    });

    it('names the file and line of malformed YAML and of bad INI sections', async () => {
      const yml = join(copy.dir, 'broken.yml');
      await rewrite(yml, 'all:\n  hosts:\n    a:\n   b: 1\n');
      expect((await source(yml).health()).lastError).toBe(`${yml}:4: bad indentation of a mapping entry`);
      await rewrite(yml, 'all:\n  children:\n    web:\n      hosts:\n        - web1\n', 10);
      expect((await source(yml).health()).lastError).toBe(`${yml}:4: invalid "hosts" entry for "web" group, requires a dictionary, found a list instead`);
      await rewrite(copy.path, 'h1\n[web:hosts]\nw\n[web:nope]\n', 50);
      expect((await source(copy.path).health()).lastError).toBe(`${copy.path}:4: Section [web:nope] has unknown type: nope`);
      await rewrite(copy.path, '[a:children]\nb\n[b:children]\na\n', 60);
      expect((await source(copy.path).health()).lastError).toBe(`${copy.path}:4: adding group 'a' as a child of 'b' creates a dependency loop`);
    });
  });
});
