import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenStackDriver } from '../../workflows/drivers/openstack.js';
import { auditCapacity, evacuateHost, openstackDefinitions } from '../../workflows/definitions/openstack/index.js';
import type { CapacityDetails, CapacitySummary } from '../../workflows/tasks/openstack/index.js';
import { startFakeNova, type FakeNova } from '../fakes/nova.js';
import { device, driverFor } from './openstack-fixtures.js';
import { runTarget, type RunTargetOptions } from './openstack-runner.js';

let fake: FakeNova;
let driver: OpenStackDriver;
beforeEach(async () => {
  fake = await startFakeNova();
  driver = driverFor(fake);
});
afterEach(() => fake.stop());

const REASON = 'hardware maintenance CHG-1234';
const evacuate = (options: Partial<RunTargetOptions> = {}) =>
  runTarget({ definition: evacuateHost, target: device('compute1'), params: { reason: REASON }, drivers: { openstack: driver }, ...options });
const serviceUpdates = () => fake.mutatingRequests().filter((r) => r.route.startsWith('/os-services/'));
const migrateCalls = () => fake.mutatingRequests().filter((r) => r.route.endsWith('/action'));
const host = (name: string) => fake.world.host(name)!;

describe('the definitions', () => {
  it('wire each task\'s requires to an earlier task\'s provides, and are safe in dry runs only where read-only', () => {
    for (const definition of openstackDefinitions) {
      const provided = new Set<string>();
      for (const task of definition.tasks) {
        for (const name of task.requires ?? []) expect(provided, `${definition.name}/${task.name} requires ${name}`).toContain(name);
        for (const name of task.provides ?? []) provided.add(name);
      }
      for (const target of Object.values(definition.writeBack ?? {})) expect(provided).toContain(target);
    }
    expect(evacuateHost.tasks.map((t) => [t.name, t.safeInDryRun ?? false])).toEqual([
      ['disable-compute-service', false], ['live-migrate-servers', false], ['verify-host-empty', true],
    ]);
    expect(evacuateHost.onExhausted).toBe('MANUAL');
    expect(auditCapacity.writeBack).toEqual({ capacity: 'capacity', capacity_details: 'details' });
  });

  it('declare the parameters the tasks read', () => {
    expect(evacuateHost.parameters.reason).toMatchObject({ type: 'string', required: true });
    expect(evacuateHost.parameters.maxParallelMigrations).toMatchObject({ type: 'integer', default: 2 });
    expect(evacuateHost.parameters.destinations).toMatchObject({ type: 'array' });
    expect(evacuateHost.parameters.destinations!.default).toBeUndefined();
    expect(auditCapacity.parameters.includeServers).toMatchObject({ type: 'boolean', default: false });
  });
});

