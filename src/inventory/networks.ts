import { requireRole } from '../auth/principal.js';
import { InputError } from '../errors.js';
import { NetworkInterfaceRow, NetworkRow } from '../store/entities.js';
import { diff, snapshot } from './changes.js';
import { defined, entriesObject, loadOptional, loadOr404, loadPlacement, upsertVariables } from './common.js';
import { inTransaction, now, type Scope } from './scope.js';
import { checkCidr, checkIp, checkName, checkNetmask, checkShort, checkVariables } from './validate.js';

export interface CreateNetwork {
  regionId: string;
  cloudId?: string | null;
  cellId?: string | null;
  name: string;
  cidr?: string | null;
  gateway?: string | null;
  netmask?: string | null;
  ipBlockType?: string | null;
  nss?: string | null;
  variables?: unknown;
}
export type UpdateNetwork = { [K in 'name' | 'cidr' | 'gateway' | 'netmask' | 'ipBlockType' | 'nss']?: CreateNetwork[K] | null };

export interface CreateInterface {
  deviceId: string;
  networkId?: string | null;
  name: string;
  interfaceType?: string | null;
  vlanId?: number | null;
  port?: number | null;
  ipAddress: string;
  variables?: unknown;
}

export async function createNetwork(scope: Scope, input: CreateNetwork, maxVarBytes: number): Promise<NetworkRow> {
  requireRole(scope.principal, 'OPERATOR', 'createNetwork');
  const name = checkName(input.name);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  const { region, cell } = await loadPlacement(scope, input);
  return inTransaction(scope, `a network named '${name}' already exists in region '${region.name}'`, async (em, changes) => {
    const row = await em.getRepository(NetworkRow).save(Object.assign(new NetworkRow(), {
      projectId: scope.projectId,
      cloudId: region.cloudId,
      regionId: region.id,
      cellId: cell?.id ?? null,
      name,
      cidr: checkCidr(input.cidr),
      gateway: checkIp(input.gateway, 'gateway'),
      netmask: checkNetmask(input.netmask),
      ipBlockType: checkShort(input.ipBlockType, 'ipBlockType'),
      nss: checkShort(input.nss, 'nss'),
      createdAt: now(),
      updatedAt: null,
    }));
    await upsertVariables(em, scope, 'network', row.id, vars);
    changes.record({ action: 'CREATE', objectType: 'Network', objectKey: row.id, after: { ...(await snapshot(scope, row)), variables: entriesObject(vars) } });
    return row;
  });
}

export async function updateNetwork(scope: Scope, id: string, input: UpdateNetwork): Promise<NetworkRow> {
  requireRole(scope.principal, 'OPERATOR', 'updateNetwork');
  const row = await loadOr404(scope.loaders.network, id, 'Network');
  if (input.name === null) throw new InputError('name cannot be null', { argument: 'name' });
  const patch = defined({
    name: input.name === undefined ? undefined : checkName(input.name),
    cidr: input.cidr === undefined ? undefined : checkCidr(input.cidr),
    gateway: input.gateway === undefined ? undefined : checkIp(input.gateway, 'gateway'),
    netmask: input.netmask === undefined ? undefined : checkNetmask(input.netmask),
    ipBlockType: input.ipBlockType === undefined ? undefined : checkShort(input.ipBlockType, 'ipBlockType'),
    nss: input.nss === undefined ? undefined : checkShort(input.nss, 'nss'),
  });
  return inTransaction(scope, `a network named '${patch.name}' already exists in this region`, async (em, changes) => {
    const updatedAt = now();
    await em.getRepository(NetworkRow).update({ id: row.id, projectId: scope.projectId }, { ...patch, updatedAt });
    const before = await snapshot(scope, row);
    Object.assign(row, patch, { updatedAt });
    changes.record({ action: 'UPDATE', objectType: 'Network', objectKey: row.id, ...diff(before, await snapshot(scope, row)) });
    return row;
  });
}

export async function createInterface(scope: Scope, input: CreateInterface, maxVarBytes: number): Promise<NetworkInterfaceRow> {
  requireRole(scope.principal, 'OPERATOR', 'createNetworkInterface');
  const name = checkName(input.name);
  const vars = input.variables == null ? [] : checkVariables(input.variables, maxVarBytes);
  for (const [field, v] of [['vlanId', input.vlanId], ['port', input.port]] as const) {
    if (v != null && (v < 0 || v > 65535)) throw new InputError(`${field} must be between 0 and 65535, got ${v}`, { argument: field });
  }
  const device = await loadOr404(scope.loaders.device, input.deviceId, ['Host', 'NetworkDevice'], 'deviceId');
  const network = await loadOptional(scope.loaders.network, input.networkId, 'Network', 'networkId');
  if (network && network.regionId !== device.regionId) {
    throw new InputError(`networkId: network '${network.name}' is not in the region of device '${device.name}'`, { argument: 'networkId' });
  }
  return inTransaction(scope, `an interface named '${name}' already exists on device '${device.name}'`, async (em, changes) => {
    const row = await em.getRepository(NetworkInterfaceRow).save(Object.assign(new NetworkInterfaceRow(), {
      projectId: scope.projectId,
      deviceId: device.id,
      networkId: network?.id ?? null,
      name,
      interfaceType: checkShort(input.interfaceType, 'interfaceType'),
      vlanId: input.vlanId ?? null,
      port: input.port ?? null,
      ipAddress: checkIp(input.ipAddress)!,
      createdAt: now(),
      updatedAt: null,
    }));
    await upsertVariables(em, scope, 'interface', row.id, vars);
    changes.record({ action: 'CREATE', objectType: 'NetworkInterface', objectKey: row.id, after: { ...(await snapshot(scope, row)), variables: entriesObject(vars) } });
    scope.loaders.interfacesByDevice.clear(device.id);
    return row;
  });
}
