/**
 * A tiny sequential runner for one target, so the OpenStack workflow tests do not depend on the engine:
 * it applies parameter defaults, runs the definition's tasks in order with a TaskContext it builds,
 * retries per each task's RetryPolicy (delays go to an injected sleep), skips unsafe tasks in a dry run,
 * and on exhaustion reverts the completed tasks in reverse order and ends as `onExhausted`.
 *
 * A crash is simulated with the `crash` signal: the runner stops where it is, without reverting and
 * without recording the result of the task that was running, as a killed process would. Resume by running
 * again with `completed` (the results recorded before the crash) and `resumedTask`.
 */
import {
  TaskError,
  type Drivers,
  type FailureRecord,
  type RetryPolicy,
  type TargetDevice,
  type TargetStatus,
  type TaskContext,
  type TaskDefinition,
  type WorkflowDefinition,
} from '../../workflows/types.js';

/** One thing the runner saw, in order. */
export interface RunnerEvent {
  type: 'TASK_STARTED' | 'TASK_SUCCEEDED' | 'TASK_FAILED' | 'TASK_RETRYING' | 'TASK_SKIPPED' | 'TASK_REVERTED' | 'REVERT_FAILED' | 'LOG';
  task: string;
  attempt?: number;
  message?: string;
  data?: unknown;
}

export interface RunTargetOptions {
  definition: WorkflowDefinition;
  target: TargetDevice;
  params?: Record<string, unknown>;
  drivers: Drivers;
  /** @default 'run-1' */
  runId?: string;
  dryRun?: boolean;
  /** Gets each retry delay instead of waiting. @default resolves at once */
  sleep?: (ms: number) => Promise<void>;
  /** Results recorded before a crash, by task name; those tasks are not run again. */
  completed?: Record<string, Record<string, unknown> | undefined>;
  /** The task that was running at the crash: its first execution is told `resumed: true`. */
  resumedTask?: string;
  /** Aborting it simulates a process crash. */
  crash?: AbortSignal;
  /** Called for every event as it happens (tests use it to crash at a chosen point). */
  onEvent?: (event: RunnerEvent) => void;
}

export interface RunTargetResult {
  status: TargetStatus | 'CRASHED';
  /** Results of completed tasks (including `completed` given in), by task name. */
  results: Record<string, Record<string, unknown> | undefined>;
  attempts: Record<string, number>;
  events: RunnerEvent[];
  failure?: FailureRecord;
  skipped: string[];
  reverted: string[];
  retryDelays: number[];
  /** The task running when the crash signal fired. */
  crashedIn?: string;
}

/** Applies parameter defaults and checks required parameters and types as a run start would. */
export function applyParameters(definition: WorkflowDefinition, params: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  for (const [name, spec] of Object.entries(definition.parameters)) {
    if (out[name] === undefined && spec.default !== undefined) out[name] = spec.default;
    const value = out[name];
    if (value === undefined) {
      if (spec.required) throw new Error(`parameter ${name} is required`);
      continue;
    }
    const ok =
      spec.type === 'integer' ? Number.isInteger(value) :
      spec.type === 'array' ? Array.isArray(value) :
      spec.type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value) :
      typeof value === spec.type;
    if (!ok) throw new Error(`parameter ${name} must be ${spec.type}`);
    if (spec.enum && !spec.enum.includes(value)) throw new Error(`parameter ${name} must be one of ${spec.enum.join(', ')}`);
  }
  return out;
}

/** The delay before attempt `attempt + 1`, per Temporal's formula and our defaults. */
export function retryDelay(policy: RetryPolicy | undefined, attempt: number): number {
  const initial = policy?.initialIntervalMs ?? 1000;
  return Math.min(initial * (policy?.backoffCoefficient ?? 2) ** (attempt - 1), policy?.maximumIntervalMs ?? 30_000);
}

function toFailure(err: unknown, task: string, attempt: number): FailureRecord {
  if (err instanceof TaskError) return { type: err.type, message: err.message, retryable: err.retryable, task, attempt, details: err.details };
  return { type: 'Error', message: err instanceof Error ? err.message : String(err), retryable: true, task, attempt };
}

