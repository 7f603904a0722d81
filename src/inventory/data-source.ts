import type { DataSource } from 'typeorm';
import type { StoreConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { createDataSource } from '../store/data-source.js';
import { SQLITE_MATCH_FUNCTION } from '../store/var-search.js';
import { jsonMatch } from './json-match.js';

/**
 * The store as the core uses it: the data source of `store` with the SQLite function variable search
 * compiles to (MySQL/MariaDB have native JSON functions). The store does not know the core, so the core
 * hands it the function; everything that opens a store for the core (the gateway, tests, benchmarks)
 * opens it here.
 */
export function createCoreDataSource(store: StoreConfig, logger: Logger): DataSource {
  return createDataSource(store, { logger, sqliteFunctions: { [SQLITE_MATCH_FUNCTION]: jsonMatch as never } });
}
