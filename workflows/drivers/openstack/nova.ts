/**
 * The Nova (compute v2.1) calls our workflows make, at one pinned microversion of 2.59 or later: hypervisors,
 * nova-compute services, servers on a host, os-migrateLive and migrations. Responses are validated and
 * returned camelCased; see /work/shared/data/nova-api.md §2 for the wire format.
 */
import { z } from 'zod';
import { TaskError } from '../../types.js';
import { openstackError } from './errors.js';
import { withQuery, type OpenStackEffects } from './http.js';
import type { KeystoneSession } from './keystone.js';

/** Lowest compute microversion the driver speaks: UUID ids, PUT /os-services/{id}, sorted /os-migrations. */
export const MIN_COMPUTE_MICROVERSION = 59;
/** Hypervisor capacity fields exist up to 2.87; from 2.88 capacity comes from Placement. */
export const LAST_COMPUTE_CAPACITY_MICROVERSION = 87;

const id = z.union([z.string(), z.number()]).transform(String);
const num = z.number().optional();
const hypervisorSchema = z.looseObject({
  id,
  hypervisor_hostname: z.string(),
  state: z.string(),
  status: z.string(),
  host_ip: z.string().nullish(),
  hypervisor_type: z.string().nullish(),
  service: z.looseObject({ host: z.string(), id, disabled_reason: z.string().nullish() }),
  vcpus: num, vcpus_used: num, memory_mb: num, memory_mb_used: num, local_gb: num, local_gb_used: num, running_vms: num,
});
const linksSchema = z.array(z.looseObject({ href: z.string(), rel: z.string() })).optional();
const serviceSchema = z.looseObject({
  id, host: z.string(), binary: z.string().optional(), status: z.string(), state: z.string().optional(),
  disabled_reason: z.string().nullish(), forced_down: z.boolean().optional(), updated_at: z.string().nullish(), zone: z.string().optional(),
});
const serverSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  'OS-EXT-SRV-ATTR:host': z.string().nullish(),
  'OS-EXT-SRV-ATTR:hypervisor_hostname': z.string().nullish(),
  'OS-EXT-STS:vm_state': z.string().nullish(),
  'OS-EXT-STS:task_state': z.string().nullish(),
  locked: z.boolean().optional(),
  flavor: z.looseObject({ vcpus: num, ram: num, disk: num, original_name: z.string().optional() }).optional(),
  fault: z.looseObject({ code: num, message: z.string().optional() }).optional(),
});
const migrationSchema = z.looseObject({
  id: z.number(),
  uuid: z.string().optional(),
  instance_uuid: z.string(),
  status: z.string(),
  migration_type: z.string().optional(),
  source_compute: z.string().nullish(),
  dest_compute: z.string().nullish(),
  source_node: z.string().nullish(),
  dest_node: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
});

/** A hypervisor (compute node). `capacity` is present only at microversions up to 2.87. */
export interface Hypervisor {
  /** UUID; also the uuid of the node's Placement resource provider. */
  id: string;
  hypervisorHostname: string;
  /** `up` / `down`. */
  state: string;
  /** `enabled` / `disabled`, mirroring the nova-compute service. */
  status: string;
  hostIp: string | null;
  hypervisorType: string | null;
  service: { id: string; host: string; disabledReason: string | null };
  capacity: null | {
    vcpus: number; vcpusUsed: number; memoryMb: number; memoryMbUsed: number; localGb: number; localGbUsed: number; runningVms: number;
  };
}

/** A nova-compute service. */
export interface ComputeService {
  id: string;
  host: string;
  status: 'enabled' | 'disabled' | string;
  state: 'up' | 'down' | string | null;
  disabledReason: string | null;
  forcedDown: boolean | null;
  /** Nova's timestamp (UTC, often without a zone suffix) of the last change. */
  updatedAt: string | null;
  zone: string | null;
}

/** A server as an admin sees it. */
export interface Server {
  id: string;
  name: string;
  /** ACTIVE, MIGRATING, PAUSED, SHUTOFF, ERROR, ... */
  status: string;
  /** Compute service host (`OS-EXT-SRV-ATTR:host`). */
  host: string | null;
  hypervisorHostname: string | null;
  vmState: string | null;
  /** null when no operation is in progress. */
  taskState: string | null;
  locked: boolean;
  flavor: { vcpus: number | null; ramMb: number | null; diskGb: number | null; name: string | null };
  faultMessage: string | null;
}

/** A migration record from /os-migrations. */
export interface Migration {
  id: number;
  uuid: string | null;
  serverId: string;
  /** accepted, queued, preparing, running, completed, failed, error, cancelled. */
  status: string;
  migrationType: string | null;
  sourceCompute: string | null;
  destCompute: string | null;
  createdAt: string;
  updatedAt: string | null;
}

