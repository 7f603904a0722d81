import { In } from 'typeorm';
import { requireRole } from '../auth/principal.js';
import { InputError, NotFoundError } from '../errors.js';
import { fromGlobalId, refKey, REFERENCE_SOURCE, type IdType } from '../ids.js';
import {
  CellRow, CloudRow, DeviceRow, NetworkInterfaceRow, NetworkRow, ProjectRow, RegionRow, VariableRow, type OwnerType,
} from '../store/entities.js';
import type { OwnerKey } from './loaders.js';
import { FederatedHost, SourceAttributes } from './federated-source.js';
import { ensureOverlay, loadFederatedHost, overlayOf, placementOf } from './federation.js';
import { resolution, resolvedRecord, resolveOnto, resolveVariables, type Resolution, type ResolvedVariables, type VariableLevel } from './resolve.js';
import { inTransaction, type Scope } from './scope.js';
import { checkVariableKey, checkVariables } from './validate.js';
import { entriesObject, upsertVariables } from './common.js';

/** A store row that carries variables. */
export type StoredHolder = ProjectRow | CloudRow | RegionRow | CellRow | DeviceRow | NetworkRow | NetworkInterfaceRow;

/** Every object that carries variables: store rows and hosts of external sources. */
export type Holder = StoredHolder | FederatedHost;

/** A resolution level's holder: a holder, or a federated host's source attributes. */
export type LevelHolder = Holder | SourceAttributes;

/** The variables table's owner type of a stored holder. */
export function ownerTypeOf(holder: StoredHolder): OwnerType {
  if (holder instanceof DeviceRow) return 'device';
  if (holder instanceof CellRow) return 'cell';
  if (holder instanceof RegionRow) return 'region';
  if (holder instanceof CloudRow) return 'cloud';
  if (holder instanceof NetworkRow) return 'network';
  if (holder instanceof NetworkInterfaceRow) return 'interface';
  if (holder instanceof ProjectRow) return 'project';
  throw new Error(`not a holder of variables: ${Object.prototype.toString.call(holder)}`);
}

export function ownerKeyOf(holder: StoredHolder): OwnerKey {
  return `${ownerTypeOf(holder)}:${holder.id}`;
}

/** The GraphQL type of a holder, as change records name it. */
export function holderType(holder: Holder): IdType {
  if (holder instanceof FederatedHost) return 'Host';
  if (holder instanceof DeviceRow) return holder.kind === 'host' ? 'Host' : 'NetworkDevice';
  return ({ project: 'Project', cloud: 'Cloud', region: 'Region', cell: 'Cell', network: 'Network', interface: 'NetworkInterface' } as const)[ownerTypeOf(holder) as 'project'];
}

const HOLDER_TYPES: IdType[] = ['Project', 'Cloud', 'Region', 'Cell', 'Host', 'NetworkDevice', 'Network', 'NetworkInterface'];

/** Loads any holder of the caller's project by global id; NOT_FOUND otherwise. */
export async function loadHolder(scope: Scope, id: string): Promise<Holder> {
  const g = fromGlobalId(id);
  if (g.source !== REFERENCE_SOURCE) {
    if (!scope.sources) throw new NotFoundError(g.type, id);
    return loadFederatedHost(scope, scope.sources, id);
  }
  const { type, key } = refKey(id, HOLDER_TYPES);
  const l = scope.loaders;
  const row: Holder | null = await {
    Project: () => (key === scope.projectId ? l.project.load(key) : Promise.resolve(null)),
    Cloud: () => l.cloud.load(key),
    Region: () => l.region.load(key),
    Cell: () => l.cell.load(key),
    Host: () => l.device.load(key).then((d) => (d?.kind === 'host' ? d : null)),
    NetworkDevice: () => l.device.load(key).then((d) => (d?.kind === 'network_device' ? d : null)),
    Network: () => l.network.load(key),
    NetworkInterface: () => l.iface.load(key),
  }[type as 'Project']();
  if (!row) throw new NotFoundError(type, id);
  return row;
}

/** Upserts the given keys on a holder (others stay) in one transaction; project variables need ADMIN. */
export async function setVariables(scope: Scope, id: string, values: unknown, maxBytes: number): Promise<Holder> {
  requireRole(scope.principal, 'OPERATOR', 'setVariables');
  const holder = await loadHolder(scope, id);
  const { owner, ownerId } = await writableOwner(scope, holder);
  requireRole(scope.principal, owner === 'project' ? 'ADMIN' : 'OPERATOR', 'setVariables');
  const entries = checkVariables(values, maxBytes, 'values');
  const current = await storedVariables(scope, owner, ownerId);
  const changed = entries.filter(([k, v]) => !(k in current) || JSON.stringify(current[k]) !== v);
  if (changed.length) {
    await inTransaction(scope, 'concurrent variable write', async (em, changes) => {
      await upsertVariables(em, scope, owner, ownerId, changed);
      changes.record({
        action: 'UPDATE', ...changeTarget(holder),
        before: { variables: Object.fromEntries(changed.map(([k]) => [k, k in current ? current[k] : null])) },
        after: { variables: entriesObject(changed) },
      });
    });
  }
  return holder;
}

