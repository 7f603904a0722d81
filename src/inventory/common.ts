import type DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { InputError, NotFoundError } from '../errors.js';
import { refKey, type IdType } from '../ids.js';
import { VariableRow, type CellRow, type OwnerType, type RegionRow } from '../store/entities.js';
import type { Scope } from './scope.js';

/**
 * Loads an object of the caller's project by global id through the request's loader; NOT_FOUND when it
 * does not exist or belongs to another project.
 */
export async function loadOr404<T>(loader: DataLoader<number, T | null>, id: string, type: IdType | readonly IdType[], argName = 'id'): Promise<T> {
  const { key } = refKey(id, type, argName);
  const row = await loader.load(key);
  if (!row) throw new NotFoundError(typeof type === 'string' ? type : type.join('/'), id);
  return row;
}

/** Same as loadOr404 for an optional reference: null and undefined pass through. */
export async function loadOptional<T>(loader: DataLoader<number, T | null>, id: string | null | undefined, type: IdType, argName: string): Promise<T | null> {
  return id == null ? null : loadOr404(loader, id, type, argName);
}

/**
 * Loads where a new device or network goes: its region (NOT_FOUND), the optional cloud it must agree with,
 * and the optional cell, which must be in that region (BAD_USER_INPUT naming the argument otherwise).
 */
export async function loadPlacement(scope: Scope, ids: { regionId: string; cloudId?: string | null; cellId?: string | null }): Promise<{ region: RegionRow; cell: CellRow | null }> {
  const region = await loadOr404(scope.loaders.region, ids.regionId, 'Region', 'regionId');
  if (ids.cloudId != null) {
    const cloud = await loadOr404(scope.loaders.cloud, ids.cloudId, 'Cloud', 'cloudId');
    if (cloud.id !== region.cloudId) throw new InputError(`cloudId: region '${region.name}' is not in cloud '${cloud.name}'`, { argument: 'cloudId' });
  }
  const cell = await loadOptional(scope.loaders.cell, ids.cellId, 'Cell', 'cellId');
  if (cell && cell.regionId !== region.id) throw new InputError(`cellId: cell '${cell.name}' is not in region '${region.name}'`, { argument: 'cellId' });
  return { region, cell };
}

/** Upserts serialised variables of one holder in one statement (the given keys only; others stay). */
export async function upsertVariables(em: EntityManager, scope: Scope, ownerType: OwnerType, ownerId: number, entries: Array<[string, string]>): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(([key, value]) => ({ ownerType, ownerId, key, value, projectId: scope.projectId }));
  await em.getRepository(VariableRow).upsert(rows, { conflictPaths: ['ownerType', 'ownerId', 'key'], skipUpdateIfNoValuesChanged: false });
  scope.loaders.variables.clear(`${ownerType}:${ownerId}`);
}

/** Serialised variable entries back as an object, for change records. */
export function entriesObject(entries: Array<[string, string]>): Record<string, unknown> {
  return Object.fromEntries(entries.map(([k, v]) => [k, JSON.parse(v)]));
}

/** Keeps only the defined fields of a partial update. */
export function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
