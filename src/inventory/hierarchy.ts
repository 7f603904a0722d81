import { requireRole } from '../auth/principal.js';
import { InputError } from '../errors.js';
import { CellRow, CloudRow, RegionRow } from '../store/entities.js';
import { snapshot, diff } from './changes.js';
import { defined, entriesObject, loadOr404, upsertVariables } from './common.js';
import { inTransaction, now, type Scope } from './scope.js';
import { checkName, checkNote, checkVariables } from './validate.js';

// Clouds, regions and cells: create and update. Each write is one transaction of a bounded number of
// statements; ancestors are loaded through the request's project-scoped loaders, so a foreign id is NOT_FOUND.

export interface CreateCloud { name: string; note?: string | null; variables?: unknown }
export interface CreateRegion extends CreateCloud { cloudId: string }
export interface CreateCell extends CreateCloud { regionId: string; cloudId?: string | null }
export interface UpdateNamed { name?: string | null; note?: string | null }

export async function createCloud(scope: Scope, input: CreateCloud, maxVarBytes: number): Promise<CloudRow> {
  requireRole(scope.principal, 'OPERATOR', 'createCloud');
  const name = checkName(input.name);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  return inTransaction(scope, `a cloud named '${name}' already exists in this project`, async (em, changes) => {
    const row = await em.getRepository(CloudRow).save(Object.assign(new CloudRow(), {
      projectId: scope.projectId, name, note: checkNote(input.note), createdAt: now(), updatedAt: null,
    }));
    await upsertVariables(em, scope, 'cloud', row.id, vars);
    changes.record({ action: 'CREATE', objectType: 'Cloud', objectKey: row.id, after: { ...(await snapshot(scope, row)), variables: entriesObject(vars) } });
    return row;
  });
}

export async function createRegion(scope: Scope, input: CreateRegion, maxVarBytes: number): Promise<RegionRow> {
  requireRole(scope.principal, 'OPERATOR', 'createRegion');
  const name = checkName(input.name);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  const cloud = await loadOr404(scope.loaders.cloud, input.cloudId, 'Cloud', 'cloudId');
  return inTransaction(scope, `a region named '${name}' already exists in cloud '${cloud.name}'`, async (em, changes) => {
    const row = await em.getRepository(RegionRow).save(Object.assign(new RegionRow(), {
      projectId: scope.projectId, cloudId: cloud.id, name, note: checkNote(input.note), createdAt: now(), updatedAt: null,
    }));
    await upsertVariables(em, scope, 'region', row.id, vars);
    changes.record({ action: 'CREATE', objectType: 'Region', objectKey: row.id, after: { ...(await snapshot(scope, row)), variables: entriesObject(vars) } });
    return row;
  });
}

export async function createCell(scope: Scope, input: CreateCell, maxVarBytes: number): Promise<CellRow> {
  requireRole(scope.principal, 'OPERATOR', 'createCell');
  const name = checkName(input.name);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  const region = await loadOr404(scope.loaders.region, input.regionId, 'Region', 'regionId');
  if (input.cloudId != null) {
    const cloud = await loadOr404(scope.loaders.cloud, input.cloudId, 'Cloud', 'cloudId');
    if (cloud.id !== region.cloudId) {
      throw new InputError(`cloudId: region '${region.name}' belongs to another cloud than '${cloud.name}'`, { argument: 'cloudId' });
    }
  }
  return inTransaction(scope, `a cell named '${name}' already exists in region '${region.name}'`, async (em, changes) => {
    const row = await em.getRepository(CellRow).save(Object.assign(new CellRow(), {
      projectId: scope.projectId, cloudId: region.cloudId, regionId: region.id, name, note: checkNote(input.note), createdAt: now(), updatedAt: null,
    }));
    await upsertVariables(em, scope, 'cell', row.id, vars);
    changes.record({ action: 'CREATE', objectType: 'Cell', objectKey: row.id, after: { ...(await snapshot(scope, row)), variables: entriesObject(vars) } });
    return row;
  });
}

type NamedRow = CloudRow | RegionRow | CellRow;

/** Updates name and note of a cloud, region or cell (they cannot move). */
export async function updateNamed<T extends NamedRow>(scope: Scope, kind: 'Cloud' | 'Region' | 'Cell', id: string, input: UpdateNamed): Promise<T> {
  requireRole(scope.principal, 'OPERATOR', `update${kind}`);
  const loader = { Cloud: scope.loaders.cloud, Region: scope.loaders.region, Cell: scope.loaders.cell }[kind];
  const row = (await loadOr404(loader as never, id, kind)) as T;
  if (input.name === null) throw new InputError('name cannot be null', { argument: 'name' });
  const patch = defined({ name: input.name === undefined ? undefined : checkName(input.name), note: input.note === undefined ? undefined : checkNote(input.note) });
  const entity = { Cloud: CloudRow, Region: RegionRow, Cell: CellRow }[kind];
  const parent = kind === 'Cloud' ? 'this project' : kind === 'Region' ? 'its cloud' : 'its region';
  return inTransaction(scope, `a ${kind.toLowerCase()} named '${patch.name}' already exists in ${parent}`, async (em, changes) => {
    const before = await snapshot(scope, row);
    Object.assign(row, patch, { updatedAt: now() });
    changes.record({ action: 'UPDATE', objectType: kind, objectKey: row.id, ...diff(before, await snapshot(scope, row)) });
    await em.getRepository(entity).update({ id: row.id, projectId: scope.projectId }, { ...patch, updatedAt: row.updatedAt });
    return row;
  });
}

