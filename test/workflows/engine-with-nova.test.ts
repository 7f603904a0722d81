// The engine running the real OpenStack definitions against the fake Nova: the contract between engine and
// definitions holds end to end (write-back of capacity, an evacuation that empties a host, one that retries,
// reverts and hands the host to a person, a dry run that sends nothing that changes Nova).
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { DeviceRow, VariableRow } from '../../src/store/entities.js';
import { openstackDefinitions } from '../../workflows/definitions/openstack/index.js';
import type { RunRecord } from '../../workflows/engine/records.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import { startFakeNova, type FakeNova } from '../fakes/nova.js';
import { describeEachStore } from '../helpers/stores.js';
import { openTestStore, startService, waitForRun, type TestStore } from './harness.js';
import { driverFor } from './openstack-fixtures.js';

describeEachStore('the engine running the OpenStack workflows', (kind) => {
  let store: TestStore;
  let fake: FakeNova;
  let service: WorkflowService;
  beforeAll(async () => {
    store = await openTestStore(kind);
    // devices named like the fake's compute hosts
    const made = await store.hosts(2, 'rename-me');
    for (const [i, d] of made.entries()) await store.ds.getRepository(DeviceRow).update({ id: d.id }, { name: `compute${i + 1}` });
  });
  beforeEach(async () => {
    fake = await startFakeNova();
    service = await startService(store, openstackDefinitions, { drivers: { openstack: driverFor(fake) } });
  });
  afterEach(async () => {
    await service.stop();
    await fake.stop();
  });
  afterAll(async () => {
    await store?.close();
  });

  const targetsOf = async (run: RunRecord) => (await service.queries.targets(run.id, { first: 10, afterKey: 0 })).edges.map((e) => e.node);
  const migrateCalls = (serverId: string) => fake.mutatingRequests().filter((r) => r.route === `/servers/${serverId}/action`);

  it('writes audit-capacity findings back to each compute host as the variables capacity and capacity_details', async () => {
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'audit-capacity', target: { nameContains: 'compute' } });
    expect((await waitForRun(service, scope, run)).status).toBe('SUCCEEDED');
    const rows = await store.ds.getRepository(VariableRow).findBy({ key: 'capacity', ownerType: 'device' });
    const byHost = Object.fromEntries(rows.map((r) => JSON.parse(r.value)).map((c) => [c.host, c]));
    expect(Object.keys(byHost).sort()).toEqual(['compute1', 'compute2']);
    expect(byHost.compute1).toMatchObject({ memory_mb: 65536, memory_mb_used: 14848, memory_mb_available: 50688, vcpus_available: 9, running_vms: 3 });
    expect(byHost.compute2).toMatchObject({ vcpus_used: 1, running_vms: 1 });
    expect(await store.ds.getRepository(VariableRow).countBy({ key: 'capacity_details', ownerType: 'device' })).toBe(2);
  });

  it('evacuates a compute host, and a dry run of the evacuation changes nothing in Nova', async () => {
    const scope = store.scope();
    const dry = await service.startRun(scope, { workflow: 'evacuate-host', target: { name: 'compute1' }, params: { reason: 'maintenance' }, dryRun: true });
    await waitForRun(service, scope, dry);
    expect(fake.mutatingRequests()).toEqual([]);
    const run = await service.startRun(scope, { workflow: 'evacuate-host', target: { name: 'compute1' }, params: { reason: 'maintenance' } });
    const done = await waitForRun(service, scope, run);
    const [target] = await targetsOf(run);
    expect(done.status, JSON.stringify(target?.lastError)).toBe('SUCCEEDED');
    expect(fake.world.serversOn('compute1')).toEqual([]);
    expect(fake.world.host('compute1')).toMatchObject({ status: 'disabled' });
  });

  it('retries a migration that fails twice until it succeeds, then reverts and hands the host to MANUAL when another always fails', async () => {
    const [web1, web2, db1] = fake.world.serversOn('compute1');
    fake.failMigration(web1!.id, 'failed', 2);
    fake.failMigration(db1!.id, 'failed');
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'evacuate-host', target: { name: 'compute1' }, params: { reason: 'disk swap' } });
    const done = await waitForRun(service, scope, run);
    expect(done.status).toBe('FAILED'); // its only target did not succeed
    const [target] = await targetsOf(run);
    expect(target!.status).toBe('MANUAL');
    expect(target!.lastError).toMatchObject({ type: 'MigrationFailed', task: 'live-migrate-servers', attempt: 3, details: { serversRemaining: [{ id: db1!.id, name: 'db-1' }] } });
    expect(target!.tasks.map((t) => [t.name, t.status])).toEqual([['disable-compute-service', 'REVERTED'], ['live-migrate-servers', 'FAILED'], ['verify-host-empty', 'PENDING']]);
    // reverted: the service is enabled again; web-1 moved on its third attempt, web-2 on the first
    expect(fake.world.host('compute1')).toMatchObject({ status: 'enabled', disabledReason: null });
    expect(fake.world.serversOn('compute1').map((s) => s.name)).toEqual(['db-1']);
    expect([migrateCalls(web1!.id).length, migrateCalls(web2!.id).length, migrateCalls(db1!.id).length]).toEqual([3, 1, 3]);
    const events = await service.queries.events(run.id, 0, 1000);
    const migrate = events.filter((e) => e.task === 'live-migrate-servers');
    expect(migrate.filter((e) => e.type === 'TASK_RETRYING').map((e) => [e.attempt, (e.data as { delayMs: number }).delayMs])).toEqual([[1, 30_000], [2, 60_000]]);
    expect(events.filter((e) => e.type === 'TASK_REVERTED').map((e) => e.task)).toEqual(['disable-compute-service']);
    expect(events.filter((e) => e.type === 'TARGET_MANUAL')).toHaveLength(1);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  });

  it('waits out a 409 from a server busy in another task state and retries its migration', async () => {
    const [web1] = fake.world.serversOn('compute1');
    fake.busyServer(web1!.id, 2);
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'evacuate-host', target: { name: 'compute1' }, params: { reason: 'maintenance', maxParallelMigrations: 1 } });
    const done = await waitForRun(service, scope, run);
    const [target] = await targetsOf(run);
    expect(done.status, JSON.stringify(target?.lastError)).toBe('SUCCEEDED');
    expect(migrateCalls(web1!.id).map((r) => r.status)).toEqual([409, 409, 202]);
    const events = await service.queries.events(run.id, 0, 1000);
    expect(events.some((e) => e.type === 'TASK_LOG' && e.message === 'server web-1 is busy (task_state image_snapshot); waiting to migrate it')).toBe(true);
    expect(fake.world.serversOn('compute1')).toEqual([]);
  });
});
