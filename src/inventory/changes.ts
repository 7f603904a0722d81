import type { EntityManager } from 'typeorm';
import { InputError } from '../errors.js';
import { fromGlobalId, REFERENCE_SOURCE, toGlobalId, type IdType } from '../ids.js';
import { ChangeRow, type ChangeAction } from '../store/entities.js';
import type { Scope } from './scope.js';

/** One change as the core records it, before it has an id. */
export interface ChangeInput {
  action: ChangeAction;
  objectType: IdType;
  objectKey: number | string;
  /** @default 'craton' (the reference store) */
  source?: string;
  before?: unknown;
  after?: unknown;
}

/** A committed change as clients see it (the `Change` GraphQL type and `inventoryChanged` events). */
export interface ChangeEvent {
  id: number;
  projectId: number;
  at: string;
  actor: string;
  action: ChangeAction;
  objectType: string;
  objectId: string;
  before: unknown;
  after: unknown;
  requestId: string;
}

/** The pub/sub topic of a project's committed changes. */
export const changesTopic = (projectId: number): string => `changes:${projectId}`;

/**
 * Collects the changes of one transaction; `inTransaction` writes them (one multi-row INSERT) before
 * COMMIT and publishes them after it, so a rolled-back change is never seen live.
 */
export class ChangeLog {
  readonly entries: ChangeInput[] = [];

  record(change: ChangeInput): void {
    this.entries.push(change);
  }
}

/** Writes a transaction's changes; returns them as events to publish after commit. */
export async function writeChanges(em: EntityManager, scope: Scope, log: ChangeLog): Promise<ChangeEvent[]> {
  if (log.entries.length === 0) return [];
  const at = new Date();
  const rows = log.entries.map((c) => Object.assign(new ChangeRow(), {
    projectId: scope.projectId,
    at,
    actor: scope.principal.userName,
    action: c.action,
    objectType: c.objectType,
    source: c.source ?? REFERENCE_SOURCE,
    objectKey: String(c.objectKey),
    before: c.before === undefined ? null : JSON.stringify(c.before),
    after: c.after === undefined ? null : JSON.stringify(c.after),
    requestId: scope.requestId,
  }));
  const events: ChangeEvent[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await em.getRepository(ChangeRow).insert(chunk);
    events.push(...chunk.map(toChangeEvent));
  }
  return events;
}

export function toChangeEvent(row: ChangeRow): ChangeEvent {
  return {
    id: row.id,
    projectId: row.projectId,
    at: (row.at instanceof Date ? row.at : new Date(row.at)).toISOString(),
    actor: row.actor,
    action: row.action,
    objectType: row.objectType,
    objectId: toGlobalId(row.objectType as IdType, row.objectKey, row.source),
    before: row.before == null ? null : JSON.parse(row.before),
    after: row.after == null ? null : JSON.parse(row.after),
    requestId: row.requestId,
  };
}

/** Foreign-key fields of stored rows and the type of object they name. */
const REFERENCES: Record<string, IdType | 'Device'> = {
  cloudId: 'Cloud', regionId: 'Region', cellId: 'Cell', networkId: 'Network', parentId: 'Device', deviceId: 'Device',
};

/**
 * Public fields of a stored row for before/after: references become the global ids clients use (a
 * device's parent costs one batched, cached load to learn whether it is a host or a network device);
 * no internal keys, no project id.
 */
export async function snapshot(scope: Scope, row: object): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'projectId' || k === 'id') continue;
    const ref = REFERENCES[k];
    if (ref && typeof v === 'number') {
      const type = ref === 'Device' ? ((await scope.loaders.device.load(v))?.kind === 'network_device' ? 'NetworkDevice' : 'Host') : ref;
      out[k] = toGlobalId(type, v);
    } else if (k === 'vlans' && typeof v === 'string') out[k] = JSON.parse(v);
    else out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/** Only the fields of `after` that differ from `before`, as a pair. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const k of Object.keys(after)) {
    if (k === 'updatedAt') continue;
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
      b[k] = before[k] ?? null;
      a[k] = after[k] ?? null;
    }
  }
  return { before: b, after: a };
}

/** Decodes `changes(objectId:)` into the columns that identify the object. */
export function changeObjectFilter(objectId: string): { objectType: string; source: string; objectKey: string } {
  const g = fromGlobalId(objectId, 'objectId');
  if (g.key.length > 255) throw new InputError('objectId: key too long', { argument: 'objectId' });
  return { objectType: g.type, source: g.source, objectKey: g.key };
}
