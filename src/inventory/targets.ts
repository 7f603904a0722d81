import { toGlobalId } from '../ids.js';
import { deviceCriteria, type Catalog, type DeviceFilter } from './catalog.js';
import type { Scope } from './scope.js';
import { resolved } from './variables.js';

/** A device as a workflow target: its global id, name, address and resolved variables at plan time. */
export interface TargetDeviceRecord {
  id: string;
  name: string;
  ipAddress: string | null;
  variables: Record<string, unknown>;
}

/** Devices read per round. */
const PAGE = 1000;

/**
 * Every device of the scope's project that matches `filter` (hosts and network devices), in id order,
 * with resolved variables. Reads rounds of 1000 devices; each round costs a constant number of batched
 * statements (page, ancestors, containers, variables), never one per device. `limit` bounds the answer:
 * more matches than that throws `onTooMany(limit)`'s error before anything else is read.
 * Bad filter ids are BAD_USER_INPUT (deviceCriteria); ids of another project match nothing.
 */
export async function resolveTargets(
  scope: Scope,
  catalog: Catalog,
  filter: DeviceFilter | null | undefined,
  limit = Number.MAX_SAFE_INTEGER,
  onTooMany: (limit: number) => Error = (n) => new Error(`more than ${n} devices match`),
): Promise<TargetDeviceRecord[]> {
  const criteria = deviceCriteria(scope, filter);
  const wanted = filter?.sources;
  if (wanted && !wanted.includes(catalog.reference.name)) return [];
  const out: TargetDeviceRecord[] = [];
  for (let afterKey = 0; ;) {
    const { rows } = await catalog.reference.listDevices(criteria, { first: PAGE, afterKey });
    const page = rows.slice(0, PAGE);
    if (out.length + page.length > limit) throw onTooMany(limit);
    page.forEach((d) => scope.loaders.device.prime(d.id, d));
    const vars = await Promise.all(page.map((d) => resolved(scope, d)));
    page.forEach((d, i) => {
      out.push({ id: toGlobalId(d.kind === 'host' ? 'Host' : 'NetworkDevice', d.id), name: d.name, ipAddress: d.ipAddress, variables: vars[i]!.values });
    });
    if (rows.length <= PAGE) break;
    afterKey = page.at(-1)!.id;
    // A fresh round: drop what the previous one cached so memory stays flat.
    scope.loaders.variables.clearAll();
    scope.loaders.ancestors.clearAll();
    scope.loaders.device.clearAll();
  }
  return out;
}
