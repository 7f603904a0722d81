import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { HostRecord } from '../../sources/source.js';
import { InputError, NotFoundError, SourceUnavailableError } from '../errors.js';
import { fromGlobalId, REFERENCE_SOURCE } from '../ids.js';
import { CellRow, CloudRow, OverlayLabelRow, OverlayRow, RegionRow } from '../store/entities.js';
import { FederatedHost, type FederatedSource } from './federated-source.js';
import { inTransaction, type Scope } from './scope.js';
import { exclusiveWrite } from '../store/transaction.js';

/** Where a federated host sits in Craton, resolved from its placement names. */
export interface Placed {
  cloud: CloudRow | null;
  region: RegionRow | null;
  cell: CellRow | null;
}

/** Per-request loaders of the federation layer, kept beside the request's core loaders. */
interface FederationLoaders {
  overlay: DataLoader<string, OverlayRow | null>;
  overlayLabels: DataLoader<number, string[]>;
  placement: DataLoader<string, Placed>;
  hosts: Map<string, DataLoader<string, FederatedHost | null>>;
}

const perRequest = new WeakMap<Scope['loaders'], FederationLoaders>();
const SEP = '\u0000';

/** The federation loaders of a request (created on first use; one statement per batch each). */
export function federationLoaders(scope: Scope): FederationLoaders {
  let l = perRequest.get(scope.loaders);
  if (!l) {
    l = {
      overlay: new DataLoader(async (keys) => {
        const bySource = new Map<string, string[]>();
        for (const k of keys) {
          const [source, key] = k.split(SEP) as [string, string];
          (bySource.get(source) ?? bySource.set(source, []).get(source)!).push(key);
        }
        const rows = await scope.ds.getRepository(OverlayRow).find({
          where: [...bySource.entries()].map(([source, ks]) => ({ projectId: scope.projectId, source, externalKey: In(ks) })),
        });
        const map = new Map(rows.map((r) => [`${r.source}${SEP}${r.externalKey}`, r]));
        return keys.map((k) => map.get(k) ?? null);
      }, { maxBatchSize: 1000 }),
      overlayLabels: new DataLoader(async (ids) => {
        const rows = await scope.ds.getRepository(OverlayLabelRow).find({ where: { overlayId: In([...ids]), projectId: scope.projectId }, order: { label: 'ASC' } });
        const map = new Map<number, string[]>();
        for (const r of rows) (map.get(r.overlayId) ?? map.set(r.overlayId, []).get(r.overlayId)!).push(r.label);
        return ids.map((id) => map.get(id) ?? []);
      }, { maxBatchSize: 1000 }),
      placement: new DataLoader((keys) => loadPlacements(scope, keys)),
      hosts: new Map(),
    };
    perRequest.set(scope.loaders, l);
  }
  return l;
}

/** Resolves placements (JSON [cloud, region, cell] names) to Craton rows: three statements per batch. */
async function loadPlacements(scope: Scope, keys: readonly string[]): Promise<Placed[]> {
  const wanted = keys.map((k) => JSON.parse(k) as [string | null, string | null, string | null]);
  const cloudNames = [...new Set(wanted.map((w) => w[0]).filter((n): n is string => !!n))];
  const clouds = cloudNames.length ? await scope.ds.getRepository(CloudRow).find({ where: { projectId: scope.projectId, name: In(cloudNames) } }) : [];
  const regionNames = [...new Set(wanted.map((w) => w[1]).filter((n): n is string => !!n))];
  const regions = clouds.length && regionNames.length
    ? await scope.ds.getRepository(RegionRow).find({ where: { projectId: scope.projectId, cloudId: In(clouds.map((c) => c.id)), name: In(regionNames) } })
    : [];
  const cellNames = [...new Set(wanted.map((w) => w[2]).filter((n): n is string => !!n))];
  const cells = regions.length && cellNames.length
    ? await scope.ds.getRepository(CellRow).find({ where: { projectId: scope.projectId, regionId: In(regions.map((r) => r.id)), name: In(cellNames) } })
    : [];
  return wanted.map(([c, r, ce]) => {
    const cloud = clouds.find((x) => x.name === c) ?? null;
    const region = (cloud && regions.find((x) => x.cloudId === cloud.id && x.name === r)) || null;
    const cell = (region && ce && cells.find((x) => x.regionId === region.id && x.name === ce)) || null;
    return { cloud, region, cell };
  });
}

/** The placement of a federated host: its own names where the source gave them, else the source's defaults. */
export function placementOf(scope: Scope, host: FederatedHost): Promise<Placed> {
  const p = host.record.placement;
  const d = host.defaults;
  return federationLoaders(scope).placement.load(JSON.stringify([p.cloud ?? d.cloud, p.region ?? d.region, p.cell ?? d.cell ?? null]));
}

