import { TaskError, type FailureRecord, type RetryPolicy } from '../types.js';

/** A retry policy with every default filled in (see RetryPolicy for what each field means). */
export type CompiledRetryPolicy = Required<RetryPolicy>;

/** Defaults of RetryPolicy, as documented there (Temporal's, with a finite attempt count). */
export const DEFAULT_RETRY_POLICY: CompiledRetryPolicy = {
  maximumAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  nonRetryableErrorTypes: [],
};

/** Per-attempt timeout when a task names none, ms. */
export const DEFAULT_TASK_TIMEOUT_MS = 60_000;

/**
 * Validates a retry policy and fills in its defaults. Throws a TypeError whose message names the field
 * and what was received, e.g. "RetryPolicy.maximumAttempts must be a positive integer, got 0".
 */
export function compileRetryPolicy(policy: RetryPolicy | undefined): CompiledRetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy ?? {}) };
  const bad = (field: string, rule: string, got: unknown) => new TypeError(`RetryPolicy.${field} must be ${rule}, got ${JSON.stringify(got)}`);
  if (!Number.isInteger(p.maximumAttempts) || p.maximumAttempts < 1) throw bad('maximumAttempts', 'a positive integer', p.maximumAttempts);
  if (!Number.isFinite(p.initialIntervalMs) || p.initialIntervalMs < 0) throw bad('initialIntervalMs', 'a non-negative number', p.initialIntervalMs);
  if (!Number.isFinite(p.backoffCoefficient) || p.backoffCoefficient < 1) throw bad('backoffCoefficient', 'a number ≥ 1', p.backoffCoefficient);
  if (!Number.isFinite(p.maximumIntervalMs) || p.maximumIntervalMs < p.initialIntervalMs) {
    throw bad('maximumIntervalMs', `a number ≥ initialIntervalMs (${p.initialIntervalMs})`, p.maximumIntervalMs);
  }
  if (!Array.isArray(p.nonRetryableErrorTypes) || p.nonRetryableErrorTypes.some((t) => typeof t !== 'string')) {
    throw bad('nonRetryableErrorTypes', 'an array of strings', p.nonRetryableErrorTypes);
  }
  return p;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed: initial × coefficient^(attempt−1), capped. */
export function backoffMs(policy: CompiledRetryPolicy, attempt: number): number {
  return Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** (attempt - 1));
}

/**
 * Turns whatever a task threw into a stored FailureRecord. A TaskError keeps its type, retryability and
 * details; anything else is retryable with type 'Error' (or its `name`). The policy's
 * nonRetryableErrorTypes make a type fail at once.
 */
export function toFailure(err: unknown, policy: CompiledRetryPolicy, task?: string, attempt?: number): FailureRecord {
  const base: FailureRecord =
    err instanceof TaskError
      ? { type: err.type, message: err.message, retryable: err.retryable, ...(err.details === undefined ? {} : { details: err.details }) }
      : err instanceof Error
        ? { type: err.name && err.name !== 'Error' ? err.name : 'Error', message: err.message, retryable: true }
        : { type: 'Error', message: String(err), retryable: true };
  if (policy.nonRetryableErrorTypes.includes(base.type)) base.retryable = false;
  return { ...base, ...(task === undefined ? {} : { task }), ...(attempt === undefined ? {} : { attempt }) };
}
