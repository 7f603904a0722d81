import type { EntityManager } from 'typeorm';
import { requireRole } from '../auth/principal.js';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { fromGlobalId, refKey, REFERENCE_SOURCE, type IdType } from '../ids.js';
import { snapshot, type ChangeLog } from './changes.js';
import { ownVariables, type Holder } from './variables.js';
import { CellRow, CloudRow, DeviceRow, NetworkInterfaceRow, NetworkRow, RegionRow, VariableRow } from '../store/entities.js';
import { inTransaction, type Scope } from './scope.js';

type Container = 'cloud' | 'region' | 'cell';

/**
 * Deletes an inventory object by global id. Containers take their contents with them (and their
 * variables: nothing is orphaned); a device with children, a network with interfaces, or a container
 * holding the parent of a device outside it is a CONFLICT. One transaction, at most ~10 statements.
 */
export async function deleteNode(scope: Scope, id: string): Promise<string> {
  const g = fromGlobalId(id);
  if (g.source !== REFERENCE_SOURCE) throw new InputError(`id: objects of source '${g.source}' are read-only here`, { argument: 'id' });
  const { type, key } = refKey(id, ['Cloud', 'Region', 'Cell', 'Host', 'NetworkDevice', 'Network', 'NetworkInterface']);
  requireRole(scope.principal, 'OPERATOR', 'deleteNode');
  const l = scope.loaders;
  const row =
    type === 'Cloud' ? await l.cloud.load(key)
    : type === 'Region' ? await l.region.load(key)
    : type === 'Cell' ? await l.cell.load(key)
    : type === 'Network' ? await l.network.load(key)
    : type === 'NetworkInterface' ? await l.iface.load(key)
    : await l.device.load(key);
  if (!row || ((type === 'Host' || type === 'NetworkDevice') && (row as DeviceRow).kind !== (type === 'Host' ? 'host' : 'network_device'))) {
    throw new NotFoundError(type, id);
  }
  await inTransaction(scope, 'delete conflicts with existing objects', async (em, changes) => {
    const before: Record<string, unknown> = { ...(await snapshot(scope, row)), variables: await ownVariables(scope, row as Holder) };
    if (row instanceof DeviceRow) before.labels = await scope.loaders.labels.load(row.id);
    switch (type) {
      case 'Cloud':
      case 'Region':
      case 'Cell':
        await deleteContainer(em, scope, changes, type.toLowerCase() as Container, key, (row as { name: string }).name, id);
        break;
      case 'Host':
      case 'NetworkDevice':
        await deleteDevice(em, scope, changes, row as DeviceRow, id);
        break;
      case 'Network':
        await deleteNetwork(em, scope, row as NetworkRow);
        break;
      default:
        await dropVariables(em, scope, 'interface', [key]);
        await em.getRepository(NetworkInterfaceRow).delete({ id: key, projectId: scope.projectId });
    }
    changes.record({ action: 'DELETE', objectType: type, objectKey: key, before });
  });
  return id;
}

async function deleteDevice(em: EntityManager, scope: Scope, changes: ChangeLog, device: DeviceRow, globalId: string): Promise<void> {
  const children = await em.getRepository(DeviceRow).count({ where: { parentId: device.id, projectId: scope.projectId } });
  if (children > 0) {
    throw new ConflictError(`device '${device.name}' has ${children} child device(s); delete or reparent them first`, { children });
  }
  const interfaces = await em.getRepository(NetworkInterfaceRow).find({ where: { deviceId: device.id, projectId: scope.projectId } });
  for (const i of interfaces) changes.record({ action: 'DELETE', objectType: 'NetworkInterface', objectKey: i.id, before: { name: i.name, ipAddress: i.ipAddress, deletedWith: globalId } });
  await em.createQueryBuilder().delete().from(VariableRow)
    .where("project_id = :p AND owner_type = 'interface' AND owner_id IN (SELECT id FROM network_interfaces WHERE device_id = :d)", { p: scope.projectId, d: device.id })
    .execute();
  await dropVariables(em, scope, 'device', [device.id]);
  await em.getRepository(DeviceRow).delete({ id: device.id, projectId: scope.projectId });
}