/** Wraps source records as this request's hosts. */
export function toHosts(scope: Scope, source: FederatedSource, records: HostRecord[]): FederatedHost[] {
  return records.map((r) => new FederatedHost(source.name, r, scope.projectId, source.precedence, source.defaults));
}

/** The overlay row of a federated host, or null when Craton holds nothing for it yet. */
export function overlayOf(scope: Scope, host: FederatedHost): Promise<OverlayRow | null> {
  return federationLoaders(scope).overlay.load(`${host.source}${SEP}${host.record.key}`);
}

/** Labels of a federated host: the source's and Craton's overlay labels, sorted, unique. */
export async function federatedLabels(scope: Scope, host: FederatedHost): Promise<string[]> {
  const overlay = await overlayOf(scope, host);
  const ours = overlay ? await federationLoaders(scope).overlayLabels.load(overlay.id) : [];
  return [...new Set([...host.record.labels, ...ours])].sort();
}

/** The sources whose hosts the request's project sees, in configuration order. */
export type SourcesOf = (projectId: number) => Promise<FederatedSource[]>;

/**
 * Loads a federated host by global id through a per-request, per-source DataLoader (one source call per
 * batch). NOT_FOUND for a key the source does not have or a source the project does not see;
 * SOURCE_UNAVAILABLE when the source fails.
 */
export async function loadFederatedHost(scope: Scope, sourcesOf: SourcesOf, id: string): Promise<FederatedHost> {
  const g = fromGlobalId(id);
  if (g.source === REFERENCE_SOURCE) throw new InputError('id: not a federated host', { argument: 'id' });
  if (g.type !== 'Host') throw new NotFoundError(g.type, id);
  const source = (await sourcesOf(scope.projectId)).find((s) => s.name === g.source);
  if (!source) throw new NotFoundError('Host', id);
  const host = await hostLoader(scope, source).load(g.key);
  if (!host) throw new NotFoundError('Host', id);
  return host;
}

function hostLoader(scope: Scope, source: FederatedSource): DataLoader<string, FederatedHost | null> {
  const loaders = federationLoaders(scope).hosts;
  let loader = loaders.get(source.name);
  if (!loader) {
    loader = new DataLoader<string, FederatedHost | null>(async (keys) => {
      const results = await source.load(keys);
      return results.map((r) => {
        if (r instanceof Error) return new SourceUnavailableError(source.name, r.message, { cause: r });
        return r ? toHosts(scope, source, [r])[0]! : null;
      });
    }, { maxBatchSize: 500 });
    loaders.set(source.name, loader);
  }
  return loader;
}

/** Makes sure a federated host has an overlay row and returns it (insert-if-absent, then read). */
export async function ensureOverlay(scope: Scope, host: FederatedHost): Promise<OverlayRow> {
  const existing = await overlayOf(scope, host);
  if (existing) return existing;
  await exclusiveWrite(scope.ds, () => scope.ds.createQueryBuilder().insert().into(OverlayRow)
    .values({ projectId: scope.projectId, source: host.source, externalKey: host.record.key, createdAt: new Date() })
    .orIgnore().execute());
  const row = await scope.ds.getRepository(OverlayRow).findOneByOrFail({ projectId: scope.projectId, source: host.source, externalKey: host.record.key });
  federationLoaders(scope).overlay.clear(`${host.source}${SEP}${host.record.key}`).prime(`${host.source}${SEP}${host.record.key}`, row);
  return row;
}

/**
 * Adds or removes Craton labels on a federated host (its overlay), recording the change; the source's
 * own labels cannot be removed here (they are the source's data).
 */
export async function changeOverlayLabels(scope: Scope, host: FederatedHost, add: string[], remove: string[]): Promise<FederatedHost> {
  const overlay = await ensureOverlay(scope, host);
  const loaders = federationLoaders(scope);
  const current = await loaders.overlayLabels.load(overlay.id);
  const added = add.filter((l) => !current.includes(l));
  const removed = remove.filter((l) => current.includes(l));
  if (added.length || removed.length) {
    const after = [...current.filter((l) => !removed.includes(l)), ...added].sort();
    await inTransaction(scope, 'labels changed concurrently', async (em, changes) => {
      if (added.length) {
        await em.createQueryBuilder().insert().into(OverlayLabelRow).values(added.map((label) => ({ overlayId: overlay.id, label, projectId: scope.projectId }))).orIgnore().execute();
      }
      if (removed.length) await em.getRepository(OverlayLabelRow).delete({ overlayId: overlay.id, projectId: scope.projectId, label: In(removed) });
      changes.record({ action: 'UPDATE', objectType: 'Host', objectKey: host.record.key, source: host.source, before: { labels: current }, after: { labels: after } });
    });
    loaders.overlayLabels.clear(overlay.id);
  }
  return host;
}
