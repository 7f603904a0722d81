import { InputError } from '../errors.js';
import { fromGlobalId, REFERENCE_SOURCE, type IdType } from '../ids.js';
import { encodeCursor, pageRequest, type Connection } from '../pagination.js';
import type { DataSource } from 'typeorm';
import { SourceUnavailableError } from '../errors.js';
import { ProjectRow } from '../store/entities.js';
import { FederatedHost as FederatedHostClass, type FederatedSource, type FederatedHost } from './federated-source.js';
import { federatedLabels, placementOf } from './federation.js';
import { decodeExternalCursor, encodeExternalCursor, takeFromSource, countInSource } from './federated-list.js';
import type { DeviceRow, DeviceKind } from '../store/entities.js';

/** A device of the graph: a row of the reference store, or a host of an external source. */
export type DeviceModel = DeviceRow | FederatedHost;
import type { DeviceCriteria } from '../../sources/source.js';
import type { ReferenceSource } from '../../sources/reference/index.js';
import type { PageArgs } from './lists.js';
import type { Scope } from './scope.js';
import { parseVarsArgument } from './search.js';
import { checkLabels } from './validate.js';
import { buildAnsibleInventory, type AnsibleHost, type AnsibleInventory } from './ansible.js';
import { resolvedValues } from './variables.js';

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

/**
 * The sources devices come from: the reference store first, then the external sources configured for
 * the caller's project, in configuration order.
 */
export class Catalog {
  private projectIds = new Map<string, number>();
  private resolvedAt = 0;
  private resolving: Promise<void> | undefined;

  constructor(
    readonly reference: ReferenceSource,
    readonly external: FederatedSource[] = [],
    private readonly ds?: DataSource,
  ) {}

  /** The external sources whose hosts `projectId` sees (source `project:` by name or numeric id). */
  async sourcesOf(projectId: number): Promise<FederatedSource[]> {
    if (this.external.length === 0) return [];
    const missing = this.external.some((s) => !this.projectIds.has(s.block.project));
    // Concurrent callers share one lookup (and wait for it), so no request sees a half-filled map.
    if (this.ds && missing && !this.resolving && Date.now() - this.resolvedAt > 5_000) {
      this.resolving = this.resolveProjects(this.ds).finally(() => {
        this.resolvedAt = Date.now();
        this.resolving = undefined;
      });
    }
    if (this.resolving) await this.resolving;
    return this.external.filter((s) => this.projectIds.get(s.block.project) === projectId);
  }