/** Filters of GET /os-migrations (always restricted to live migrations). */
export interface MigrationQuery {
  serverId?: string;
  sourceCompute?: string;
  status?: string;
  /** ISO 8601; migrations updated at or after it. */
  changesSince?: string;
}

/** Client of the Nova compute API at one microversion. */
export class NovaClient {
  readonly microversion: string;
  /** Whether hypervisors carry capacity fields at this microversion (<= 2.87). */
  readonly capacityFromNova: boolean;

  constructor(
    private readonly session: KeystoneSession,
    readonly effects: OpenStackEffects,
    microversion: string,
  ) {
    const match = /^2\.(\d+)$/.exec(microversion);
    if (!match || Number(match[1]) < MIN_COMPUTE_MICROVERSION) {
      throw new Error(`compute microversion must be 2.${MIN_COMPUTE_MICROVERSION} or later (format 2.NN), got '${microversion}'`);
    }
    this.microversion = microversion;
    this.capacityFromNova = Number(match[1]) <= LAST_COMPUTE_CAPACITY_MICROVERSION;
  }

  /**
   * Hypervisors whose `hypervisor_hostname` contains `pattern` (Nova matches a substring), or every
   * hypervisor when no pattern is given (following `hypervisors_links`, one call per page). A pattern
   * that matches nothing yields [] rather than Nova's 404.
   */
  async listHypervisors(pattern: string | null, signal: AbortSignal): Promise<Hypervisor[]> {
    const out: Hypervisor[] = [];
    let path = withQuery('/os-hypervisors/detail', { hypervisor_hostname_pattern: pattern });
    for (let page = 0; page < 1000; page++) {
      let body: unknown;
      try {
        body = await this.get(path, signal);
      } catch (err) {
        if (pattern && err instanceof TaskError && err.type === 'NotFound') return [];
        throw err;
      }
      const parsed = validateResponse(z.object({ hypervisors: z.array(hypervisorSchema), hypervisors_links: linksSchema }), body, path);
      out.push(...parsed.hypervisors.map(toHypervisor));
      const next = parsed.hypervisors_links?.find((l) => l.rel === 'next');
      if (!next || pattern) break;
      path = '/os-hypervisors/detail' + new URL(next.href).search;
    }
    return out;
  }

  /** nova-compute services, of one compute host or (null) all. */
  async listComputeServices(host: string | null, signal: AbortSignal): Promise<ComputeService[]> {
    const path = withQuery('/os-services', { binary: 'nova-compute', host });
    const parsed = validateResponse(z.object({ services: z.array(serviceSchema) }), await this.get(path, signal), path);
    return parsed.services.map(toService);
  }

  /** The nova-compute service of a compute host, or null when Nova has none by that host name. */
  async getComputeService(host: string, signal: AbortSignal): Promise<ComputeService | null> {
    return (await this.listComputeServices(host, signal))[0] ?? null;
  }

  /** Disables a nova-compute service (PUT /os-services/{id}); `reason` is cut to Nova's 255 characters. */
  async disableComputeService(serviceId: string, reason: string, signal: AbortSignal): Promise<ComputeService> {
    return this.updateService(serviceId, { status: 'disabled', disabled_reason: reason.slice(0, 255) }, signal);
  }

  /** Enables a nova-compute service; Nova clears its `disabled_reason`. */
  async enableComputeService(serviceId: string, signal: AbortSignal): Promise<ComputeService> {
    return this.updateService(serviceId, { status: 'enabled' }, signal);
  }

  /**
   * Every server on a compute host across all projects (`host` + `all_tenants`, admin only), following
   * `servers_links` page by page. Includes servers still migrating away.
   */
  async listServersOnHost(host: string, signal: AbortSignal): Promise<Server[]> {
    const out: Server[] = [];
    let path = withQuery('/servers/detail', { host, all_tenants: 1 });
    for (let page = 0; page < 1000; page++) {
      const parsed = validateResponse(z.object({ servers: z.array(serverSchema), servers_links: linksSchema }), await this.get(path, signal), path);
      out.push(...parsed.servers.map(toServer));
      const next = parsed.servers_links?.find((l) => l.rel === 'next');
      if (!next) break;
      path = '/servers/detail' + new URL(next.href).search;
    }
    return out;
  }

  /** One server; throws `NotFound` when it does not exist. */
  async getServer(serverId: string, signal: AbortSignal): Promise<Server> {
    const path = `/servers/${encodeURIComponent(serverId)}`;
    return toServer(validateResponse(z.object({ server: serverSchema }), await this.get(path, signal), path).server);
  }