describe('audit-capacity', () => {
  // compute1: 16 vCPU, 64 GiB (512 MiB reserved), 1000 GB; web-1 (small), web-2 (medium), db-1 (large).
  const expected: CapacitySummary = {
    host: 'compute1', state: 'up', service_status: 'enabled', source: 'nova',
    vcpus: 16, vcpus_used: 7, vcpus_available: 9,
    memory_mb: 65536, memory_mb_used: 14848, memory_mb_available: 50688,
    disk_gb: 1000, disk_gb_used: 140, disk_gb_available: 860,
    running_vms: 3,
  };
  const result = (run: Awaited<ReturnType<typeof runTarget>>) => run.results['collect-hypervisor-facts']! as { capacity: CapacitySummary; details: CapacityDetails };

  it('collects the fake\'s capacity from Nova at 2.60 as flat capacity numbers, with Placement capacity in the details', async () => {
    const run = await runTarget({ definition: auditCapacity, target: device('compute1'), drivers: { openstack: driver } });
    expect(run.status).toBe('SUCCEEDED');
    const { capacity, details } = result(run);
    expect(capacity).toEqual(expected);
    expect(details.hypervisor_hostnames).toEqual(['compute1.example.org']);
    expect(details.service).toEqual({ status: 'enabled', state: 'up', disabled_reason: null, forced_down: false });
    expect(details.placement.VCPU).toEqual({ total: 16, reserved: 0, allocation_ratio: 16, capacity: 256, used: 7, available: 249, max_unit: 16 });
    expect(details.placement.DISK_GB).toMatchObject({ capacity: 1000, used: 140, available: 860 });
    expect(details.servers).toBeUndefined();
  });

  it('gives the same numbers from Placement inventories and usages at 2.90, where Nova no longer reports capacity', async () => {
    const at90 = driverFor(fake, { computeMicroversion: '2.90' });
    const run = await runTarget({ definition: auditCapacity, target: device('compute1'), drivers: { openstack: at90 } });
    expect(result(run).capacity).toEqual({ ...expected, source: 'placement' });
    expect(fake.requests.some((r) => r.service === 'placement' && /\/usages$/.test(r.route))).toBe(true);
  });

  it('lists the servers in the details when includeServers is true', async () => {
    const run = await runTarget({ definition: auditCapacity, target: device('compute1'), params: { includeServers: true }, drivers: { openstack: driver } });
    expect(result(run).details.servers?.map((s) => [s.name, s.status, s.vcpus, s.ram_mb])).toEqual([['web-1', 'ACTIVE', 1, 2048], ['web-2', 'ACTIVE', 2, 4096], ['db-1', 'ACTIVE', 4, 8192]]);
  });

  it('maps a device named after the hypervisor, or with a nova_host variable, to the compute host', async () => {
    const byNode = await runTarget({ definition: auditCapacity, target: device('compute1.example.org'), drivers: { openstack: driver } });
    expect(result(byNode).capacity).toMatchObject({ host: 'compute1' });
    const byVariable = await runTarget({ definition: auditCapacity, target: device('rack7-u12', { nova_host: 'compute3' }), drivers: { openstack: driver } });
    expect(result(byVariable).capacity).toMatchObject({ host: 'compute3', running_vms: 0, vcpus: 8, vcpus_used: 0, vcpus_available: 8 });
  });

  it('fails at once with HostNotFound for a device Nova does not know', async () => {
    const run = await runTarget({ definition: auditCapacity, target: device('compute9'), drivers: { openstack: driver } });
    expect(run.status).toBe('FAILED');
    expect(run.failure).toMatchObject({ type: 'HostNotFound', retryable: false, attempt: 1 });
  });

  it('fails with a non-retryable DriverMissing when no OpenStack driver is configured', async () => {
    const run = await runTarget({ definition: auditCapacity, target: device('compute1'), drivers: {} });
    expect(run.failure).toMatchObject({ type: 'DriverMissing', retryable: false });
  });
});

