import type { DataSource, EntityManager } from 'typeorm';

/**
 * SQLite has one connection, which TypeORM shares between every "transaction": two running at once would
 * interleave on it (one's COMMIT or ROLLBACK ending the other's work). So on SQLite every write goes
 * through one queue per store; MySQL runs transactions concurrently on pooled connections.
 */
const queues = new WeakMap<DataSource, Promise<unknown>>();

/** Lets pending I/O (HTTP requests, socket frames) run before the next queued write. */
export const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Runs `fn` alone among the store's writers on SQLite (at once on MySQL). Not reentrant: never nest.
 *
 * NOTE: better-sqlite3 is synchronous, so a loop of awaited writes (a workflow run) would never give the
 * event loop to anyone else; each queued write first yields to pending I/O, so the gateway keeps answering.
 */
export function exclusiveWrite<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  if (ds.options.type !== 'better-sqlite3') return fn();
  const next = (queues.get(ds) ?? Promise.resolve()).catch(() => undefined).then(yieldToIo).then(fn);
  queues.set(ds, next.catch(() => undefined));
  return next;
}

/** Attempts of a transaction that MySQL chose as a deadlock victim (it rolls the whole of it back). */
const DEADLOCK_ATTEMPTS = 4;

/** True for MySQL's transient lock errors, after which re-running the whole transaction is the documented remedy. */
function isTransientLockError(err: unknown): boolean {
  const code = (err as { driverError?: { code?: string } })?.driverError?.code ?? (err as { code?: string })?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

/**
 * One transaction, serialised with every other writer on SQLite. On MySQL a transaction chosen as a
 * deadlock victim is rolled back by the server and run again from the start (up to 4 attempts), so `fn`
 * must keep no state across attempts beyond what it rebuilds. Not reentrant: never nest.
 */
export async function storeTransaction<T>(ds: DataSource, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  if (ds.options.type === 'better-sqlite3') return exclusiveWrite(ds, () => ds.transaction(fn));
  for (let attempt = 1; ; attempt++) {
    try {
      return await ds.transaction(fn);
    } catch (err) {
      if (attempt >= DEADLOCK_ATTEMPTS || !isTransientLockError(err)) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}