/** Deletes the given keys of a holder; absent keys are ignored. */
export async function deleteVariables(scope: Scope, id: string, keys: string[]): Promise<Holder> {
  requireRole(scope.principal, 'OPERATOR', 'deleteVariables');
  const holder = await loadHolder(scope, id);
  const { owner, ownerId } = await writableOwner(scope, holder);
  requireRole(scope.principal, owner === 'project' ? 'ADMIN' : 'OPERATOR', 'deleteVariables');
  if (keys.length > 1000) throw new InputError(`at most 1000 keys per call, got ${keys.length}`, { argument: 'keys' });
  keys.forEach(checkVariableKey);
  const current = await storedVariables(scope, owner, ownerId);
  const present = [...new Set(keys)].filter((k) => k in current);
  if (present.length) {
    await inTransaction(scope, 'concurrent variable write', async (em, changes) => {
      await em.getRepository(VariableRow).delete({ projectId: scope.projectId, ownerType: owner, ownerId, key: In(present) });
      changes.record({
        action: 'UPDATE', ...changeTarget(holder),
        before: { variables: Object.fromEntries(present.map((k) => [k, current[k]])) },
        after: { variables: Object.fromEntries(present.map((k) => [k, null])) },
      });
    });
  }
  scope.loaders.variables.clear(`${owner}:${ownerId}`);
  return holder;
}

/** Where a holder's Craton variables are stored: its own row, or a federated host's overlay (created on demand). */
async function writableOwner(scope: Scope, holder: Holder): Promise<{ owner: OwnerType; ownerId: number }> {
  if (holder instanceof FederatedHost) return { owner: 'overlay', ownerId: (await ensureOverlay(scope, holder)).id };
  return { owner: ownerTypeOf(holder), ownerId: holder.id };
}

function storedVariables(scope: Scope, owner: OwnerType, ownerId: number): Promise<Record<string, unknown>> {
  return scope.loaders.variables.load(`${owner}:${ownerId}`);
}

/** How a change record names a holder. */
function changeTarget(holder: Holder): { objectType: IdType; objectKey: number | string; source?: string } {
  if (holder instanceof FederatedHost) return { objectType: 'Host', objectKey: holder.record.key, source: holder.source };
  return { objectType: holderType(holder), objectKey: holder.id };
}

/** A federated host's overlay variables (Craton's own), `{}` when it has no overlay. */
async function overlayVariables(scope: Scope, host: FederatedHost): Promise<Record<string, unknown>> {
  const overlay = await overlayOf(scope, host);
  return overlay ? storedVariables(scope, 'overlay', overlay.id) : Object.create(null);
}

/**
 * A holder's own variables (one batched statement per request wave). For a federated host: the source's
 * attributes and Craton's overlay, merged with the source's precedence.
 */
export async function ownVariables(scope: Scope, holder: Holder): Promise<Record<string, unknown>> {
  if (!(holder instanceof FederatedHost)) return storedVariables(scope, ownerTypeOf(holder), holder.id);
  const overlay = await overlayVariables(scope, holder);
  return holder.precedence === 'overlay' ? { ...holder.record.attributes, ...overlay } : { ...overlay, ...holder.record.attributes };
}

/**
 * One level of a chain: where its variables come from (the variables loader's key, or given inline, e.g. a
 * source's attributes) and, for origins only, how to load its holder.
 */
interface ChainLink {
  key?: OwnerKey;
  variables?: Record<string, unknown>;
  row: () => Promise<LevelHolder | null>;
  /** A container or the project: a level that many holders of a page share. */
  shared?: true;
}

/**
 * The chain a holder inherits from, nearest first: device → parent devices → cell → region → cloud →
 * project; cell → region → cloud → project; region → cloud → project; others: themselves. A federated
 * host: overlay and source attributes (in the source's precedence) → cell → region → cloud → project.
 * Built from ids alone (one ancestors batch for devices), so a page's variables load in ONE batch.
 */