describe('evacuate-host', () => {
  it('disables the service with the reason, moves every server off and verifies the host is empty', async () => {
    const run = await evacuate();
    expect(run.status).toBe('SUCCEEDED');
    expect(host('compute1')).toMatchObject({ status: 'disabled', disabledReason: `${REASON} [craton run run-1]` });
    expect(fake.world.serversOn('compute1')).toEqual([]);
    expect(fake.world.servers.every((s) => s.taskState === null && s.vmState === 'active')).toBe(true);
    const migrated = run.results['live-migrate-servers']!.migrated as Array<{ name: string; from: string; to: string }>;
    expect(migrated.map((m) => m.name).sort()).toEqual(['db-1', 'web-1', 'web-2']);
    expect(migrated.every((m) => m.from === 'compute1' && m.to !== 'compute1')).toBe(true);
    expect(run.results['verify-host-empty']!.verification).toMatchObject({ host: 'compute1', empty: true, serviceStatus: 'disabled' });
    expect(serviceUpdates().map((r) => r.body)).toEqual([{ status: 'disabled', disabled_reason: `${REASON} [craton run run-1]` }]);
  });

  it('keeps at most maxParallelMigrations migrations in flight', async () => {
    let peak = 0;
    const counting = driverFor(fake, {
      sleep: async () => {
        peak = Math.max(peak, fake.world.migrations.filter((m) => !['completed', 'failed', 'error'].includes(m.status)).length);
        fake.tick();
      },
    });
    const one = await evacuate({ drivers: { openstack: counting }, params: { reason: REASON, maxParallelMigrations: 1 } });
    expect([one.status, peak]).toEqual(['SUCCEEDED', 1]);
  });

  it('retries a service update that fails with 500, then carries on', async () => {
    fake.failServiceUpdates('compute1', 2);
    const run = await evacuate();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts['disable-compute-service']).toBe(3);
    expect(run.retryDelays).toEqual([2_000, 4_000]);
    expect(serviceUpdates().map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('exhausts its retries on a failing migration, re-enables the service and ends MANUAL', async () => {
    const db = fake.world.serversOn('compute1').find((s) => s.name === 'db-1')!;
    fake.failMigration(db.id, 'failed');
    const run = await evacuate();
    expect(run.status).toBe('MANUAL');
    expect(run.failure).toMatchObject({ type: 'MigrationFailed', retryable: true, task: 'live-migrate-servers', attempt: 3 });
    expect(run.retryDelays).toEqual([30_000, 60_000]);
    expect(run.reverted).toEqual(['disable-compute-service']);
    expect(host('compute1')).toMatchObject({ status: 'enabled', disabledReason: null });
    // The others moved on the first attempt and stay moved; db-1 is intact on its source.
    expect(fake.world.serversOn('compute1').map((s) => [s.name, fake.world.status(s)])).toEqual([['db-1', 'ACTIVE']]);
    expect(migrateCalls().filter((r) => r.route.includes(db.id))).toHaveLength(3);
  });

  it('retries only the servers still on the host: one failing twice then moving, one always failing, ends MANUAL with the one that remains', async () => {
    const [web1, web2, db1] = fake.world.serversOn('compute1');
    fake.failMigration(web1!.id, 'failed', 2);
    fake.failMigration(db1!.id, 'failed');
    const run = await evacuate();
    expect(run.status).toBe('MANUAL');
    expect(run.attempts['live-migrate-servers']).toBe(3);
    expect(run.reverted).toEqual(['disable-compute-service']);
    expect(host('compute1')).toMatchObject({ status: 'enabled', disabledReason: null });
    expect(run.failure).toMatchObject({ type: 'MigrationFailed', retryable: true, task: 'live-migrate-servers', attempt: 3 });
    expect(run.failure!.message).toContain('1 server(s) remain on compute1: db-1');
    const details = run.failure!.details as { serversRemaining: Array<{ name: string }>; migrated: Array<{ name: string }>; failures: Array<{ name: string }> };
    expect(details.serversRemaining.map((r) => r.name)).toEqual(['db-1']);
    expect(details.failures.map((f) => f.name)).toEqual(['db-1']);
    expect(details.migrated.map((m) => m.name).sort()).toEqual(['web-1', 'web-2']); // web-2 from attempt 1, read back from /os-migrations
    const calls = (id: string) => migrateCalls().filter((r) => r.route.includes(id)).length;
    expect([calls(web1!.id), calls(web2!.id), calls(db1!.id)]).toEqual([3, 1, 3]);
    expect(fake.world.serversOn('compute1').map((s) => s.name)).toEqual(['db-1']);
  });

  it('sends servers to the given destinations round-robin, leaving the evacuated host itself out', async () => {
    const run = await evacuate({ params: { reason: REASON, destinations: ['compute1', 'compute3', 'compute2'], maxParallelMigrations: 1 } });
    expect(run.status).toBe('SUCCEEDED');
    expect(migrateCalls().map((r) => (r.body as { 'os-migrateLive': { host: string | null } })['os-migrateLive'].host)).toEqual(['compute3', 'compute2', 'compute3']);
    const migrated = run.results['live-migrate-servers']!.migrated as Array<{ name: string; to: string }>;
    expect(Object.fromEntries(migrated.map((m) => [m.name, m.to]))).toEqual({ 'web-1': 'compute3', 'web-2': 'compute2', 'db-1': 'compute3' });
  });

  it('refuses destinations that name only the evacuated host, before migrating anything', async () => {
    const run = await evacuate({ params: { reason: REASON, destinations: ['compute1'] } });
    expect(run.failure).toMatchObject({ type: 'InvalidParameter', retryable: false, task: 'live-migrate-servers' });
    expect(migrateCalls()).toEqual([]);
    expect(host('compute1').status).toBe('enabled');
  });

  it('waits for a server busy in another task state (Nova answers 409) and migrates it once that clears', async () => {
    const [web1] = fake.world.serversOn('compute1');
    fake.busyServer(web1!.id, 3); // a snapshot in progress for three polls
    const run = await evacuate({ params: { reason: REASON, maxParallelMigrations: 1 } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts['live-migrate-servers']).toBe(1);
    const statuses = migrateCalls().filter((r) => r.route.includes(web1!.id)).map((r) => r.status);
    expect(statuses).toEqual([409, 409, 409, 202]);
    expect(run.events.filter((e) => e.message === 'server web-1 is busy (task_state image_snapshot); waiting to migrate it')).toHaveLength(1);
    expect(fake.world.serversOn('compute1')).toEqual([]);
  });

  it('gives up on a server still busy after migrationTimeoutSeconds with a retryable Conflict, after moving the others', async () => {
    let skew = 0;
    const clocked = driverFor(fake, {
      now: () => Date.now() + skew,
      sleep: async () => {
        skew += 5_000;
        fake.tick();
      },
    });
    const [web1] = fake.world.serversOn('compute1');
    fake.busyServer(web1!.id, 1_000_000);
    const run = await evacuate({ drivers: { openstack: clocked }, params: { reason: REASON, migrationTimeoutSeconds: 60 } });
    expect(run.status).toBe('MANUAL');
    expect(run.failure).toMatchObject({ type: 'Conflict', retryable: true, attempt: 3 });
    expect(run.failure!.message).toMatch(/^server web-1 is still busy \(task_state image_snapshot\) after 60 s; not migrated/);
    expect(fake.world.serversOn('compute1').map((s) => s.name)).toEqual(['web-1']);
    expect(host('compute1').status).toBe('enabled');
  });

  it('stops at once when a server goes to ERROR, and still re-enables the service', async () => {
    const web = fake.world.serversOn('compute1')[0]!;
    fake.failMigration(web.id, 'error', 1);
    const run = await evacuate({ params: { reason: REASON, maxParallelMigrations: 1 } });
    expect(run.status).toBe('MANUAL');
    expect(run.failure).toMatchObject({ type: 'ServerInError', retryable: false, attempt: 1 });
    expect(host('compute1').status).toBe('enabled');
    expect(fake.world.status(web)).toBe('ERROR');
    expect(migrateCalls()).toHaveLength(1); // nothing new started after the failure
  });

  it('refuses before moving anything when a server cannot be live-migrated', async () => {
    fake.world.addServer({ name: 'stopped-1', host: 'compute1', flavor: { name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 }, vmState: 'stopped' });
    const run = await evacuate();
    expect(run.failure).toMatchObject({ type: 'NotLiveMigratable', retryable: false });
    expect(run.failure?.message).toContain('stopped-1 (SHUTOFF)');
    expect(migrateCalls()).toEqual([]);
    expect(host('compute1').status).toBe('enabled');
  });

  it('leaves a service that was disabled before the run disabled after a failed evacuation', async () => {
    Object.assign(host('compute1'), { status: 'disabled', disabledReason: 'broken disk' });
    fake.world.addServer({ name: 'stopped-1', host: 'compute1', flavor: { name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 }, vmState: 'stopped' });
    const run = await evacuate();
    expect(run.status).toBe('MANUAL');
    expect(host('compute1')).toMatchObject({ status: 'disabled', disabledReason: 'broken disk' });
    expect(serviceUpdates()).toEqual([]);
  });

  it('migrates the servers back when revertMigrations is set and verification keeps failing', async () => {
    const run = await evacuate({
      params: { reason: REASON, revertMigrations: true },
      onEvent: (e) => {
        // Someone boots a server onto the evacuated host behind our back.
        if (e.type === 'TASK_STARTED' && e.task === 'verify-host-empty' && e.attempt === 1) {
          fake.world.addServer({ name: 'intruder', host: 'compute1', flavor: { name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 }, vmState: 'stopped' });
        }
      },
    });
    expect(run.status).toBe('MANUAL');
    expect(run.failure).toMatchObject({ type: 'HostNotEmpty', attempt: 4 });
    expect(run.reverted).toEqual(['live-migrate-servers', 'disable-compute-service']);
    expect(fake.world.serversOn('compute1').map((s) => s.name).sort()).toEqual(['db-1', 'intruder', 'web-1', 'web-2']);
    expect(host('compute1').status).toBe('enabled');
    expect(serviceUpdates().map((r) => (r.body as { status: string }).status)).toEqual(['disabled', 'enabled']);
  });

  it('resumes after a crash right after the disable without disabling twice', async () => {
    const crash = new AbortController();
    const first = await evacuate({ crash: crash.signal, onEvent: (e) => e.message?.startsWith('disabled nova-compute') && crash.abort() });
    expect([first.status, first.crashedIn, first.results['disable-compute-service']]).toEqual(['CRASHED', 'disable-compute-service', undefined]);
    const resumed = await evacuate({ completed: first.results, resumedTask: 'disable-compute-service' });
    expect(resumed.status).toBe('SUCCEEDED');
    expect(resumed.results['disable-compute-service']!.service).toMatchObject({ disabledByUs: true });
    expect(serviceUpdates()).toHaveLength(1);
    expect(fake.world.serversOn('compute1')).toEqual([]);
  });

  it('resumes after a crash mid-migration without migrating any server twice', async () => {
    const crash = new AbortController();
    const crashing = driverFor(fake, {
      sleep: async () => {
        // Crash while the second migration is in flight: web-1 has moved, web-2 is MIGRATING, db-1 untouched.
        if (fake.world.migrations.length === 2 && fake.world.migrations[0]!.status === 'completed') crash.abort(new Error('process killed'));
        fake.tick();
      },
    });
    const params = { reason: REASON, maxParallelMigrations: 1 };
    const first = await evacuate({ drivers: { openstack: crashing }, params, crash: crash.signal });
    expect([first.status, first.crashedIn]).toEqual(['CRASHED', 'live-migrate-servers']);
    expect(fake.world.migrations.map((m) => m.status)).toContain('completed');
    const resumed = await evacuate({ params, completed: first.results, resumedTask: 'live-migrate-servers' });
    expect(resumed.status).toBe('SUCCEEDED');
    expect(serviceUpdates()).toHaveLength(1);
    const perServer = new Map<string, number>();
    for (const r of migrateCalls()) perServer.set(r.route, (perServer.get(r.route) ?? 0) + 1);
    expect([...perServer.values()]).toEqual([1, 1, 1]);
    const migrated = resumed.results['live-migrate-servers']!.migrated as Array<{ name: string }>;
    expect(migrated.map((m) => m.name).sort()).toEqual(['db-1', 'web-1', 'web-2']); // web-1 recovered from /os-migrations
    expect(resumed.events.some((e) => e.message === 'server web-2 is already migrating; waiting for it')).toBe(true);
  });

  it('calls no mutating endpoint in a dry run, and reports what would move', async () => {
    const run = await evacuate({ dryRun: true });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.skipped).toEqual(['disable-compute-service', 'live-migrate-servers']);
    expect(fake.mutatingRequests()).toEqual([]);
    expect(fake.requests.every((r) => r.method === 'GET' || r.service === 'identity')).toBe(true);
    expect(run.results['verify-host-empty']!.verification).toMatchObject({ empty: false });
    expect(run.events.some((e) => e.message === 'dry run: 3 server(s) on compute1 would be live-migrated')).toBe(true);
    expect(host('compute1').status).toBe('enabled');
  });

  it('rejects a run without a reason before touching Nova', async () => {
    await expect(evacuate({ params: {} })).rejects.toThrow('parameter reason is required');
    expect(fake.requests).toEqual([]);
  });
});
