/**
 * collect-hypervisor-facts: read-only audit of one compute host's capacity and load.
 */
import { z } from 'zod';
import type { Hypervisor, OpenStackDriver, ResourceCapacity, Server } from '../../drivers/openstack.js';
import type { TaskDefinition } from '../../types.js';
import { openstackDriver, readParams, resolveComputeHost } from './common.js';

/** Used vs total of one resource. */
export interface UsedTotal {
  total: number;
  used: number;
}

/**
 * What the audit provides as `capacity` and writes back as the device variable `capacity`: flat numbers
 * operators search (`capacity.memory_mb_available`, `capacity.running_vms`...). Physical amounts, as Nova
 * reports them: `*_available` is total minus used (no overcommit; Placement's schedulable capacity, with
 * allocation ratios, is in {@link CapacityDetails}). Memory `used` includes the host's reserved memory.
 * Holds no timestamp, so auditing an unchanged host writes (and records) nothing.
 */
export interface CapacitySummary {
  host: string;
  /** `up` unless a node of the host is down. */
  state: string;
  /** The nova-compute service: `enabled` or `disabled`. */
  service_status: string;
  /** Where the numbers came from: Nova hypervisors (microversion <= 2.87) or Placement. */
  source: 'nova' | 'placement';
  vcpus: number;
  vcpus_used: number;
  vcpus_available: number;
  memory_mb: number;
  memory_mb_used: number;
  memory_mb_available: number;
  disk_gb: number;
  disk_gb_used: number;
  disk_gb_available: number;
  running_vms: number;
}

/** What the audit provides as `details` and writes back as the device variable `capacity_details`. */
export interface CapacityDetails {
  hypervisor_hostnames: string[];
  service: { status: string; state: string | null; disabled_reason: string | null; forced_down: boolean | null };
  /** Placement's view per resource class (allocation ratios applied), summed over the host's nodes. */
  placement: Record<string, { total: number; reserved: number; allocation_ratio: number; capacity: number; used: number; available: number; max_unit: number }>;
  /** Present when the run's `includeServers` is true. */
  servers?: Array<{ id: string; name: string; status: string; vcpus: number | null; ram_mb: number | null }>;
}

/** Everything the audit gathers about one host (the source of {@link CapacitySummary} and {@link CapacityDetails}). */
export interface HypervisorFacts {
  host: string;
  hypervisorHostnames: string[];
  service: { status: string; state: string | null; disabledReason: string | null; forcedDown: boolean | null };
  /** `up` unless any node of the host is down. */
  state: string;
  vcpus: UsedTotal;
  /** `used` includes the host's reserved memory, as Nova's `memory_mb_used` does. */
  memoryMb: UsedTotal;
  diskGb: UsedTotal;
  runningVms: number;
  /** Where vcpus/memory/disk came from: Nova hypervisors (microversion <= 2.87) or Placement. */
  capacitySource: 'nova' | 'placement';
  /** Placement's view per resource class (allocation ratios applied), summed over the host's nodes. */
  placement: Record<string, ResourceCapacity>;
  /** Present when the run's `includeServers` is true. */
  servers?: Array<{ id: string; name: string; status: string; vcpus: number | null; ramMb: number | null }>;
}

const paramsSchema = z.looseObject({ includeServers: z.boolean().default(false) });

/**
 * Gathers, for the target's compute host: its nova-compute service state, vcpus/memory/disk used vs total,
 * running VMs and Placement capacity, and provides them as `capacity` ({@link CapacitySummary}) and
 * `details` ({@link CapacityDetails}). Costs about 5 + 2 per node calls (+1 per extra page of servers).
 * At compute microversions from 2.88 Nova no longer reports capacity, so totals and usage come from
 * Placement inventories and usages (reserved memory added to `used`, to match Nova's older numbers).
 * Read-only, so safe in dry runs and on resumption.
 */
export const collectHypervisorFacts: TaskDefinition = {
  name: 'collect-hypervisor-facts',
  provides: ['capacity', 'details'],
  safeInDryRun: true,
  timeoutMs: 60_000,
  async execute(ctx) {
    const { includeServers } = readParams(ctx, paramsSchema);
    const driver = openstackDriver(ctx);
    const { host, service } = await resolveComputeHost(driver, ctx.target, ctx.signal);
    let hypervisors = (await driver.nova.listHypervisors(host, ctx.signal)).filter((h) => h.service.host === host);
    // Node names usually contain the host name; when they do not (ironic), read the whole list once.
    if (!hypervisors.length) hypervisors = (await driver.nova.listHypervisors(null, ctx.signal)).filter((h) => h.service.host === host);
    const servers = await driver.nova.listServersOnHost(host, ctx.signal);
    const placement = await placementOf(driver, hypervisors, ctx.signal);
    const facts: HypervisorFacts = {
      host,
      hypervisorHostnames: hypervisors.map((h) => h.hypervisorHostname),
      service: { status: service.status, state: service.state, disabledReason: service.disabledReason, forcedDown: service.forcedDown },
      state: hypervisors.every((h) => h.state === 'up') ? 'up' : 'down',
      ...usage(hypervisors, placement, servers),
      placement,
      ...(includeServers
        ? { servers: servers.map((s) => ({ id: s.id, name: s.name, status: s.status, vcpus: s.flavor.vcpus, ramMb: s.flavor.ramMb })) }
        : {}),
    };
    const capacity = summarise(facts);
    await ctx.log(`collected capacity of ${host}`, capacity);
    return { capacity, details: detailsOf(facts) };
  },
};

