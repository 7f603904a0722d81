import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { StoreConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';
import { CountingSqlLogger } from './sql-counter.js';

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
            // and a page costs a scan of the project. analysis_limit keeps ANALYZE cheap on large stores.
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
 * Refreshes SQLite's planner statistics (`PRAGMA optimize`: cheap, analyses only what changed a lot);
 * InnoDB keeps its own. Called after bulk imports and hourly by the gateway.
 */
export async function refreshStatistics(ds: DataSource): Promise<void> {
  if (dialectOf(ds) === 'sqlite') await ds.query('PRAGMA optimize');
}
