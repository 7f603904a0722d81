import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import type { Logger } from '../logger.js';

/** Per-request statement tally; requests run inside `sqlScope.run(tally, ...)`. */
export interface SqlTally {
  statements: number;
}

/** Attributes each SQL statement to the request (or workflow step) that caused it. */
export const sqlScope = new AsyncLocalStorage<SqlTally>();

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
