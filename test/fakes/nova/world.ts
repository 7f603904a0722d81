/**
 * The state behind the fake OpenStack: compute hosts (service + hypervisor + resource provider), servers,
 * and live migrations that advance one step per {@link FakeWorld.tick}, as nova-api.md §2.5–2.6 describes:
 * `accepted → queued → preparing → running → completed` (server MIGRATING, then ACTIVE on the new host),
 * or `failed` (rolled back, ACTIVE on the source), or `error` (NoValidHost before it starts; server ERROR
 * when a late driver failure is injected).
 */
import { randomUUID } from 'node:crypto';

/** The resource classes the fake's compute nodes report. */
export type ResourceClass = 'VCPU' | 'MEMORY_MB' | 'DISK_GB';

/** A flavor as embedded in a server from 2.47. */
export interface FakeFlavor {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

/** How to seed one compute host. `node` (hypervisor_hostname) defaults to `${host}.example.org`. */
export interface FakeHostSeed {
  host: string;
  node?: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  status?: 'enabled' | 'disabled';
  disabledReason?: string | null;
  state?: 'up' | 'down';
  /** @default { VCPU: 16, MEMORY_MB: 1.5, DISK_GB: 1 } */
  allocationRatios?: Partial<Record<ResourceClass, number>>;
  /** Placement `reserved` of MEMORY_MB; also counted in Nova's memory_mb_used. @default 512 */
  reservedMemoryMb?: number;
}

/** How to seed one server. */
export interface FakeServerSeed {
  id?: string;
  name: string;
  host: string;
  flavor: FakeFlavor;
  /** @default 'active' */
  vmState?: 'active' | 'paused' | 'stopped' | 'error';
  locked?: boolean;
  tenantId?: string;
}

/** A compute host: its nova-compute service, its one hypervisor (node) and that node's resource provider. */
export interface FakeHost extends Required<Omit<FakeHostSeed, 'allocationRatios'>> {
  allocationRatios: Record<ResourceClass, number>;
  hypervisorId: string;
  hypervisorIntId: number;
  serviceId: string;
  serviceIntId: number;
  hostIp: string;
  forcedDown: boolean;
  updatedAt: number;
  rpGeneration: number;
}

/** A server; Nova's `status` is derived from vm_state and task_state by {@link FakeWorld.status}. */
export interface FakeServer {
  id: string;
  name: string;
  host: string;
  node: string;
  tenantId: string;
  vmState: 'active' | 'paused' | 'stopped' | 'error';
  taskState: string | null;
  locked: boolean;
  flavor: FakeFlavor;
  fault: { code: number; message: string; created: string } | null;
  updatedAt: number;
}

/** Live-migration statuses (nova-api.md §2.5); `cancelled` is never set by the fake. */
export type MigrationStatus = 'accepted' | 'queued' | 'preparing' | 'running' | 'completed' | 'failed' | 'error' | 'cancelled';

/** A live-migration record; times are epoch ms, rendered in Nova's format by the views. */
export interface FakeMigration {
  id: number;
  uuid: string;
  serverId: string;
  sourceCompute: string;
  sourceNode: string;
  /** The requested destination until scheduled, then the chosen one; null if scheduling failed. */
  destCompute: string | null;
  destNode: string | null;
  status: MigrationStatus;
  createdAt: number;
  updatedAt: number;
}

/** An injected migration failure: `failed` rolls back to the source; `error` leaves the server in ERROR. */
export interface MigrationFault {
  mode: 'failed' | 'error';
  /** How many more migrations of the server fail. */
  remaining: number;
}

const IN_PROGRESS: MigrationStatus[] = ['accepted', 'queued', 'preparing', 'running'];
const DEFAULT_RATIOS: Record<ResourceClass, number> = { VCPU: 16, MEMORY_MB: 1.5, DISK_GB: 1 };

/** Nova's timestamp format: UTC, microseconds, no zone suffix. */
export function novaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

/** Parses an ISO 8601 time, reading one without a zone as UTC (as Nova does). */
export function parseNovaTime(text: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

/** The mutable state of the fake cloud. */
export class FakeWorld {
  readonly hosts: FakeHost[] = [];
  readonly servers: FakeServer[] = [];
  readonly migrations: FakeMigration[] = [];
  readonly migrationFaults = new Map<string, MigrationFault>();
  /** Servers held in a task state (a snapshot, a resize...) for this many more ticks; see {@link FakeWorld.holdTaskState}. */
  readonly taskStateHolds = new Map<string, { taskState: string; ticks: number }>();
  /** The project servers belong to unless seeded otherwise. */
  readonly projectId: string;
  private nextMigrationId = 1;

  constructor(
    seed: { hosts: FakeHostSeed[]; servers: FakeServerSeed[]; projectId: string },
    readonly now: () => number,
  ) {
    this.projectId = seed.projectId;
    seed.hosts.forEach((h, i) => this.addHost(h, i));
    seed.servers.forEach((s) => this.addServer(s));
  }

  /** Adds a compute host with fresh UUIDs for its hypervisor and service. */
  addHost(seed: FakeHostSeed, index = this.hosts.length): FakeHost {
    const host: FakeHost = {
      node: `${seed.host}.example.org`, status: 'enabled', disabledReason: null, state: 'up', reservedMemoryMb: 512,
      ...seed,
      allocationRatios: { ...DEFAULT_RATIOS, ...seed.allocationRatios },
      hypervisorId: randomUUID(), hypervisorIntId: index + 1, serviceId: randomUUID(), serviceIntId: index + 10,
      hostIp: `192.168.${Math.floor((index + 10) / 250)}.${(index + 10) % 250}`, forcedDown: false, updatedAt: this.now(), rpGeneration: 1,
    };
    this.hosts.push(host);
    return host;
  }

  /** Adds a server on a seeded host; throws if the host does not exist. */
  addServer(seed: FakeServerSeed): FakeServer {
    const host = this.requireHost(seed.host);
    const server: FakeServer = {
      id: seed.id ?? randomUUID(), name: seed.name, host: host.host, node: host.node, tenantId: seed.tenantId ?? this.projectId,
      vmState: seed.vmState ?? 'active', taskState: null, locked: seed.locked ?? false, flavor: seed.flavor, fault: null, updatedAt: this.now(),
    };
    this.servers.push(server);
    return server;
  }

  /** A host by compute host name. */
  host(name: string): FakeHost | undefined {
    return this.hosts.find((h) => h.host === name);
  }

  /** A host by name, or a thrown Error (a bug in the test's seed). */
  requireHost(name: string): FakeHost {
    const host = this.host(name);
    if (!host) throw new Error(`fake nova: no host ${name}`);
    return host;
  }

  /** A server by id. */
  server(id: string): FakeServer | undefined {
    return this.servers.find((s) => s.id === id);
  }

  /** Servers whose `OS-EXT-SRV-ATTR:host` is `host` (a migrating server stays on its source until done). */
  serversOn(host: string): FakeServer[] {
    return this.servers.filter((s) => s.host === host);
  }

  /** Nova's server `status` from vm_state and task_state (`_STATE_MAP`, trimmed). */
  status(server: FakeServer): string {
    if (server.vmState === 'error') return 'ERROR';
    if (server.vmState === 'stopped') return 'SHUTOFF';
    if (server.vmState === 'paused') return 'PAUSED';
    return server.taskState === 'migrating' ? 'MIGRATING' : 'ACTIVE';
  }

  /** Placement usages of a host: its servers plus in-progress migrations that target it. */
  usage(hostName: string): Record<ResourceClass, number> {
    const usage: Record<ResourceClass, number> = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
    const add = (f: FakeFlavor) => {
      usage.VCPU += f.vcpus;
      usage.MEMORY_MB += f.ram;
      usage.DISK_GB += f.disk;
    };
    for (const s of this.serversOn(hostName)) add(s.flavor);
    for (const m of this.migrations) {
      if (m.destCompute === hostName && IN_PROGRESS.includes(m.status) && m.status !== 'accepted') add(this.server(m.serverId)!.flavor);
    }
    return usage;
  }

  /** Placement inventories of a host's resource provider. */
  inventories(host: FakeHost): Record<ResourceClass, { total: number; reserved: number; max_unit: number; allocation_ratio: number }> {
    return {
      VCPU: { total: host.vcpus, reserved: 0, max_unit: host.vcpus, allocation_ratio: host.allocationRatios.VCPU },
      MEMORY_MB: { total: host.memoryMb, reserved: host.reservedMemoryMb, max_unit: host.memoryMb, allocation_ratio: host.allocationRatios.MEMORY_MB },
      DISK_GB: { total: host.localGb, reserved: 0, max_unit: host.localGb, allocation_ratio: host.allocationRatios.DISK_GB },
    };
  }

  /** Whether a flavor fits a host now, by Placement's capacity formula and max_unit. */
  fits(host: FakeHost, flavor: FakeFlavor): boolean {
    const usage = this.usage(host.host);
    const want: Record<ResourceClass, number> = { VCPU: flavor.vcpus, MEMORY_MB: flavor.ram, DISK_GB: flavor.disk };
    return (Object.entries(this.inventories(host)) as Array<[ResourceClass, ReturnType<FakeWorld['inventories']>[ResourceClass]]>).every(
      ([rc, inv]) => want[rc] <= inv.max_unit && Math.trunc((inv.total - inv.reserved) * inv.allocation_ratio) - usage[rc] >= want[rc],
    );
  }

  /** Records a live migration as the API does on 202: task_state `migrating`, migration `accepted`. */
  startLiveMigration(server: FakeServer, destHost: string | null): FakeMigration {
    const at = this.now();
    server.taskState = 'migrating';
    server.updatedAt = at;
    const migration: FakeMigration = {
      id: this.nextMigrationId++, uuid: randomUUID(), serverId: server.id, sourceCompute: server.host, sourceNode: server.node,
      destCompute: destHost, destNode: destHost ? this.requireHost(destHost).node : null, status: 'accepted', createdAt: at, updatedAt: at,
    };
    this.migrations.push(migration);
    return migration;
  }

  /** Migrations still running (the ones GET /servers/{id}/migrations lists). */
  inProgress(): FakeMigration[] {
    return this.migrations.filter((m) => ['queued', 'preparing', 'running'].includes(m.status));
  }

  /**
   * Puts a server in a task state other than `migrating` (e.g. `image_snapshot` while a snapshot is taken)
   * for `ticks` ticks. Meanwhile its status stays what its vm_state says (ACTIVE), and os-migrateLive
   * answers 409 "Cannot 'os-migrateLive' instance ... while it is in task_state ...", as Nova's
   * check_instance_state does. The task state clears on the `ticks`-th tick.
   */
  holdTaskState(server: FakeServer, taskState: string, ticks: number): void {
    if (taskState === 'migrating') throw new Error('fake nova: use os-migrateLive for a migrating server');
    server.taskState = taskState;
    server.updatedAt = this.now();
    this.taskStateHolds.set(server.id, { taskState, ticks });
  }

  /** Advances every unfinished live migration by one step, and the task states held by {@link holdTaskState}. */
  tick(): void {
    for (const [id, hold] of this.taskStateHolds) {
      if (--hold.ticks > 0) continue;
      this.taskStateHolds.delete(id);
      const server = this.server(id);
      if (server && server.taskState === hold.taskState) {
        server.taskState = null;
        server.updatedAt = this.now();
      }
    }
    for (const m of this.migrations) {
      if (!IN_PROGRESS.includes(m.status)) continue;
      const server = this.server(m.serverId)!;
      if (m.status === 'accepted') this.schedule(m, server);
      else if (m.status === 'queued') this.advance(m, 'preparing');
      else if (m.status === 'preparing') this.advance(m, 'running');
      else this.finish(m, server);
    }
  }

  /** Where the scheduler would put a server now: the named host if usable, else the usable host with most free RAM. */
  destinationFor(server: FakeServer, requested: string | null): FakeHost | undefined {
    const usable = (h: FakeHost) => h.host !== server.host && h.status === 'enabled' && h.state === 'up' && !h.forcedDown && this.fits(h, server.flavor);
    if (requested) return this.hosts.find((h) => h.host === requested && usable(h));
    return this.hosts.filter(usable).sort((a, b) => this.freeRam(b) - this.freeRam(a) || a.host.localeCompare(b.host))[0];
  }

  /** The conductor's scheduling step; no destination ends the migration in `error` (NoValidHost). */
  private schedule(m: FakeMigration, server: FakeServer): void {
    const dest = this.destinationFor(server, m.destCompute);
    if (!dest) return this.rollback(m, server, 'error');
    m.destCompute = dest.host;
    m.destNode = dest.node;
    this.advance(m, 'queued');
  }

  private finish(m: FakeMigration, server: FakeServer): void {
    const fault = this.migrationFaults.get(server.id);
    if (fault && fault.remaining > 0) {
      fault.remaining--;
      if (fault.mode === 'failed') return this.rollback(m, server, 'failed');
      this.advance(m, 'error');
      server.vmState = 'error';
      server.taskState = null;
      server.fault = { code: 500, message: `Live migration of instance ${server.id} failed on ${m.destCompute}`, created: novaTime(this.now()) };
      server.updatedAt = this.now();
      return;
    }
    const dest = this.requireHost(m.destCompute!);
    server.host = dest.host;
    server.node = dest.node;
    server.taskState = null;
    server.updatedAt = this.now();
    this.advance(m, 'completed');
  }

  private rollback(m: FakeMigration, server: FakeServer, status: 'failed' | 'error'): void {
    server.taskState = null;
    server.updatedAt = this.now();
    this.advance(m, status);
  }

  private advance(m: FakeMigration, status: MigrationStatus): void {
    m.status = status;
    m.updatedAt = this.now();
  }

  private freeRam(h: FakeHost): number {
    const inv = this.inventories(h).MEMORY_MB;
    return Math.trunc((inv.total - inv.reserved) * inv.allocation_ratio) - this.usage(h.host).MEMORY_MB;
  }
}
