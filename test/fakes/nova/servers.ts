/**
 * Fake Nova servers (nova-api.md §2.3), os-migrateLive (§2.4) and migrations (§2.5), with the
 * microversion differences of each.
 */
import { page, unknownQuery, type ComputeCall } from './paging.js';
import { novaFault, type FakeResponse } from './http.js';
import { novaTime, parseNovaTime, type FakeMigration, type FakeServer } from './world.js';

const ALL_TENANTS_TRUE = ['', '1', 't', 'true', 'on', 'y', 'yes'];

/** Routes /servers/... and /os-migrations. */
export function handleServers(call: ComputeCall): FakeResponse {
  const { req } = call;
  if (req.route === '/servers/detail' && req.method === 'GET') return listServers(call);
  if (req.route === '/os-migrations' && req.method === 'GET') return listMigrations(call);
  const match = /^\/servers\/([^/]+)(\/action|\/migrations)?$/.exec(req.route);
  if (!match) return novaFault(404, 'The resource could not be found.');
  const id = decodeURIComponent(match[1]!);
  const server = call.world.server(id);
  if (!match[2] && req.method === 'GET') return server ? { status: 200, body: { server: serverView(call, server) } } : notFound(id);
  if (match[2] === '/action' && req.method === 'POST') return serverAction(call, id, server);
  if (match[2] === '/migrations' && req.method === 'GET') {
    if (call.minor < 23) return novaFault(404, 'The resource could not be found.');
    if (!server) return notFound(id);
    const rows = call.world.inProgress().filter((m) => m.serverId === id);
    return { status: 200, body: { migrations: rows.map((m) => serverMigrationView(call, m)) } };
  }
  return novaFault(405, 'The method specified is not allowed for this resource.');
}

function notFound(id: string): FakeResponse {
  return novaFault(404, `Instance ${id} could not be found.`);
}

