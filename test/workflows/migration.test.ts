// The workflow migration undoes and redoes cleanly on each store (its `down` is real).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Workflows1763800000000 } from '../../src/store/migrations/1763800000000-Workflows.js';
import { describeEachStore } from '../helpers/stores.js';
import { openTestStore, type TestStore } from './harness.js';

const TABLES = ['workflow_runs', 'workflow_targets', 'workflow_events', 'workflow_schedules', 'workflow_schedule_fires'];

describeEachStore('the workflow migration', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('drops its tables on down and creates them again on up', async () => {
    const q = store.ds.createQueryRunner();
    try {
      const migration = new Workflows1763800000000();
      await migration.down(q);
      for (const t of TABLES) expect(await q.hasTable(t)).toBe(false);
      await migration.up(q);
      for (const t of TABLES) expect(await q.hasTable(t)).toBe(true);
      const events = await q.getTable('workflow_events');
      expect(events?.indices.find((i) => i.name === 'uq_workflow_events_run_sequence')?.isUnique).toBe(true);
    } finally {
      await q.release();
    }
  });
});
