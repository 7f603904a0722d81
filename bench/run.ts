// `npm run bench` (full: 10k and 100k hosts) or `npm run bench -- --quick` (10k hosts, short durations).
// Runs every scenario on SQLite, and on MariaDB/MySQL when CRATON_BENCH_MYSQL_URL is set, each against a
// baseline measured in this same process on the same data; prints one table and writes it as JSON to
// bench/results/latest.json. Options: --stores sqlite,mysql  --only 1,3,6  --seed N  --out PATH. See bench/README.md.
import '../src/production.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectRoot, redact } from '../src/config.js';
import type { Gateway } from '../src/server.js';
import { intValue, parseArgs } from './lib/args.js';
import { closeAgent, startGateway } from './lib/client.js';
import { defaultProject } from './lib/dataset.js';
import { formatTable, newReport, writeReport, type ResultRow } from './lib/results.js';
import { createBenchStore, openRaw, type BenchStore, type RawDb, type StoreKind } from './lib/store.js';
import { requireWorkflows, writeGatewayConfig } from './lib/workflows.js';
import { sizeLabel, type ScenarioContext } from './scenarios/context.js';
import { engine } from './scenarios/engine.js';
import { fanout } from './scenarios/fanout.js';
import { fleetPage } from './scenarios/fleet-page.js';
import { importBaseline, importFleetMeasured, importRow } from './scenarios/import.js';
import { throughput } from './scenarios/throughput.js';
import { varSearch } from './scenarios/var-search.js';

