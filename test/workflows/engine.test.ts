// Executing runs: batches and concurrency, retries and backoff, revert, cancellation, dry runs, audit write-back.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.js';
import { ChangeRow, VariableRow } from '../../src/store/entities.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import { TaskError, type WorkflowDefinition } from '../../workflows/types.js';
import { describeEachStore } from '../helpers/stores.js';
import { gate, openTestStore, startService, TestClock, waitFor, waitForRun, type TestStore } from './harness.js';

describeEachStore('executing workflow runs', (kind) => {
  let store: TestStore;
  let service: WorkflowService | undefined;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });
  afterAll(async () => {
    await store?.close();
  });

  const targetsOf = async (runId: number) => (await service!.queries.targets(runId, { first: 1000, afterKey: 0 })).edges.map((e) => e.node);
  const eventsOf = (runId: number) => service!.queries.events(runId, 0, 1000);

  it('runs targets in batches of batchSize, never more than maxConcurrency at once', async () => {
    const hosts = await store.hosts(10, 'batch');
    const position = new Map(hosts.map((h, i) => [h.name, i]));
    let running = 0;
    let peak = 0;
    const log: Array<[string, number]> = [];
    const probe: WorkflowDefinition = {
      name: 'probe', kind: 'AUDIT', description: 'records concurrency', parameters: {},
      tasks: [{
        name: 'probe', execute: async (ctx) => {
          peak = Math.max(peak, ++running);
          log.push(['start', position.get(ctx.target.name)!]);
          await new Promise((r) => setTimeout(r, 5));
          log.push(['end', position.get(ctx.target.name)!]);
          running -= 1;
        },
      }],
    };
    service = await startService(store, [probe]);
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'probe', target: { nameContains: 'batch-' }, batchSize: 4, maxConcurrency: 2 });
    expect(run.status).toBe('PENDING');
    expect((await waitForRun(service, scope, run)).status).toBe('SUCCEEDED');
    expect(peak).toBe(2);
    const batchOf = (p: number) => Math.floor(p / 4);
    for (const [i, [what, p]] of log.entries()) {
      if (what !== 'start') continue;
      // every target of earlier batches has ended before a target of a later batch starts
      const ended = new Set(log.slice(0, i).filter(([w]) => w === 'end').map(([, q]) => q));
      for (let q = 0; q < batchOf(p) * 4; q++) expect(ended.has(q)).toBe(true);
    }
    const events = await eventsOf(run.id);
    expect(events.filter((e) => e.type === 'BATCH_STARTED').map((e) => (e.data as { size: number }).size)).toEqual([4, 4, 2]);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('RUN_STARTED');
    expect(events.at(-1)!.type).toBe('RUN_FINISHED');
    const [progress] = await service.progress([run]);
    expect(progress).toMatchObject({ total: 10, succeeded: 10, pending: 0, running: 0, failed: 0 });
  });

  it('retries a failing task with growing backoff, then succeeds', async () => {
    await store.hosts(1, 'retry');
    let calls = 0;
    const flaky: WorkflowDefinition = {
      name: 'flaky', kind: 'REMEDIATION', description: 'fails twice', parameters: {},
      tasks: [{
        name: 'flaky', retry: { maximumAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 2 },
        execute: async (ctx) => {
          calls += 1;
          if (ctx.attempt < 3) throw new TaskError(`attempt ${ctx.attempt} failed`, 'Transient');
          return { ok: true };
        },
      }],
    };
    const clock = new TestClock();
    service = await startService(store, [flaky], { clock });
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'flaky', target: { nameContains: 'retry-' } });
    expect((await waitForRun(service, scope, run)).status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
    const [target] = await targetsOf(run.id);
    expect(target).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    const retrying = (await eventsOf(run.id)).filter((e) => e.type === 'TASK_RETRYING');
    expect(retrying.map((e) => [e.attempt, (e.data as { delayMs: number }).delayMs])).toEqual([[1, 100], [2, 200]]);
  });

  it('fails at once on a non-retryable error type, and after maximumAttempts on retryable ones', async () => {
    await store.hosts(1, 'nonretry');
    const calls = { quota: 0, always: 0 };
    const defs: WorkflowDefinition[] = [
      {
        name: 'quota', kind: 'REMEDIATION', description: 'quota', parameters: {},
        tasks: [{ name: 'q', retry: { nonRetryableErrorTypes: ['Quota'] }, execute: async () => { calls.quota += 1; throw new TaskError('over quota', 'Quota'); } }],
      },
      {
        name: 'always', kind: 'REMEDIATION', description: 'always fails', parameters: {},
        tasks: [{ name: 'a', retry: { maximumAttempts: 4, initialIntervalMs: 100, backoffCoefficient: 10, maximumIntervalMs: 500 }, execute: async () => { calls.always += 1; throw new Error('nope'); } }],
      },
    ];
    const clock = new TestClock();
    service = await startService(store, defs, { clock });
    const scope = store.scope();
    const q = await service.startRun(scope, { workflow: 'quota', target: { nameContains: 'nonretry-' } });
    expect((await waitForRun(service, scope, q)).status).toBe('FAILED');
    expect(calls.quota).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect((await targetsOf(q.id))[0]).toMatchObject({ status: 'FAILED', attempts: 1, lastError: { type: 'Quota', retryable: false, task: 'q', attempt: 1 } });
    const a = await service.startRun(scope, { workflow: 'always', target: { nameContains: 'nonretry-' } });
    expect((await waitForRun(service, scope, a)).status).toBe('FAILED');
    expect(calls.always).toBe(4);
    expect(clock.sleeps).toEqual([100, 500, 500]);
  });

  it('reverts completed tasks in reverse order, then marks the target FAILED, or MANUAL when the definition says so', async () => {
    await store.hosts(1, 'revert');
    const reverted: string[] = [];
    const chain = (name: string, onExhausted: 'FAILED' | 'MANUAL'): WorkflowDefinition => ({
      name, kind: 'REMEDIATION', description: 'three steps then a failure', parameters: {}, onExhausted,
      tasks: [
        ...['drain', 'migrate', 'tag'].map((step) => ({
          name: step, provides: [step], execute: async () => ({ [step]: `${step}-done` }),
          revert: async (ctx: { result?: Record<string, unknown>; failure: { type: string } }) => void reverted.push(`${step}:${String(ctx.result?.[step])}:${ctx.failure.type}`),
        })),
        { name: 'verify', retry: { maximumAttempts: 1 }, execute: async () => { throw TaskError.nonRetryable('still broken', 'VerifyFailed'); } },
      ],
    });
    service = await startService(store, [chain('chain-failed', 'FAILED'), chain('chain-manual', 'MANUAL')]);
    const scope = store.scope();
    const failed = await service.startRun(scope, { workflow: 'chain-failed', target: { nameContains: 'revert-' } });
    expect((await waitForRun(service, scope, failed)).status).toBe('FAILED');
    expect(reverted).toEqual(['tag:tag-done:VerifyFailed', 'migrate:migrate-done:VerifyFailed', 'drain:drain-done:VerifyFailed']);
    const [t] = await targetsOf(failed.id);
    expect(t).toMatchObject({ status: 'FAILED', lastError: { type: 'VerifyFailed', message: 'still broken', task: 'verify' } });
    expect(t!.tasks.map((s) => s.status)).toEqual(['REVERTED', 'REVERTED', 'REVERTED', 'FAILED']);
    const types = (await eventsOf(failed.id)).map((e) => e.type);
    expect(types.slice(types.indexOf('TASK_FAILED'))).toEqual(['TASK_FAILED', 'TASK_REVERTED', 'TASK_REVERTED', 'TASK_REVERTED', 'TARGET_FAILED', 'BATCH_FINISHED', 'RUN_FINISHED']);

    reverted.length = 0;
    const manual = await service.startRun(scope, { workflow: 'chain-manual', target: { nameContains: 'revert-' } });
    expect((await waitForRun(service, scope, manual)).status).toBe('FAILED');
    expect(reverted).toHaveLength(3);
    expect((await targetsOf(manual.id))[0]!.status).toBe('MANUAL');
    expect((await eventsOf(manual.id)).some((e) => e.type === 'TARGET_MANUAL')).toBe(true);
  });

  it('hands a target to a person (MANUAL) when a revert fails', async () => {
    await store.hosts(1, 'badrevert');
    const def: WorkflowDefinition = {
      name: 'bad-revert', kind: 'REMEDIATION', description: 'revert fails', parameters: {},
      tasks: [
        { name: 'change', execute: async () => ({}), revert: async () => { throw new Error('cannot undo'); } },
        { name: 'check', execute: async () => { throw TaskError.nonRetryable('broken'); } },
      ],
    };
    service = await startService(store, [def]);
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'bad-revert', target: { nameContains: 'badrevert-' } });
    await waitForRun(service, scope, run);
    const [t] = await targetsOf(run.id);
    expect(t!.status).toBe('MANUAL');
    expect(t!.tasks.map((s) => s.status)).toEqual(['REVERT_FAILED', 'FAILED']);
  });

  it('cancels mid-run: CANCELLING at once, running targets wind down, the rest SKIPPED, then CANCELLED', async () => {
    await store.hosts(6, 'cancel');
    const hold = gate();
    let holding = 0;
    let afterRan = 0;
    const def: WorkflowDefinition = {
      name: 'holdable', kind: 'REMEDIATION', description: 'waits for the test', parameters: {},
      tasks: [
        { name: 'hold', execute: async () => { holding += 1; await hold.promise; return {}; }, revert: async () => undefined },
        { name: 'after', execute: async () => { afterRan += 1; } },
      ],
    };
    service = await startService(store, [def], { cancelGraceMs: 60_000 });
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'holdable', target: { nameContains: 'cancel-' }, batchSize: 2, maxConcurrency: 2 });
    await waitFor(() => holding === 2, 'two targets to hold');
    const cancelling = await service.cancelRun(scope, toGlobalId('WorkflowRun', run.id));
    expect(cancelling.status).toBe('CANCELLING');
    expect((await service.queries.run(store.projectId, run.id))!.status).toBe('CANCELLING');
    hold.open();
    const done = await waitForRun(service, scope, run);
    expect(done.status).toBe('CANCELLED');
    expect(afterRan).toBe(0);
    const statuses = (await targetsOf(run.id)).map((t) => t.status);
    expect(statuses).toEqual(['REVERTED', 'REVERTED', 'SKIPPED', 'SKIPPED', 'SKIPPED', 'SKIPPED']);
    const events = await eventsOf(run.id);
    expect(events.at(-1)).toMatchObject({ type: 'RUN_CANCELLED', data: { skipped: 4 } });
    expect(events.filter((e) => e.type === 'RUN_CANCELLED' || e.type === 'RUN_FINISHED')).toHaveLength(1);
  });

  it('aborts the signal of a task still running when the cancellation grace period ends', async () => {
    await store.hosts(1, 'grace');
    let sawAbort = false;
    const def: WorkflowDefinition = {
      name: 'stubborn', kind: 'REMEDIATION', description: 'runs until aborted', parameters: {},
      tasks: [{ name: 'wait', execute: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => { sawAbort = true; reject(new Error('aborted')); })) }],
    };
    service = await startService(store, [def], { cancelGraceMs: 20 });
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'stubborn', target: { nameContains: 'grace-' } });
    await waitFor(async () => (await eventsOf(run.id)).some((e) => e.type === 'TASK_STARTED'), 'the task to start');
    await service.cancelRun(scope, toGlobalId('WorkflowRun', run.id));
    expect((await waitForRun(service, scope, run)).status).toBe('CANCELLED');
    expect(sawAbort).toBe(true);
    expect((await targetsOf(run.id))[0]!.status).toBe('SKIPPED');
  });

  it('dry run executes only tasks safe in a dry run and reports the others', async () => {
    await store.hosts(3, 'dry');
    const ran = { inspect: 0, change: 0 };
    const def: WorkflowDefinition = {
      name: 'dry-able', kind: 'REMEDIATION', description: 'inspect then change', parameters: {},
      tasks: [
        { name: 'inspect', safeInDryRun: true, execute: async (ctx) => { ran.inspect += 1; expect(ctx.dryRun).toBe(true); } },
        { name: 'change', execute: async () => { ran.change += 1; } },
      ],
    };
    service = await startService(store, [def]);
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'dry-able', target: { nameContains: 'dry-' }, dryRun: true });
    expect((await waitForRun(service, scope, run)).status).toBe('SUCCEEDED');
    expect(ran).toEqual({ inspect: 3, change: 0 });
    const skipped = (await eventsOf(run.id)).filter((e) => e.type === 'TASK_SKIPPED');
    expect(skipped.map((e) => [e.task, e.message])).toEqual(Array(3).fill(['change', 'dry run: would execute change']));
    // an audit in a dry run reports what it would write, and writes nothing
    const audit = await service.startRun(scope, { workflow: 'echo-facts', target: { nameContains: 'dry-' }, dryRun: true });
    await waitForRun(service, scope, audit);
    expect(await store.ds.getRepository(VariableRow).countBy({ key: 'audit.name_length' })).toBe(0);
    const first = (await targetsOf(audit.id))[0]!;
    expect((await eventsOf(audit.id)).find((e) => e.type === 'TARGET_SUCCEEDED')!.data).toEqual({ wouldWrite: { 'audit.name_length': first.deviceName.length } });
  });

  it('writes audit findings back as variables of each device', async () => {
    const hosts = await store.hosts(3, 'audit');
    service = await startService(store);
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'echo-facts', target: { nameContains: 'audit-' } });
    const done = await waitForRun(service, scope, run);
    expect(done.status, JSON.stringify((await targetsOf(run.id))[0]?.lastError)).toBe('SUCCEEDED');
    const rows = await store.ds.getRepository(VariableRow).findBy({ key: 'audit.name_length', ownerType: 'device' });
    expect(new Map(rows.map((r) => [r.ownerId, JSON.parse(r.value)]))).toEqual(new Map(hosts.map((h) => [h.id, h.name.length])));
    // through the validated path, so the change history names the run as the actor
    const actor = `workflow:${toGlobalId('WorkflowRun', run.id)}`;
    const changes = await store.ds.getRepository(ChangeRow).findBy({ actor });
    expect(changes.map((c) => Number(c.objectKey)).sort()).toEqual(hosts.map((h) => h.id).sort());
  });

  it('gives tasks the resolved variables the definition names, every variable when it names none, and none for []', async () => {
    const [first, second] = await store.hosts(2, 'snap', { rack: 12, role: 'compute', secret_blob: { big: 'x'.repeat(100) } });
    const seen = new Map<string, Record<string, unknown>>();
    const reader = (name: string, variables?: string[]): WorkflowDefinition => ({
      name, kind: 'AUDIT', description: 'records target.variables', parameters: {}, ...(variables ? { variables } : {}),
      tasks: [{ name: 'read', execute: async (ctx) => void seen.set(`${name}:${ctx.target.name}`, ctx.target.variables) }],
    });
    service = await startService(store, [reader('reads-some', ['rack', 'missing']), reader('reads-all'), reader('reads-none', [])]);
    const scope = store.scope();
    for (const workflow of ['reads-some', 'reads-all', 'reads-none']) {
      const run = await service.startRun(scope, { workflow, target: { nameContains: 'snap-' } });
      expect((await waitForRun(service, scope, run)).status).toBe('SUCCEEDED');
      // What is kept with each target is what the tasks get, after a restart too.
      for (const t of await targetsOf(run.id)) expect(t.device.variables, `${workflow} ${t.deviceName}`).toEqual(seen.get(`${workflow}:${t.deviceName}`));
    }
    expect(seen.get(`reads-some:${first!.name}`)).toEqual({ rack: 12 });
    expect(seen.get(`reads-all:${second!.name}`)).toMatchObject({ rack: 12, role: 'compute', secret_blob: { big: 'x'.repeat(100) } });
    expect(seen.get(`reads-none:${first!.name}`)).toEqual({});
  });

  it('validates runs before starting them: parameters, limits and the caller role', async () => {
    service = await startService(store);
    const scope = store.scope();
    const codeOf = async (p: Promise<unknown>) => p.then(() => null, (e: { code?: string; message: string }) => [e.code, e.message]);
    expect(await codeOf(service.startRun(scope, { workflow: 'nope' }))).toEqual(['BAD_USER_INPUT', "input.workflow: unknown workflow 'nope'; known workflows: echo-facts, noop, run-command, test-remediation"]);
    expect(await codeOf(service.startRun(scope, { workflow: 'test-remediation', params: { failAt: 'later' } }))).toEqual(['BAD_USER_INPUT', 'input.params.failAt must be one of "none", "apply", "verify", got "later"']);
    expect(await codeOf(service.startRun(scope, { workflow: 'noop', maxConcurrency: 0 }))).toEqual(['BAD_USER_INPUT', 'input.maxConcurrency must be an integer from 1 to 100, got 0']);
    expect((await codeOf(service.startRun(store.scope(store.projectId, 'VIEWER'), { workflow: 'noop' })))?.[0]).toBe('FORBIDDEN');
    expect(await codeOf(service.startRun(scope, { workflow: 'noop', target: { name: 'no-such-device' } }))).toEqual(['BAD_USER_INPUT', 'input.target matches no device of this project: nothing to run']);
    const ghost = toGlobalId('Region', 987654);
    expect(await codeOf(service.startRun(scope, { workflow: 'noop', target: { regionId: ghost } }))).toEqual(['NOT_FOUND', `input.target.regionId: Region '${ghost}' not found`]);
  });

  it('fails the targets of test-remediation where told to, and reverts mark', async () => {
    await store.hosts(2, 'testrem');
    service = await startService(store);
    const scope = store.scope();
    const run = await service.startRun(scope, { workflow: 'test-remediation', target: { nameContains: 'testrem-' }, params: { failAt: 'verify' } });
    expect((await waitForRun(service, scope, run)).status).toBe('FAILED');
    const logs = (await eventsOf(run.id)).filter((e) => e.type === 'TASK_LOG');
    expect(logs).toHaveLength(2);
    expect(logs[0]!.message).toMatch(/^removed marker /);
    const ok = await service.startRun(scope, { workflow: 'test-remediation', target: { nameContains: 'testrem-' } });
    expect((await waitForRun(service, scope, ok)).status).toBe('SUCCEEDED');
  });
});
