import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import type { PubSub } from '../pubsub.js';
import { ChangeLog, changesTopic, writeChanges, type ChangeEvent } from './changes.js';
import type { SourcesOf } from './federation.js';
import { ConflictError, CratonError } from '../errors.js';
import { dialectOf, type Dialect } from '../store/data-source.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/errors.js';
import { storeTransaction } from '../store/transaction.js';
import { createLoaders, type Loaders } from './loaders.js';

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
  /** Where committed changes are published (absent: not published, e.g. in offline tools). */
  events?: PubSub;
  /** The external sources this project sees (absent: the reference store only). */
  sources?: SourcesOf;
  /** Failures of external sources during this request, reported beside the data as SOURCE_UNAVAILABLE. */
  notices?: CratonError[];
}

/**
 * Runs a write in one transaction and translates store errors: a unique violation becomes CONFLICT with
 * `conflictMessage`, a foreign-key violation a CONFLICT that names it. Nothing is half written.
 */
export async function inTransaction<T>(scope: Scope, conflictMessage: string, fn: (em: EntityManager, changes: ChangeLog) => Promise<T>): Promise<T> {
  let events: ChangeEvent[] = [];
  let result: T;
  try {
    result = await storeTransaction(scope.ds, async (em) => {
      const changes = new ChangeLog(); // fresh per attempt: a deadlock victim runs again from the start
      const value = await fn(em, changes);
      events = await writeChanges(em, scope, changes);
      return value;
    });
  } catch (err) {
    if (err instanceof CratonError) throw err;
    if (isUniqueViolation(err)) throw new ConflictError(conflictMessage);
    if (isForeignKeyViolation(err)) throw new ConflictError('the write refers to or removes an object that others depend on');
    throw err;
  }
  // Published only after COMMIT, in the order this process saw the commits.
  if (events.length && scope.events) {
    const topic = changesTopic(scope.projectId);
    for (const e of events) await scope.events.publish(topic, e);
  }
  return result;
}

/** Current time at the store's precision (milliseconds). */
export function now(): Date {
  return new Date();
}

/**
 * A scope for work that no HTTP request carries (workflow runs, schedules, imports): it acts in one
 * project as an OPERATOR named `actor` (e.g. `workflow:42`), with fresh loaders. Call again for fresh data.
 */
export function systemScope(ds: DataSource, projectId: number, actor: { userId: number; name: string }, events?: PubSub): Scope {
  const principal: Principal = { userId: actor.userId, userName: actor.name, role: 'OPERATOR', isRoot: false, homeProjectId: projectId, keyId: 0 };
  return { ds, dialect: dialectOf(ds), principal, projectId, loaders: createLoaders(ds, projectId, false), requestId: actor.name, events };
}
