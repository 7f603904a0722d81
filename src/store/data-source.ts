import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { StoreConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';
import { CountingSqlLogger } from './sql-counter.js';
import { exclusiveWrite } from './transaction.js';

/** Which SQL dialect a data source speaks; the few hand-written statements branch on it. */
export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}

export interface DataSourceExtras {
  logger: Logger;
  /** Deterministic scalar functions registered on SQLite connections (MySQL has native equivalents). */
  sqliteFunctions?: Record<string, (...args: never[]) => unknown>;
}

/**
 * Builds (but does not open) the TypeORM data source for a store: mysql2 for MySQL/MariaDB, better-sqlite3
 * for the embedded file. `synchronize` is off: the schema comes from migrations only.
 */
export function createDataSource(store: StoreConfig, extras: DataSourceExtras): DataSource {
  const common = {
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    logging: true,
    maxQueryExecutionTime: 1000,
    logger: new CountingSqlLogger(extras.logger),
  } as const;
  const options: DataSourceOptions =
    store.kind === 'sqlite'
      ? {
          ...common,
          type: 'better-sqlite3',
          database: store.path,
          enableWAL: store.path !== ':memory:',
          statementCacheSize: 500,
          prepareDatabase: (db: { function: (name: string, opts: object, fn: (...a: never[]) => unknown) => void; pragma: (s: string) => unknown }) => {
            db.pragma('busy_timeout = 5000');
            db.pragma('synchronous = NORMAL');
            // Planner statistics: without them SQLite picks the tenancy index (project_id) over primary keys
            // and a page costs a scan of the project. analysis_limit keeps these routine ANALYZEs cheap on
            // large stores; they sample, so their figures for a column with few values (project_id) are
            // rough: bulk loads analyse in full (refreshStatistics), and lookups by lists of ids keep their
            // tenancy test out of index choice (src/inventory/loaders.ts).
            db.pragma('analysis_limit = 1000');
            db.pragma('optimize = 0x10002');
            for (const [name, fn] of Object.entries(extras.sqliteFunctions ?? {})) db.function(name, { deterministic: true }, fn);
          },
        }
      : {
          ...common,
          type: 'mysql',
          url: store.url,
          charset: 'utf8mb4_bin',
          timezone: 'Z',
          supportBigNumbers: true,
          bigNumberStrings: false,
          poolSize: 10,
        };
  return new DataSource(options);
}

/** Opens the data source and applies pending migrations (all in one transaction where the store allows). */
export async function openStore(ds: DataSource): Promise<void> {
  if (!ds.isInitialized) await ds.initialize();
  await ds.runMigrations({ transaction: 'all' });
}

/**
 * Refreshes SQLite's planner statistics; InnoDB keeps its own. Routinely (hourly) `PRAGMA optimize`:
 * cheap, it analyses only tables that changed a lot, by sampling. With `full` (after a bulk import) every
 * row is read: the sampled figures said each project holds ~1000 labels when one held 500,000, and SQLite
 * then walked the project's labels to find a page's (30 ms instead of 5 at 100k hosts). A full ANALYZE
 * costs about 0.6 s per 100,000 hosts.
 */
export async function refreshStatistics(ds: DataSource, opts: { full?: boolean } = {}): Promise<void> {
  if (dialectOf(ds) !== 'sqlite') return;
  // Alone on the shared connection: never inside another writer's open transaction.
  await exclusiveWrite(ds, async () => {
    if (!opts.full) {
      await ds.query('PRAGMA optimize');
      return;
    }
    await ds.query('PRAGMA analysis_limit = 0');
    try {
      await ds.query('ANALYZE');
    } finally {
      await ds.query('PRAGMA analysis_limit = 1000');
    }
  });
}
