/**
 * The Placement calls our audit makes: find a compute node's resource provider and read its inventories
 * and usages, and the capacity math Placement itself uses (nova-api.md §3).
 */
import { z } from 'zod';
import { withQuery, type OpenStackEffects } from './http.js';
import type { KeystoneSession } from './keystone.js';
import { validateResponse } from './nova.js';

const providerSchema = z.looseObject({
  uuid: z.string(),
  name: z.string(),
  generation: z.number(),
  parent_provider_uuid: z.string().nullish(),
  root_provider_uuid: z.string().nullish(),
});
const inventorySchema = z.looseObject({
  total: z.number(),
  reserved: z.number().default(0),
  min_unit: z.number().default(1),
  max_unit: z.number(),
  step_size: z.number().default(1),
  allocation_ratio: z.number().default(1),
});

/** A resource provider; a compute node's has uuid = hypervisor id and name = hypervisor_hostname. */
export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
  parentProviderUuid: string | null;
  rootProviderUuid: string | null;
}

/** One resource class's inventory. */
export interface Inventory {
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
}

/** Capacity of one resource class as Placement computes it. */
export interface ResourceCapacity {
  total: number;
  reserved: number;
  allocationRatio: number;
  /** `int((total - reserved) * allocation_ratio)`. */
  capacity: number;
  /** Sum of allocations (instances plus in-progress migrations). */
  used: number;
  /** `capacity - used`; may be negative after a ratio change. */
  available: number;
  /** Largest single allocation; a VM whose flavor asks for more cannot land here. */
  maxUnit: number;
}

/** Client of the Placement API at one microversion (1.14 or later for provider trees). */
export class PlacementClient {
  constructor(
    private readonly session: KeystoneSession,
    readonly effects: OpenStackEffects,
    readonly microversion: string = '1.14',
  ) {
    if (!/^1\.\d+$/.test(microversion)) throw new Error(`placement microversion must look like 1.NN, got '${microversion}'`);
  }

  /** Providers with exactly this name (Placement's `name` filter is exact); [] when none. */
  async findProvidersByName(name: string, signal: AbortSignal): Promise<ResourceProvider[]> {
    const path = withQuery('/resource_providers', { name });
    const parsed = validateResponse(z.object({ resource_providers: z.array(providerSchema) }), await this.get(path, signal), path);
    return parsed.resource_providers.map((p) => ({
      uuid: p.uuid,
      name: p.name,
      generation: p.generation,
      parentProviderUuid: p.parent_provider_uuid ?? null,
      rootProviderUuid: p.root_provider_uuid ?? null,
    }));
  }

  /** Inventories by resource class (VCPU, MEMORY_MB, DISK_GB, PCPU, ...); throws `NotFound` for an unknown provider. */
  async getInventories(providerUuid: string, signal: AbortSignal): Promise<Record<string, Inventory>> {
    const path = `/resource_providers/${encodeURIComponent(providerUuid)}/inventories`;
    const parsed = validateResponse(z.object({ inventories: z.record(z.string(), inventorySchema) }), await this.get(path, signal), path);
    return Object.fromEntries(
      Object.entries(parsed.inventories).map(([rc, i]) => [
        rc,
        { total: i.total, reserved: i.reserved, minUnit: i.min_unit, maxUnit: i.max_unit, stepSize: i.step_size, allocationRatio: i.allocation_ratio },
      ]),
    );
  }

  /** Usages by resource class; throws `NotFound` for an unknown provider. */
  async getUsages(providerUuid: string, signal: AbortSignal): Promise<Record<string, number>> {
    const path = `/resource_providers/${encodeURIComponent(providerUuid)}/usages`;
    return validateResponse(z.object({ usages: z.record(z.string(), z.number()) }), await this.get(path, signal), path).usages;
  }

  /** Inventories and usages combined per resource class (two GETs). */
  async getCapacity(providerUuid: string, signal: AbortSignal): Promise<Record<string, ResourceCapacity>> {
    const [inventories, usages] = await Promise.all([this.getInventories(providerUuid, signal), this.getUsages(providerUuid, signal)]);
    return computeCapacity(inventories, usages);
  }

  private async get(path: string, signal: AbortSignal): Promise<unknown> {
    const headers = { 'OpenStack-API-Version': `placement ${this.microversion}` };
    return (await this.session.request('placement', { method: 'GET', path, headers, signal })).body;
  }
}

/**
 * Placement's capacity formula per resource class present in `inventories`; usages of classes without
 * inventory are ignored.
 */
export function computeCapacity(inventories: Record<string, Inventory>, usages: Record<string, number>): Record<string, ResourceCapacity> {
  const out: Record<string, ResourceCapacity> = {};
  for (const [rc, inv] of Object.entries(inventories)) {
    const capacity = Math.trunc((inv.total - inv.reserved) * inv.allocationRatio);
    const used = usages[rc] ?? 0;
    out[rc] = {
      total: inv.total, reserved: inv.reserved, allocationRatio: inv.allocationRatio, capacity, used, available: capacity - used, maxUnit: inv.maxUnit,
    };
  }
  return out;
}
