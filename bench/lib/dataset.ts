import type { DataSource } from 'typeorm';
import { bootstrap } from '../../src/auth/admin.js';
import { toGlobalId } from '../../src/ids.js';
import { importFleet, type ImportProgress, type ImportSummary } from '../../src/import/index.js';
import { createCoreDataSource } from '../../src/inventory/data-source.js';
import { systemScope } from '../../src/inventory/scope.js';
import { setVariables } from '../../src/inventory/variables.js';
import { createLogger } from '../../src/logger.js';
import { openStore } from '../../src/store/data-source.js';
import { countStatements } from '../../src/store/sql-counter.js';
import {
  CELL_COUNT, CELLS_PER_REGION, CLOUDS, cellName, cellVars, cloudName, cloudVars, fleetRecords, hostRecord, placeHost, projectVars,
  REGION_COUNT, REGIONS_PER_CLOUD, regionName, regionVars,
} from './fleet.js';
import type { BenchStore, RawDb } from './store.js';

/** Opens a store the way the gateway does (migrations first, the SQLite match function registered); bootstraps an empty one. */
export async function openDataSource(store: BenchStore, bootstrapKey?: string): Promise<{ ds: DataSource; projectId: number; key?: string }> {
  const ds = createCoreDataSource(store.config, createLogger('warn'));
  await openStore(ds);
  const boot = await bootstrap(ds, bootstrapKey);
  return { ds, projectId: await defaultProject(ds), key: boot?.key };
}

/** Id of the project the bootstrap created (`default`), else the first project. */
export async function defaultProject(ds: DataSource): Promise<number> {
  const rows: Array<{ id: number }> = await ds.query("SELECT `id` FROM `projects` ORDER BY (`name` = 'default') DESC, `id` ASC LIMIT 1");
  if (!rows.length) throw new Error('the store has no project');
  return Number(rows[0]!.id);
}

export interface LoadResult {
  summary: ImportSummary;
  /** Wall time of importFleet (record generation included), ms. */
  elapsedMs: number;
  /** SQL statements importFleet ran. */
  statements: number;
}

/**
 * Builds the fleet through the product's own bulk path: project variables through setVariables (the API's
 * code), then every cloud, region, cell and host streamed into importFleet `chunkSize` rows per transaction.
 */
export async function loadFleet(
  ds: DataSource,
  opts: { projectId: number; hosts: number; seed: number; chunkSize?: number; onProgress?: (p: ImportProgress) => void },
): Promise<LoadResult> {
  const admin = systemScope(ds, opts.projectId, { userId: 0, name: 'bench' });
  admin.principal.role = 'ADMIN';
  await setVariables(admin, toGlobalId('Project', opts.projectId), projectVars(opts.seed), 64 * 1024);
  const tally = { statements: 0 };
  const started = performance.now();
  const summary = await countStatements(tally, () =>
    importFleet(ds, {
      projectId: opts.projectId,
      source: fleetRecords({ hosts: opts.hosts, seed: opts.seed }),
      actor: 'bench',
      requestId: 'bench-data',
      chunkSize: opts.chunkSize ?? 1000,
      onProgress: opts.onProgress,
    }),
  );
  const elapsedMs = performance.now() - started;
  if (summary.rejectedCount) {
    throw new Error(`the import rejected ${summary.rejectedCount} rows, first: ${JSON.stringify(summary.rejected.slice(0, 3))}`);
  }
  return { summary, elapsedMs, statements: tally.statements };
}

/** Statement budget of one multi-row INSERT: the same limits the product's bulk SQL keeps (src/import/sql.ts). */
const MAX_PARAMS = 30_000;
const MAX_BYTES = 4 * 1024 * 1024;

