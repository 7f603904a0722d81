import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import type { Logger } from '../logger.js';

/** Per-operation statement tally, filled while the operation runs inside `countStatements(tally, ...)`. */
export interface SqlTally {
  statements: number;
}

/**
 * Attributes each SQL statement to the operation that caused it. Use `countStatements` to enter it and
 * `sqlScope.exit` for work that must not be attributed (background writes started by a request).
 */
export const sqlScope = new AsyncLocalStorage<SqlTally>();

/** Operations being counted right now. */
let counting = 0;

/**
 * Runs `fn` with every statement it (and what it starts) issues counted into `tally`; resolves or returns
 * what `fn` does.
 *
 * NOTE: on Node 20 an enabled AsyncLocalStorage runs a hook on every promise of the process: measured at
 * a fifth of the gateway's throughput for small queries. So the storage is enabled only while some
 * counted operation runs, and disabled again when the last one ends; uncounted requests pay nothing.
 */
export function countStatements<T>(tally: SqlTally, fn: () => T): T {
  counting += 1;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    counting -= 1;
    if (counting === 0) sqlScope.disable();
  };
  let result: T;
  try {
    result = sqlScope.run(tally, fn);
  } catch (err) {
    release();
    throw err;
  }
  if (result instanceof Promise) return result.finally(release) as T;
  release();
  return result;
}

/**
 * TypeORM logger that counts statements into the current scope and logs failures and slow queries.
 * The counts back the bounded-SQL tests and `extensions.sqlStatements`.
 */
export class CountingSqlLogger implements TypeOrmLogger {
  constructor(private readonly logger: Logger) {}

  logQuery(): void {
    const tally = sqlScope.getStore();
    if (tally) tally.statements += 1;
  }

  logQueryError(error: string | Error, query: string): void {
    const tally = sqlScope.getStore();
    if (tally) tally.statements += 1;
    this.logger.debug({ err: error, query: query.slice(0, 500) }, 'sql statement failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ ms: time, query: query.slice(0, 500) }, 'slow sql statement');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown, _queryRunner?: QueryRunner): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}