/** Runs one target through a definition; see the module comment. */
export async function runTarget(options: RunTargetOptions): Promise<RunTargetResult> {
  const { definition, drivers } = options;
  const params = applyParameters(definition, options.params);
  const crash = options.crash ?? new AbortController().signal;
  const sleep = options.sleep ?? (async () => {});
  const result: RunTargetResult = {
    status: 'RUNNING', results: { ...options.completed }, attempts: {}, events: [], skipped: [], reverted: [], retryDelays: [],
  };
  const emit = (event: RunnerEvent) => {
    result.events.push(event);
    options.onEvent?.(event);
  };
  const provided = (): Record<string, unknown> => {
    const inputs: Record<string, unknown> = {};
    for (const task of definition.tasks) {
      const r = result.results[task.name];
      for (const name of task.provides ?? []) if (r && name in r) inputs[name] = r[name];
    }
    return inputs;
  };
  const context = (task: TaskDefinition, attempt: number, signal: AbortSignal, resumed: boolean): TaskContext => ({
    runId: options.runId ?? 'run-1', target: options.target, params, inputs: provided(), attempt, resumed,
    dryRun: options.dryRun ?? false, signal, drivers,
    log: async (message, data) => emit({ type: 'LOG', task: task.name, attempt, message, data }),
  });
  const completedHere: TaskDefinition[] = definition.tasks.filter((t) => options.completed && t.name in options.completed);

  for (const task of definition.tasks) {
    if (task.name in result.results) continue;
    if (options.dryRun && !task.safeInDryRun) {
      result.skipped.push(task.name);
      emit({ type: 'TASK_SKIPPED', task: task.name, message: 'not safe in a dry run' });
      continue;
    }
    const max = task.retry?.maximumAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      result.attempts[task.name] = attempt;
      emit({ type: 'TASK_STARTED', task: task.name, attempt });
      const signal = AbortSignal.any([crash, AbortSignal.timeout(task.timeoutMs ?? 60_000)]);
      const resumed = attempt === 1 && options.resumedTask === task.name;
      try {
        const value = await task.execute(context(task, attempt, signal, resumed));
        if (crash.aborted) return { ...result, status: 'CRASHED', crashedIn: task.name };
        result.results[task.name] = value ?? undefined;
        completedHere.push(task);
        emit({ type: 'TASK_SUCCEEDED', task: task.name, attempt });
        break;
      } catch (err) {
        if (crash.aborted) return { ...result, status: 'CRASHED', crashedIn: task.name };
        const failure = toFailure(err, task.name, attempt);
        emit({ type: 'TASK_FAILED', task: task.name, attempt, message: failure.message, data: failure });
        const permanent = !failure.retryable || (task.retry?.nonRetryableErrorTypes ?? []).includes(failure.type);
        if (permanent || attempt >= max) {
          await revertAll(completedHere, failure, context, emit, result);
          return { ...result, status: definition.onExhausted ?? 'FAILED', failure };
        }
        const delay = retryDelay(task.retry, attempt);
        result.retryDelays.push(delay);
        emit({ type: 'TASK_RETRYING', task: task.name, attempt, data: { delayMs: delay } });
        await sleep(delay);
      }
    }
  }
  return { ...result, status: 'SUCCEEDED' };
}

async function revertAll(
  completed: TaskDefinition[],
  failure: FailureRecord,
  context: (task: TaskDefinition, attempt: number, signal: AbortSignal, resumed: boolean) => TaskContext,
  emit: (event: RunnerEvent) => void,
  result: RunTargetResult,
): Promise<void> {
  for (const task of [...completed].reverse()) {
    if (!task.revert) continue;
    try {
      const ctx = context(task, 1, AbortSignal.timeout(task.timeoutMs ?? 60_000), false);
      await task.revert({ ...ctx, result: result.results[task.name], failure });
      result.reverted.push(task.name);
      emit({ type: 'TASK_REVERTED', task: task.name });
    } catch (err) {
      emit({ type: 'REVERT_FAILED', task: task.name, message: err instanceof Error ? err.message : String(err) });
    }
  }
}