  private async resolveProjects(ds: DataSource): Promise<void> {
    const names = [...new Set(this.external.map((s) => s.block.project))];
    const rows = await ds.getRepository(ProjectRow).find({ where: names.map((name) => ({ name })) });
    for (const name of names) {
      const hits = rows.filter((r) => r.name === name);
      if (hits.length === 1) this.projectIds.set(name, hits[0]!.id);
      else if (/^\d+$/.test(name)) this.projectIds.set(name, Number(name));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.external.map((s) => s.close().catch(() => undefined)));
  }
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

/**
 * Lists devices across sources: the reference store's (by id), then each external source's in turn.
 * A source that fails costs only its own hosts: the rest of the page still arrives, and the failure is
 * reported as a SOURCE_UNAVAILABLE error beside the data (scope.notices).
 */
export async function listDevices(scope: Scope, catalog: Catalog, args: PageArgs & { filter?: DeviceFilter | null }, kind?: DeviceKind): Promise<Connection<DeviceModel>> {
  const external = args.after == null ? undefined : decodeExternalCursor(args.after);
  const page = pageRequest(args.first, external ? null : args.after);
  const criteria = deviceCriteria(scope, args.filter, kind);
  const wanted = args.filter?.sources;
  const useReference = !wanted || wanted.includes(catalog.reference.name);
  const sources = kind === 'network_device' ? [] : (await catalog.sourcesOf(scope.projectId)).filter((s) => !wanted || wanted.includes(s.name));
  if (wanted) {
    const known = new Set([catalog.reference.name, ...sources.map((s) => s.name), ...catalog.external.map((s) => s.name)]);
    const unknown = wanted.filter((w) => !known.has(w));
    if (unknown.length) throw new InputError(`filter.sources: unknown source(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`, { argument: 'filter.sources' });
  }

  const edges: Array<{ cursor: string; node: DeviceModel }> = [];
  let hasNextPage = false;
  // NOTE: page rows are deliberately not primed into the device loader: a page whose devices have parents
  // then costs one batched parent statement whether or not those parents are on the page.
  let refCount: (() => Promise<number>) | undefined;
  if (useReference && !external) {
    const result = await catalog.reference.listDevices(criteria, page);
    refCount = result.count;
    for (const row of result.rows.slice(0, page.first)) edges.push({ cursor: encodeCursor(row.id), node: row });
    hasNextPage = result.rows.length > page.first;
  }
  for (let i = external?.source ?? 0; i < sources.length && !hasNextPage && page.first > 0; i++) {
    const from = external && i === external.source ? external : null;
    try {
      const take = await takeFromSource(scope, sources[i]!, i, criteria, from, page.first - edges.length);
      for (const { host, after } of take.hosts) edges.push({ cursor: encodeExternalCursor(after), node: host });
      if (take.more) hasNextPage = true;
    } catch (err) {
      if (!(err instanceof SourceUnavailableError)) throw err;
      scope.notices?.push(err);
    }
  }
  const count = async () => {
    let total = !useReference ? 0 : refCount ? await refCount() : await catalog.reference.listDevices(criteria, { first: 0, afterKey: 0 }).then((p) => p.count());
    for (const s of sources) {
      try {
        total += await countInSource(scope, s, criteria);
      } catch (err) {
        if (!(err instanceof SourceUnavailableError)) throw err;
      }
    }
    return total;
  };
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: { hasNextPage, hasPreviousPage: args.after != null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: () => (total ??= count()),
  };
}

/** Hosts fetched per round when building an Ansible inventory. */
const ANSIBLE_CHUNK = 1000;

/**
 * The `ansible-inventory --list` document for the matching hosts of every source (not paginated: Ansible
 * wants it whole). Hosts are read in rounds of 1000 through the same listing as `hosts`; each round costs a
 * constant number of batched statements (page, labels, containers, ancestors, variables), so 100,000
 * hosts cost about 100 rounds, never a statement per host. A failing source leaves its hosts out and
 * adds a SOURCE_UNAVAILABLE error beside the document.
 */
export async function ansibleInventory(scope: Scope, catalog: Catalog, filter: DeviceFilter | null | undefined): Promise<AnsibleInventory> {
  const hosts: AnsibleHost[] = [];
  for (let after: string | null = null; ;) {
    const page: Connection<DeviceModel> = await listDevices(scope, catalog, { first: ANSIBLE_CHUNK, after, filter }, 'host');
    const built = await Promise.all(page.edges.map(async ({ node: d }): Promise<AnsibleHost | null> => {
      if (d instanceof FederatedHostClass) {
        const [labels, placed, vars] = await Promise.all([federatedLabels(scope, d), placementOf(scope, d), resolvedValues(scope, d)]);
        if (!placed.region) return null;
        return { name: d.record.name, ipAddress: d.record.ipAddress, region: placed.region.name, cell: placed.cell?.name ?? null, labels, vars };
      }
      const [labels, region, cell, vars] = await Promise.all([
        scope.loaders.labels.load(d.id),
        scope.loaders.region.load(d.regionId),
        d.cellId == null ? null : scope.loaders.cell.load(d.cellId),
        resolvedValues(scope, d),
      ]);
      return { name: d.name, ipAddress: d.ipAddress, region: region?.name ?? String(d.regionId), cell: cell?.name ?? null, labels, vars };
    }));
    hosts.push(...built.filter((h): h is AnsibleHost => h !== null));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
    after = page.pageInfo.endCursor;
    // A fresh round: drop what the previous one cached so memory stays flat.
    scope.loaders.variables.clearAll();
    scope.loaders.labels.clearAll();
    scope.loaders.ancestors.clearAll();
  }
  return buildAnsibleInventory(hosts);
}