  /**
   * Starts a live migration (os-migrateLive, `block_migration: "auto"`); Nova answers 202 and moves the
   * server asynchronously. `host: null` lets the scheduler choose. Throws `Conflict` (retryable) when
   * the server is already migrating or locked. Poll with {@link waitForLiveMigration} (migration.ts).
   */
  async liveMigrate(serverId: string, host: string | null, signal: AbortSignal): Promise<void> {
    await this.session.request('compute', {
      method: 'POST',
      path: `/servers/${encodeURIComponent(serverId)}/action`,
      headers: this.versionHeaders(),
      body: { 'os-migrateLive': { host, block_migration: 'auto' } },
      signal,
    });
  }

  /** Live migrations matching `query`, newest first (Nova's order from 2.59, re-sorted defensively). */
  async listMigrations(query: MigrationQuery, signal: AbortSignal): Promise<Migration[]> {
    const path = withQuery('/os-migrations', {
      instance_uuid: query.serverId,
      source_compute: query.sourceCompute,
      status: query.status,
      migration_type: 'live-migration',
      'changes-since': query.changesSince,
    });
    const parsed = validateResponse(z.object({ migrations: z.array(migrationSchema) }), await this.get(path, signal), path);
    return parsed.migrations
      .map(toMigration)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
  }

  private async updateService(serviceId: string, body: Record<string, string>, signal: AbortSignal): Promise<ComputeService> {
    const path = `/os-services/${encodeURIComponent(serviceId)}`;
    const result = await this.session.request('compute', { method: 'PUT', path, headers: this.versionHeaders(), body, signal });
    return toService(validateResponse(z.object({ service: serviceSchema }), result.body, path).service);
  }

  private async get(path: string, signal: AbortSignal): Promise<unknown> {
    return (await this.session.request('compute', { method: 'GET', path, headers: this.versionHeaders(), signal })).body;
  }

  /** Both spellings: `OpenStack-API-Version` wins on Nova >= 2.27; the legacy header is understood everywhere. */
  private versionHeaders(): Record<string, string> {
    return { 'OpenStack-API-Version': `compute ${this.microversion}`, 'X-OpenStack-Nova-API-Version': this.microversion };
  }
}

/** Validates a response body, throwing `BadResponse` (not retryable) naming the first bad field. */
export function validateResponse<T extends z.ZodType>(schema: T, body: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw openstackError('BadResponse', `unexpected response from ${path}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), false, { path });
}

function toHypervisor(h: z.infer<typeof hypervisorSchema>): Hypervisor {
  const hasCapacity = typeof h.vcpus === 'number' && typeof h.memory_mb === 'number';
  return {
    id: h.id,
    hypervisorHostname: h.hypervisor_hostname,
    state: h.state,
    status: h.status,
    hostIp: h.host_ip ?? null,
    hypervisorType: h.hypervisor_type ?? null,
    service: { id: h.service.id, host: h.service.host, disabledReason: h.service.disabled_reason ?? null },
    capacity: hasCapacity
      ? {
          vcpus: h.vcpus ?? 0, vcpusUsed: h.vcpus_used ?? 0, memoryMb: h.memory_mb ?? 0, memoryMbUsed: h.memory_mb_used ?? 0,
          localGb: h.local_gb ?? 0, localGbUsed: h.local_gb_used ?? 0, runningVms: h.running_vms ?? 0,
        }
      : null,
  };
}

function toService(s: z.infer<typeof serviceSchema>): ComputeService {
  return {
    id: s.id, host: s.host, status: s.status, state: s.state ?? null, disabledReason: s.disabled_reason ?? null,
    forcedDown: s.forced_down ?? null, updatedAt: s.updated_at ?? null, zone: s.zone ?? null,
  };
}

function toServer(s: z.infer<typeof serverSchema>): Server {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    host: s['OS-EXT-SRV-ATTR:host'] ?? null,
    hypervisorHostname: s['OS-EXT-SRV-ATTR:hypervisor_hostname'] ?? null,
    vmState: s['OS-EXT-STS:vm_state'] ?? null,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    locked: s.locked ?? false,
    flavor: { vcpus: s.flavor?.vcpus ?? null, ramMb: s.flavor?.ram ?? null, diskGb: s.flavor?.disk ?? null, name: s.flavor?.original_name ?? null },
    faultMessage: s.fault?.message ?? null,
  };
}

function toMigration(m: z.infer<typeof migrationSchema>): Migration {
  return {
    id: m.id, uuid: m.uuid ?? null, serverId: m.instance_uuid, status: m.status, migrationType: m.migration_type ?? null,
    sourceCompute: m.source_compute ?? null, destCompute: m.dest_compute ?? null, createdAt: m.created_at, updatedAt: m.updated_at ?? null,
  };
}