async function insertMany(db: Pick<RawDb, 'run'>, table: string, columns: string[], rows: unknown[][]): Promise<number> {
  let statements = 0;
  let group: unknown[][] = [];
  let bytes = 0;
  const flush = async () => {
    if (!group.length) return;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    await db.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${group.map(() => tuple).join(', ')}`, group.flat());
    statements += 1;
    group = [];
    bytes = 0;
  };
  for (const row of rows) {
    let size = 8;
    for (const v of row) size += typeof v === 'string' ? v.length * 2 : 8;
    if (group.length && ((group.length + 1) * columns.length > MAX_PARAMS || bytes + size > MAX_BYTES)) await flush();
    group.push(row);
    bytes += size;
  }
  await flush();
  return statements;
}

/**
 * The import's baseline: the same fleet (same generator, same seed) written with nothing but plain
 * multi-row INSERTs into an empty migrated store: containers, devices with explicit ids, closure rows,
 * labels and variables, one transaction per `chunkSize` hosts. No reads, no validation, no change records.
 */
export async function plainInsertFleet(db: RawDb, opts: { projectId: number; hosts: number; seed: number; chunkSize?: number }): Promise<{ elapsedMs: number; statements: number }> {
  const chunk = opts.chunkSize ?? 1000;
  const p = opts.projectId;
  const stamp = db.kind === 'sqlite' ? new Date().toISOString().replace('T', ' ').replace('Z', '') : new Date();
  const json = (v: Record<string, unknown>, owner: string, id: number) => Object.entries(v).map(([k, val]) => [owner, id, k, p, JSON.stringify(val)]);
  const VAR_COLS = ['owner_type', 'owner_id', '`key`', 'project_id', 'value'];
  let statements = 0;
  const started = performance.now();
  await db.transaction(async (tx) => {
    const vars: unknown[][] = [];
    const clouds = CLOUDS.map((_, c) => [c + 1, p, cloudName(c), null, stamp, null]);
    statements += await insertMany(tx, 'clouds', ['id', 'project_id', 'name', 'note', 'created_at', 'updated_at'], clouds);
    CLOUDS.forEach((_, c) => vars.push(...json(cloudVars(opts.seed, c), 'cloud', c + 1)));
    const regions = Array.from({ length: REGION_COUNT }, (_, r) => [r + 1, p, Math.floor(r / REGIONS_PER_CLOUD) + 1, regionName(r), null, stamp, null]);
    statements += await insertMany(tx, 'regions', ['id', 'project_id', 'cloud_id', 'name', 'note', 'created_at', 'updated_at'], regions);
    for (let r = 0; r < REGION_COUNT; r++) vars.push(...json(regionVars(opts.seed, r), 'region', r + 1));
    const cells = Array.from({ length: CELL_COUNT }, (_, c) => {
      const r = Math.floor(c / CELLS_PER_REGION);
      return [c + 1, p, Math.floor(r / REGIONS_PER_CLOUD) + 1, r + 1, cellName(c), null, stamp, null];
    });
    statements += await insertMany(tx, 'cells', ['id', 'project_id', 'cloud_id', 'region_id', 'name', 'note', 'created_at', 'updated_at'], cells);
    for (let c = 0; c < CELL_COUNT; c++) vars.push(...json(cellVars(opts.seed, c), 'cell', c + 1));
    statements += await insertMany(tx, 'variables', VAR_COLS, vars);
  });
  for (let from = 0; from < opts.hosts; from += chunk) {
    const to = Math.min(opts.hosts, from + chunk);
    await db.transaction(async (tx) => {
      const devices: unknown[][] = [];
      const closure: unknown[][] = [];
      const labels: unknown[][] = [];
      const vars: unknown[][] = [];
      for (let i = from; i < to; i++) {
        const rec = hostRecord(opts.seed, i);
        const place = placeHost(i);
        const id = i + 1;
        const parentId = place.parent === null ? null : place.parent + 1;
        devices.push([id, 'host', p, place.cloud + 1, place.region + 1, place.cell + 1, parentId, rec.name, rec.ip_address, rec.device_type, 1, null, null, null, null, stamp, null]);
        if (parentId !== null) closure.push([id, parentId, 1]);
        for (const l of rec.labels!) labels.push([id, l, p]);
        vars.push(...json(rec.vars!, 'device', id));
      }
      statements += await insertMany(tx, 'devices', ['id', 'kind', 'project_id', 'cloud_id', 'region_id', 'cell_id', 'parent_id', 'name', 'ip_address', 'device_type', 'active', 'note', 'model_name', 'os_version', 'vlans', 'created_at', 'updated_at'], devices);
      if (closure.length) statements += await insertMany(tx, 'device_ancestors', ['device_id', 'ancestor_id', 'depth'], closure);
      statements += await insertMany(tx, 'labels', ['device_id', 'label', 'project_id'], labels);
      statements += await insertMany(tx, 'variables', VAR_COLS, vars);
    });
  }
  return { elapsedMs: performance.now() - started, statements };
}
