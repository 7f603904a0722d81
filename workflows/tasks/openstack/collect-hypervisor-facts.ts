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

/** What the audit provides as `facts` (and writes back as the `audit.capacity` variable). */
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
  collectedAt: string;
}

const paramsSchema = z.looseObject({ includeServers: z.boolean().default(false) });

/**
 * Gathers, for the target's compute host: its nova-compute service state, vcpus/memory/disk used vs total,
 * running VMs and Placement capacity. Costs about 5 + 2 per node calls (+1 per extra page of servers).
 * At compute microversions from 2.88 Nova no longer reports capacity, so totals and usage come from
 * Placement (reserved memory added to `used`, to match Nova's older numbers). Read-only, so safe in dry
 * runs and on resumption.
 */
export const collectHypervisorFacts: TaskDefinition = {
  name: 'collect-hypervisor-facts',
  provides: ['facts'],
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
      collectedAt: new Date(driver.now()).toISOString(),
    };
    await ctx.log(`collected capacity of ${host}`, { vcpus: facts.vcpus, memoryMb: facts.memoryMb, runningVms: facts.runningVms });
    return { facts };
  },
};

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
