import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { computeCapacity, openstackDriver, OpenStackDriver, waitForLiveMigration } from '../../workflows/drivers/openstack.js';
import { TaskError } from '../../workflows/types.js';
import { startFakeNova, type FakeNova } from '../fakes/nova.js';
import { driverFor, never } from './openstack-fixtures.js';

let fake: FakeNova;
beforeAll(async () => {
  fake = await startFakeNova();
});
afterAll(() => fake.stop());
afterEach(() => {
  fake.setKeystone('up');
  fake.delayMs = 0;
  fake.requests.splice(0);
});

/** The TaskError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<TaskError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(TaskError);
  return err as TaskError;
}

describe('Keystone authentication and the catalog', () => {
  it('authenticates once with a project-scoped password request and reuses the token', async () => {
    const driver = driverFor(fake);
    await driver.nova.listComputeServices(null, never());
    await driver.nova.listComputeServices(null, never());
    const auth = fake.requests.filter((r) => r.service === 'identity');
    expect(auth).toHaveLength(1);
    expect(auth[0]!.body).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'secret' } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    });
    expect(fake.requests.filter((r) => r.service === 'compute').every((r) => r.hasToken)).toBe(true);
  });

  it('shares one authentication among concurrent first calls', async () => {
    const driver = driverFor(fake);
    await Promise.all([driver.nova.listComputeServices(null, never()), driver.nova.listServersOnHost('compute1', never()), driver.placement.findProvidersByName('x', never())]);
    expect(fake.requests.filter((r) => r.service === 'identity')).toHaveLength(1);
  });

  it('picks the endpoint of the configured interface and region', async () => {
    await driverFor(fake, { interface: 'internal' }).nova.listComputeServices(null, never());
    await driverFor(fake, { region: 'RegionTwo' }).placement.findProvidersByName('x', never());
    const calls = fake.requests.filter((r) => r.service !== 'identity');
    expect(calls.map((r) => [r.service, r.endpoint])).toEqual([['compute', 'internal'], ['placement', 'region-two']]);
  });

  it('fails with a non-retryable EndpointNotFound for a region the catalog lacks', async () => {
    const err = await failure(driverFor(fake, { region: 'Nowhere' }).nova.listComputeServices(null, never()));
    expect([err.type, err.retryable]).toEqual(['EndpointNotFound', false]);
    expect(err.message).toContain('public@RegionOne');
  });

  it('re-authenticates once when a service answers 401 (token revoked)', async () => {
    const driver = driverFor(fake);
    await driver.nova.listComputeServices(null, never());
    fake.keystone.revokeAll();
    const services = await driver.nova.listComputeServices(null, never());
    expect(services).toHaveLength(3);
    expect(fake.requests.map((r) => `${r.service} ${r.status}`)).toEqual([
      'identity 201', 'compute 200', 'compute 401', 'identity 201', 'compute 200',
    ]);
  });

  it('re-authenticates before the token expires, by the injected clock', async () => {
    let now = Date.now();
    const driver = driverFor(fake, { now: () => now, expirySkewMs: 60_000 });
    await driver.nova.listComputeServices(null, never());
    now += 3_600_000 - 30_000; // within the skew of the 1 h expiry
    await driver.nova.listComputeServices(null, never());
    expect(fake.requests.filter((r) => r.service === 'identity')).toHaveLength(2);
    expect(fake.requests.some((r) => r.status === 401)).toBe(false);
  });

  it('gives up with a non-retryable Unauthorized when the fresh token is refused too', async () => {
    fake.injectFault({ service: 'compute', route: '/os-services', status: 401, times: 2 });
    const err = await failure(driverFor(fake).nova.listComputeServices(null, never()));
    expect([err.type, err.retryable]).toEqual(['Unauthorized', false]);
    expect(fake.requests.filter((r) => r.service === 'identity')).toHaveLength(2);
  });

  it('maps a wrong password to a non-retryable Unauthorized', async () => {
    const err = await failure(driverFor(fake, { password: 'nope' }).nova.listComputeServices(null, never()));
    expect([err.type, err.retryable, err.message]).toEqual([
      'Unauthorized', false, 'identity POST /auth/tokens failed with 401: The request you have made requires authentication.',
    ]);
  });

  it('maps Keystone down to retryable errors: 503 ServerError, dropped connection NetworkError', async () => {
    fake.setKeystone('unavailable');
    const unavailable = await failure(driverFor(fake).nova.listComputeServices(null, never()));
    expect([unavailable.type, unavailable.retryable]).toEqual(['ServerError', true]);
    fake.setKeystone('reset');
    const reset = await failure(driverFor(fake).nova.listComputeServices(null, never()));
    expect([reset.type, reset.retryable]).toEqual(['NetworkError', true]);
  });
});

describe('Nova microversions', () => {
  it('sends the pinned microversion in both headers on every compute call', async () => {
    await driverFor(fake, { computeMicroversion: '2.60' }).nova.listHypervisors(null, never());
    const call = fake.requests.find((r) => r.service === 'compute')!;
    expect([call.apiVersion, call.novaApiVersion]).toEqual(['compute 2.60', '2.60']);
  });

  it('sends the placement microversion on placement calls', async () => {
    await driverFor(fake).placement.findProvidersByName('compute1.example.org', never());
    expect(fake.requests.find((r) => r.service === 'placement')!.apiVersion).toBe('placement 1.14');
  });

  it('reads hypervisor capacity up to 2.87 and none from 2.88', async () => {
    const [at60] = await driverFor(fake, { computeMicroversion: '2.60' }).nova.listHypervisors('compute1', never());
    const [at90] = await driverFor(fake, { computeMicroversion: '2.90' }).nova.listHypervisors('compute1', never());
    expect(at60!.capacity).toEqual({ vcpus: 16, vcpusUsed: 7, memoryMb: 65536, memoryMbUsed: 14848, localGb: 1000, localGbUsed: 140, runningVms: 3 });
    expect(at90!.capacity).toBeNull();
    expect(at90!.service.host).toBe('compute1');
  });

  it('refuses to build a driver below 2.59, and maps Nova 406 for an unsupported one', async () => {
    expect(() => driverFor(fake, { computeMicroversion: '2.53' })).toThrow(/2\.59 or later/);
    const err = await failure(driverFor(fake, { computeMicroversion: '2.200' }).nova.listComputeServices(null, never()));
    expect([err.type, err.retryable, err.message]).toEqual([
      'NotAcceptable', false, 'compute GET /os-services?binary=nova-compute failed with 406: Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.104.',
    ]);
  });

  it('follows servers_links and hypervisors_links across pages', async () => {
    const small = await startFakeNova({ maxLimit: 2 });
    try {
      const driver = driverFor(small);
      expect((await driver.nova.listServersOnHost('compute1', never())).map((s) => s.name)).toEqual(['web-1', 'web-2', 'db-1']);
      expect(await driver.nova.listHypervisors(null, never())).toHaveLength(3);
      expect(small.requests.filter((r) => r.route === '/servers/detail')).toHaveLength(2);
    } finally {
      await small.stop();
    }
  });
});

describe('error mapping', () => {
  it.each([
    [400, 'BadRequest', false],
    [403, 'Forbidden', false],
    [404, 'NotFound', false],
    [409, 'Conflict', true],
    [429, 'OverLimit', true],
    [500, 'ServerError', true],
    [501, 'NotImplemented', false],
    [503, 'ServerError', true],
  ])('maps Nova %i to %s (retryable %s) with the fault message', async (status, type, retryable) => {
    fake.injectFault({ service: 'compute', route: /\/action$/, status, message: 'it went wrong' });
    const server = fake.world.serversOn('compute2')[0]!;
    const err = await failure(driverFor(fake).nova.liveMigrate(server.id, null, never()));
    expect([err.type, err.retryable]).toEqual([type, retryable]);
    expect(err.message).toBe(`compute POST /servers/${server.id}/action failed with ${status}: it went wrong`);
    expect(err.details).toMatchObject({ service: 'compute', status, fault: 'it went wrong' });
    expect(JSON.stringify(err.details)).not.toContain('gAAAA'); // never a token
  });

  it('maps a real Nova 409 (server already migrating) to a retryable Conflict', async () => {
    const local = await startFakeNova();
    try {
      const driver = driverFor(local);
      const [server] = local.world.serversOn('compute2');
      await driver.nova.liveMigrate(server!.id, null, never());
      const err = await failure(driver.nova.liveMigrate(server!.id, null, never()));
      expect([err.type, err.retryable]).toEqual(['Conflict', true]);
      expect(err.message).toContain(`Cannot 'os-migrateLive' instance ${server!.id} while it is in task_state migrating`);
    } finally {
      await local.stop();
    }
  });

  it('maps Placement errors by their errors[].detail', async () => {
    const err = await failure(driverFor(fake).placement.getInventories('00000000-0000-0000-0000-000000000000', never()));
    expect([err.type, err.retryable]).toEqual(['NotFound', false]);
    expect(err.message).toContain('No resource provider with uuid 00000000-0000-0000-0000-000000000000 found');
  });

  it('maps a dropped connection to a retryable NetworkError', async () => {
    fake.injectFault({ service: 'compute', status: 'reset' });
    const err = await failure(driverFor(fake).nova.listComputeServices(null, never()));
    expect([err.type, err.retryable]).toEqual(['NetworkError', true]);
  });
});

describe('abort', () => {
  it('does not send anything when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    const err = await failure(driverFor(fake).nova.listComputeServices(null, controller.signal));
    expect([err.type, err.message]).toEqual(['Aborted', 'OpenStack call aborted: run cancelled']);
    expect(fake.requests).toHaveLength(0);
  });

  it('stops a request in flight', async () => {
    const driver = driverFor(fake);
    await driver.nova.listComputeServices(null, never());
    fake.delayMs = 500;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('task timed out')), 20);
    const started = Date.now();
    const err = await failure(driver.nova.listComputeServices(null, controller.signal));
    expect(err.type).toBe('Aborted');
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('turns the driver\'s own request limit into a retryable Timeout', async () => {
    const driver = driverFor(fake, { requestTimeoutMs: 50 });
    fake.delayMs = 300;
    const err = await failure(driver.nova.listComputeServices(null, never()));
    expect([err.type, err.retryable]).toEqual(['Timeout', true]);
  });
});

describe('live migration polling', () => {
  it('polls until the server is ACTIVE on another host and reports the completed migration', async () => {
    const local = await startFakeNova();
    try {
      const driver = driverFor(local);
      const [server] = local.world.serversOn('compute2');
      const statuses: string[] = [];
      await driver.nova.liveMigrate(server!.id, null, never());
      const outcome = await waitForLiveMigration(driver.nova, server!.id, 'compute2', { signal: never(), intervalMs: 1, onPoll: (s) => statuses.push(s.status) });
      expect(outcome).toMatchObject({ from: 'compute2', to: 'compute1', migration: { status: 'completed', sourceCompute: 'compute2', destCompute: 'compute1' } });
      expect(outcome.server.status).toBe('ACTIVE');
      expect(new Set(statuses)).toEqual(new Set(['MIGRATING']));
      const body = local.requests.find((r) => r.route.endsWith('/action'))!.body;
      expect(body).toEqual({ 'os-migrateLive': { host: null, block_migration: 'auto' } });
    } finally {
      await local.stop();
    }
  });

  it('reports a rolled-back migration as a retryable MigrationFailed and a server in ERROR as non-retryable', async () => {
    const local = await startFakeNova();
    try {
      const driver = driverFor(local);
      const [a, b] = local.world.serversOn('compute1');
      local.failMigration(a!.id, 'failed', 1);
      local.failMigration(b!.id, 'error', 1);
      await driver.nova.liveMigrate(a!.id, null, never());
      await driver.nova.liveMigrate(b!.id, null, never());
      const failed = await failure(waitForLiveMigration(driver.nova, a!.id, 'compute1', { signal: never() }));
      expect([failed.type, failed.retryable]).toEqual(['MigrationFailed', true]);
      expect(failed.details).toMatchObject({ migrationStatus: 'failed', host: 'compute1', status: 'ACTIVE' });
      const errored = await failure(waitForLiveMigration(driver.nova, b!.id, 'compute1', { signal: never() }));
      expect([errored.type, errored.retryable]).toEqual(['ServerInError', false]);
      expect(errored.message).toContain(`Live migration of instance ${b!.id} failed`);
    } finally {
      await local.stop();
    }
  });

  it('gives up with a retryable MigrationTimeout at the deadline of the injected clock', async () => {
    const local = await startFakeNova();
    try {
      let now = 0;
      const driver = driverFor(local, { now: () => now, sleep: async (ms) => void (now += ms) }); // time passes, Nova never advances
      const [server] = local.world.serversOn('compute2');
      await driver.nova.liveMigrate(server!.id, null, never());
      const err = await failure(waitForLiveMigration(driver.nova, server!.id, 'compute2', { signal: never(), timeoutMs: 10_000, intervalMs: 1_000 }));
      expect([err.type, err.retryable]).toEqual(['MigrationTimeout', true]);
      expect(local.requests.filter((r) => r.route === `/servers/${server!.id}`)).toHaveLength(11);
    } finally {
      await local.stop();
    }
  });
});

describe('placement capacity and the task helper', () => {
  it('computes capacity as Placement does (the api-ref sample: 7457 MiB, 63 VCPU)', () => {
    const capacity = computeCapacity(
      {
        MEMORY_MB: { total: 5825, reserved: 512, minUnit: 1, maxUnit: 5825, stepSize: 1, allocationRatio: 1.5 },
        VCPU: { total: 4, reserved: 0, minUnit: 1, maxUnit: 4, stepSize: 1, allocationRatio: 16 },
      },
      { MEMORY_MB: 512, VCPU: 1, DISK_GB: 1 },
    );
    expect([capacity.MEMORY_MB!.available, capacity.VCPU!.available]).toEqual([7457, 63]);
    expect(capacity.DISK_GB).toBeUndefined();
  });

  it('reads inventories and usages of a compute node provider from the fake', async () => {
    const driver = driverFor(fake);
    const [provider] = await driver.placement.findProvidersByName('compute1.example.org', never());
    const capacity = await driver.placement.getCapacity(provider!.uuid, never());
    expect(capacity.MEMORY_MB).toEqual({ total: 65536, reserved: 512, allocationRatio: 1.5, capacity: 97536, used: 14336, available: 83200, maxUnit: 65536 });
    expect(capacity.VCPU).toMatchObject({ capacity: 256, used: 7, available: 249 });
  });

  it('openstackDriver(ctx) narrows the driver or throws a non-retryable DriverMissing', () => {
    const driver = driverFor(fake);
    expect(openstackDriver({ drivers: { openstack: driver } })).toBeInstanceOf(OpenStackDriver);
    for (const drivers of [{}, { openstack: { nova: {} } }]) {
      const err = (() => {
        try {
          openstackDriver({ drivers });
        } catch (e) {
          return e as TaskError;
        }
        return null;
      })();
      expect([err?.type, err?.retryable]).toEqual(['DriverMissing', false]);
    }
  });
});
