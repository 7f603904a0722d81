import { InputError } from '../errors.js';
import { fromGlobalId, REFERENCE_SOURCE, type IdType } from '../ids.js';
import { pageRequest, toConnection, type Connection } from '../pagination.js';
import type { DeviceRow, DeviceKind } from '../store/entities.js';
import type { DeviceCriteria } from '../../sources/source.js';
import type { ReferenceSource } from '../../sources/reference/index.js';
import type { PageArgs } from './lists.js';
import type { Scope } from './scope.js';
import { parseVarsArgument } from './search.js';
import { checkLabels } from './validate.js';
import { buildAnsibleInventory, type AnsibleHost, type AnsibleInventory } from './ansible.js';
import { resolved } from './variables.js';

/** The DeviceFilter input of the API. */
export interface DeviceFilter {
  cloudId?: string | null;
  regionId?: string | null;
  cellId?: string | null;
  parentId?: string | null;
  name?: string | null;
  nameContains?: string | null;
  ipAddress?: string | null;
  deviceType?: string | null;
  active?: boolean | null;
  labels?: string[] | null;
  vars?: string | null;
  resolved?: boolean | null;
  sources?: string[] | null;
}

/** The sources a catalog lists devices from; only the reference store so far. */
export interface Catalog {
  reference: ReferenceSource;
}

/**
 * Decodes a DeviceFilter into source criteria. Ids are checked for type (BAD_USER_INPUT); an id of another
 * project or source simply matches nothing, so existence is not revealed.
 */
export function deviceCriteria(scope: Scope, filter: DeviceFilter | null | undefined, kind?: DeviceKind): DeviceCriteria {
  const f = filter ?? {};
  const id = (value: string | null | undefined, types: IdType[], arg: string): number | null | undefined => {
    if (value == null) return undefined;
    const g = fromGlobalId(value, `filter.${arg}`);
    if (!types.includes(g.type)) throw new InputError(`filter.${arg}: expected the id of a ${types.join(' or ')}, got the id of a ${g.type}`, { argument: `filter.${arg}` });
    return g.source === REFERENCE_SOURCE && /^\d{1,15}$/.test(g.key) ? Number(g.key) : null;
  };
  if (f.nameContains != null && f.nameContains.length > 255) throw new InputError('filter.nameContains must be at most 255 characters', { argument: 'filter.nameContains' });
  return {
    projectId: scope.projectId,
    kind,
    cloudId: id(f.cloudId, ['Cloud'], 'cloudId'),
    regionId: id(f.regionId, ['Region'], 'regionId'),
    cellId: id(f.cellId, ['Cell'], 'cellId'),
    parentId: id(f.parentId, ['Host', 'NetworkDevice'], 'parentId'),
    name: f.name ?? undefined,
    nameContains: f.nameContains ?? undefined,
    ipAddress: f.ipAddress ?? undefined,
    deviceType: f.deviceType ?? undefined,
    active: f.active ?? undefined,
    labels: f.labels ? checkLabels(f.labels) : undefined,
    vars: parseVarsArgument(f.vars, 'filter.vars'),
    resolved: f.resolved ?? true,
  };
}

/** Lists devices across sources (today: the reference store), one page in id order. */
export async function listDevices(scope: Scope, catalog: Catalog, args: PageArgs & { filter?: DeviceFilter | null }, kind?: DeviceKind): Promise<Connection<DeviceRow>> {
  const page = pageRequest(args.first, args.after);
  const criteria = deviceCriteria(scope, args.filter, kind);
  const wanted = args.filter?.sources;
  if (wanted && !wanted.includes(catalog.reference.name)) {
    return toConnection<DeviceRow>([], page, (r) => r.id, async () => 0);
  }
  // NOTE: page rows are deliberately not primed into the device loader: parents then always cost one
  // batched statement, so the count depends on the query's shape only, never on which parents a page holds.
  const result = await catalog.reference.listDevices(criteria, page);
  return toConnection(result.rows, page, (r) => r.id, result.count);
}

/** Hosts fetched per round when building an Ansible inventory. */
const ANSIBLE_CHUNK = 1000;

/**
 * The `ansible-inventory --list` document for the matching hosts (not paginated: Ansible wants it whole).
 * Hosts are read in rounds of 1000; each round costs a constant number of batched statements (page,
 * labels, containers, ancestors, variables), so 100,000 hosts cost about 100 rounds, never a statement per host.
 */
export async function ansibleInventory(scope: Scope, catalog: Catalog, filter: DeviceFilter | null | undefined): Promise<AnsibleInventory> {
  const criteria = deviceCriteria(scope, filter, 'host');
  const hosts: AnsibleHost[] = [];
  const wanted = filter?.sources;
  if (wanted && !wanted.includes(catalog.reference.name)) return buildAnsibleInventory([]);
  for (let afterKey = 0; ;) {
    const { rows } = await catalog.reference.listDevices(criteria, { first: ANSIBLE_CHUNK, afterKey });
    const page = rows.slice(0, ANSIBLE_CHUNK);
    page.forEach((r) => scope.loaders.device.prime(r.id, r));
    const built = await Promise.all(page.map(async (d): Promise<AnsibleHost> => {
      const [labels, region, cell, vars] = await Promise.all([
        scope.loaders.labels.load(d.id),
        scope.loaders.region.load(d.regionId),
        d.cellId == null ? null : scope.loaders.cell.load(d.cellId),
        resolved(scope, d),
      ]);
      return { name: d.name, ipAddress: d.ipAddress, region: region?.name ?? String(d.regionId), cell: cell?.name ?? null, labels, vars: vars.values };
    }));
    hosts.push(...built);
    if (rows.length <= ANSIBLE_CHUNK) break;
    afterKey = page.at(-1)!.id;
    // A fresh round: drop what the previous one cached so memory stays flat.
    scope.loaders.variables.clearAll();
    scope.loaders.labels.clearAll();
    scope.loaders.ancestors.clearAll();
  }
  return buildAnsibleInventory(hosts);
}
