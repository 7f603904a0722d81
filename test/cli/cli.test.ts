// The craton CLI, run in-process (runCli) against a real gateway and its store: import/export on the store,
// hosts, vars and keys through the API, exit statuses and error messages.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { describeEachStore } from '../helpers/stores.js';
import { craton } from './io.js';

const FLEET = join(projectRoot, 'examples', 'fleet.yaml');

describeEachStore('craton CLI', (store) => {
  let t: TestGateway;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await startGateway(store);
    env = { CRATON_URL: t.url, CRATON_API_KEY: t.rootKey, CRATON_DATABASE_URL: t.databaseUrl, CRATON_LOG_LEVEL: 'silent' };
    const first = await craton(['import', FLEET], env);
    if (first.code !== 0) throw new Error(`import of the example fleet failed: ${first.stdout}${first.stderr}`);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('imports the example fleet into the store and says what it did; again, everything is unchanged', async () => {
    const again = await craton(['import', FLEET, '--json'], env);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ rows: 412, created: 0, updated: 0, unchanged: 412, rejectedCount: 0 });
    expect(summary.byKind).toMatchObject({ cloud: { unchanged: 1 }, region: { unchanged: 3 }, cell: { unchanged: 12 }, host: { unchanged: 384 }, network_device: { unchanged: 12 } });
    const dry = await craton(['import', FLEET, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^DRY RUN \(nothing written\): .*fleet\.yaml → project 'default'/);
    expect(dry.stdout).toMatch(/\| host +\| 0 +\| 0 +\| 384 +\| 0 +\|/);
    expect(dry.stderr).toMatch(/import: 100%, 412 rows/);
  });

  it('exits 1 and lists rejected rows with line and reason', async () => {
    const csv = 'kind,cloud,region,name,ip_address\nhost,prod,ord,cli-ok,10.9.0.1\nhost,prod,ord,cli-bad,999.1.1.1\nhost,prod,nowhere,cli-lost,\n';
    const r = await craton(['import', '-', '--format', 'csv'], env, csv);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("line 3 (host 'cli-bad'): ip_address must be an IPv4 or IPv6 address, got '999.1.1.1'");
    expect(r.stdout).toContain("line 4 (host 'cli-lost'): region 'nowhere' not found in cloud 'prod'");
    expect(r.stdout).toMatch(/\| total +\| 1 +\| 0 +\| 0 +\| 2 +\|/);
  });

  it('lists hosts as a table (the original columns) or JSON, filtered by label, region and variables, paging with --all', async () => {
    const table = await craton(['hosts', 'list', '--label', 'hypervisor', '--region', 'ord', '--limit', '3'], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^\| id +\| name +\| ip_address +\| device_type +\| active +\| region +\| cell +\| labels +\|$/);
    expect(lines).toHaveLength(3 + 3 + 1);
    expect(lines[3]).toMatch(/\| ord-c1-hv01 +\| 10\.1\.16\.11 +\| hypervisor +\| (true|false) +\| ord +\| ord-c1 +\| compute, hypervisor, rack-ord-r01/);
    expect(table.stderr).toBe('3 of 32 hosts shown; use --limit N or --all for more\n');
    const all = await craton(['--json', 'hosts', 'list', '--label', 'hypervisor', '--all'], env);
    const hosts = JSON.parse(all.stdout);
    expect(hosts).toHaveLength(96);
    expect(Object.keys(hosts[0]).sort()).toEqual(['active', 'cell', 'device_type', 'id', 'ip_address', 'labels', 'name', 'region']);
    const seagate = await craton(['--json', 'hosts', 'list', '--all', '--label', 'storage', '--vars', 'hardware.disks[*].vendor:"Seagate"'], env);
    const stores = JSON.parse(seagate.stdout);
    expect(stores.length).toBeGreaterThan(0);
    expect(stores.every((h: any) => h.labels.includes('storage'))).toBe(true);
  });

  it('shows one host with its resolved variables (inherited from its hypervisor, cell, region, cloud)', async () => {
    const r = await craton(['hosts', 'show', 'ord-c1-hv01-vm1'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\+-+\+-+\+\n\| Property +\| Value +\|/);
    expect(r.stdout).toMatch(/\| parent +\| ord-c1-hv01 +\|/);
    const json = JSON.parse((await craton(['hosts', 'show', 'ord-c1-hv01-vm1', '--json'], env)).stdout);
    expect(json).toMatchObject({ name: 'ord-c1-hv01-vm1', parent: 'ord-c1-hv01', region: 'ord', cell: 'ord-c1', device_type: 'vm' });
    expect(json.resolved_variables).toMatchObject({ rack_row: 'A', timezone: 'America/Chicago', owner: 'cloud-ops', nova: { compute_service: true } });
    expect(json.resolved_variables.hardware.disks.length).toBeGreaterThan(0);
    const missing = await craton(['hosts', 'show', 'no-such-host'], env);
    expect(missing).toMatchObject({ code: 1, stderr: "craton: no host named 'no-such-host'\n" });
  });

  it('sets variables with the original auto-typing, deletes with key= and vars delete, and reads them back', async () => {
    const host = 'dfw-c2-hv03';
    const set = await craton(['--json', 'vars', 'set', host, 'a=12', 'b=1.5', 'c=true', 'd=null', 'e="12"', 'f=web', 'g={"x":[1]}'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ a: 12, b: 1.5, c: true, d: null, e: '12', f: 'web', g: { x: [1] } });
    const del = await craton(['--json', 'vars', 'set', host, 'a=', 'h=2'], env);
    expect(JSON.parse(del.stdout)).not.toHaveProperty('a');
    expect(JSON.parse(del.stdout)).toMatchObject({ h: 2 });
    await craton(['vars', 'delete', host, 'b', 'c', 'd', 'e', 'f', 'g', 'h'], env);
    const own = JSON.parse((await craton(['--json', 'vars', 'get', host], env)).stdout);
    expect(Object.keys(own).sort()).toEqual(['hardware', 'nova', 'os', 'rack']);
    const resolved = await craton(['vars', 'get', host, '--resolved'], env);
    expect(resolved.stdout).toMatch(/\| Variable +\| Value +\|/);
    expect(resolved.stdout).toMatch(/\| timezone +\| America\/Chicago +\|/);
    const fromStdin = await craton(['--json', 'vars', 'set', host], env, '{"from_stdin": {"ok": true}}');
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ from_stdin: { ok: true } });
    const bad = await craton(['vars', 'set', host, 'novalue'], env);
    expect(bad).toMatchObject({ code: 2, stderr: "craton: expected key=value (or key= to delete), got 'novalue'\n" });
  });

  it('creates, lists and revokes API keys; a revoked key is refused with its reason', async () => {
    const created = await craton(['--json', 'keys', 'create', '--name', 'ci-runner', '--expires', '2099-01-01T00:00:00Z'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ name: 'ci-runner', user: 'root', expires_at: '2099-01-01T00:00:00.000Z', revoked_at: null });
    expect(key.secret).toMatch(/^crt_/);
    const viaNewKey = await craton(['--json', 'keys', 'list'], { ...env, CRATON_API_KEY: key.secret });
    expect(JSON.parse(viaNewKey.stdout).map((k: any) => k.name)).toContain('ci-runner');
    const table = await craton(['keys', 'list'], env);
    expect(table.stdout).toMatch(/\| id +\| name +\| user +\| prefix +\| created_at +\| expires_at +\| last_used_at +\| revoked_at +\|/);
    const revoked = await craton(['keys', 'revoke', key.id], env);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${key.id}\n` });
    expect((await craton(['keys', 'revoke', key.id], env)).stdout).toBe(`${key.id} was already revoked\n`);
    const refused = await craton(['hosts', 'list'], { ...env, CRATON_API_KEY: key.secret });
    expect(refused).toMatchObject({ code: 1, stderr: 'craton: UNAUTHENTICATED: This API key has been revoked\n' });
  });

  it('exports the store back in each format', async () => {
    const yaml = await craton(['export'], env);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout.match(/^- kind: host$/gm)?.length).toBe(385);
    const csv = await craton(['export', '--format', 'csv'], env);
    expect(csv.stdout.split('\n')[0]).toBe('kind,cloud,region,cell,name,parent,parent_region,ip_address,device_type,active,note,labels,model_name,os_version,vlans,vars');
  });

  it('says what is wrong: usage errors exit 2, failures exit 1', async () => {
    expect((await craton([], env)).code).toBe(2);
    expect((await craton(['frobnicate'], env)).code).toBe(2);
    const limit = await craton(['hosts', 'list', '--limit', '0'], env);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit must be a whole number ≥ 1');
    expect(await craton(['hosts', 'list'], { ...env, CRATON_API_KEY: undefined })).toMatchObject({ code: 2, stderr: 'craton: no API key: set CRATON_API_KEY or pass --api-key\n' });
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const down = await craton(['hosts', 'list', '--url', `http://127.0.0.1:${port}`], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^craton: cannot reach Craton at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is the gateway running\?/);
    const noFile = await craton(['import', '/nonexistent/fleet.yaml'], env);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toBe("craton: cannot read '/nonexistent/fleet.yaml': no such file\n");
    const format = await craton(['import', '/tmp/fleet.txt'], env);
    expect(format).toMatchObject({ code: 1, stderr: "craton: cannot tell the format of '/tmp/fleet.txt': name it with --format csv|json|yaml\n" });
    expect((await craton(['help'], env)).code).toBe(0);
  });
});
