/**
 * Fake Placement (nova-api.md §3): one resource provider per compute node (uuid = hypervisor id, name =
 * hypervisor_hostname) with VCPU / MEMORY_MB / DISK_GB inventories and usages derived from the servers.
 */
import { apiVersionFor, placementError, type FakeRequest, type FakeResponse } from './http.js';
import type { FakeHost, FakeWorld } from './world.js';

/** The newest placement microversion of the snapshot the doc was written from. */
export const MAX_PLACEMENT_MINOR = 39;

/** Routes one authenticated placement request; the response carries the negotiated version header. */
export function handlePlacement(world: FakeWorld, req: FakeRequest): FakeResponse {
  const text = apiVersionFor(req.headers, 'placement');
  let minor = 0;
  if (text === 'latest') minor = MAX_PLACEMENT_MINOR;
  else if (text !== undefined) {
    const match = /^(\d+)\.(\d+)$/.exec(text);
    if (!match) return placementError(400, `invalid version string: ${text}`, 0);
    minor = Number(match[2]);
    if (match[1] !== '1' || minor > MAX_PLACEMENT_MINOR) {
      return placementError(406, `Unacceptable version header: ${text}`, 0, { min_version: '1.0', max_version: `1.${MAX_PLACEMENT_MINOR}` });
    }
  }
  const response = route(world, req, minor);
  if (response === 'reset') return response;
  return { ...response, headers: { 'OpenStack-API-Version': `placement 1.${minor}`, Vary: 'openstack-api-version', ...response.headers } };
}

function route(world: FakeWorld, req: FakeRequest, minor: number): FakeResponse {
  if (req.method !== 'GET') return placementError(405, `The method specified is not allowed for this resource.`, minor);
  if (req.route === '/resource_providers') return listProviders(world, req, minor);
  const match = /^\/resource_providers\/([^/]+)\/(inventories|usages)$/.exec(req.route);
  if (!match) return placementError(404, 'The resource could not be found.', minor);
  const uuid = decodeURIComponent(match[1]!);
  const host = world.hosts.find((h) => h.hypervisorId === uuid);
  if (!host) return placementError(404, `No resource provider with uuid ${uuid} found : Resource provider ${uuid} could not be found.`, minor);
  if (match[2] === 'usages') {
    return { status: 200, body: { resource_provider_generation: host.rpGeneration, usages: world.usage(host.host) } };
  }
  const inventories = Object.fromEntries(
    Object.entries(world.inventories(host)).map(([rc, inv]) => [rc, { ...inv, min_unit: 1, step_size: 1 }]),
  );
  return { status: 200, body: { inventories, resource_provider_generation: host.rpGeneration } };
}

function listProviders(world: FakeWorld, req: FakeRequest, minor: number): FakeResponse {
  const known = ['name', 'uuid', 'member_of', 'resources', ...(minor >= 14 ? ['in_tree'] : [])];
  const extra = [...req.query.keys()].find((k) => !known.includes(k));
  if (extra) return placementError(400, `Invalid query string parameters: Additional properties are not allowed ('${extra}' was unexpected)`, minor);
  const q = req.query;
  const rows = world.hosts.filter(
    (h) => (!q.has('name') || h.node === q.get('name')) && (!q.has('uuid') || h.hypervisorId === q.get('uuid')) && (!q.has('in_tree') || h.hypervisorId === q.get('in_tree')),
  );
  return { status: 200, body: { resource_providers: rows.map((h) => providerView(h, minor)) } };
}

function providerView(h: FakeHost, minor: number): Record<string, unknown> {
  const self = `/resource_providers/${h.hypervisorId}`;
  return {
    generation: h.rpGeneration,
    uuid: h.hypervisorId,
    name: h.node,
    links: [
      { href: self, rel: 'self' },
      { href: `${self}/inventories`, rel: 'inventories' },
      { href: `${self}/usages`, rel: 'usages' },
    ],
    ...(minor >= 14 ? { parent_provider_uuid: null, root_provider_uuid: h.hypervisorId } : {}),
  };
}