function serverView(call: ComputeCall, s: FakeServer): Record<string, unknown> {
  const { world, minor } = call;
  return {
    id: s.id, name: s.name, status: world.status(s), tenant_id: s.tenantId, user_id: 'admin', updated: new Date(s.updatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'OS-EXT-SRV-ATTR:host': s.host, 'OS-EXT-SRV-ATTR:hypervisor_hostname': s.node, 'OS-EXT-SRV-ATTR:instance_name': `instance-${s.id.slice(0, 8)}`,
    'OS-EXT-STS:power_state': s.vmState === 'active' ? 1 : s.vmState === 'paused' ? 3 : 4,
    'OS-EXT-STS:task_state': s.taskState, 'OS-EXT-STS:vm_state': s.vmState,
    flavor: minor >= 47
      ? { vcpus: s.flavor.vcpus, ram: s.flavor.ram, disk: s.flavor.disk, ephemeral: 0, swap: 0, original_name: s.flavor.name, extra_specs: {} }
      : { id: s.flavor.name, links: [{ href: `${call.req.baseUrl}/flavors/${s.flavor.name}`, rel: 'bookmark' }] },
    ...(minor >= 9 ? { locked: s.locked } : {}),
    ...(minor >= 16 ? { host_status: world.host(s.host)?.state === 'up' ? 'UP' : 'DOWN' } : {}),
    ...(s.fault ? { fault: s.fault } : {}),
  };
}

function listServers(call: ComputeCall): FakeResponse {
  const { world, req } = call;
  const q = req.query;
  const allTenants = q.has('all_tenants') && ALL_TENANTS_TRUE.includes((q.get('all_tenants') ?? '').toLowerCase());
  const rows = world.servers.filter(
    (s) =>
      (allTenants || s.tenantId === call.projectId) &&
      (!q.has('host') || s.host === q.get('host')) &&
      (!q.has('node') || s.node === q.get('node')) &&
      (!q.has('status') || world.status(s) === q.get('status')!.toUpperCase()),
  );
  const result = page(call, rows, (s) => s.id, '/servers/detail', (m) => `marker [${m}] not found`);
  if ('error' in result) return result.error;
  if (result.links.length) {
    // Nova keeps the caller's filters in the next link.
    const keep = new URLSearchParams([...q].filter(([k]) => k !== 'limit' && k !== 'marker'));
    if ([...keep].length) result.links[0]!.href += `&${keep}`;
  }
  return { status: 200, body: { servers: result.rows.map((s) => serverView(call, s)), ...(result.links.length ? { servers_links: result.links } : {}) } };
}

function serverAction(call: ComputeCall, id: string, server: FakeServer | undefined): FakeResponse {
  const body = call.req.body as Record<string, unknown> | undefined;
  const action = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
  if (!action) return novaFault(400, 'Malformed request body');
  if (action !== 'os-migrateLive') return novaFault(400, `There is no such action: ${action}`);
  const args = body![action] as Record<string, unknown> | null;
  const invalid = validateMigrateLive(call.minor, args);
  if (invalid) return invalid;
  if (!server) return notFound(id);
  const host = args!.host as string | null;
  if (host !== null && !call.world.host(host)) return novaFault(400, `Compute host ${host} could not be found.`);
  if (server.locked) return novaFault(409, `Instance ${id} is locked`);
  if (server.vmState !== 'active' && server.vmState !== 'paused') {
    return novaFault(409, `Cannot 'os-migrateLive' instance ${id} while it is in vm_state ${server.vmState}`);
  }
  if (server.taskState !== null) return novaFault(409, `Cannot 'os-migrateLive' instance ${id} while it is in task_state ${server.taskState}`);
  // Below 2.34 the scheduling pre-checks run in the API and fail the request itself.
  if (call.minor < 34 && !(args!.force === true) && !call.world.destinationFor(server, host)) {
    return novaFault(400, `No valid host was found. There are not enough hosts available.`);
  }
  call.world.startLiveMigration(server, host);
  return { status: 202 };
}

/** The os-migrateLive schema of each microversion range; all are additionalProperties: false. */
function validateMigrateLive(minor: number, args: Record<string, unknown> | null): FakeResponse | null {
  const invalid = (why: string) => novaFault(400, `Invalid input for field/attribute os-migrateLive. Value: ${JSON.stringify(args)}. ${why}`);
  if (!args || typeof args !== 'object') return invalid('is not of type object');
  const allowed = minor < 25 ? ['host', 'block_migration', 'disk_over_commit'] : minor < 30 || minor >= 68 ? ['host', 'block_migration'] : ['host', 'block_migration', 'force'];
  const extra = Object.keys(args).find((k) => !allowed.includes(k));
  if (extra) return invalid(`Additional properties are not allowed ('${extra}' was unexpected)`);
  for (const required of minor < 25 ? ['host', 'block_migration', 'disk_over_commit'] : ['host', 'block_migration']) {
    if (!(required in args)) return invalid(`'${required}' is a required property`);
  }
  if (args.host !== null && typeof args.host !== 'string') return invalid(`${JSON.stringify(args.host)} is not of type 'string', 'null'`);
  const bm = args.block_migration;
  if (!(typeof bm === 'boolean' || (minor >= 25 && bm === 'auto'))) return invalid(`${JSON.stringify(bm)} is not valid under any of the given schemas`);
  if ('force' in args && typeof args.force !== 'boolean') return invalid(`${JSON.stringify(args.force)} is not of type 'boolean'`);
  if (args.force === true && args.host === null) return novaFault(400, "Can't force to a non-provided destination");
  return null;
}

function serverMigrationView(call: ComputeCall, m: FakeMigration): Record<string, unknown> {
  const dest = m.destCompute ? call.world.host(m.destCompute) : undefined;
  return {
    created_at: novaTime(m.createdAt), dest_compute: m.destCompute, dest_host: dest?.hostIp ?? null, dest_node: m.destNode, id: m.id,
    server_uuid: m.serverId, source_compute: m.sourceCompute, source_node: m.sourceNode, status: m.status,
    memory_total_bytes: 1024, memory_processed_bytes: m.status === 'running' ? 512 : 0, memory_remaining_bytes: m.status === 'running' ? 512 : 1024,
    disk_total_bytes: 0, disk_processed_bytes: 0, disk_remaining_bytes: 0, updated_at: novaTime(m.updatedAt),
    ...(call.minor >= 59 ? { uuid: m.uuid } : {}),
    ...(call.minor >= 80 ? { user_id: 'admin', project_id: call.projectId } : {}),
  };
}

function migrationView(call: ComputeCall, m: FakeMigration): Record<string, unknown> {
  const { minor, req } = call;
  const dest = m.destCompute ? call.world.host(m.destCompute) : undefined;
  const inProgress = ['queued', 'preparing', 'running'].includes(m.status);
  const href = (prefix: string) => `${prefix}/servers/${m.serverId}/migrations/${m.id}`;
  return {
    created_at: novaTime(m.createdAt), dest_compute: m.destCompute, dest_host: dest?.hostIp ?? null, dest_node: m.destNode, id: m.id,
    instance_uuid: m.serverId, new_instance_type_id: 1, old_instance_type_id: 1, source_compute: m.sourceCompute, source_node: m.sourceNode,
    status: m.status, updated_at: novaTime(m.updatedAt),
    ...(minor >= 23 ? { migration_type: 'live-migration' } : {}),
    ...(minor >= 23 && inProgress ? { links: [{ href: href(req.endpointUrl), rel: 'self' }, { href: href(req.baseUrl), rel: 'bookmark' }] } : {}),
    ...(minor >= 59 ? { uuid: m.uuid } : {}),
    ...(minor >= 80 ? { user_id: 'admin', project_id: call.projectId } : {}),
  };
}

function listMigrations(call: ComputeCall): FakeResponse {
  const { world, minor, req } = call;
  const q = req.query;
  if (minor >= 59) {
    const known = ['instance_uuid', 'status', 'source_compute', 'host', 'hidden', 'migration_type', 'limit', 'marker', 'changes-since'];
    if (minor >= 66) known.push('changes-before');
    if (minor >= 80) known.push('user_id', 'project_id');
    const bad = unknownQuery(call, known);
    if (bad) return bad;
  }
  const time = (name: string) => (q.has(name) ? parseNovaTime(q.get(name)!) : null);
  const since = minor >= 59 ? time('changes-since') : null;
  const before = minor >= 66 ? time('changes-before') : null;
  if (Number.isNaN(since) || Number.isNaN(before)) return novaFault(400, 'Invalid input for query parameters changes-since.');
  let rows = world.migrations.filter(
    (m) =>
      (!q.has('instance_uuid') || m.serverId === q.get('instance_uuid')) &&
      (!q.has('status') || m.status === q.get('status')) &&
      (!q.has('source_compute') || m.sourceCompute === q.get('source_compute')) &&
      (!q.has('host') || m.sourceCompute === q.get('host') || m.destCompute === q.get('host')) &&
      (!q.has('migration_type') || q.get('migration_type') === 'live-migration') &&
      (since === null || m.updatedAt >= since) &&
      (before === null || m.updatedAt <= before),
  );
  if (minor < 59) return { status: 200, body: { migrations: rows.map((m) => migrationView(call, m)) } };
  rows = [...rows].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  const result = page(call, rows, (m) => m.uuid, '/os-migrations', (m) => `Marker ${m} could not be found.`);
  if ('error' in result) return result.error;
  return { status: 200, body: { migrations: result.rows.map((m) => migrationView(call, m)), ...(result.links.length ? { migrations_links: result.links } : {}) } };
}
