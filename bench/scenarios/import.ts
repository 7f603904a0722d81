import type { DataSource } from 'typeorm';
import { loadFleet, openDataSource, plainInsertFleet, type LoadResult } from '../lib/dataset.js';
import { fmtRate } from '../lib/stats.js';
import { createBenchStore, openRaw, type StoreKind } from '../lib/store.js';
import { sizeLabel, type Row } from './context.js';

// Scenario 6: bulk import. The fleet goes into an empty store through importFleet (the product's bulk path:
// validation, planning reads, multi-row writes, closure, labels, variables and change records, one
// transaction per 1000 rows); this is also how every other scenario's dataset is built. Baseline: the same
// rows written with plain multi-row INSERTs into another empty, migrated store (bench/lib/dataset.ts).

export async function importFleetMeasured(ds: DataSource, opts: { projectId: number; hosts: number; seed: number; log: (m: string) => void }): Promise<LoadResult> {
  let last = 0;
  return loadFleet(ds, {
    projectId: opts.projectId, hosts: opts.hosts, seed: opts.seed,
    onProgress: (p) => {
      if (p.elapsedMs - last < 10_000) return;
      last = p.elapsedMs;
      opts.log(`  imported ${p.rows} rows in ${(p.elapsedMs / 1000).toFixed(0)} s (${Math.round(p.rows / (p.elapsedMs / 1000))} rows/s)`);
    },
  });
}

export async function importBaseline(kind: StoreKind, opts: { hosts: number; seed: number; dir: string; mysqlUrl?: string }): Promise<{ elapsedMs: number; statements: number }> {
  const store = await createBenchStore(kind, `baseline_${opts.hosts}`, opts);
  try {
    const { ds, projectId } = await openDataSource(store);
    await ds.destroy();
    const raw = openRaw(store);
    try {
      return await plainInsertFleet(raw, { projectId, hosts: opts.hosts, seed: opts.seed });
    } finally {
      await raw.close();
    }
  } finally {
    await store.drop();
  }
}

export function importRow(storeName: string, hosts: number, ours: LoadResult, base: { elapsedMs: number; statements: number }): Row {
  const oursRate = hosts / (ours.elapsedMs / 1000);
  const baseRate = hosts / (base.elapsedMs / 1000);
  const chunks = Math.ceil(hosts / 1000);
  const ratio = oursRate / baseRate;
  return {
    scenario: '6 bulk import (importFleet)', store: storeName, size: sizeLabel(hosts),
    ours: `${fmtRate(oursRate, 'hosts/s')} (${(ours.elapsedMs / 1000).toFixed(1)} s)`, oursValue: oursRate,
    baseline: `${fmtRate(baseRate, 'hosts/s')} (${(base.elapsedMs / 1000).toFixed(1)} s)`, baselineValue: baseRate, unit: 'hosts/s',
    ratio, sql: `${Math.round(ours.statements / chunks)}/chunk`, target: '≥ 0.50×', pass: ratio >= 0.5,
    notes: `1000 rows per transaction; ${ours.statements} statements (baseline ${base.statements}); 20 vars + 5 labels per host; record generation included on both sides`,
    details: { hosts, oursMs: ours.elapsedMs, baselineMs: base.elapsedMs, statements: ours.statements, baselineStatements: base.statements, chunks: ours.summary.chunks },
  };
}
