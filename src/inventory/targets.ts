import { NotFoundError, type CratonError } from '../errors.js';
import { yieldToIo } from '../store/transaction.js';
import { fromGlobalId, REFERENCE_SOURCE, toGlobalId } from '../ids.js';
import { DeviceRow } from '../store/entities.js';
import { deviceCriteria, listDevices, type Catalog, type DeviceFilter, type DeviceModel } from './catalog.js';
import type { Scope } from './scope.js';
import { resolvedValues } from './variables.js';

/** A device as a workflow target: its global id, name, address and resolved variables at plan time. */
export interface TargetDeviceRecord {
  id: string;
  name: string;
  ipAddress: string | null;
  variables: Record<string, unknown>;
}

/** Devices read per round. */
const PAGE = 1000;

/** Global id, name and address of a device of any source. */
function identify(d: DeviceModel): Omit<TargetDeviceRecord, 'variables'> {
  if (d instanceof DeviceRow) return { id: toGlobalId(d.kind === 'host' ? 'Host' : 'NetworkDevice', d.id), name: d.name, ipAddress: d.ipAddress };
  return { id: toGlobalId('Host', d.record.key, d.source), name: d.record.name, ipAddress: d.record.ipAddress };
}

/**
 * Every device of the scope's project that matches `filter` (hosts and network devices, of every source
 * the filter admits), in listing order, with resolved variables (only the keys in `variables` when given). Reads rounds of 1000 devices through the
 * catalog; each round costs a constant number of batched statements (page, ancestors, containers,
 * variables), never one per device. More than `limit` matches throws `onTooMany(limit)`'s error. A source
 * that is unavailable throws its SOURCE_UNAVAILABLE error rather than silently shrinking the target set.
 * Bad filter ids are BAD_USER_INPUT (deviceCriteria); ids of another project match nothing.
 */
export async function resolveTargets(
  scope: Scope,
  catalog: Catalog,
  filter: DeviceFilter | null | undefined,
  limit = Number.MAX_SAFE_INTEGER,
  onTooMany: (limit: number) => Error = (n) => new Error(`more than ${n} devices match`),
  variables?: readonly string[],
): Promise<TargetDeviceRecord[]> {
  const notices: CratonError[] = [];
  const listing: Scope = { ...scope, notices };
  const out: TargetDeviceRecord[] = [];
  for (let after: string | null = null; ;) {
    await yieldToIo(); // between pages: a large run's planning must not starve other requests
    const page = await listDevices(listing, catalog, { first: PAGE, after, filter });
    if (notices.length) throw notices[0]!;
    const nodes = page.edges.map((e) => e.node);
    if (out.length + nodes.length > limit) throw onTooMany(limit);
    // `variables` names the keys the run's tasks read; none: no resolution at all.
    const vars = variables?.length === 0 ? nodes.map(() => ({})) : await Promise.all(nodes.map((d) => resolvedValues(listing, d, variables)));
    nodes.forEach((d, i) => out.push({ ...identify(d), variables: vars[i]! }));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
    after = page.pageInfo.endCursor;
    // A fresh round: drop what the previous one cached so memory stays flat.
    scope.loaders.variables.clearAll();
    scope.loaders.ancestors.clearAll();
    scope.loaders.device.clearAll();
  }
  return out;
}

/**
 * Checks that the container and parent ids of a filter name objects of the scope's project: NOT_FOUND
 * naming the argument (e.g. `input.target.cloudId: Cloud '…' not found`) otherwise, where a listing
 * would silently match nothing. Use it where a filter is kept (runs, schedules), so a mistyped or foreign
 * id is refused instead of recorded. Other checks are deviceCriteria's (BAD_USER_INPUT). One batched
 * statement per kind of id given.
 */
export async function checkFilterIds(scope: Scope, filter: DeviceFilter | null | undefined, argument: string): Promise<void> {
  if (!filter) return;
  deviceCriteria(scope, filter);
  const l = scope.loaders;
  const slots = [
    ['cloudId', filter.cloudId, (k: number) => l.cloud.load(k)],
    ['regionId', filter.regionId, (k: number) => l.region.load(k)],
    ['cellId', filter.cellId, (k: number) => l.cell.load(k)],
    ['parentId', filter.parentId, (k: number) => l.device.load(k)],
  ] as const;
  await Promise.all(slots.map(async ([name, id, load]) => {
    if (id == null) return;
    const g = fromGlobalId(id, `${argument}.${name}`);
    const found = g.source === REFERENCE_SOURCE && /^[1-9]\d{0,15}$/.test(g.key) ? await load(Number(g.key)) : null;
    if (!found) throw new NotFoundError(`${argument}.${name}: ${g.type}`, id);
  }));
}