async function deleteNetwork(em: EntityManager, scope: Scope, network: NetworkRow): Promise<void> {
  const attached = await em.getRepository(NetworkInterfaceRow).count({ where: { networkId: network.id, projectId: scope.projectId } });
  if (attached > 0) {
    throw new ConflictError(`network '${network.name}' has ${attached} interface(s) attached; detach or delete them first`, { interfaces: attached });
  }
  await dropVariables(em, scope, 'network', [network.id]);
  await em.getRepository(NetworkRow).delete({ id: network.id, projectId: scope.projectId });
}

/** What a container holds, as (table, owner type) pairs whose `<container>_id` column points at it. */
const OWNER_TYPES: Record<string, IdType> = { region: 'Region', cell: 'Cell', host: 'Host', network_device: 'NetworkDevice', network: 'Network' };

const CONTENTS: Record<Container, Array<[table: string, owner: string]>> = {
  cloud: [['regions', 'region'], ['cells', 'cell'], ['devices', 'device'], ['networks', 'network']],
  region: [['cells', 'cell'], ['devices', 'device'], ['networks', 'network']],
  cell: [['devices', 'device'], ['networks', 'network']],
};

async function deleteContainer(em: EntityManager, scope: Scope, changes: ChangeLog, kind: Container, id: number, name: string, globalId: string): Promise<void> {
  const col = `${kind}_id`;
  const params = { p: scope.projectId, id };
  const [outside] = await em.query(
    `SELECT COUNT(*) AS n FROM devices c JOIN devices p ON p.id = c.parent_id
      WHERE p.project_id = ? AND p.${col} = ? AND (c.${col} IS NULL OR c.${col} <> ?)`,
    [scope.projectId, id, id],
  );
  const n = Number(outside?.n ?? 0);
  if (n > 0) {
    throw new ConflictError(`${kind} '${name}' holds the parent of ${n} device(s) outside it; reparent them first`, { devices: n });
  }
  // Everything the cascade takes is recorded too: one SELECT per kind, then multi-row change inserts.
  for (const [table, owner] of CONTENTS[kind]) {
    const rows: Array<{ id: number; name: string; kind?: string }> = await em.query(
      `SELECT id, name${table === 'devices' ? ', kind' : ''} FROM ${table} WHERE project_id = ? AND ${col} = ?`, [scope.projectId, id],
    );
    for (const r of rows) {
      const objectType = OWNER_TYPES[owner === 'device' ? (r.kind === 'host' ? 'host' : 'network_device') : owner]!;
      changes.record({ action: 'DELETE', objectType, objectKey: r.id, before: { name: r.name, deletedWith: globalId } });
    }
  }
  const interfaces: Array<{ id: number; name: string }> = await em.query(
    `SELECT i.id, i.name FROM network_interfaces i JOIN devices d ON d.id = i.device_id WHERE d.project_id = ? AND d.${col} = ?`, [scope.projectId, id],
  );
  for (const i of interfaces) changes.record({ action: 'DELETE', objectType: 'NetworkInterface', objectKey: i.id, before: { name: i.name, deletedWith: globalId } });
  const del = (where: string) => em.createQueryBuilder().delete().from(VariableRow).where(`project_id = :p AND ${where}`, params).execute();
  await del(`owner_type = 'interface' AND owner_id IN (SELECT i.id FROM network_interfaces i JOIN devices d ON d.id = i.device_id WHERE d.${col} = :id)`);
  for (const [table, owner] of CONTENTS[kind]) {
    await del(`owner_type = '${owner}' AND owner_id IN (SELECT id FROM ${table} WHERE ${col} = :id)`);
  }
  await dropVariables(em, scope, kind, [id]);
  const entity = { cloud: CloudRow, region: RegionRow, cell: CellRow }[kind];
  await em.getRepository(entity).delete({ id, projectId: scope.projectId });
}

async function dropVariables(em: EntityManager, scope: Scope, ownerType: string, ids: number[]): Promise<void> {
  await em.createQueryBuilder().delete().from(VariableRow)
    .where('project_id = :p AND owner_type = :t AND owner_id IN (:...ids)', { p: scope.projectId, t: ownerType, ids })
    .execute();
}