/** The flat, searchable summary of a host's facts. */
export function summarise(facts: HypervisorFacts): CapacitySummary {
  return {
    host: facts.host,
    state: facts.state,
    service_status: facts.service.status,
    source: facts.capacitySource,
    vcpus: facts.vcpus.total,
    vcpus_used: facts.vcpus.used,
    vcpus_available: Math.max(0, facts.vcpus.total - facts.vcpus.used),
    memory_mb: facts.memoryMb.total,
    memory_mb_used: facts.memoryMb.used,
    memory_mb_available: Math.max(0, facts.memoryMb.total - facts.memoryMb.used),
    disk_gb: facts.diskGb.total,
    disk_gb_used: facts.diskGb.used,
    disk_gb_available: Math.max(0, facts.diskGb.total - facts.diskGb.used),
    running_vms: facts.runningVms,
  };
}

function detailsOf(facts: HypervisorFacts): CapacityDetails {
  const s = facts.service;
  return {
    hypervisor_hostnames: facts.hypervisorHostnames,
    service: { status: s.status, state: s.state, disabled_reason: s.disabledReason, forced_down: s.forcedDown },
    placement: Object.fromEntries(
      Object.entries(facts.placement).map(([rc, c]) => [
        rc,
        { total: c.total, reserved: c.reserved, allocation_ratio: c.allocationRatio, capacity: c.capacity, used: c.used, available: c.available, max_unit: c.maxUnit },
      ]),
    ),
    ...(facts.servers ? { servers: facts.servers.map((v) => ({ id: v.id, name: v.name, status: v.status, vcpus: v.vcpus, ram_mb: v.ramMb })) } : {}),
  };
}

/** Placement capacity of each node's resource provider, summed per resource class. */
async function placementOf(driver: OpenStackDriver, hypervisors: Hypervisor[], signal: AbortSignal): Promise<Record<string, ResourceCapacity>> {
  const total: Record<string, ResourceCapacity> = {};
  for (const h of hypervisors) {
    const [provider] = await driver.placement.findProvidersByName(h.hypervisorHostname, signal);
    if (!provider) continue;
    for (const [rc, c] of Object.entries(await driver.placement.getCapacity(provider.uuid, signal))) {
      const t = total[rc];
      total[rc] = t
        ? {
            total: t.total + c.total, reserved: t.reserved + c.reserved, allocationRatio: c.allocationRatio, capacity: t.capacity + c.capacity,
            used: t.used + c.used, available: t.available + c.available, maxUnit: Math.max(t.maxUnit, c.maxUnit),
          }
        : { ...c };
    }
  }
  return total;
}

function usage(
  hypervisors: Hypervisor[],
  placement: Record<string, ResourceCapacity>,
  servers: Server[],
): Pick<HypervisorFacts, 'vcpus' | 'memoryMb' | 'diskGb' | 'runningVms' | 'capacitySource'> {
  const fromNova = hypervisors.length > 0 && hypervisors.every((h) => h.capacity !== null);
  if (fromNova) {
    const sum = (f: (c: NonNullable<Hypervisor['capacity']>) => number) => hypervisors.reduce((n, h) => n + f(h.capacity!), 0);
    return {
      vcpus: { total: sum((c) => c.vcpus), used: sum((c) => c.vcpusUsed) },
      memoryMb: { total: sum((c) => c.memoryMb), used: sum((c) => c.memoryMbUsed) },
      diskGb: { total: sum((c) => c.localGb), used: sum((c) => c.localGbUsed) },
      runningVms: sum((c) => c.runningVms),
      capacitySource: 'nova',
    };
  }
  const rc = (name: string) => placement[name];
  return {
    vcpus: { total: rc('VCPU')?.total ?? rc('PCPU')?.total ?? 0, used: rc('VCPU')?.used ?? rc('PCPU')?.used ?? 0 },
    memoryMb: { total: rc('MEMORY_MB')?.total ?? 0, used: (rc('MEMORY_MB')?.used ?? 0) + (rc('MEMORY_MB')?.reserved ?? 0) },
    diskGb: { total: rc('DISK_GB')?.total ?? 0, used: rc('DISK_GB')?.used ?? 0 },
    runningVms: servers.length,
    capacitySource: 'placement',
  };
}
