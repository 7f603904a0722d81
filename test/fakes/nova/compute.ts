/**
 * Fake Nova: microversion negotiation (nova-api.md §2.0), hypervisors (§2.1) and compute services (§2.2).
 * Servers, os-migrateLive and migrations are in servers.ts.
 */
import { apiVersionFor, novaFault, type FakeRequest, type FakeResponse } from './http.js';
import { page, unknownQuery, type ComputeCall } from './paging.js';
import { handleServers } from './servers.js';
import { novaTime, type FakeHost, type FakeWorld } from './world.js';

export type { ComputeCall } from './paging.js';

/** The newest compute microversion of the Nova snapshot the doc was written from. */
export const MAX_COMPUTE_MINOR = 104;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the requested microversion: `OpenStack-API-Version` wins over the legacy header; none means 2.1. */
export function negotiateCompute(req: FakeRequest): { minor: number } | FakeResponse {
  const legacy = req.headers['x-openstack-nova-api-version'];
  const text = apiVersionFor(req.headers, 'compute') ?? (Array.isArray(legacy) ? legacy[0] : legacy);
  if (!text) return { minor: 1 };
  if (text === 'latest') return { minor: MAX_COMPUTE_MINOR };
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match) return novaFault(400, `API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
  const minor = Number(match[2]);
  if (match[1] !== '2' || minor < 1 || minor > MAX_COMPUTE_MINOR) {
    return novaFault(406, `Version ${text} is not supported by the API. Minimum is 2.1 and maximum is 2.${MAX_COMPUTE_MINOR}.`);
  }
  return { minor };
}

/** The headers Nova sets on every response at a microversion, errors included. */
export function computeHeaders(minor: number): Record<string, string> {
  const requestId = `req-${crypto.randomUUID()}`;
  return {
    'X-OpenStack-Nova-API-Version': `2.${minor}`,
    Vary: minor >= 27 ? 'OpenStack-API-Version, X-OpenStack-Nova-API-Version' : 'X-OpenStack-Nova-API-Version',
    'X-Compute-Request-Id': requestId,
    ...(minor >= 27 ? { 'OpenStack-API-Version': `compute 2.${minor}` } : {}),
    ...(minor >= 46 ? { 'X-Openstack-Request-Id': requestId } : {}),
  };
}

/** Routes one authenticated compute request. */
export function handleCompute(call: ComputeCall): FakeResponse {
  const { req } = call;
  if (req.route === '/os-hypervisors/detail' && req.method === 'GET') return listHypervisors(call);
  if (req.route === '/os-services' && req.method === 'GET') return listServices(call);
  const service = /^\/os-services\/([^/]+)$/.exec(req.route);
  if (service && req.method === 'PUT') return updateService(call, decodeURIComponent(service[1]!));
  return handleServers(call);
}

function listHypervisors(call: ComputeCall): FakeResponse {
  const { world, minor, req } = call;
  if (minor >= 53) {
    const bad = unknownQuery(call, ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers']);
    if (bad) return bad;
  }
  const pattern = minor >= 53 ? req.query.get('hypervisor_hostname_pattern') : null;
  const withServers = minor >= 53 && ['1', 'true', 'yes', 'on'].includes((req.query.get('with_servers') ?? '').toLowerCase());
  const view = (h: FakeHost) => hypervisorView(world, h, minor, withServers);
  if (pattern !== null) {
    if (req.query.has('limit') || req.query.has('marker')) {
      return novaFault(400, 'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
    }
    const matches = world.hosts.filter((h) => h.node.includes(pattern));
    if (!matches.length) return novaFault(404, `No hypervisor matching '${pattern}' could be found.`);
    return { status: 200, body: { hypervisors: matches.map(view) } };
  }
  if (minor < 33) return { status: 200, body: { hypervisors: world.hosts.map(view) } };
  const key = (h: FakeHost) => (minor >= 53 ? h.hypervisorId : String(h.hypervisorIntId));
  const result = page(call, world.hosts, key, '/os-hypervisors/detail', (m) => `marker [${m}] not found`);
  if ('error' in result) return result.error;
  return { status: 200, body: { hypervisors: result.rows.map(view), ...(result.links.length ? { hypervisors_links: result.links } : {}) } };
}

function hypervisorView(world: FakeWorld, h: FakeHost, minor: number, withServers: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: minor >= 53 ? h.hypervisorId : h.hypervisorIntId,
    hypervisor_hostname: h.node, hypervisor_type: 'fake', hypervisor_version: 1000, host_ip: h.hostIp, state: h.state, status: h.status,
    service: { host: h.host, id: minor >= 53 ? h.serviceId : h.serviceIntId, disabled_reason: h.disabledReason },
  };
  if (minor <= 87) {
    const usage = world.usage(h.host);
    const servers = world.serversOn(h.host);
    const memoryUsed = usage.MEMORY_MB + h.reservedMemoryMb;
    Object.assign(view, {
      vcpus: h.vcpus, vcpus_used: usage.VCPU, memory_mb: h.memoryMb, memory_mb_used: memoryUsed, free_ram_mb: h.memoryMb - memoryUsed,
      local_gb: h.localGb, local_gb_used: usage.DISK_GB, free_disk_gb: h.localGb - usage.DISK_GB, disk_available_least: h.localGb - usage.DISK_GB,
      running_vms: servers.length, current_workload: servers.filter((s) => s.taskState !== null).length,
      cpu_info: minor >= 28 ? { arch: 'x86_64', model: 'fake', vendor: 'fake', features: [], topology: { cores: 1, threads: 1, sockets: h.vcpus } } : '{"arch": "x86_64"}',
    });
  } else {
    view.uptime = null;
  }
  if (withServers) view.servers = world.serversOn(h.host).map((s) => ({ name: `instance-${s.id.slice(0, 8)}`, uuid: s.id }));
  return view;
}

function serviceView(h: FakeHost, minor: number): Record<string, unknown> {
  return {
    id: minor >= 53 ? h.serviceId : h.serviceIntId, binary: 'nova-compute', disabled_reason: h.disabledReason, host: h.host,
    state: h.state, status: h.status, updated_at: novaTime(h.updatedAt), zone: 'nova', ...(minor >= 11 ? { forced_down: h.forcedDown } : {}),
  };
}

function listServices(call: ComputeCall): FakeResponse {
  const { world, minor, req } = call;
  const binary = req.query.get('binary');
  const host = req.query.get('host');
  const rows = binary !== null && binary !== 'nova-compute' ? [] : world.hosts.filter((h) => host === null || h.host === host);
  return { status: 200, body: { services: rows.map((h) => serviceView(h, minor)) } };
}

function updateService(call: ComputeCall, id: string): FakeResponse {
  const { world, minor, req } = call;
  if (minor < 53) return updateServiceLegacy(call, id);
  if (!UUID.test(id)) return novaFault(400, `Invalid uuid ${id}`);
  const host = world.hosts.find((h) => h.serviceId === id);
  if (!host) return novaFault(404, `Service ${id} could not be found.`);
  const body = req.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return novaFault(400, 'The request body is invalid.');
  const extra = Object.keys(body).find((k) => !['status', 'disabled_reason', 'forced_down'].includes(k));
  if (extra) return novaFault(400, `Invalid input for field/attribute service. Additional properties are not allowed ('${extra}' was unexpected)`);
  const { status, disabled_reason: reason, forced_down: forcedDown } = body;
  if (status !== undefined && status !== 'enabled' && status !== 'disabled') {
    return novaFault(400, `Invalid input for field/attribute status. Value: ${String(status)}. '${String(status)}' is not one of ['enabled', 'disabled']`);
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.length < 1 || reason.length > 255)) {
    return novaFault(400, 'Invalid input for field/attribute disabled_reason.');
  }
  if (forcedDown !== undefined && typeof forcedDown !== 'boolean') return novaFault(400, 'Invalid input for field/attribute forced_down.');
  if (status === undefined && forcedDown === undefined) {
    return novaFault(400, "No updates were requested. Fields 'status' or 'forced_down' should be specified.");
  }
  if (status === 'enabled' && reason !== undefined) return novaFault(400, "Specifying 'disabled_reason' with status 'enabled' is invalid.");
  const fault = injectedServiceFault(call, host);
  if (fault) return fault;
  if (status === 'disabled') {
    host.status = 'disabled';
    if (reason !== undefined) host.disabledReason = reason as string;
  } else if (status === 'enabled') {
    host.status = 'enabled';
    host.disabledReason = null;
  }
  if (typeof forcedDown === 'boolean') host.forcedDown = forcedDown;
  host.updatedAt = world.now();
  return { status: 200, body: { service: serviceView(host, minor) } };
}

/** Before 2.53: PUT /os-services/{disable,disable-log-reason,enable} naming the service by host and binary. */
function updateServiceLegacy(call: ComputeCall, action: string): FakeResponse {
  const { world, req } = call;
  if (!['disable', 'disable-log-reason', 'enable'].includes(action)) return novaFault(404, 'Unknown action');
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body.host !== 'string' || typeof body.binary !== 'string') return novaFault(400, "'host' and 'binary' are required");
  const host = world.host(body.host);
  if (!host || body.binary !== 'nova-compute') return novaFault(404, `Host '${body.host}' is not found`);
  if (action === 'disable-log-reason' && typeof body.disabled_reason !== 'string') return novaFault(400, 'Missing disabled reason field');
  const fault = injectedServiceFault(call, host);
  if (fault) return fault;
  host.status = action === 'enable' ? 'enabled' : 'disabled';
  host.disabledReason = action === 'disable-log-reason' ? (body.disabled_reason as string) : action === 'enable' ? null : host.disabledReason;
  host.updatedAt = world.now();
  const reason = action === 'disable-log-reason' ? { disabled_reason: host.disabledReason } : {};
  return { status: 200, body: { service: { binary: 'nova-compute', ...reason, host: host.host, status: host.status } } };
}

function injectedServiceFault(call: ComputeCall, host: FakeHost): FakeResponse | null {
  const remaining = call.serviceUpdateFaults.get(host.host) ?? 0;
  if (remaining <= 0) return null;
  call.serviceUpdateFaults.set(host.host, remaining - 1);
  return novaFault(500, "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'oslo_db.exception.DBConnectionError'>");
}
