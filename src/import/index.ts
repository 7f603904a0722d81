import type { DataSource } from 'typeorm';
import { dialectOf, refreshStatistics } from '../store/data-source.js';
import { sqlScope } from '../store/sql-counter.js';
import { runChunk, type ChunkContext } from './chunk.js';
import { Hierarchy, type Ref } from './hierarchy.js';
import { identify, identityKey, normalize, RowError, type NormalRecord } from './normalize.js';
import {
  IMPORT_KINDS, type ImportKind, type ImportOptions, type ImportRecord, type ImportSummary, type KindCounts, type SourceRow,
} from './types.js';

export type { ImportOptions, ImportProgress, ImportRecord, ImportSummary, Rejection, SourceRow } from './types.js';
export { openSource, detectFormat, type ImportFormat, type OpenedSource } from './formats.js';

/**
 * Bulk upsert of clouds, regions, cells and devices into one project, streamed: rows are read, validated and
 * written `chunkSize` at a time, one transaction per chunk with a constant number of multi-row statements
 * (see chunk.ts), so memory stays flat however long the source is and an import of N rows costs about
 * N / chunkSize transactions.
 *
 * A row that breaks a rule (bad address, unknown cloud, parent missing or later in the file…) is rejected with
 * its line and reason and nothing of it is written; the other rows of its chunk still commit. Re-running an
 * import is idempotent: rows equal to what is stored count as unchanged and write nothing (not even a change
 * record). Every create and update leaves a change record (actor `opts.actor`) in the same transaction.
 *
 * A store error (the database goes away, another writer created the same name mid-import) aborts the import
 * with the lines of the failed chunk; earlier chunks stay committed, and re-running resumes idempotently.
 */
export async function importFleet(ds: DataSource, opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const chunkSize = Math.max(1, opts.chunkSize ?? 1000);
  const maxVariableBytes = opts.maxVariableBytes ?? 64 * 1024;
  const maxRejections = opts.maxRejections ?? 1000;
  const dryRun = opts.dryRun ?? false;
  const projects = await ds.query('SELECT `id` FROM `projects` WHERE `id` = ?', [opts.projectId]);
  if (!projects.length) throw new Error(`project ${opts.projectId} does not exist`);

  let fake = 0;
  const ctx: ChunkContext = {
    ds,
    dialect: dialectOf(ds),
    projectId: opts.projectId,
    actor: opts.actor ?? 'import',
    requestId: opts.requestId ?? `import-${new Date().toISOString()}`,
    dryRun,
    hierarchy: await Hierarchy.load(ds, opts.projectId),
    simulated: new Map<string, Ref>(),
    fakeId: () => --fake,
  };
  const counts = (): KindCounts => ({ created: 0, updated: 0, unchanged: 0, rejected: 0 });
  const summary: ImportSummary = {
    dryRun, rows: 0, created: 0, updated: 0, unchanged: 0, rejectedCount: 0, rejected: [], chunks: 0, elapsedMs: 0,
    byKind: Object.fromEntries(IMPORT_KINDS.map((k) => [k, counts()])) as Record<ImportKind, KindCounts>,
  };
  const reject = (line: number, record: unknown, reason: string): undefined => {
    summary.rejectedCount += 1;
    const kind = (record as { kind?: unknown } | null)?.kind;
    if (typeof kind === 'string' && kind in summary.byKind) summary.byKind[kind as ImportKind].rejected += 1;
    if (summary.rejected.length < maxRejections) summary.rejected.push({ line, record: identify(record), reason });
  };
  let reported = 0;
  const progress = () => {
    reported = summary.rows;
    opts.onProgress?.({
      rows: summary.rows, created: summary.created, updated: summary.updated, unchanged: summary.unchanged,
      rejected: summary.rejectedCount, elapsedMs: Date.now() - started,
    });
  };

  let chunk: NormalRecord[] = [];
  const keys = new Set<string>();
  const flush = async () => {
    if (!chunk.length) return;
    let outcomes;
    try {
      outcomes = await runChunk(ctx, chunk);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`import stopped at lines ${chunk[0]!.line}–${chunk[chunk.length - 1]!.line} (nothing of that chunk was written; earlier chunks were): ${message}`, { cause: err });
    }
    for (const { rec, outcome, reason } of outcomes) {
      if (reason !== undefined || !outcome) reject(rec.line, recordOf(rec), reason ?? 'not written');
      else {
        summary[outcome] += 1;
        summary.byKind[rec.kind][outcome] += 1;
      }
    }
    if (!dryRun) summary.chunks += 1;
    chunk = [];
    keys.clear();
    progress();
  };

  let n = 0;
  for await (const item of opts.source) {
    n += 1;
    summary.rows += 1;
    const row: SourceRow = isSourceRow(item) ? item : { line: n, record: item };
    const rec = row.error !== undefined ? reject(row.line, row.record, row.error) : validRecord(row.line, row.record, maxVariableBytes, reject);
    if (rec) {
      // The same object twice in one chunk: write the first, then the second as an update (a new chunk).
      const key = identityKey(rec);
      if (keys.has(key)) await flush();
      keys.add(key);
      chunk.push(rec);
      if (chunk.length >= chunkSize) await flush();
    }
    if (summary.rows - reported >= chunkSize && !chunk.length) progress();
  }
  await flush();
  summary.elapsedMs = Date.now() - started;
  progress();
  // New rows: fresh planner statistics, in full (outside the caller's SQL tally: it is upkeep, not the import's cost).
  if (!dryRun && summary.created + summary.updated > 0) await sqlScope.exit(() => refreshStatistics(ds, { full: true }));
  return summary;
}

/** The normalized record, or undefined after rejecting the row with the rule it broke. */
function validRecord(line: number, record: unknown, maxVariableBytes: number, reject: (line: number, record: unknown, reason: string) => void): NormalRecord | undefined {
  try {
    return normalize(line, record, maxVariableBytes);
  } catch (err) {
    if (!(err instanceof RowError)) throw err;
    reject(line, record, err.message);
    return undefined;
  }
}

function isSourceRow(item: SourceRow | ImportRecord): item is SourceRow {
  return typeof (item as SourceRow).line === 'number' && ('record' in item || 'error' in item) && !('kind' in item);
}

function recordOf(rec: NormalRecord): Record<string, unknown> {
  return { kind: rec.kind, name: rec.name, ...('cloud' in rec ? { cloud: rec.cloud } : {}), ...('region' in rec ? { region: rec.region } : {}), ...('cell' in rec && rec.cell ? { cell: rec.cell } : {}) };
}