async function chainOf(scope: Scope, holder: Holder): Promise<ChainLink[]> {
  const l = scope.loaders;
  const project = (projectId: number): ChainLink => ({ key: `project:${projectId}`, row: () => l.project.load(projectId), shared: true });
  if (holder instanceof FederatedHost) {
    const [overlay, placed] = await Promise.all([overlayOf(scope, holder), placementOf(scope, holder)]);
    const mine: ChainLink = overlay ? { key: `overlay:${overlay.id}`, row: async () => holder } : { variables: Object.create(null), row: async () => holder };
    const attributes: ChainLink = { variables: holder.record.attributes, row: async () => new SourceAttributes(holder) };
    const containers = [placed.cell, placed.region, placed.cloud].filter((h): h is NonNullable<typeof h> => h !== null);
    return [
      ...(holder.precedence === 'overlay' ? [mine, attributes] : [attributes, mine]),
      ...containers.map((h): ChainLink => ({ key: ownerKeyOf(h), row: async () => h, shared: true })),
      project(holder.projectId),
    ];
  }
  const self: ChainLink = { key: ownerKeyOf(holder), row: async () => holder };
  const up = (cellId: number | null, regionId: number | null, cloudId: number | null, projectId: number): ChainLink[] => {
    const links: ChainLink[] = [];
    if (cellId != null) links.push({ key: `cell:${cellId}`, row: () => l.cell.load(cellId), shared: true });
    if (regionId != null) links.push({ key: `region:${regionId}`, row: () => l.region.load(regionId), shared: true });
    if (cloudId != null) links.push({ key: `cloud:${cloudId}`, row: () => l.cloud.load(cloudId), shared: true });
    links.push(project(projectId));
    return links;
  };
  if (holder instanceof DeviceRow) {
    const ancestorIds = await l.ancestors.load(holder.id);
    return [
      self,
      ...ancestorIds.map((id): ChainLink => ({ key: `device:${id}`, row: () => l.device.load(id) })),
      ...up(holder.cellId, holder.regionId, holder.cloudId, holder.projectId),
    ];
  }
  if (holder instanceof CellRow) return [self, ...up(null, holder.regionId, holder.cloudId, holder.projectId)];
  if (holder instanceof RegionRow) return [self, ...up(null, null, holder.cloudId, holder.projectId)];
  return [self];
}

/** The variables of each link of a chain, in chain order (one batched statement per request wave). */
async function chainVariables(scope: Scope, chain: ChainLink[]): Promise<Array<Record<string, unknown>>> {
  const stored = await scope.loaders.variables.loadMany(chain.filter((c) => c.key !== undefined).map((c) => c.key!));
  let next = 0;
  return chain.map((c) => {
    if (c.key === undefined) return c.variables!;
    const v = stored[next++]!;
    if (v instanceof Error) throw v;
    return v;
  });
}

/**
 * Resolved variables of a holder with the origin of each key; `keys` limits the answer. A federated
 * host resolves overlay > source attributes (or the reverse, per source) > cell > region > cloud > project.
 *
 * Cost for a page of holders: the ancestors batch, then ONE variables batch issued in the same tick for
 * every holder of the page, plus one batch per kind of holder row (for origins) — the same count for 5
 * holders as for 500, on every store.
 */
export async function resolved(scope: Scope, holder: Holder, keys?: readonly string[] | null): Promise<ResolvedVariables<LevelHolder>> {
  const chain = await chainOf(scope, holder);
  const [vars, rows] = await Promise.all([chainVariables(scope, chain), Promise.all(chain.map((c) => c.row()))]);
  const levels: Array<VariableLevel<LevelHolder>> = [];
  chain.forEach((_, i) => {
    const row = rows[i];
    if (row) levels.push({ holder: row, variables: vars[i]! });
  });
  return resolveVariables(levels, keys ?? undefined);
}

/**
 * Resolved values only: what `resolvedVariables` and variable write-back need. The same answer as
 * `resolved(...).values` without loading the holders of each level or building an origin per key, so a
 * page of hosts costs the ancestors and variables batches alone.
 */
export async function resolvedValues(scope: Scope, holder: Holder, keys?: readonly string[] | null): Promise<Record<string, unknown>> {
  const chain = await chainOf(scope, holder);
  const vars = await chainVariables(scope, chain);
  const near = chain.findIndex((c) => c.shared);
  if (near < 0) return resolvedRecord(resolution(vars), keys ?? undefined);
  const farther = sharedResolution(scope, chain.slice(near), vars.slice(near));
  return resolveOnto(vars.slice(0, near), farther, keys ?? undefined);
}

/** Per request: the resolved shared tails of chains (e.g. cell → … → project), with the variables they came from. */
const sharedTails = new WeakMap<Scope['loaders'], Map<string, { vars: Array<Record<string, unknown>>; res: Resolution }>>();

/**
 * The resolution of a shared tail of a chain, computed once per request for all the holders that share it
 * (a 1000-host page has a few hundred cells). Reused only while the variables loader still holds the very
 * same records, so a write in between (which clears the loader) is never hidden.
 */
function sharedResolution(scope: Scope, links: ChainLink[], vars: Array<Record<string, unknown>>): Resolution {
  let tails = sharedTails.get(scope.loaders);
  if (!tails) sharedTails.set(scope.loaders, (tails = new Map()));
  const id = links.map((c) => c.key).join('|');
  const hit = tails.get(id);
  if (hit && hit.vars.length === vars.length && hit.vars.every((v, i) => v === vars[i])) return hit.res;
  const res = resolution(vars);
  tails.set(id, { vars, res });
  return res;
}
