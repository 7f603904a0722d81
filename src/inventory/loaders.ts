import DataLoader from 'dataloader';
import { In, type DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import {
  ApiKeyRow, CellRow, CloudRow, DeviceAncestorRow, DeviceRow, LabelRow, NetworkInterfaceRow, NetworkRow, ProjectRow,
  RegionRow, UserRow, VariableRow, type OwnerType,
} from '../store/entities.js';

/** Key of the variables loader: which holder, e.g. `device:42`. */
export type OwnerKey = `${OwnerType}:${number}`;

/**
 * The per-request DataLoaders. Each one costs one SQL statement per batch, whatever the number of keys,
 * and every statement filters by the request's project: an id of another project loads as null
 * (so existence is never revealed). Fresh per request, so nothing cached outlives it.
 */
export interface Loaders {
  project: DataLoader<number, ProjectRow | null>;
  user: DataLoader<number, UserRow | null>;
  cloud: DataLoader<number, CloudRow | null>;
  region: DataLoader<number, RegionRow | null>;
  cell: DataLoader<number, CellRow | null>;
  device: DataLoader<number, DeviceRow | null>;
  network: DataLoader<number, NetworkRow | null>;
  iface: DataLoader<number, NetworkInterfaceRow | null>;
  /** Sorted labels of a device. */
  labels: DataLoader<number, string[]>;
  /** Direct children of a device, by id. */
  children: DataLoader<number, DeviceRow[]>;
  /** Strict ancestors of a device, nearest first. */
  ancestors: DataLoader<number, number[]>;
  interfacesByDevice: DataLoader<number, NetworkInterfaceRow[]>;
  interfacesByNetwork: DataLoader<number, NetworkInterfaceRow[]>;
  apiKeysByUser: DataLoader<number, ApiKeyRow[]>;
  /** A holder's own variables (`{}` when it has none). */
  variables: DataLoader<OwnerKey, Record<string, unknown>>;
}

/** Builds a fresh set of loaders scoped to `projectId` (`isRoot` widens only the project loader). */
/** Keys per statement: far below SQLite's and MySQL's placeholder limits; a page (≤ 1000) is one batch. */
const BATCH = { maxBatchSize: 5000 } as const;

export function createLoaders(ds: DataSource, projectId: number, isRoot: boolean): Loaders {
  const byId = <T extends ObjectLiteral & { id: number }>(entity: EntityTarget<T>, scoped: (ids: number[]) => object) =>
    new DataLoader<number, T | null>(async (ids) => {
      const rows = await ds.getRepository(entity).find({ where: scoped([...ids]) as never });
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }, BATCH);
  const grouped = <T extends ObjectLiteral>(entity: EntityTarget<T>, column: keyof T & string, order: object) =>
    new DataLoader<number, T[]>(async (ids) => {
      const rows = await ds.getRepository(entity).find({ where: { [column]: In([...ids]), projectId } as never, order: order as never });
      const map = new Map<number, T[]>();
      for (const r of rows) {
        const k = r[column] as number;
        (map.get(k) ?? map.set(k, []).get(k)!).push(r);
      }
      return ids.map((id) => map.get(id) ?? []);
    }, BATCH);
  const inProject = (ids: number[]) => ({ id: In(ids), projectId });

  return {
    project: byId(ProjectRow, (ids) => (isRoot ? { id: In(ids) } : { id: In(ids.filter((i) => i === projectId)) })),
    user: byId(UserRow, inProject),
    cloud: byId(CloudRow, inProject),
    region: byId(RegionRow, inProject),
    cell: byId(CellRow, inProject),
    device: byId(DeviceRow, inProject),
    network: byId(NetworkRow, inProject),
    iface: byId(NetworkInterfaceRow, inProject),
    labels: new DataLoader(async (ids) => {
      const rows = await ds.getRepository(LabelRow).find({ where: { deviceId: In([...ids]), projectId }, order: { label: 'ASC' } });
      const map = new Map<number, string[]>();
      for (const r of rows) (map.get(r.deviceId) ?? map.set(r.deviceId, []).get(r.deviceId)!).push(r.label);
      return ids.map((id) => map.get(id) ?? []);
    }, BATCH),
    children: grouped(DeviceRow, 'parentId', { id: 'ASC' }),
    ancestors: new DataLoader(async (ids) => {
      const rows = await ds.getRepository(DeviceAncestorRow).find({ where: { deviceId: In([...ids]) }, order: { depth: 'ASC' } });
      const map = new Map<number, number[]>();
      for (const r of rows) (map.get(r.deviceId) ?? map.set(r.deviceId, []).get(r.deviceId)!).push(r.ancestorId);
      return ids.map((id) => map.get(id) ?? []);
    }, BATCH),
    interfacesByDevice: grouped(NetworkInterfaceRow, 'deviceId', { id: 'ASC' }),
    interfacesByNetwork: grouped(NetworkInterfaceRow, 'networkId', { id: 'ASC' }),
    apiKeysByUser: grouped(ApiKeyRow, 'userId', { id: 'ASC' }),
    variables: new DataLoader<OwnerKey, Record<string, unknown>>(async (keys) => {
      const byType = new Map<string, number[]>();
      for (const k of keys) {
        const [type, id] = k.split(':');
        (byType.get(type!) ?? byType.set(type!, []).get(type!)!).push(Number(id));
      }
      // A project's variables belong to that project (root may read other projects' through the project
      // loader, which enforces tenancy); everything else is filtered by the request's project.
      const ors = [...byType.entries()].map(([type, ids], i) => ({
        sql: `(v.owner_type = :t${i} AND v.owner_id IN (:...ids${i}) AND ${type === 'project' ? `v.project_id IN (:...ids${i})` : 'v.project_id = :projectId'})`,
        params: { [`t${i}`]: type, [`ids${i}`]: ids },
      }));
      const qb = ds.getRepository(VariableRow).createQueryBuilder('v')
        .where(`(${ors.map((o) => o.sql).join(' OR ')})`, Object.assign({ projectId }, ...ors.map((o) => o.params)));
      const rows = await qb.getMany();
      const map = new Map<string, Record<string, unknown>>();
      for (const r of rows) {
        const k = `${r.ownerType}:${r.ownerId}`;
        (map.get(k) ?? map.set(k, Object.create(null)).get(k)!)[r.key] = JSON.parse(r.value);
      }
      return keys.map((k) => map.get(k) ?? Object.create(null));
    }, BATCH),
  };
}
