// Cron schedules: validated, persisted, reloaded at start-up, one run per tick across processes, overlap policy.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { toGlobalId } from '../../src/ids.js';
import { WorkflowRunRow, WorkflowScheduleFireRow } from '../../src/store/workflow-entities.js';
import type { WorkflowService } from '../../workflows/engine/service.js';
import type { CronScheduler } from '../../workflows/scheduler.js';
import type { WorkflowDefinition } from '../../workflows/types.js';
import { describeEachStore } from '../helpers/stores.js';
import { gate, openTestStore, startService, waitFor, type TestStore } from './harness.js';

/** A cron that never fires by itself; it records what was scheduled, and which timers are live. */
function fakeCron() {
  const live = new Map<string, number>();
  const cron: CronScheduler = {
    schedule(expression, timezone) {
      const key = `${expression}|${timezone}`;
      live.set(key, (live.get(key) ?? 0) + 1);
      return { stop: () => void live.set(key, live.get(key)! - 1) };
    },
  };
  return { cron, live: (key: string) => live.get(key) ?? 0 };
}

describeEachStore('workflow schedules', (kind) => {
  let store: TestStore;
  const services: WorkflowService[] = [];
  const hold = gate();
  const holding: WorkflowDefinition = {
    name: 'slow', kind: 'AUDIT', description: 'waits for the test', parameters: {}, tasks: [{ name: 'w', execute: async () => { await hold.promise; } }],
  };
  const start = async (cron: CronScheduler) => {
    const s = await startService(store, [holding], { cron });
    services.push(s);
    return s;
  };
  beforeAll(async () => {
    store = await openTestStore(kind);
    await store.hosts(2, 'sched');
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop();
  });
  afterAll(async () => {
    hold.open();
    await store?.close();
  });

  it('starts exactly one run per tick when two processes fire the same schedule', async () => {
    const cronA = fakeCron();
    const cronB = fakeCron();
    const a = await start(cronA.cron);
    const b = await start(cronB.cron);
    const scope = store.scope();
    const schedule = await a.createSchedule(scope, { workflow: 'noop', cron: '*/5 * * * *', timezone: 'Europe/Paris', target: { nameContains: 'sched-' } });
    expect(schedule).toMatchObject({ workflow: 'noop', cron: '*/5 * * * *', timezone: 'Europe/Paris', overlap: 'SKIP', enabled: true, createdBy: 'op-' + store.projectId });
    expect(cronA.live('*/5 * * * *|Europe/Paris')).toBe(1);
    await waitFor(() => cronB.live('*/5 * * * *|Europe/Paris') === 1, 'the other process to load the schedule');
    const tick = new Date('2026-03-01T10:05:00.000Z');
    const outcomes = await Promise.all([a.scheduler.fire(schedule.id, tick), b.scheduler.fire(schedule.id, new Date(tick.getTime() + 120))]);
    expect(outcomes.filter((o) => o === null)).toHaveLength(1);
    const fired = outcomes.find((o) => o !== null)!;
    expect(fired.outcome).toBe('started');
    const runs = await store.ds.getRepository(WorkflowRunRow).findBy({ scheduleId: schedule.id });
    expect(runs.map((r) => [r.id, r.startedBy])).toEqual([[fired.runId, `schedule:${toGlobalId('WorkflowSchedule', schedule.id)}`]]);
    expect(await store.ds.getRepository(WorkflowScheduleFireRow).countBy({ scheduleId: schedule.id })).toBe(1);
  });

  it('skips a tick while the previous run of the schedule is unfinished, unless overlap is ALLOW', async () => {
    const { cron } = fakeCron();
    const a = await start(cron);
    const scope = store.scope();
    const skip = await a.createSchedule(scope, { workflow: 'slow', cron: '0 * * * *', target: { nameContains: 'sched-' } });
    const first = await a.scheduler.fire(skip.id, new Date('2026-03-01T10:00:00Z'));
    expect(first?.outcome).toBe('started');
    const second = await a.scheduler.fire(skip.id, new Date('2026-03-01T11:00:00Z'));
    expect(second).toEqual({ runId: null, outcome: `skipped: run ${toGlobalId('WorkflowRun', first!.runId!)} of this schedule is still unfinished` });
    const allow = await a.createSchedule(scope, { workflow: 'slow', cron: '0 * * * *', overlap: 'ALLOW', target: { nameContains: 'sched-' } });
    expect((await a.scheduler.fire(allow.id, new Date('2026-03-01T10:00:00Z')))?.outcome).toBe('started');
    expect((await a.scheduler.fire(allow.id, new Date('2026-03-01T11:00:00Z')))?.outcome).toBe('started');
  });

  it('reloads schedules at start-up and forgets deleted ones', async () => {
    const first = fakeCron();
    const a = await start(first.cron);
    const scope = store.scope();
    const s = await a.createSchedule(scope, { workflow: 'noop', cron: '15 3 * * 1', timezone: 'America/New_York' });
    await a.stop();
    const later = fakeCron();
    const b = await start(later.cron);
    expect(later.live('15 3 * * 1|America/New_York')).toBe(1);
    expect(await b.deleteSchedule(scope, toGlobalId('WorkflowSchedule', s.id))).toBe(toGlobalId('WorkflowSchedule', s.id));
    expect(later.live('15 3 * * 1|America/New_York')).toBe(0);
    expect(await b.scheduler.fire(s.id, new Date())).toBeNull();
  });

  it('refuses bad cron expressions, time zones and workflows with BAD_USER_INPUT, and other projects’ schedules with NOT_FOUND', async () => {
    const { cron } = fakeCron();
    const a = await start(cron);
    const scope = store.scope();
    const fail = (p: Promise<unknown>) => p.then(() => null, (e: { code: string; details?: { argument?: string } }) => [e.code, e.details?.argument]);
    expect(await fail(a.createSchedule(scope, { workflow: 'noop', cron: 'every monday' }))).toEqual(['BAD_USER_INPUT', 'input.cron']);
    expect(await fail(a.createSchedule(scope, { workflow: 'noop', cron: '* * * * *', timezone: 'Mars/Olympus' }))).toEqual(['BAD_USER_INPUT', 'input.timezone']);
    expect(await fail(a.createSchedule(scope, { workflow: 'nope', cron: '* * * * *' }))).toEqual(['BAD_USER_INPUT', 'input.workflow']);
    const s = await a.createSchedule(scope, { workflow: 'noop', cron: '* * * * *' });
    const elsewhere = store.scope(await store.otherProject());
    expect(await fail(a.deleteSchedule(elsewhere, toGlobalId('WorkflowSchedule', s.id)))).toEqual(['NOT_FOUND', undefined]);
    expect(await fail(a.createSchedule(store.scope(store.projectId, 'VIEWER'), { workflow: 'noop', cron: '* * * * *' }))).toEqual(['FORBIDDEN', undefined]);
  });
});
