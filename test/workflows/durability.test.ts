// Surviving crashes: resuming from the last recorded step, leases between processes, runs that cannot resume.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { WorkflowRunRow } from '../../src/store/workflow-entities.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import type { WorkflowDefinition } from '../../workflows/types.js';
import { describeEachStore } from '../helpers/stores.js';
import { gate, openTestStore, startService, TestClock, waitFor, waitForRun, type TestStore } from './harness.js';

type Seen = Array<{ run: string; target: string; resumed: boolean; attempt: number }>;

/** A lease long past: what the clock of a process that starts after a crash reads. */
const AFTER_LEASE = 31_000;

describeEachStore('durable workflow runs', (kind) => {
  let store: TestStore;
  const services: WorkflowService[] = [];
  const start = async (...args: Parameters<typeof startService> extends [unknown, ...infer R] ? R : never) => {
    const s = await startService(store, ...args);
    services.push(s);
    return s;
  };
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop();
  });
  afterAll(async () => {
    await store?.close();
  });

  /** A workflow whose first execution of `first` never ends (the process "dies" in it); a resumed one succeeds. */
  const crashing = (name: string, seen: Seen, resumable = true): WorkflowDefinition => ({
    name, kind: 'REMEDIATION', description: 'hangs until resumed', parameters: {}, resumable,
    tasks: [
      { name: 'before', execute: async () => ({ step: 1 }), provides: ['step'] },
      {
        name: 'first', requires: ['step'], execute: async (ctx) => {
          seen.push({ run: ctx.runId, target: ctx.target.name, resumed: ctx.resumed, attempt: ctx.attempt });
          if (!ctx.resumed) await new Promise(() => undefined);
          return { inputs: ctx.inputs.step };
        },
      },
      { name: 'second', execute: async () => undefined },
    ],
  });

  it('resumes an interrupted run in a new process from its last step, telling the task it was resumed', async () => {
    await store.hosts(1, 'crash');
    const seen: Seen = [];
    const def = crashing('crashy', seen);
    const a = await start([def]);
    const scope = store.scope();
    const run = await a.startRun(scope, { workflow: 'crashy', target: { nameContains: 'crash-' } });
    await waitFor(() => seen.length === 1, 'the first execution');
    // "a" is now stuck in a task and will never renew its lease: it died. A new process starts later.
    const clock = new TestClock();
    clock.advance(AFTER_LEASE);
    const b = await start([def], { clock });
    const done = await waitForRun(b, scope, run);
    expect(done.status).toBe('SUCCEEDED');
    expect(seen.map((s) => [s.resumed, s.attempt])).toEqual([[false, 1], [true, 1]]);
    const events = await b.queries.events(run.id, 0, 1000);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const started = events.filter((e) => e.type === 'TASK_STARTED' && e.task === 'first');
    expect(started.map((e) => e.data)).toEqual([null, { resumed: true }]);
    expect(events.filter((e) => e.type === 'TASK_STARTED' && e.task === 'before')).toHaveLength(1);
    expect(events.some((e) => e.type === 'RUN_RESUMED')).toBe(true);
    const [target] = (await b.queries.targets(run.id, { first: 10, afterKey: 0 })).edges.map((e) => e.node);
    expect(target!.tasks.map((t) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('does not take a run whose lease is still valid', async () => {
    await store.hosts(1, 'held');
    const seen: Seen = [];
    const def = crashing('held', seen);
    const a = await start([def]);
    const scope = store.scope();
    const run = await a.startRun(scope, { workflow: 'held', target: { nameContains: 'held-' } });
    await waitFor(() => seen.length === 1, 'the first execution');
    const b = await start([def]);
    expect(await b.recover()).toBe(0);
    expect((await b.queries.run(store.projectId, run.id))!.status).toBe('RUNNING');
    await a.stop(); // a graceful stop releases the lease: the next recovery takes the run over at once
    expect(await b.recover()).toBe(1);
    expect((await waitForRun(b, scope, run)).status).toBe('SUCCEEDED');
    expect(seen.map((s) => s.resumed)).toEqual([false, true]);
  });

  it('marks a run FAILED with a reason after a restart when its workflow is not resumable', async () => {
    await store.hosts(2, 'nores');
    const seen: Seen = [];
    const def = crashing('no-resume', seen, false);
    const a = await start([def]);
    const scope = store.scope();
    const run = await a.startRun(scope, { workflow: 'no-resume', target: { nameContains: 'nores-' }, maxConcurrency: 1 });
    await waitFor(() => seen.length === 1, 'the first execution');
    const clock = new TestClock();
    clock.advance(AFTER_LEASE);
    const b = await start([def], { clock });
    const done = await waitForRun(b, scope, run);
    expect(done.status).toBe('FAILED');
    expect(done.reason).toBe("workflow 'no-resume' is not resumable and its run was interrupted (the process running it stopped)");
    const targets = (await b.queries.targets(run.id, { first: 10, afterKey: 0 })).edges.map((e) => e.node);
    expect(targets.map((t) => [t.status, t.lastError?.type ?? null])).toEqual([['FAILED', 'Interrupted'], ['SKIPPED', null]]);
    const events = await b.queries.events(run.id, 0, 1000);
    expect(events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', message: done.reason });
    expect(seen).toHaveLength(1);
  });

  it('marks a run FAILED when its workflow is no longer registered', async () => {
    await store.hosts(1, 'gone');
    const seen: Seen = [];
    const a = await start([crashing('vanishing', seen)]);
    const scope = store.scope();
    const run = await a.startRun(scope, { workflow: 'vanishing', target: { nameContains: 'gone-' } });
    await waitFor(() => seen.length === 1, 'the first execution');
    const clock = new TestClock();
    clock.advance(AFTER_LEASE);
    const b = await start([], { clock });
    const done = await waitForRun(b, scope, run);
    expect(done.status).toBe('FAILED');
    expect(done.reason).toMatch(/^workflow 'vanishing' is no longer registered; known workflows: echo-facts, noop/);
  });

  it('has every run executed by exactly one of two processes that recover it at the same time', async () => {
    await store.hosts(3, 'race');
    const seen: Seen = [];
    const def = crashing('racy', seen);
    const a = await start([def]);
    const scope = store.scope();
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await a.startRun(scope, { workflow: 'racy', target: { nameContains: 'race-' } }));
    await waitFor(() => seen.length === 12, 'every first execution');
    const clock = new TestClock();
    clock.advance(AFTER_LEASE);
    const b = await start([def], { clock, recoveryIntervalMs: 3_600_000 });
    const c = await start([def], { clock });
    await Promise.all([b.recover(), c.recover(), b.recover(), c.recover()]);
    for (const run of runs) expect((await waitForRun(b, scope, run)).status).toBe('SUCCEEDED');
    const resumed = seen.filter((s) => s.resumed);
    expect(resumed).toHaveLength(12);
    expect(new Set(resumed.map((s) => `${s.run}/${s.target}`)).size).toBe(12);
    // and each process let go of its runs once they finished
    await waitFor(async () => (await store.ds.getRepository(WorkflowRunRow).findBy({ workflow: 'racy' })).every((r) => r.owner === null), 'leases to be released');
  });

  it("never keeps a target's state change without its event: a failure writing the event undoes the change too", async () => {
    await store.hosts(2, 'atomic');
    const def: WorkflowDefinition = { name: 'atomic', kind: 'AUDIT', description: 'one quick task', parameters: {}, tasks: [{ name: 't', execute: async () => ({}) }] };
    // The store refuses TARGET_SUCCEEDED events, as a process killed between the target's update and its event would leave it.
    const trigger = kind === 'sqlite'
      ? `CREATE TRIGGER craton_test_no_success BEFORE INSERT ON workflow_events WHEN NEW.type = 'TARGET_SUCCEEDED' BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`
      : `CREATE TRIGGER craton_test_no_success BEFORE INSERT ON workflow_events FOR EACH ROW BEGIN IF NEW.type = 'TARGET_SUCCEEDED' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'simulated crash'; END IF; END`;
    await store.ds.query(trigger);
    const dropTrigger = () => store.ds.query('DROP TRIGGER IF EXISTS craton_test_no_success');
    const a = await start([def]);
    const scope = store.scope();
    const run = await a.startRun(scope, { workflow: 'atomic', target: { nameContains: 'atomic-' } }).catch(async (err) => {
      await dropTrigger();
      throw err;
    });
    let stopped;
    try {
      // The run stops (its lease released for recovery) without finishing any target.
      await waitFor(async () => (await store.ds.getRepository(WorkflowRunRow).findOneBy({ id: run.id }))?.owner === null, 'the run to be let go');
      stopped = (await a.queries.targets(run.id, { first: 10, afterKey: 0 })).edges.map((e) => e.node);
    } finally {
      await dropTrigger();
    }
    expect(stopped.map((t) => t.status)).not.toContain('SUCCEEDED');
    expect(await a.recover()).toBe(1);
    expect((await waitForRun(a, scope, run)).status).toBe('SUCCEEDED');
    const events = await a.queries.events(run.id, 0, 1000);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const succeeded = events.filter((e) => e.type === 'TARGET_SUCCEEDED').map((e) => e.targetId);
    expect(succeeded.sort()).toEqual(stopped.map((t) => t.id).sort());
  });

  it('lets a run survive when its owner renews the lease, and parks it when another process took it', async () => {
    await store.hosts(1, 'lease');
    const hold = gate();
    let calls = 0;
    const def: WorkflowDefinition = {
      name: 'leased', kind: 'AUDIT', description: 'holds', parameters: {},
      tasks: [{ name: 'hold', execute: async () => { calls += 1; await hold.promise; } }],
    };
    const clockA = new TestClock();
    const a = await start([def], { clock: clockA });
    const scope = store.scope();
    const run = await a.startRun(scope, { workflow: 'leased', target: { nameContains: 'lease-' } });
    await waitFor(() => calls === 1, 'the task');
    clockA.advance(20_000);
    await a.renewLeases(); // lease now ends at +50 s
    const clockB = new TestClock();
    clockB.advance(AFTER_LEASE);
    const b = await start([def], { clock: clockB });
    expect(await b.recover()).toBe(0);
    hold.open();
    expect((await waitForRun(a, scope, run)).status).toBe('SUCCEEDED');
    expect(calls).toBe(1);
  });
});
