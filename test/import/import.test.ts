// Bulk import through importFleet on a real gateway's store, checked through the GraphQL API and the tables:
// objects, parents (closure), labels, variables, change records; idempotence, updates, rejections, dry runs,
// constant SQL per chunk, and export → import round trips, on SQLite and MariaDB.
import { dump } from 'js-yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportRecords, exportText, type ExportFormat } from '../../src/export/index.js';
import { openSource } from '../../src/import/formats.js';
import { importFleet, type ImportRecord, type ImportSummary } from '../../src/import/index.js';
import { countStatements } from '../../src/store/sql-counter.js';
import { exclusiveWrite } from '../../src/store/transaction.js';
import { labelsOfDevices } from '../../src/inventory/loaders.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { describeEachStore } from '../helpers/stores.js';
import { smallFleet, textStream } from './store.js';

describeEachStore('bulk import', (store) => {
  let t: TestGateway;
  let projectId: number;
  let projects = 0;

  beforeAll(async () => {
    t = await startGateway(store);
    const [p] = await t.gateway.dataSource.query("SELECT `id` FROM `projects` WHERE `name` = 'default'");
    projectId = Number(p.id);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const ds = () => t.gateway.dataSource;
  /** A fresh project in the gateway's store (root acts in it with X-Craton-Project). */
  async function newProject(): Promise<{ id: number; gid: string }> {
    projects += 1;
    const data = await t.ok('mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }', { input: { name: `import-${projects}` } });
    const gid = data.createProject.id as string;
    return { id: Number(Buffer.from(gid, 'base64url').toString().split(':')[2]), gid };
  }
  const run = (pid: number, source: Iterable<ImportRecord> | AsyncIterable<any>, extra: Partial<Parameters<typeof importFleet>[1]> = {}) =>
    importFleet(ds(), { projectId: pid, source, ...extra });
  const exported = async (pid: number) => {
    const out: ImportRecord[] = [];
    for await (const r of exportRecords(ds(), { projectId: pid })) out.push(r);
    return out;
  };
  const count = async (table: string, pid: number) => Number((await ds().query(`SELECT COUNT(*) AS n FROM \`${table}\` WHERE \`project_id\` = ?`, [pid]))[0].n);

  it('imports a YAML fleet: hierarchy, devices, parents, labels, variables and change records', async () => {
    const yaml = `# fleet\n${smallFleet().map((r) => dump([r])).join('')}`;
    const source = openSource(textStream(yaml), 'yaml');
    const summary = await run(projectId, source.rows, { actor: 'alice' });
    expect(summary.rejected).toEqual([]);
    expect(summary).toMatchObject({ rows: 9, created: 9, updated: 0, unchanged: 0, rejectedCount: 0, chunks: 1 });
    expect(summary.byKind).toMatchObject({ cloud: { created: 1 }, region: { created: 2 }, cell: { created: 1 }, host: { created: 4 }, network_device: { created: 1 } });

    const data = await t.ok(`{ hosts(first: 10, filter: { nameContains: "-" }) { totalCount edges { node {
      name ipAddress deviceType active note labels region { name } cell { name } parent { name }
      resolvedVariables variableOrigins { key holder { __typename } }
    } } } }`);
    const hosts = Object.fromEntries(data.hosts.edges.map((e: any) => [e.node.name, e.node]));
    expect(Object.keys(hosts).sort()).toEqual(['ct-1', 'hv-1', 'hv-2', 'vm-1']);
    expect(hosts['hv-1']).toMatchObject({ ipAddress: '10.1.0.1', deviceType: 'hypervisor', labels: ['compute', 'hypervisor'], region: { name: 'ord' }, cell: { name: 'c1' }, parent: null });
    expect(hosts['ct-1']).toMatchObject({ ipAddress: null, deviceType: 'container', active: false, note: 'nested', parent: { name: 'vm-1' }, labels: [] });
    // The grandchild inherits from its parent (os), its grandparent (hardware), its cell, region and cloud.
    expect(hosts['ct-1'].resolvedVariables).toEqual({
      os: { distro: 'debian' }, hardware: { disks: [{ vendor: 'Seagate', size_gb: 960 }] }, rack_row: 4, ntp: ['10.0.0.1'], owner: 'infra',
    });
    expect(Object.fromEntries(hosts['ct-1'].variableOrigins.map((o: any) => [o.key, o.holder.__typename]))).toMatchObject({ os: 'Host', hardware: 'Host', rack_row: 'Cell', ntp: 'Region', owner: 'Cloud' });
    const sw = await t.ok('{ networkDevices(first: 5) { edges { node { name modelName osVersion vlans labels } } } }');
    expect(sw.networkDevices.edges[0].node).toEqual({ name: 'sw-1', modelName: 'QFX5120', osVersion: '21.4', vlans: [100, 200], labels: ['tor'] });

    const closure = await ds().query('SELECT d.`name` AS device, a.`name` AS ancestor, c.`depth` FROM `device_ancestors` c JOIN `devices` d ON d.`id` = c.`device_id` JOIN `devices` a ON a.`id` = c.`ancestor_id` ORDER BY d.`name`, c.`depth`');
    expect(closure.map((r: any) => [r.device, r.ancestor, Number(r.depth)])).toEqual([['ct-1', 'vm-1', 1], ['ct-1', 'hv-1', 2], ['vm-1', 'hv-1', 1]]);

    const changes = await t.ok('{ changes(first: 20) { totalCount edges { node { actor action objectType after } } } }');
    expect(changes.changes.totalCount).toBe(9);
    expect(changes.changes.edges.every((e: any) => e.node.actor === 'alice' && e.node.action === 'CREATE')).toBe(true);
    const vm = changes.changes.edges.find((e: any) => e.node.after.name === 'vm-1').node;
    expect(vm).toMatchObject({ objectType: 'Host', after: { labels: ['vm'], variables: { os: { distro: 'debian' } }, ipAddress: '10.1.1.1' } });
    expect(vm.after.parentId).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('imports CSV and JSON to the same inventory as YAML', async () => {
    const fleet = smallFleet();
    const csv = [
      'kind,cloud,region,cell,name,parent,ip_address,device_type,active,note,labels,model_name,os_version,vlans,vars,var.os',
      'cloud,,,,prod,,,,,,,,,,"{""owner"":""infra""}",',
      'region,prod,,,ord,,,,,Chicago,,,,,"{""ntp"":[""10.0.0.1""]}",',
      'region,prod,,,dfw,,,,,,,,,,,',
      'cell,prod,ord,,c1,,,,,,,,,,"{""rack_row"":4}",',
      'host,prod,ord,c1,hv-1,,10.1.0.1,hypervisor,,,compute;hypervisor,,,,"{""hardware"":{""disks"":[{""vendor"":""Seagate"",""size_gb"":960}]}}","{""distro"":""ubuntu""}"',
      'host,prod,ord,c1,vm-1,hv-1,10.1.1.1,vm,true,,vm,,,,,"{""distro"":""debian""}"',
      'host,prod,ord,c1,ct-1,vm-1,,container,false,nested,,,,,,',
      'network_device,prod,ord,,sw-1,,10.1.0.254,,,,tor,QFX5120,21.4,"[100,200]",,',
      'host,prod,dfw,,hv-2,,10.2.0.1,,,,compute,,,,,',
    ].join('\r\n');
    const a = await newProject();
    const b = await newProject();
    const c = await newProject();
    const fromCsv = await run(a.id, openSource(textStream(csv), 'csv').rows);
    expect(fromCsv.rejected).toEqual([]);
    expect(fromCsv.created).toBe(9);
    const jsonl = fleet.map((r) => JSON.stringify(r)).join('\n');
    expect((await run(b.id, openSource(textStream(jsonl), 'json').rows)).created).toBe(9);
    expect((await run(c.id, fleet)).created).toBe(9);
    const expected = await exported(c.id);
    expect(await exported(a.id)).toEqual(expected);
    expect(await exported(b.id)).toEqual(expected);
    expect(expected.find((r) => r.name === 'ct-1')).toEqual({ kind: 'host', cloud: 'prod', region: 'ord', cell: 'c1', name: 'ct-1', parent: 'vm-1', device_type: 'container', active: false, note: 'nested' });
  });

  it('is idempotent: a second run creates nothing, changes nothing and records no change', async () => {
    const p = await newProject();
    await run(p.id, smallFleet());
    const changes = await count('changes', p.id);
    const again = await run(p.id, smallFleet());
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 9, rejectedCount: 0 });
    expect(await count('changes', p.id)).toBe(changes);
    expect(await count('devices', p.id)).toBe(5);
    expect(await count('labels', p.id)).toBe(5);
  });

  it('updates what changed: fields, labels, variables, cell and parent (closure rewritten), with UPDATE records', async () => {
    const p = await newProject();
    await run(p.id, [...smallFleet(), { kind: 'cell', cloud: 'prod', region: 'ord', name: 'c2' }]);
    const before = await count('changes', p.id);
    const summary = await run(p.id, [
      { kind: 'region', cloud: 'prod', name: 'ord', note: 'Chicago, IL' },
      { kind: 'host', cloud: 'prod', region: 'ord', cell: 'c2', name: 'hv-1', ip_address: '10.1.0.99', labels: ['compute', 'gpu'], vars: { os: { distro: 'rocky' }, gpu: true } },
      // vm-1 moves from hv-1 to the new hv-3; its child ct-1 follows.
      { kind: 'host', cloud: 'prod', region: 'ord', name: 'hv-3' },
      { kind: 'host', cloud: 'prod', region: 'ord', name: 'vm-1', parent: 'hv-3' },
      { kind: 'host', cloud: 'prod', region: 'dfw', name: 'hv-2', ip_address: '10.2.0.1' },
    ], { actor: 'bob' });
    expect(summary.rejected).toEqual([]);
    expect(summary).toMatchObject({ created: 1, updated: 3, unchanged: 1 });
    const rows = await ds().query('SELECT d.`name`, d.`ip_address`, c.`name` AS cell, p.`name` AS parent FROM `devices` d LEFT JOIN `cells` c ON c.`id` = d.`cell_id` LEFT JOIN `devices` p ON p.`id` = d.`parent_id` WHERE d.`project_id` = ? ORDER BY d.`name`', [p.id]);
    expect(rows.find((r: any) => r.name === 'hv-1')).toMatchObject({ ip_address: '10.1.0.99', cell: 'c2', parent: null });
    expect(rows.find((r: any) => r.name === 'vm-1')).toMatchObject({ parent: 'hv-3' });
    const closure = await ds().query('SELECT d.`name` AS device, a.`name` AS ancestor, c.`depth` FROM `device_ancestors` c JOIN `devices` d ON d.`id` = c.`device_id` JOIN `devices` a ON a.`id` = c.`ancestor_id` WHERE d.`project_id` = ? ORDER BY d.`name`, c.`depth`', [p.id]);
    expect(closure.map((r: any) => [r.device, r.ancestor, Number(r.depth)])).toEqual([['ct-1', 'vm-1', 1], ['ct-1', 'hv-3', 2], ['vm-1', 'hv-3', 1]]);
    const labels = await ds().query('SELECT l.`label` FROM `labels` l JOIN `devices` d ON d.`id` = l.`device_id` WHERE d.`name` = ? AND d.`project_id` = ? ORDER BY l.`label`', ['hv-1', p.id]);
    expect(labels.map((r: any) => r.label)).toEqual(['compute', 'gpu']);
    const changes = await ds().query('SELECT `actor`, `action`, `object_type`, `before`, `after` FROM `changes` WHERE `project_id` = ? AND `id` > 0 ORDER BY `id`', [p.id]);
    const mine = changes.slice(before);
    expect(mine).toHaveLength(4);
    const hv1 = mine.find((c: any) => c.object_type === 'Host' && JSON.parse(c.after).ipAddress);
    expect(JSON.parse(hv1.before)).toMatchObject({ ipAddress: '10.1.0.1', labels: ['compute', 'hypervisor'], variables: { os: { distro: 'ubuntu' }, gpu: null } });
    expect(JSON.parse(hv1.after)).toMatchObject({ ipAddress: '10.1.0.99', labels: ['compute', 'gpu'], variables: { os: { distro: 'rocky' }, gpu: true } });
    expect(JSON.parse(hv1.before).variables).not.toHaveProperty('hardware');
    expect(mine.every((c: any) => c.actor === 'bob')).toBe(true);
    expect(JSON.parse(mine.find((c: any) => c.object_type === 'Region').after)).toEqual({ note: 'Chicago, IL' });
  });

  it('rejects bad rows with their line and reason and writes nothing of them; the rest of the chunk commits', async () => {
    const p = await newProject();
    const yaml = [
      '- {kind: cloud, name: prod}',
      '- {kind: region, cloud: prod, name: ord}',
      '- {kind: host, cloud: prod, region: ord, name: ok-1, labels: [a]}',
      '- {kind: host, cloud: prod, region: ord, name: bad-ip, ip_address: 10.0.0.300, labels: [a], vars: {x: 1}}',
      '- {kind: host, cloud: prod, region: nowhere, name: lost}',
      '- {kind: host, cloud: prod, region: ord, name: orphan, parent: later}',
      '- {kind: host, cloud: prod, region: ord, name: later}',
      '- {kind: host, cloud: prod, region: ord, name: typo, ipaddress: 10.0.0.1}',
      '- {kind: server, name: what}',
      '- {kind: host, cloud: prod, region: ord, name: 42}',
      '- {kind: host, cloud: prod, region: ord, name: child-of-bad, parent: bad-ip}',
      '- {kind: host, cloud: prod, region: ord, name: ok-2, parent: ok-1}',
      '- [not, a, mapping]',
    ].join('\n');
    const summary = await run(p.id, openSource(textStream(yaml), 'yaml').rows);
    expect(summary).toMatchObject({ created: 5, rejectedCount: 8 });
    const reasons = Object.fromEntries(summary.rejected.map((r) => [r.line, r.reason]));
    expect(reasons[4]).toBe("ip_address must be an IPv4 or IPv6 address, got '10.0.0.300'");
    expect(reasons[5]).toBe("region 'nowhere' not found in cloud 'prod': add a region row for it first");
    expect(reasons[6]).toBe("parent 'later' not found in region 'ord': a parent must exist already or come earlier in the file");
    expect(reasons[8]).toMatch(/^unknown field 'ipaddress'/);
    expect(reasons[9]).toMatch(/^kind must be one of cloud, region, cell, host, network_device, got "server"/);
    expect(reasons[10]).toBe('name must be a string, got number 42 (quote it)');
    expect(reasons[11]).toMatch(/^parent 'bad-ip' not found/);
    expect(reasons[13]).toMatch(/^expected a mapping/);
    expect(summary.rejected.find((r) => r.line === 4)!.record).toEqual({ kind: 'host', name: 'bad-ip', cloud: 'prod', region: 'ord' });
    const names = (await ds().query('SELECT `name` FROM `devices` WHERE `project_id` = ? ORDER BY `name`', [p.id])).map((r: any) => r.name);
    expect(names).toEqual(['later', 'ok-1', 'ok-2']);
    expect(await count('labels', p.id)).toBe(1);
    expect(Number((await ds().query("SELECT COUNT(*) AS n FROM `variables` WHERE `project_id` = ? AND `owner_type` = 'device'", [p.id]))[0].n)).toBe(0);
    expect(await count('changes', p.id)).toBe(5);
  });

  it('rejects a move that would make a parent cycle, whole, and keeps the tree as it was', async () => {
    const p = await newProject();
    await run(p.id, smallFleet());
    const summary = await run(p.id, [{ kind: 'host', cloud: 'prod', region: 'ord', name: 'hv-1', parent: 'ct-1', ip_address: '10.9.9.9' }]);
    expect(summary.rejected).toEqual([{ line: 1, record: { kind: 'host', name: 'hv-1', cloud: 'prod', region: 'ord' }, reason: "parent: a device cannot have a descendant as its parent ('ct-1' is below 'hv-1')" }]);
    const hv = await ds().query('SELECT `ip_address`, `parent_id` FROM `devices` WHERE `project_id` = ? AND `name` = ?', [p.id, 'hv-1']);
    expect(hv[0]).toMatchObject({ ip_address: '10.1.0.1', parent_id: null });
  });

  it('writes the second of two rows for the same object as an update, in a new chunk', async () => {
    const p = await newProject();
    const summary = await run(p.id, [...smallFleet().slice(0, 4), { kind: 'host', cloud: 'prod', region: 'ord', name: 'x', ip_address: '10.0.0.1' }, { kind: 'host', cloud: 'prod', region: 'ord', name: 'x', ip_address: '10.0.0.2' }]);
    expect(summary).toMatchObject({ created: 5, updated: 1, chunks: 2 });
    expect((await ds().query('SELECT `ip_address` FROM `devices` WHERE `project_id` = ?', [p.id]))[0].ip_address).toBe('10.0.0.2');
  });

  it('dry run reports what would change, across chunks, and writes nothing', async () => {
    const p = await newProject();
    const summary = await run(p.id, [...smallFleet(), { kind: 'host', cloud: 'prod', region: 'ord', name: 'ct-1', note: 'again' }], { dryRun: true, chunkSize: 3 });
    expect(summary.rejected).toEqual([]);
    expect(summary).toMatchObject({ dryRun: true, created: 9, updated: 1, chunks: 0 });
    for (const table of ['clouds', 'regions', 'cells', 'devices', 'labels', 'variables', 'changes']) expect(await count(table, p.id)).toBe(0);
    await run(p.id, smallFleet());
    const changes = await count('changes', p.id);
    const dry = await run(p.id, [{ kind: 'host', cloud: 'prod', region: 'ord', name: 'hv-1', ip_address: '10.0.0.7' }], { dryRun: true });
    expect(dry).toMatchObject({ updated: 1 });
    expect(await count('changes', p.id)).toBe(changes);
    expect((await ds().query('SELECT `ip_address` FROM `devices` WHERE `project_id` = ? AND `name` = ?', [p.id, 'hv-1']))[0].ip_address).toBe('10.1.0.1');
  });

  it('costs the same SQL statements for every chunk: 2,000 hosts in chunks of 1,000 cost twice 1,000', async () => {
    const hostsOf = (from: number, n: number, variant = ''): ImportRecord[] => Array.from({ length: n }, (_, i) => {
      const k = from + i;
      // Pairs: an even host is a parent, the next odd one its child (in the same chunk).
      return { kind: 'host', cloud: 'c', region: 'r', name: `h${k}`, ...(k % 2 ? { parent: `h${k - 1}` } : {}), ip_address: `10.${k >> 16 & 255}.${k >> 8 & 255}.${k & 255}`, labels: ['a', `b${k % 3}`], vars: { hw: { disks: [k, variant] }, rack: `r${k % 10}` } };
    });
    const measure = async (pid: number, records: ImportRecord[]) => {
      const tally = { statements: 0 };
      const summary = await countStatements(tally, () => run(pid, records, { chunkSize: 1000 }));
      return { statements: tally.statements, summary };
    };
    const p = await newProject();
    await run(p.id, [{ kind: 'cloud', name: 'c' }, { kind: 'region', cloud: 'c', name: 'r' }]);
    const one = await measure(p.id, hostsOf(0, 1000));
    const two = await measure(p.id, hostsOf(1000, 2000));
    expect(one.summary.created).toBe(1000);
    expect(two.summary.created).toBe(2000);
    const fixed = 4; // the project check and the three hierarchy loads, once per import
    expect(two.statements - fixed).toBe(2 * (one.statements - fixed));
    expect(one.statements - fixed).toBeLessThanOrEqual(16);
    // Updates too: every host changes one variable.
    const upOne = await measure(p.id, hostsOf(0, 1000, 'v2'));
    const upTwo = await measure(p.id, hostsOf(1000, 2000, 'v2'));
    expect(upOne.summary.updated).toBe(1000);
    expect(upTwo.statements - fixed).toBe(2 * (upOne.statements - fixed));
  });

  for (const format of ['csv', 'json', 'yaml'] as ExportFormat[]) {
    it(`round-trips export → import in ${format.toUpperCase()}`, async () => {
      const a = await newProject();
      await run(a.id, [...smallFleet(), { kind: 'host', cloud: 'prod', region: 'dfw', name: 'far-child', parent: 'vm-1', parent_region: 'ord', labels: ['odd;label'], note: 'quote " and, comma\nnewline' }]);
      let text = '';
      for await (const piece of exportText(exportRecords(ds(), { projectId: a.id, pageSize: 2 }), format)) text += piece;
      const b = await newProject();
      const summary: ImportSummary = await run(b.id, openSource(textStream(text, 64), format).rows);
      expect(summary.rejected).toEqual([]);
      expect(summary.created).toBe(10);
      expect(await exported(b.id)).toEqual(await exported(a.id));
      const again = await run(b.id, openSource(textStream(text, 64), format).rows);
      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 10 });
    });
  }

  it('leaves SQLite full planner statistics, and the labels of a page are read by device, whatever the statistics say', async () => {
    if (store !== 'sqlite') return; // InnoDB keeps its own statistics
    const p = await newProject();
    const hosts: ImportRecord[] = Array.from({ length: 600 }, (_, k) => ({ kind: 'host', cloud: 'sc', region: 'sr', name: `s${k}`, labels: ['x', `y${k % 7}`, `z${k % 3}`] }));
    await run(p.id, [{ kind: 'cloud', name: 'sc' }, { kind: 'region', cloud: 'sc', name: 'sr' }, ...hosts]);
    const total = Number((await ds().query('SELECT COUNT(*) AS n FROM labels'))[0].n);
    expect(total).toBeGreaterThanOrEqual(1800);
    // A sampled ANALYZE (analysis_limit) would say ~1001 rows per project here; a full one counts them.
    const [stat] = await ds().query("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_labels_project_label'");
    const projects = Number((await ds().query('SELECT COUNT(DISTINCT project_id) AS n FROM labels'))[0].n);
    expect(Math.abs(Number(String(stat.stat).split(' ')[1]) - total / projects)).toBeLessThan(1);
    // Misleading statistics (one label per project) must not move the loader off the device key.
    await exclusiveWrite(ds(), async () => {
      await ds().query("UPDATE sqlite_stat1 SET stat = ? WHERE idx = 'ix_labels_project_label'", [`${total} 1 1 1`]);
      await ds().query('ANALYZE sqlite_schema');
    });
    const ids = (await ds().query('SELECT id FROM devices WHERE project_id = ? ORDER BY id LIMIT 500', [p.id])).map((r: { id: number }) => r.id);
    const plan = (await ds().query(`EXPLAIN QUERY PLAN ${labelsOfDevices(ids.length)}`, [p.id, ...ids])).map((r: { detail: string }) => r.detail).join('; ');
    expect(plan).toMatch(/USING (COVERING )?INDEX sqlite_autoindex_labels_1 \(device_id=\?\)/);
    await exclusiveWrite(ds(), () => ds().query('ANALYZE'));
  });
});