const STORE_NAMES: Record<StoreKind, string> = { sqlite: 'SQLite', mysql: 'MariaDB' };
const started = Date.now();
const log = (m: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

async function main(): Promise<void> {
  const { values, flags } = parseArgs(process.argv.slice(2), ['quick', 'help', 'keep']);
  if (flags.has('help')) {
    console.log('usage: npm run bench [-- --quick] [--stores sqlite,mysql] [--only 1,2,3,4,5,6] [--seed N] [--out PATH] [--keep]');
    return;
  }
  const quick = flags.has('quick');
  const seed = intValue(values, 'seed', 42);
  const only = new Set((values.get('only') ?? '1,2,3,4,5,6').split(',').map((s) => Number(s.trim())));
  const out = resolve(values.get('out') ?? join(projectRoot, 'bench', 'results', 'latest.json'));
  const mysqlUrl = process.env.CRATON_BENCH_MYSQL_URL || undefined;
  const stores = (values.get('stores') ?? (mysqlUrl ? 'sqlite,mysql' : 'sqlite')).split(',').map((s) => s.trim()) as StoreKind[];
  for (const s of stores) if (s !== 'sqlite' && s !== 'mysql') throw new Error(`--stores: unknown store '${s}'`);
  if (stores.includes('mysql') && !mysqlUrl) throw new Error('--stores mysql needs CRATON_BENCH_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306/craton_bench)');
  const sizes = quick ? [10_000] : [10_000, 100_000];
  const largest = sizes[sizes.length - 1]!;

  const report = newReport(quick ? 'quick' : 'full', seed);
  report.stores = stores.map((s) => STORE_NAMES[s]);
  if (!mysqlUrl) report.notices.push('CRATON_BENCH_MYSQL_URL is not set: MariaDB/MySQL was SKIPPED; this run covers SQLite only.');
  else report.notices.push(`MariaDB/MySQL: ${redact(mysqlUrl)} (databases <name>_fleet_N and <name>_baseline_N are created and dropped)`);
  for (const n of report.notices) log(n);
  log(`${quick ? 'quick' : 'full'} run: fleets of ${sizes.map(sizeLabel).join(' and ')} hosts, seed ${seed}, scenarios ${[...only].join(',')}`);

  const dir = mkdtempSync(join(tmpdir(), 'craton-bench-'));
  const save = () => writeReport(out, { ...report, finishedAt: new Date().toISOString() });
  const add = (rows: ResultRow[]) => {
    for (const r of rows) {
      report.rows.push(r);
      log(`${r.pass === null ? '    ' : r.pass ? 'PASS' : 'MISS'} ${r.scenario} [${r.store} ${r.size}]: ${r.ours} vs ${r.baseline}${r.notes ? ` (${r.notes})` : ''}`);
    }
    save();
  };
  const guarded = async (what: string, store: string, size: string, fn: () => Promise<ResultRow[]>) => {
    try {
      add(await fn());
    } catch (err) {
      log(`ERROR in ${what}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      add([{ scenario: what, store, size, ours: 'ERROR', oursValue: null, baseline: '—', baselineValue: null, unit: '', ratio: null, sql: '—', target: '—', pass: false,
        notes: (err instanceof Error ? err.message : String(err)).slice(0, 300) }]);
    }
  };

  try {
    for (const kind of stores) {
      const storeName = STORE_NAMES[kind];
      for (const hosts of sizes) {
        const needed = hosts === largest ? only : new Set([...only].filter((s) => s === 1 || s === 6));
        if (!needed.size) continue;
        log(`${storeName}: building a fleet of ${sizeLabel(hosts)} hosts through importFleet`);
        const store: BenchStore = await createBenchStore(kind, `fleet_${hosts}`, { dir, mysqlUrl });
        const key = `bench_${randomBytes(24).toString('hex')}`;
        let gateway: Gateway | undefined;
        let raw: RawDb | undefined;
        try {
          // The config file loads the fan-out workflow into the gateway's engine as a plugin.
          const g = await startGateway(store, key, { CRATON_CONFIG: writeGatewayConfig(dir) });
          gateway = g.gateway;
          const ds = gateway.dataSource;
          const projectId = await defaultProject(ds);
          const load = await importFleetMeasured(ds, { projectId, hosts, seed, log });
          log(`${storeName}: ${hosts} hosts imported in ${(load.elapsedMs / 1000).toFixed(1)} s`);
          if (needed.has(6)) {
            await guarded('6 bulk import (importFleet)', storeName, sizeLabel(hosts), async () => {
              log(`${storeName}: baseline: the same fleet with plain multi-row INSERTs`);
              const base = await importBaseline(kind, { hosts, seed, dir, mysqlUrl });
              return [importRow(storeName, hosts, load, base)];
            });
          }
          raw = openRaw(store);
          const ctx: ScenarioContext = { store, storeName, gateway, ep: g.ep, raw, projectId, hosts, seed, quick, log };
          if (needed.has(1)) {
            log(`${storeName} ${sizeLabel(hosts)}: 1 fleet page`);
            await guarded('1 fleet page', storeName, sizeLabel(hosts), () => fleetPage(ctx));
          }
          if (needed.has(2)) {
            log(`${storeName} ${sizeLabel(hosts)}: 2 variable search`);
            await guarded('2 var search', storeName, sizeLabel(hosts), () => varSearch(ctx));
          }
          if (needed.has(3)) {
            log(`${storeName} ${sizeLabel(hosts)}: 3 dashboard throughput`);
            await guarded('3 dashboard throughput', storeName, sizeLabel(hosts), () => throughput(ctx));
          }
          if (needed.has(5)) {
            log(`${storeName} ${sizeLabel(hosts)}: 5 workflow engine`);
            await guarded('5 engine noop', storeName, sizeLabel(hosts), async () => {
              await requireWorkflows(g.ep, ['noop']);
              return engine(ctx);
            });
          }
          if (needed.has(4)) {
            log(`${storeName} ${sizeLabel(hosts)}: 4 subscription fan-out`);
            await guarded('4 fan-out', storeName, sizeLabel(hosts), async () => {
              await requireWorkflows(g.ep, ['bench-fanout']);
              return fanout(ctx);
            });
          }
        } finally {
          await raw?.close().catch(() => undefined);
          await gateway?.stop().catch((err) => log(`stopping the gateway failed: ${err}`));
          if (!flags.has('keep')) await store.drop().catch((err) => log(`dropping ${store.where} failed: ${err}`));
          else log(`kept ${store.kind === 'sqlite' ? store.where : store.where} (key ${key})`);
        }
      }
    }
  } finally {
    closeAgent();
    if (!flags.has('keep')) rmSync(dir, { recursive: true, force: true });
  }

  report.machine.loadAvgEnd = loadavg();
  save();
  const misses = report.rows.filter((r) => r.pass === false);
  console.log('');
  console.log(`Craton benchmarks (${report.mode}, seed ${seed}, ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}) — ${report.stores.join(' + ')}`);
  for (const n of report.notices) console.log(`  note: ${n}`);
  const la = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log(`  note: load average at start ${la(report.machine.loadAvgStart)}, at end ${la(report.machine.loadAvgEnd!)} on ${report.machine.cpus} CPUs (other work on the machine skews absolute figures; ours and baseline alternate to share it)`);
  console.log('');
  console.log(formatTable(report.rows));
  console.log('');
  console.log(`${report.rows.filter((r) => r.pass === true).length} PASS, ${misses.length} MISS (targets are reported, not enforced). Details: ${out}`);
  console.log(`Total time ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

main().then(() => {
  // Every scenario stops its own servers and workers; a stray handle must not keep the benchmark alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
}, (err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
