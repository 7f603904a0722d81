// The engine running the real OpenStack definitions against the fake Nova: the contract between engine and
// definitions holds end to end (write-back of audit.capacity, a drain that empties a host, a dry run that
// sends nothing that changes Nova).
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { DeviceRow, VariableRow } from '../../src/store/entities.js';
import { openstackDefinitions } from '../../workflows/definitions/openstack/index.js';
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

  it('writes capacity-audit facts back to each compute host as audit.capacity', async () => {
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'capacity-audit', target: { nameContains: 'compute' } });
    expect((await waitForRun(service, scope, run)).status).toBe('SUCCEEDED');
    const rows = await store.ds.getRepository(VariableRow).findBy({ key: 'audit.capacity', ownerType: 'device' });
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => JSON.parse(r.value).host).sort()).toEqual(['compute1', 'compute2']);
  });

  it('drains a compute host, and a dry run of the drain changes nothing in Nova', async () => {
    const scope = store.scope();
    const dry = await service.startRun(scope, { workflow: 'drain-compute-host', target: { name: 'compute1' }, params: { reason: 'maintenance' }, dryRun: true });
    await waitForRun(service, scope, dry);
    expect(fake.mutatingRequests()).toEqual([]);
    const run = await service.startRun(scope, { workflow: 'drain-compute-host', target: { name: 'compute1' }, params: { reason: 'maintenance' } });
    const done = await waitForRun(service, scope, run);
    const [target] = (await service.queries.targets(run.id, { first: 1, afterKey: 0 })).edges.map((e) => e.node);
    expect(done.status, JSON.stringify(target?.lastError)).toBe('SUCCEEDED');
    expect(fake.world.serversOn('compute1')).toEqual([]);
    expect(fake.world.host('compute1')).toMatchObject({ status: 'disabled' });
  });
});
