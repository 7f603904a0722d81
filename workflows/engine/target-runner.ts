import { toGlobalId } from '../../src/ids.js';
import type { WorkflowRegistry } from '../registry.js';
import type { Drivers, FailureRecord, TargetStatus, TaskContext, WorkflowDefinition } from '../types.js';
import type { Clock } from './clock.js';
import type { EventInput, RunEventLog } from './events.js';
import { abortReasons, invoke, ParkedError } from './invoke.js';
import type { RunRecord, TargetRecord, TaskState, WorkflowEventType } from './records.js';
import { backoffMs, DEFAULT_TASK_TIMEOUT_MS, toFailure } from './retry.js';
import { targetTransition } from './states.js';
import type { RunStore, TargetPatch } from './store.js';

/** Times one task may be resumed after crashes before it counts as failed (a poison task must not loop). */
export const MAX_RESUMES = 3;

/** Everything the execution of one run shares between its targets. */
export interface RunEnv {
  run: RunRecord;
  def: WorkflowDefinition;
  registry: WorkflowRegistry;
  store: RunStore;
  events: RunEventLog;
  clock: Clock;
  owner: string;
  drivers: Drivers;
  /** Aborted when the run is cancelled: no new target or task starts; backoff sleeps end. */
  cancelled: AbortSignal;
  /** Aborted when the cancellation grace period ends: running tasks' signals abort. */
  hardStop: AbortSignal;
  /** Aborted when this process parks the run (shutdown, lease lost): stop at once and write nothing more. */
  parked: AbortSignal;
  /** Writes an audit's findings back as variables of the target's device. */
  writeBack(target: TargetRecord, values: Record<string, unknown>): Promise<void>;
}

type Outcome = { kind: 'ok'; result: Record<string, unknown> } | { kind: 'failed'; failure: FailureRecord } | { kind: 'cancelled' };

/**
 * Runs one target to a final status: its tasks in order from where it stands (a task interrupted by a
 * crash runs again with `resumed: true`), each retried per its policy with backoff; when one exhausts
 * its retries, completed tasks are reverted in reverse order and the target becomes FAILED or MANUAL
 * (MANUAL too when a revert fails). After a cancellation it stops between tasks and reverts (REVERTED).
 * Every state change is persisted together with its event (one transaction). Throws ParkedError or LeaseLostError to abandon.
 */
