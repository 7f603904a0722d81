// Following runs: event streams that replay then go live without gaps or duplicates, run updates, tenancy.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.js';
import { CloudRow } from '../../src/store/entities.js';
import type { EventRecord, RunRecord } from '../../workflows/engine/records.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import type { WorkflowDefinition } from '../../workflows/types.js';
import { describeEachStore } from '../helpers/stores.js';
import { gate, openTestStore, startService, waitFor, waitForRun, type TestStore } from './harness.js';

describeEachStore('following workflow runs', (kind) => {
  let store: TestStore;
  let service: WorkflowService;
  const hold = gate();
  let holding = 0;
  const holdFirst: WorkflowDefinition = {
    name: 'hold-first', kind: 'AUDIT', description: 'the first target waits for the test', parameters: {},
    tasks: [
      { name: 'a', execute: async (ctx) => { if (holding++ === 0) await hold.promise; await ctx.log(`a on ${ctx.target.name}`); } },
      { name: 'b', execute: async () => undefined },
    ],
  };
  beforeAll(async () => {
    store = await openTestStore(kind);
    service = await startService(store, [holdFirst]);
  });
  afterEach(() => undefined);
  afterAll(async () => {
    await service?.stop();
    await store?.close();
  });

  const collect = async (stream: AsyncIterable<EventRecord>) => {
    const out: EventRecord[] = [];
    for await (const e of stream) out.push(e);
    return out;
  };
  const gid = (run: RunRecord) => toGlobalId('WorkflowRun', run.id);

  it('replays events after a sequence, then follows live ones with no gap and no duplicate, and completes after the last', async () => {
    await store.hosts(3, 'stream');
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'hold-first', target: { nameContains: 'stream-' }, maxConcurrency: 1 });
    await waitFor(async () => (await service.queries.events(run.id, 0, 100)).length >= 3, 'the first events');
    const reading = collect(await service.runEvents(scope, gid(run), 2));
    hold.open();
    const got = await reading;
    const persisted = await service.queries.events(run.id, 2, 1000);
    expect(got.map((e) => e.sequence)).toEqual(persisted.map((e) => e.sequence));
    expect(got.map((e) => e.sequence)).toEqual(persisted.map((_, i) => i + 3));
    expect(got.map((e) => [e.type, e.task, e.message])).toEqual(persisted.map((e) => [e.type, e.task, e.message]));
    expect(got.at(-1)!.type).toBe('RUN_FINISHED');
    expect(got.every((e) => e.at instanceof Date)).toBe(true);

    // a subscriber that arrives after the end replays everything and completes; one past the end gets nothing
    expect((await collect(await service.runEvents(scope, gid(run), 0))).map((e) => e.sequence)).toEqual([1, 2, ...got.map((e) => e.sequence)]);
    expect(await collect(await service.runEvents(scope, gid(run), got.at(-1)!.sequence))).toEqual([]);
  });

  it('streams a fast run followed from its start with every event exactly once', async () => {
    await store.hosts(25, 'fast');
    const scope = store.scope();
    for (let round = 0; round < 3; round++) {
      const run = await service.startRun(scope, { workflow: 'noop', target: { nameContains: 'fast-' }, batchSize: 10, maxConcurrency: 5 });
      const got = await collect(await service.runEvents(scope, gid(run), 0));
      const persisted = await service.queries.events(run.id, 0, 1000);
      expect(got.map((e) => e.sequence)).toEqual(persisted.map((_, i) => i + 1));
      expect(got.at(-1)!.type).toBe('RUN_FINISHED');
    }
  });

  it('ends a stream that waits for live events as soon as the subscriber leaves', async () => {
    await store.hosts(1, 'leave');
    const wait = gate();
    const def: WorkflowDefinition = { name: 'leave', kind: 'AUDIT', description: 'waits', parameters: {}, tasks: [{ name: 'w', execute: async () => { await wait.promise; } }] };
    const s = await startService(store, [def]);
    try {
      const scope = store.scope();
      const started = await s.startRun(scope, { workflow: 'leave', target: { nameContains: 'leave-' } });
      const last = await waitFor(async () => (await s.queries.events(started.id, 0, 100)).find((e) => e.type === 'TASK_STARTED')?.sequence, 'the task to start');
      const stream = await s.runEvents(scope, gid(started), last); // nothing to replay: it waits for live events
      const pending = stream.next();
      await stream.return();
      expect((await pending).done).toBe(true);
      wait.open();
    } finally {
      await s.stop();
    }
  });

  it('streams status changes of the project runs, optionally of one workflow', async () => {
    await store.hosts(2, 'updates');
    const scope = store.scope();
    const updates = await service.runUpdates(scope, 'noop');
    const other = await service.runUpdates(store.scope(await store.otherProject()));
    const run = await service.startRun(scope, { workflow: 'noop', target: { nameContains: 'updates-' } });
    const seen: string[] = [];
    for await (const u of updates) {
      if (u.id !== run.id) continue;
      seen.push(u.status);
      expect(u.createdAt).toBeInstanceOf(Date);
      if (u.status === 'SUCCEEDED') break;
    }
    expect(seen).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    const none = other.next();
    await other.return();
    expect((await none).done).toBe(true);
  });

  it("keeps another project's runs invisible: null, NOT_FOUND before any event, absent from lists", async () => {
    await store.hosts(1, 'tenant');
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'noop', target: { nameContains: 'tenant-' } });
    await waitForRun(service, scope, run);
    const elsewhere = store.scope(await store.otherProject());
    const codeOf = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string }) => e.code);
    expect(await service.getRun(elsewhere, gid(run))).toBeNull();
    expect(await codeOf(service.cancelRun(elsewhere, gid(run)))).toBe('NOT_FOUND');
    expect(await codeOf(service.runEvents(elsewhere, gid(run), 0))).toBe('NOT_FOUND');
    expect((await service.listRuns(elsewhere, {})).edges).toEqual([]);
    expect((await service.listRuns(scope, { workflow: 'noop', status: ['SUCCEEDED'] })).edges.map((e) => e.node.id)).toContain(run.id);
    // a filter naming another project's devices matches nothing there (and says so), one naming its cloud is NOT_FOUND
    expect(await codeOf(service.startRun(elsewhere, { workflow: 'noop', target: { nameContains: 'tenant-' } }))).toBe('BAD_USER_INPUT');
    const cloudId = toGlobalId('Cloud', (await store.ds.getRepository(CloudRow).findOneByOrFail({ projectId: store.projectId })).id);
    expect(await codeOf(service.startRun(elsewhere, { workflow: 'noop', target: { cloudId } }))).toBe('NOT_FOUND');
    expect(await codeOf(service.createSchedule(elsewhere, { workflow: 'noop', cron: '* * * * *', target: { cloudId } }))).toBe('NOT_FOUND');
  });

  it('refuses to cancel a finished run with CONFLICT', async () => {
    const scope = store.scope();
    await store.hosts(1, 'conflict');
    const run = await service.startRun(scope, { workflow: 'noop', target: { nameContains: 'conflict-' } });
    await waitForRun(service, scope, run);
    const err = await service.cancelRun(scope, gid(run)).then(() => null, (e: { code: string; message: string }) => e);
    expect(err?.code).toBe('CONFLICT');
    expect(err?.message).toBe(`workflow run '${gid(run)}' already finished (SUCCEEDED); only PENDING or RUNNING runs can be cancelled`);
  });
});
