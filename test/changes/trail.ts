// Reading the change trail through the API: the newest records, what one step of a test added to it,
// and the fields of a Change as the contract names them.
import type { GqlOptions, TestGateway } from '../helpers/gateway.js';

/** Every field of a Change record. */
export const CHANGE_FIELDS = 'id at actor action objectType objectId before after requestId';

/** One change record as the API returns it. */
export interface Change {
  id: string;
  at: string;
  actor: string;
  action: 'CREATE' | 'UPDATE' | 'DELETE';
  objectType: string;
  objectId: string;
  before: any;
  after: any;
  requestId: string;
}

/** The caller's newest change records (newest first), up to `first`. */
export async function latestChanges(c: TestGateway, first = 1000, opts?: GqlOptions): Promise<Change[]> {
  const data = await c.ok(
    `query($first: Int) { changes(first: $first) { edges { node { ${CHANGE_FIELDS} } } } }`,
    { first },
    opts,
  );
  return data.changes.edges.map((e: any) => e.node);
}

/** The id of the caller's newest change record, or null when the trail is empty. */
export async function newestChangeId(c: TestGateway, opts?: GqlOptions): Promise<string | null> {
  const [newest] = await latestChanges(c, 1, opts);
  return newest?.id ?? null;
}

/**
 * The records added after the record `markId` (null: the whole trail), oldest first. Works while fewer than
 * 1000 records were added since the mark.
 */
export async function changesAfter(c: TestGateway, markId: string | null, opts?: GqlOptions): Promise<Change[]> {
  const all = await latestChanges(c, 1000, opts);
  const added: Change[] = [];
  for (const change of all) {
    if (change.id === markId) break;
    added.push(change);
  }
  if (markId !== null && added.length === all.length) {
    throw new Error(`the mark ${markId} is not among the newest 1000 change records any more`);
  }
  return added.reverse();
}

/** Runs `step` and returns what it added to the trail of `reader`'s project (oldest first) with its result. */
export async function recorded<T>(reader: TestGateway, step: () => Promise<T>): Promise<{ result: T; changes: Change[] }> {
  const mark = await newestChangeId(reader);
  const result = await step();
  return { result, changes: await changesAfter(reader, mark) };
}

/** A compact description of records for assertion messages. */
export function describeChanges(changes: Change[]): string {
  return JSON.stringify(
    changes.map((c) => ({ action: c.action, objectType: c.objectType, objectId: c.objectId, requestId: c.requestId, before: c.before, after: c.after })),
    null,
    1,
  );
}
