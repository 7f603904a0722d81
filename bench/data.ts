// `npm run bench:data -- --hosts 100000 [--seed 42] [--store sqlite|mysql] [--db PATH|URL] [--fresh] [--chunk 1000]`
//
// Builds the benchmark fleet (bench/lib/fleet.ts) into a store through the product's own bulk path
// (src/import: importFleet), printing progress. Deterministic from the seed: the same arguments give the
// same fleet. The store is migrated and bootstrapped first when empty (the root key is printed once).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { projectRoot, redact, type StoreConfig } from '../src/config.js';
import { parseArgs, intValue } from './lib/args.js';
import { loadFleet, openDataSource } from './lib/dataset.js';
import type { BenchStore } from './lib/store.js';

const USAGE = 'usage: npm run bench:data -- --hosts N [--seed S] [--store sqlite|mysql] [--db PATH|URL] [--fresh] [--chunk ROWS]';

async function main(): Promise<void> {
  const { values, flags } = parseArgs(process.argv.slice(2), ['fresh', 'help']);
  if (flags.has('help')) {
    console.log(USAGE);
    return;
  }
  const hosts = intValue(values, 'hosts', 10_000);
  const seed = intValue(values, 'seed', 42);
  const chunkSize = intValue(values, 'chunk', 1000);
  const kind = values.get('store') ?? (values.get('db')?.match(/^(mysql|mariadb):/) ? 'mysql' : 'sqlite');
  if (kind !== 'sqlite' && kind !== 'mysql') throw new Error(`--store must be sqlite or mysql, got '${kind}'\n${USAGE}`);

  let store: BenchStore;
  if (kind === 'sqlite') {
    const path = resolve(values.get('db') ?? join(projectRoot, 'bench', 'results', `fleet-${hosts}-s${seed}.sqlite`));
    if (flags.has('fresh')) for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) console.log(`${path} exists: importing into it (an unchanged fleet is a no-op; --fresh starts over)`);
    const config: StoreConfig = { kind: 'sqlite', path };
    store = { kind, url: `sqlite:${path}`, config, where: path, drop: async () => undefined };
  } else {
    const url = values.get('db') ?? process.env.CRATON_BENCH_MYSQL_URL;
    if (!url) throw new Error(`--store mysql needs --db mysql://… or CRATON_BENCH_MYSQL_URL\n${USAGE}`);
    const u = new URL(url);
    const name = u.pathname.replace(/^\//, '');
    if (!name) throw new Error('--db must name the database, e.g. mysql://root@127.0.0.1:3306/craton_bench');
    const admin = new URL(url);
    admin.pathname = '/';
    const conn = await createConnection({ uri: admin.toString() });
    try {
      if (flags.has('fresh')) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    } finally {
      await conn.end();
    }
    store = { kind, url, config: { kind: 'mysql', url }, where: name, drop: async () => undefined };
  }

  console.log(`Building a fleet of ${hosts} hosts (seed ${seed}) into ${kind === 'sqlite' ? store.where : redact(store.url)} through importFleet, ${chunkSize} rows per transaction`);
  const { ds, projectId, key } = await openDataSource(store);
  if (key) console.log(`The store was empty: created project 'default' and root user 'root'. Root API key (shown once):\n\n    ${key}\n`);
  try {
    let last = 0;
    let lastRows = -1;
    const total = hosts + 212;
    const result = await loadFleet(ds, {
      projectId, hosts, seed, chunkSize,
      onProgress: (p) => {
        if ((p.rows < total && p.elapsedMs - last < 2000) || p.rows === lastRows) return;
        lastRows = p.rows;
        last = p.elapsedMs;
        const rate = p.rows / Math.max(0.001, p.elapsedMs / 1000);
        process.stdout.write(`  ${p.rows}/${total} rows  created ${p.created}  unchanged ${p.unchanged}  ${Math.round(rate)} rows/s  ${(p.elapsedMs / 1000).toFixed(1)} s\n`);
      },
    });
    const s = result.summary;
    console.log(`Done: ${s.rows} rows (${s.byKind.host.created} hosts created, ${s.byKind.host.unchanged} unchanged) in ${(result.elapsedMs / 1000).toFixed(1)} s, ` +
      `${Math.round(hosts / (result.elapsedMs / 1000))} hosts/s, ${s.chunks} transactions, ${result.statements} SQL statements.`);
    console.log(`Serve it with: CRATON_DATABASE_URL=${kind === 'sqlite' ? `sqlite:${store.where}` : redact(store.url)} npm start`);
  } finally {
    await ds.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
