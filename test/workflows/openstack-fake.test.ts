import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeNova, type FakeNova } from '../fakes/nova.js';

// The fake must behave as nova-api.md says, or the driver tests prove nothing: these pin it with raw HTTP.

let fake: FakeNova;
let token: string;
beforeEach(async () => {
  fake = await startFakeNova();
  token = (await authenticate('secret')).headers.get('x-subject-token')!;
});
afterEach(() => fake.stop());

function authenticate(password: string): Promise<Response> {
  return fetch(`${fake.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password } } },
        scope: { project: { domain: { id: 'default' }, name: 'admin' } },
      },
    }),
  });
}

/** Raw JSON from the fake: tests index into it freely and pin its shape with toEqual / toMatchObject. */
async function call(method: string, path: string, options: { version?: string; legacy?: string; body?: unknown; auth?: boolean } = {}) {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.auth !== false) headers['X-Auth-Token'] = token;
  if (options.version) headers['OpenStack-API-Version'] = options.version;
  if (options.legacy) headers['X-OpenStack-Nova-API-Version'] = options.legacy;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const base = path.startsWith('/resource_providers') ? `${fake.url}/placement` : `${fake.url}/compute/v2.1/${fake.projectId}`;
  const res = await fetch(base + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

const migrate = (id: string, args: Record<string, unknown>, version = 'compute 2.60') =>
  call('POST', `/servers/${id}/action`, { version, body: { 'os-migrateLive': args } });

describe('fake Keystone', () => {
  it('issues a token in X-Subject-Token with a catalog pointing at the fake', async () => {
    const res = await authenticate('secret');
    const body = (await res.json()) as { token: { catalog: Array<{ type: string; endpoints: Array<{ interface: string; region_id: string; url: string }> }> } };
    expect(res.status).toBe(201);
    expect(res.headers.get('x-subject-token')).toMatch(/^gAAAAA/);
    const compute = body.token.catalog.find((e) => e.type === 'compute')!;
    expect(compute.endpoints.find((e) => e.interface === 'public' && e.region_id === 'RegionOne')!.url).toBe(`${fake.url}/compute/v2.1/${fake.projectId}`);
  });

  it('answers a wrong password and a missing token with Keystone\'s 401 body and challenge', async () => {
    const wrong = await authenticate('nope');
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }]);
    const anonymous = await call('GET', '/os-services', { auth: false });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(`Keystone uri="${fake.url}/identity"`);
    expect(anonymous.headers.get('x-openstack-nova-api-version')).toBeNull(); // rejected before Nova
  });
});

describe('fake Nova microversions', () => {
  it('behaves as 2.1 without a header, and echoes a pinned version in every header it owes', async () => {
    const none = await call('GET', '/os-services');
    expect([none.headers.get('x-openstack-nova-api-version'), none.headers.get('openstack-api-version')]).toEqual(['2.1', null]);
    expect(typeof none.body!.services[0].id).toBe('number');
    const pinned = await call('GET', '/os-services', { version: 'compute 2.60' });
    expect(pinned.headers.get('openstack-api-version')).toBe('compute 2.60');
    expect(pinned.headers.get('x-openstack-request-id')).toMatch(/^req-/);
    expect(pinned.body!.services[0]).toMatchObject({ binary: 'nova-compute', forced_down: false, zone: 'nova' });
  });

  it('prefers OpenStack-API-Version over the legacy header and accepts latest', async () => {
    const both = await call('GET', '/os-services', { version: 'compute 2.60', legacy: '2.10' });
    expect(both.headers.get('x-openstack-nova-api-version')).toBe('2.60');
    expect((await call('GET', '/os-services', { legacy: 'latest' })).headers.get('x-openstack-nova-api-version')).toBe('2.104');
  });

  it('answers 406 computeFault out of range and 400 badRequest for a malformed version', async () => {
    expect(await call('GET', '/os-services', { version: 'compute 2.200' })).toMatchObject({
      status: 406, body: { computeFault: { code: 406, message: 'Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.104.' } },
    });
    expect((await call('GET', '/os-services', { version: 'compute two' })).body).toEqual({
      badRequest: { code: 400, message: 'API Version String two is of invalid format. Must be of format MajorNum.MinorNum.' },
    });
  });

  it('drops hypervisor capacity fields from 2.88 and uses integer ids before 2.53', async () => {
    const at87 = (await call('GET', '/os-hypervisors/detail', { version: 'compute 2.87' })).body!.hypervisors[0];
    const at88 = (await call('GET', '/os-hypervisors/detail', { version: 'compute 2.88' })).body!.hypervisors[0];
    const at52 = (await call('GET', '/os-hypervisors/detail', { version: 'compute 2.52' })).body!.hypervisors[0];
    expect(at87).toMatchObject({ vcpus: 16, vcpus_used: 7, running_vms: 3, memory_mb_used: 14848, free_ram_mb: 50688 });
    expect(at88).not.toHaveProperty('vcpus');
    expect(at88).toHaveProperty('uptime', null);
    expect(typeof at52.id).toBe('number');
  });

  it('rejects a hostname pattern with paging, and 404s a pattern that matches nothing', async () => {
    expect((await call('GET', '/os-hypervisors/detail?hypervisor_hostname_pattern=compute&limit=1', { version: 'compute 2.60' })).status).toBe(400);
    expect((await call('GET', '/os-hypervisors/detail?hypervisor_hostname_pattern=zzz', { version: 'compute 2.60' })).body).toEqual({
      itemNotFound: { code: 404, message: "No hypervisor matching 'zzz' could be found." },
    });
  });
});

describe('fake Nova services', () => {
  it('validates PUT /os-services/{id} as the 2.53 schema does', async () => {
    const id = fake.world.host('compute1')!.serviceId;
    const put = (body: unknown) => call('PUT', `/os-services/${id}`, { version: 'compute 2.60', body });
    expect((await put({})).body!.badRequest.message).toBe("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    expect((await put({ status: 'enabled', disabled_reason: 'x' })).body!.badRequest.message).toBe("Specifying 'disabled_reason' with status 'enabled' is invalid.");
    expect((await call('PUT', '/os-services/disable', { version: 'compute 2.60', body: {} })).body!.badRequest.message).toBe('Invalid uuid disable');
    const disabled = await put({ status: 'disabled', disabled_reason: 'maintenance' });
    expect(disabled.body!.service).toMatchObject({ id, status: 'disabled', disabled_reason: 'maintenance', host: 'compute1' });
    expect((await put({ status: 'enabled' })).body!.service).toMatchObject({ status: 'enabled', disabled_reason: null });
  });

  it('serves the pre-2.53 disable-log-reason action', async () => {
    const res = await call('PUT', '/os-services/disable-log-reason', { version: 'compute 2.52', body: { host: 'compute2', binary: 'nova-compute', disabled_reason: 'test2' } });
    expect(res.body).toEqual({ service: { binary: 'nova-compute', disabled_reason: 'test2', host: 'compute2', status: 'disabled' } });
    const missing = await call('PUT', '/os-services/disable-log-reason', { version: 'compute 2.52', body: { host: 'compute2', binary: 'nova-compute' } });
    expect(missing.body!.badRequest.message).toBe('Missing disabled reason field');
  });
});

describe('fake Nova live migration', () => {
  it('applies the os-migrateLive schema of each microversion range', async () => {
    const [server] = fake.world.serversOn('compute2');
    const id = server!.id;
    expect((await migrate(id, { host: null, block_migration: 'auto', force: false }, 'compute 2.68')).body!.badRequest.message).toContain("('force' was unexpected)");
    expect((await migrate(id, { host: null, block_migration: 'auto', disk_over_commit: false }, 'compute 2.25')).status).toBe(400);
    expect((await migrate(id, { host: null, block_migration: 'auto', disk_over_commit: false }, 'compute 2.24')).status).toBe(400);
    expect((await migrate(id, { host: 'compute9', block_migration: 'auto' })).body).toEqual({ badRequest: { code: 400, message: 'Compute host compute9 could not be found.' } });
    expect((await migrate(id, { host: null, block_migration: 'auto', force: true }, 'compute 2.30')).body!.badRequest.message).toBe("Can't force to a non-provided destination");
    expect((await migrate(id, { host: null, block_migration: 'auto', force: false }, 'compute 2.30')).status).toBe(202);
  });

  it('moves a server through MIGRATING to ACTIVE on the new host, one step per tick', async () => {
    const [server] = fake.world.serversOn('compute2');
    const res = await migrate(server!.id, { host: 'compute3', block_migration: 'auto' });
    expect([res.status, res.body]).toEqual([202, undefined]);
    const seen: Array<[string, string | null, string]> = [];
    for (let i = 0; i < 5; i++) {
      const { body } = await call('GET', `/servers/${server!.id}`, { version: 'compute 2.60' });
      const [migration] = (await call('GET', `/os-migrations?instance_uuid=${server!.id}`, { version: 'compute 2.60' })).body!.migrations;
      seen.push([body!.server.status, body!.server['OS-EXT-STS:task_state'], migration.status]);
      fake.tick();
    }
    expect(seen).toEqual([
      ['MIGRATING', 'migrating', 'accepted'],
      ['MIGRATING', 'migrating', 'queued'],
      ['MIGRATING', 'migrating', 'preparing'],
      ['MIGRATING', 'migrating', 'running'],
      ['ACTIVE', null, 'completed'],
    ]);
    expect(server!.host).toBe('compute3');
    expect((await call('GET', `/servers/${server!.id}/migrations`, { version: 'compute 2.60' })).body).toEqual({ migrations: [] });
  });

  it('answers 409 for a server that is busy or locked, and NoValidHost synchronously below 2.34', async () => {
    const [a, b] = fake.world.serversOn('compute1');
    await migrate(a!.id, { host: null, block_migration: 'auto' });
    expect((await migrate(a!.id, { host: null, block_migration: 'auto' })).body!.conflictingRequest.code).toBe(409);
    b!.locked = true;
    expect((await migrate(b!.id, { host: null, block_migration: 'auto' })).body).toEqual({ conflictingRequest: { code: 409, message: `Instance ${b!.id} is locked` } });
    for (const h of fake.world.hosts) if (h.host !== 'compute1') h.status = 'disabled';
    const [c] = fake.world.serversOn('compute1').filter((s) => s.taskState === null && !s.locked);
    expect((await migrate(c!.id, { host: null, block_migration: 'auto' }, 'compute 2.33')).body!.badRequest.message).toContain('No valid host was found');
    expect((await migrate(c!.id, { host: null, block_migration: 'auto' }, 'compute 2.34')).status).toBe(202);
    fake.tick();
    expect(fake.world.migrations.at(-1)!.status).toBe('error'); // asynchronous from 2.34
  });

  it('rejects unknown /os-migrations filters from 2.59 and lists newest first', async () => {
    expect((await call('GET', '/os-migrations?bogus=1', { version: 'compute 2.59' })).status).toBe(400);
    expect((await call('GET', '/os-migrations?bogus=1', { version: 'compute 2.58' })).status).toBe(200);
    const [a, b] = fake.world.serversOn('compute1');
    await migrate(a!.id, { host: null, block_migration: 'auto' });
    await new Promise((r) => setTimeout(r, 5));
    await migrate(b!.id, { host: null, block_migration: 'auto' });
    const list = (await call('GET', '/os-migrations?migration_type=live-migration', { version: 'compute 2.60' })).body!.migrations;
    expect(list.map((m: { instance_uuid: string }) => m.instance_uuid)).toEqual([b!.id, a!.id]);
    expect(list[0]).toHaveProperty('uuid');
  });
});

describe('fake Placement', () => {
  it('negotiates its own microversion and answers errors in its shape', async () => {
    const bad = await call('GET', '/resource_providers', { version: 'placement 1.99' });
    expect(bad.status).toBe(406);
    expect(bad.body!.errors[0]).toMatchObject({ status: 406, min_version: '1.0', max_version: '1.39' });
    const old = (await call('GET', '/resource_providers?name=compute1.example.org')).body!.resource_providers[0];
    expect(old).not.toHaveProperty('root_provider_uuid');
    const missing = await call('GET', '/resource_providers/nope/usages', { version: 'placement 1.23' });
    expect(missing.body!.errors[0]).toMatchObject({ status: 404, code: 'placement.undefined_code' });
  });

  it('counts an in-progress migration on both source and destination', async () => {
    const [server] = fake.world.serversOn('compute2');
    await migrate(server!.id, { host: 'compute3', block_migration: 'auto' });
    fake.tick(); // scheduled: the destination now holds an allocation too
    const uuid = fake.world.host('compute3')!.hypervisorId;
    expect((await call('GET', `/resource_providers/${uuid}/usages`, { version: 'placement 1.14' })).body).toEqual({
      resource_provider_generation: 1, usages: { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 20 },
    });
  });
});
