import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { requireRole } from '../auth/principal.js';
import { InputError, NotFoundError } from '../errors.js';
import { fromGlobalId, REFERENCE_SOURCE } from '../ids.js';
import type { FederatedHost } from './federated-source.js';
import { changeOverlayLabels, loadFederatedHost } from './federation.js';
import { DeviceAncestorRow, DeviceRow, LabelRow, type DeviceKind } from '../store/entities.js';
import { diff, snapshot } from './changes.js';
import { defined, entriesObject, loadOptional, loadOr404, loadPlacement, upsertVariables } from './common.js';
import { inTransaction, now, type Scope } from './scope.js';
import { checkIp, checkLabels, checkName, checkNote, checkShort, checkVariables } from './validate.js';

/** Fields of createHost / createNetworkDevice. */
export interface CreateDevice {
  regionId: string;
  cloudId?: string | null;
  cellId?: string | null;
  parentId?: string | null;
  name: string;
  ipAddress?: string | null;
  deviceType?: string | null;
  active?: boolean | null;
  note?: string | null;
  labels?: string[] | null;
  variables?: unknown;
  modelName?: string | null;
  osVersion?: string | null;
  vlans?: unknown;
}

/** Partial update of a device; `cellId`/`parentId` set to null detach. */
export type UpdateDevice = { [K in keyof Omit<CreateDevice, 'regionId' | 'cloudId' | 'labels' | 'variables'>]?: CreateDevice[K] | null };

const GRAPHQL_TYPE = { host: 'Host', network_device: 'NetworkDevice' } as const;

export async function createDevice(scope: Scope, kind: DeviceKind, input: CreateDevice, maxVarBytes: number): Promise<DeviceRow> {
  const op = kind === 'host' ? 'createHost' : 'createNetworkDevice';
  requireRole(scope.principal, 'OPERATOR', op);
  const name = checkName(input.name);
  const labels = checkLabels(input.labels);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  const { region, cell } = await loadPlacement(scope, input);
  const parent = input.parentId == null ? null : await loadOr404(scope.loaders.device, input.parentId, ['Host', 'NetworkDevice'], 'parentId');
  const row = Object.assign(new DeviceRow(), {
    kind,
    projectId: scope.projectId,
    cloudId: region.cloudId,
    regionId: region.id,
    cellId: cell?.id ?? null,
    parentId: parent?.id ?? null,
    name,
    ipAddress: checkIp(input.ipAddress),
    deviceType: checkShort(input.deviceType, 'deviceType') ?? (kind === 'host' ? 'server' : 'switch'),
    active: input.active ?? true,
    note: checkNote(input.note),
    modelName: checkShort(input.modelName, 'modelName'),
    osVersion: checkShort(input.osVersion, 'osVersion'),
    vlans: input.vlans === undefined || input.vlans === null ? null : JSON.stringify(input.vlans),
    createdAt: now(),
    updatedAt: null,
  });
  return inTransaction(scope, `a device named '${name}' already exists in region '${region.name}'`, async (em, changes) => {
    await em.getRepository(DeviceRow).insert(row);
    if (parent) await linkAncestors(em, [{ id: row.id, depth: 0 }], parent.id);
    if (labels.length) await em.getRepository(LabelRow).insert(labels.map((label) => ({ deviceId: row.id, label, projectId: scope.projectId })));
    await upsertVariables(em, scope, 'device', row.id, vars);
    changes.record({ action: 'CREATE', objectType: GRAPHQL_TYPE[kind], objectKey: row.id, after: { ...(await snapshot(scope, row)), labels: [...labels].sort(), variables: entriesObject(vars) } });
    return row;
  });
}

export async function updateDevice(scope: Scope, kind: DeviceKind, id: string, input: UpdateDevice): Promise<DeviceRow> {
  const type = GRAPHQL_TYPE[kind];
  requireRole(scope.principal, 'OPERATOR', `update${type}`);
  const row = await loadOr404(scope.loaders.device, id, type);
  if (input.name === null) throw new InputError('name cannot be null', { argument: 'name' });
  if (input.deviceType === null) throw new InputError('deviceType cannot be null', { argument: 'deviceType' });
  if (input.active === null) throw new InputError('active cannot be null', { argument: 'active' });
  const patch: Partial<DeviceRow> = defined({
    name: input.name === undefined ? undefined : checkName(input.name),
    ipAddress: input.ipAddress === undefined ? undefined : checkIp(input.ipAddress),
    deviceType: input.deviceType === undefined ? undefined : checkShort(input.deviceType, 'deviceType')!,
    active: input.active,
    note: input.note === undefined ? undefined : checkNote(input.note),
    modelName: input.modelName === undefined ? undefined : checkShort(input.modelName, 'modelName'),
    osVersion: input.osVersion === undefined ? undefined : checkShort(input.osVersion, 'osVersion'),
    vlans: input.vlans === undefined ? undefined : input.vlans === null ? null : JSON.stringify(input.vlans),
  }) as Partial<DeviceRow>;
  if (input.cellId !== undefined) {
    const cell = await loadOptional(scope.loaders.cell, input.cellId, 'Cell', 'cellId');
    if (cell && cell.regionId !== row.regionId) throw new InputError(`cellId: cell '${cell.name}' is not in the device's region`, { argument: 'cellId' });
    patch.cellId = cell?.id ?? null;
  }
  let reparent: { parentId: number | null } | undefined;
  if (input.parentId !== undefined) {
    const parent = input.parentId === null ? null : await loadOr404(scope.loaders.device, input.parentId, ['Host', 'NetworkDevice'], 'parentId');
    if (parent && parent.id === row.id) {
      throw new InputError(`parentId: a device cannot be its own parent ('${row.name}')`, { argument: 'parentId' });
    }
    if (parent && (await scope.loaders.ancestors.load(parent.id)).includes(row.id)) {
      throw new InputError(`parentId: a device cannot have a descendant as its parent ('${parent.name}' is below '${row.name}')`, { argument: 'parentId' });
    }
    if ((parent?.id ?? null) !== row.parentId) reparent = { parentId: parent?.id ?? null };
    patch.parentId = parent?.id ?? null;
  }
  patch.updatedAt = now();
  return inTransaction(scope, `a device named '${patch.name}' already exists in this region`, async (em, changes) => {
    await em.getRepository(DeviceRow).update({ id: row.id, projectId: scope.projectId }, patch);
    if (reparent) await moveSubtree(em, row.id, reparent.parentId);
    const before = await snapshot(scope, row);
    Object.assign(row, patch);
    changes.record({ action: 'UPDATE', objectType: type, objectKey: row.id, ...diff(before, await snapshot(scope, row)) });
    scope.loaders.ancestors.clearAll();
    return row;
  });
}

