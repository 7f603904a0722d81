import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';

/** One line of the benchmark table. */
export interface ResultRow {
  scenario: string;
  store: string;
  size: string;
  /** Our figure, as printed, and as a number in `unit` (for comparing runs). */
  ours: string;
  oursValue: number | null;
  baseline: string;
  baselineValue: number | null;
  unit: string;
  /** ours / baseline for latencies (lower is better), ours / baseline for rates (higher is better). */
  ratio: number | null;
  /** SQL statements per request (from extensions.sqlStatements), or a scenario-specific count. */
  sql: string;
  target: string;
  /** true PASS, false MISS, null: no target on this row. */
  pass: boolean | null;
  notes?: string;
  details?: Record<string, unknown>;
}

export interface RunReport {
  startedAt: string;
  finishedAt?: string;
  mode: 'quick' | 'full';
  seed: number;
  machine: { node: string; cpus: number; cpuModel: string; memGb: number; platform: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  stores: string[];
  notices: string[];
  rows: ResultRow[];
}

export function newReport(mode: 'quick' | 'full', seed: number): RunReport {
  const c = cpus();
  return {
    startedAt: new Date().toISOString(),
    mode,
    seed,
    machine: { node: process.version, cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', memGb: Math.round(totalmem() / 2 ** 30), platform: `${process.platform}-${process.arch}`, loadAvgStart: loadavg() },
    stores: [],
    notices: [],
    rows: [],
  };
}

export function fmtRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`;
}

const COLUMNS: Array<[title: string, get: (r: ResultRow) => string]> = [
  ['scenario', (r) => r.scenario],
  ['store', (r) => r.store],
  ['size', (r) => r.size],
  ['ours', (r) => r.ours],
  ['baseline', (r) => r.baseline],
  ['ratio', (r) => fmtRatio(r.ratio)],
  ['SQL/req', (r) => r.sql],
  ['target', (r) => r.target],
  ['result', (r) => (r.pass === null ? '' : r.pass ? 'PASS' : 'MISS')],
];

/** The table as fixed-width text, one line per row. */
export function formatTable(rows: readonly ResultRow[]): string {
  const cells = rows.map((r) => COLUMNS.map(([, get]) => get(r)));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(COLUMNS.map(([t]) => t)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function writeReport(path: string, report: RunReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
