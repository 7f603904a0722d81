import { InputError } from '../errors.js';
import { pageRequest, toConnection, type Connection } from '../pagination.js';
import { ChangeRow } from '../store/entities.js';
import { changeObjectFilter, changesTopic, toChangeEvent, type ChangeEvent } from './changes.js';
import type { Scope } from './scope.js';

/**
 * The caller's project's change records, newest first (keyset on id, descending); `objectId` and `since`
 * narrow them. Two statements at most (page, and count when selected).
 */
export async function listChanges(scope: Scope, args: { first?: number | null; after?: string | null; objectId?: string | null; since?: Date | null }): Promise<Connection<ChangeEvent>> {
  const page = pageRequest(args.first, args.after);
  const object = args.objectId == null ? undefined : changeObjectFilter(args.objectId);
  if (args.since && Number.isNaN(args.since.getTime())) throw new InputError('since is not a valid date', { argument: 'since' });
  const base = () => {
    const q = scope.ds.getRepository(ChangeRow).createQueryBuilder('c').where('c.project_id = :p', { p: scope.projectId });
    if (object) q.andWhere('c.object_type = :t AND c.source = :s AND c.object_key = :k', { t: object.objectType, s: object.source, k: object.objectKey });
    if (args.since) q.andWhere('c.at >= :since', { since: args.since });
    return q;
  };
  const q = base().orderBy('c.id', 'DESC').limit(page.first + 1);
  if (page.afterKey > 0) q.andWhere('c.id < :after', { after: page.afterKey });
  const rows = page.first === 0 ? [] : await q.getMany();
  return toConnection(rows.map(toChangeEvent), page, (c) => c.id, () => base().getCount());
}

/**
 * Live committed changes of the caller's project, optionally of some object types only. The iterator's
 * `return()` unsubscribes at once (an async generator would wait for the next event to notice).
 */
export async function followChanges(scope: Scope, objectTypes: string[] | null | undefined): Promise<AsyncIterableIterator<ChangeEvent>> {
  const wanted = objectTypes?.length ? new Set(objectTypes) : undefined;
  const live = scope.events ? await scope.events.subscribe<ChangeEvent>(changesTopic(scope.projectId)) : undefined;
  const done = { value: undefined, done: true } as const;
  const it: AsyncIterableIterator<ChangeEvent> = {
    async next() {
      if (!live) return done;
      for (;;) {
        const r = await live.next();
        if (r.done) return done;
        if (r.value.projectId === scope.projectId && (!wanted || wanted.has(r.value.objectType))) return r;
      }
    },
    async return() {
      await live?.return();
      return done;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
