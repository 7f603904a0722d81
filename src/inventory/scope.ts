import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { ConflictError, CratonError } from '../errors.js';
import { dialectOf, type Dialect } from '../store/data-source.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/errors.js';
import type { Loaders } from './loaders.js';

/**
 * Everything the core needs to serve one request: the store, the caller, the project every query is
 * scoped to, and this request's DataLoaders. Built once per request or socket operation (src/context.ts).
 */
export interface Scope {
  ds: DataSource;
  dialect: Dialect;
  principal: Principal;
  /** The project this request acts in; every statement of the core filters by it. */
  projectId: number;
  loaders: Loaders;
  requestId: string;
}

export function scopeDialect(ds: DataSource): Dialect {
  return dialectOf(ds);
}

/**
 * Runs a write in one transaction and translates store errors: a unique violation becomes CONFLICT with
 * `conflictMessage`, a foreign-key violation a CONFLICT that names it. Nothing is half written.
 */
export async function inTransaction<T>(scope: Scope, conflictMessage: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await scope.ds.transaction(fn);
  } catch (err) {
    if (err instanceof CratonError) throw err;
    if (isUniqueViolation(err)) throw new ConflictError(conflictMessage);
    if (isForeignKeyViolation(err)) throw new ConflictError('the write refers to or removes an object that others depend on');
    throw err;
  }
}

/** Current time at the store's precision (milliseconds). */
export function now(): Date {
  return new Date();
}