export async function runTarget(env: RunEnv, target: TargetRecord): Promise<TargetStatus> {
  const { def, run } = env;
  const ref = { id: target.id, deviceId: target.deviceId };
  const runId = toGlobalId('WorkflowRun', run.id);
  const states = alignStates(def, target.tasks);
  let status = target.status;

  /** Written with the next save (the move to RUNNING rides along with the first task's start). */
  let carried: TargetPatch = {};
  /** The patch as it stands now (task states serialised at call time). */
  const patchOf = (patch: TargetPatch): TargetPatch => {
    if (env.parked.aborted) throw new ParkedError();
    const all = { ...carried, ...patch, ...(states ? { tasks: JSON.stringify(states) } : {}) };
    carried = {};
    return all;
  };
  /** A state change without an event (a revert starting). */
  const save = async (patch: TargetPatch) => {
    await env.store.updateTarget(env.owner, run.id, target.id, patchOf(patch));
  };
  const emit = (e: Omit<EventInput, 'target'>) => env.events.emit({ ...e, target: ref });
  /** A state change and its event, in one transaction: a crash keeps both or neither. */
  const saveAndEmit = async (patch: TargetPatch, e: Omit<EventInput, 'target'>) => {
    const all = patchOf(patch);
    await env.events.record({ ...e, target: ref }, { targetId: target.id, patch: all });
  };
  const finish = async (to: TargetStatus, type: WorkflowEventType, failure: FailureRecord | null, data?: unknown) => {
    targetTransition(status, to);
    status = to;
    await saveAndEmit(
      { status: to, finishedAt: env.clock.now(), ...(failure ? { lastError: JSON.stringify(failure) } : {}) },
      { type, message: failure ? `${failure.type}: ${failure.message}` : null, data: failure ? { failure, ...(data as object) } : data },
    );
    return to;
  };
  const taskContext = (i: number, attempt: number, resumed: boolean, signal: AbortSignal, inputs: Record<string, unknown>): TaskContext => ({
    runId, target: target.device, params: run.params, inputs: { ...inputs }, attempt, resumed, dryRun: run.dryRun, signal, drivers: env.drivers,
    log: async (message, data) => void (await emit({ type: 'TASK_LOG', task: def.tasks[i]!.name, attempt, message, data })),
  });

  if (status === 'PENDING') {
    status = targetTransition('PENDING', 'RUNNING');
    carried = { status, startedAt: env.clock.now() };
  }
  if (!states) {
    const names = def.tasks.map((t) => t.name).join(', ');
    return finish('FAILED', 'TARGET_FAILED', { type: 'DefinitionChanged', message: `the tasks of '${def.name}' changed since the run started (now: ${names})`, retryable: false });
  }

  /** Reverts completed tasks before `index`, newest first; stops at the first revert that fails. */
  const revertBefore = async (index: number, failure: FailureRecord): Promise<{ reverted: number; revertFailed: boolean }> => {
    let reverted = 0;
    for (let j = index - 1; j >= 0; j--) {
      const s = states[j]!;
      const task = def.tasks[j]!;
      if ((s.status !== 'SUCCEEDED' && s.status !== 'REVERTING') || !task.revert) continue;
      const resumed = s.status === 'REVERTING';
      s.status = 'REVERTING';
      await save({});
      try {
        const inputs = Object.assign({}, ...states.slice(0, j).map((p) => p.result ?? {}));
        await invoke((signal) => task.revert!({ ...taskContext(j, s.attempt, resumed, signal, inputs), result: s.result, failure }),
          task.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS, [[env.parked, abortReasons.parked]]);
        s.status = 'REVERTED';
        reverted += 1;
        await saveAndEmit({}, { type: 'TASK_REVERTED', task: task.name, attempt: s.attempt });
      } catch (err) {
        if (err instanceof ParkedError || env.parked.aborted) throw new ParkedError();
        s.status = 'REVERT_FAILED';
        s.failure = toFailure(err, env.registry.retryPolicy(def.name, j), task.name, s.attempt);
        await saveAndEmit({}, { type: 'TASK_FAILED', task: task.name, attempt: s.attempt, message: `revert failed: ${s.failure.message}`, data: { phase: 'revert', failure: s.failure } });
        return { reverted, revertFailed: true };
      }
    }
    return { reverted, revertFailed: false };
  };

  /** Retries ran out (or a non-retryable failure): revert, then FAILED or MANUAL. */
  const exhaust = async (index: number, failure: FailureRecord) => {
    const { revertFailed } = await revertBefore(index, failure);
    const to = revertFailed ? 'MANUAL' : (def.onExhausted ?? 'FAILED');
    return finish(to, to === 'MANUAL' ? 'TARGET_MANUAL' : 'TARGET_FAILED', failure, revertFailed ? { revertFailed: true } : undefined);
  };

  /** The run was cancelled while this target was under way: undo what it did. */
  const windDown = async (index: number) => {
    const cancelled: FailureRecord = { type: 'Cancelled', message: 'the run was cancelled', retryable: false };
    const { revertFailed } = await revertBefore(index, cancelled);
    if (revertFailed) return finish('MANUAL', 'TARGET_MANUAL', cancelled, { revertFailed: true });
    const started = states.slice(0, index).some((s) => s.status === 'REVERTED' || s.status === 'SUCCEEDED');
    return started ? finish('REVERTED', 'TARGET_REVERTED', null) : finish('SKIPPED', 'TARGET_SKIPPED', null, { reason: 'cancelled' });
  };

  /** Executes task `i` until it succeeds, exhausts its policy, or the run is cancelled. */
  const execute = async (i: number, inputs: Record<string, unknown>): Promise<Outcome> => {
    const task = def.tasks[i]!;
    const s = states[i]!;
    const policy = env.registry.retryPolicy(def.name, i);
    let resumed = s.status === 'RUNNING';
    let attempt = resumed ? Math.max(1, s.attempt) : s.attempt + 1;
    if (resumed && (s.resumes = (s.resumes ?? 0) + 1) > MAX_RESUMES) {
      return failTask(i, { type: 'Interrupted', message: `interrupted by a crash ${MAX_RESUMES} times`, retryable: false, task: task.name, attempt });
    }
    for (;;) {
      s.status = 'RUNNING';
      s.attempt = attempt;
      delete s.failure;
      await saveAndEmit({ attempts: attempt }, { type: 'TASK_STARTED', task: task.name, attempt, data: resumed ? { resumed: true } : null });
      try {
        const result = await invoke((signal) => task.execute(taskContext(i, attempt, resumed, signal, inputs)), task.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS, [
          [env.hardStop, abortReasons.cancelled],
          [env.parked, abortReasons.parked],
        ]);
        if (result != null && (typeof result !== 'object' || Array.isArray(result))) throw new TypeError(`execute of '${task.name}' must return an object or nothing`);
        s.status = 'SUCCEEDED';
        s.result = (result ?? {}) as Record<string, unknown>;
        await saveAndEmit({}, { type: 'TASK_SUCCEEDED', task: task.name, attempt });
        return { kind: 'ok', result: s.result };
      } catch (err) {
        if (err instanceof ParkedError || env.parked.aborted) throw new ParkedError();
        const failure = toFailure(err, policy, task.name, attempt);
        resumed = false;
        if (failure.retryable && attempt < policy.maximumAttempts && !env.cancelled.aborted) {
          const delayMs = backoffMs(policy, attempt);
          s.status = 'PENDING';
          s.failure = failure;
          await saveAndEmit({}, { type: 'TASK_RETRYING', task: task.name, attempt, message: failure.message, data: { failure, delayMs } });
          await env.clock.sleep(delayMs, env.cancelled);
          if (env.parked.aborted) throw new ParkedError();
          if (env.cancelled.aborted) return { kind: 'cancelled' };
          attempt += 1;
          continue;
        }
        const outcome = await failTask(i, failure);
        return env.cancelled.aborted && failure.type === 'Cancelled' ? { kind: 'cancelled' } : outcome;
      }
    }
  };

  const failTask = async (i: number, failure: FailureRecord): Promise<Outcome> => {
    const s = states[i]!;
    s.status = 'FAILED';
    s.failure = failure;
    await saveAndEmit({ lastError: JSON.stringify(failure) }, { type: 'TASK_FAILED', task: s.name, attempt: s.attempt, message: failure.message, data: { failure } });
    return { kind: 'failed', failure };
  };

  // A target interrupted after a task failed goes on reverting.
  const failedAt = states.findIndex((s) => s.status === 'FAILED');
  if (failedAt >= 0) return exhaust(failedAt, target.lastError ?? states[failedAt]!.failure!);

  const inputs: Record<string, unknown> = {};
  for (let i = 0; i < def.tasks.length; i++) {
    const s = states[i]!;
    const task = def.tasks[i]!;
    if (s.status === 'SUCCEEDED') Object.assign(inputs, s.result);
    if (s.status === 'SUCCEEDED' || s.status === 'SKIPPED') continue;
    if (env.cancelled.aborted) return windDown(i);
    if (run.dryRun && !task.safeInDryRun) {
      s.status = 'SKIPPED';
      await saveAndEmit({}, { type: 'TASK_SKIPPED', task: task.name, message: `dry run: would execute ${task.name}`, data: { dryRun: true } });
      continue;
    }
    const outcome = await execute(i, inputs);
    if (outcome.kind === 'cancelled') return windDown(i);
    if (outcome.kind === 'failed') return exhaust(i, outcome.failure);
    Object.assign(inputs, outcome.result);
  }
  const values = writeBackValues(def, inputs);
  if (values && !run.dryRun) {
    try {
      await env.writeBack(target, values);
    } catch (err) {
      if (env.parked.aborted) throw new ParkedError();
      const message = err instanceof Error ? err.message : String(err);
      return exhaust(def.tasks.length, { type: 'WriteBackFailed', message, retryable: false });
    }
  }
  return finish('SUCCEEDED', 'TARGET_SUCCEEDED', null, values ? { [run.dryRun ? 'wouldWrite' : 'written']: values } : null);
}

/** The stored task states, or fresh ones; null when the definition's tasks no longer match them. */
function alignStates(def: WorkflowDefinition, stored: TaskState[]): TaskState[] | null {
  if (!stored.length) return def.tasks.map((t) => ({ name: t.name, status: 'PENDING', attempt: 0 }));
  if (stored.length !== def.tasks.length || stored.some((s, i) => s.name !== def.tasks[i]!.name)) return null;
  return stored.map((s) => ({ ...s }));
}

/** The variables an audit writes back (variable key → provided value), or null when there are none. */
export function writeBackValues(def: WorkflowDefinition, inputs: Record<string, unknown>): Record<string, unknown> | null {
  const entries = Object.entries(def.writeBack ?? {}).filter(([, name]) => inputs[name] !== undefined).map(([key, name]) => [key, inputs[name]]);
  return entries.length ? Object.fromEntries(entries) : null;
}