/**
 * Re-links the closure table after `deviceId` moved under `parentId` (or became a root): its whole subtree
 * drops the old outside ancestors and gains the new ones. Statements: 4, plus one per 500 rows written.
 */
async function moveSubtree(em: EntityManager, deviceId: number, parentId: number | null): Promise<void> {
  const repo = em.getRepository(DeviceAncestorRow);
  const below = await repo.find({ where: { ancestorId: deviceId } });
  const subtree = [{ id: deviceId, depth: 0 }, ...below.map((r) => ({ id: r.deviceId, depth: r.depth }))];
  const ids = subtree.map((s) => s.id);
  for (const chunk of chunks(ids, 500)) {
    await repo.createQueryBuilder().delete().where('device_id IN (:...chunk)', { chunk }).andWhere('ancestor_id NOT IN (:...ids)', { ids }).execute();
  }
  if (parentId !== null) await linkAncestors(em, subtree, parentId);
}

/** Inserts closure rows linking each (device, depth below the moved root) to `parentId` and its ancestors. */
async function linkAncestors(em: EntityManager, subtree: Array<{ id: number; depth: number }>, parentId: number): Promise<void> {
  const repo = em.getRepository(DeviceAncestorRow);
  const above = [{ ancestorId: parentId, depth: 1 }, ...(await repo.find({ where: { deviceId: parentId } })).map((r) => ({ ancestorId: r.ancestorId, depth: r.depth + 1 }))];
  const rows = subtree.flatMap((s) => above.map((a) => ({ deviceId: s.id, ancestorId: a.ancestorId, depth: a.depth + s.depth })));
  for (const chunk of chunks(rows, 500)) await repo.insert(chunk);
}

/** Adds labels (existing ones stay once) and returns the device; on a federated host they go to its overlay. */
export async function addLabels(scope: Scope, id: string, labels: string[]): Promise<DeviceRow | FederatedHost> {
  requireRole(scope.principal, 'OPERATOR', 'addLabels');
  const wanted = checkLabels(labels);
  if (fromGlobalId(id).source !== REFERENCE_SOURCE) {
    if (!scope.sources) throw new NotFoundError('Host', id);
    return changeOverlayLabels(scope, await loadFederatedHost(scope, scope.sources, id), wanted, []);
  }
  const device = await loadOr404(scope.loaders.device, id, ['Host', 'NetworkDevice']);
  const current = await scope.loaders.labels.load(device.id);
  const added = wanted.filter((l) => !current.includes(l));
  if (added.length) {
    await inTransaction(scope, 'label already present', async (em, changes) => {
      await em.createQueryBuilder().insert().into(LabelRow).values(added.map((label) => ({ deviceId: device.id, label, projectId: scope.projectId }))).orIgnore().execute();
      changes.record({ action: 'UPDATE', objectType: GRAPHQL_TYPE[device.kind], objectKey: device.id, before: { labels: current }, after: { labels: [...current, ...added].sort() } });
    });
  }
  scope.loaders.labels.clear(device.id);
  return device;
}

/** Removes labels (absent ones are ignored) and returns the device. */
export async function removeLabels(scope: Scope, id: string, labels: string[]): Promise<DeviceRow | FederatedHost> {
  requireRole(scope.principal, 'OPERATOR', 'removeLabels');
  const unwanted = checkLabels(labels);
  if (fromGlobalId(id).source !== REFERENCE_SOURCE) {
    if (!scope.sources) throw new NotFoundError('Host', id);
    return changeOverlayLabels(scope, await loadFederatedHost(scope, scope.sources, id), [], unwanted);
  }
  const device = await loadOr404(scope.loaders.device, id, ['Host', 'NetworkDevice']);
  const current = await scope.loaders.labels.load(device.id);
  const removed = unwanted.filter((l) => current.includes(l));
  if (removed.length) {
    await inTransaction(scope, 'labels changed concurrently', async (em, changes) => {
      await em.getRepository(LabelRow).delete({ deviceId: device.id, projectId: scope.projectId, label: In(removed) });
      changes.record({ action: 'UPDATE', objectType: GRAPHQL_TYPE[device.kind], objectKey: device.id, before: { labels: current }, after: { labels: current.filter((l) => !removed.includes(l)) } });
    });
  }
  scope.loaders.labels.clear(device.id);
  return device;
}

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
