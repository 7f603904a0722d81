import type {
  WorkflowEventRow, WorkflowRunRow, WorkflowScheduleRow, WorkflowTargetRow,
} from '../../src/store/workflow-entities.js';
import type { FailureRecord, RunStatus, TargetDevice, TargetStatus } from '../types.js';

/**
 * What the engine hands out: decoded, JSON-serialisable records of runs, targets, events and schedules
 * (the store keeps JSON as text; these hold the values). Records also travel over pub/sub, so every
 * `from…Message` function rebuilds the Dates that JSON turned into strings.
 */

/** Event types, as the WorkflowEventType enum of the API lists them. */
export type WorkflowEventType =
  | 'RUN_STARTED' | 'RUN_RESUMED' | 'BATCH_STARTED' | 'TASK_STARTED' | 'TASK_SUCCEEDED' | 'TASK_FAILED' | 'TASK_RETRYING'
  | 'TASK_REVERTED' | 'TASK_SKIPPED' | 'TASK_LOG' | 'TARGET_SUCCEEDED' | 'TARGET_FAILED' | 'TARGET_MANUAL' | 'TARGET_REVERTED'
  | 'TARGET_SKIPPED' | 'BATCH_FINISHED' | 'RUN_FINISHED' | 'RUN_CANCELLED';

/** The events after which a run's stream completes: exactly one of them ends every run. */
export const TERMINAL_EVENT_TYPES: readonly WorkflowEventType[] = ['RUN_FINISHED', 'RUN_CANCELLED'];

/** Where one task of one target stands (stored per target, in definition order). */
export interface TaskState {
  name: string;
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'REVERTING' | 'REVERTED' | 'REVERT_FAILED';
  /** Attempts made so far (the current one included while RUNNING). */
  attempt: number;
  /** Times an interrupted execution of this task was resumed after a crash. */
  resumes?: number;
  /** What `execute` returned (its `provides`). */
  result?: Record<string, unknown>;
  failure?: FailureRecord;
}

export interface RunRecord {
  id: number;
  projectId: number;
  workflow: string;
  status: RunStatus;
  params: Record<string, unknown>;
  /** The DeviceFilter the targets were resolved from. */
  target: Record<string, unknown>;
  batchSize: number;
  maxConcurrency: number;
  dryRun: boolean;
  totalTargets: number;
  startedBy: string | null;
  startedByUserId: number | null;
  scheduleId: number | null;
  reason: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface TargetRecord {
  id: number;
  runId: number;
  position: number;
  deviceId: string;
  deviceName: string;
  device: TargetDevice;
  status: TargetStatus;
  attempts: number;
  tasks: TaskState[];
  lastError: FailureRecord | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface EventRecord {
  /** 1, 2, 3… per run, without gaps. */
  sequence: number;
  runId: number;
  at: Date;
  type: WorkflowEventType;
  targetId: number | null;
  /** Global id of the target's device. */
  deviceId: string | null;
  task: string | null;
  attempt: number | null;
  message: string | null;
  data: unknown;
}

export interface ScheduleRecord {
  id: number;
  projectId: number;
  workflow: string;
  cron: string;
  timezone: string;
  target: Record<string, unknown>;
  params: Record<string, unknown>;
  batchSize: number | null;
  maxConcurrency: number | null;
  overlap: 'SKIP' | 'ALLOW';
  enabled: boolean;
  createdBy: string;
  createdByUserId: number;
  lastFiredAt: Date | null;
  lastRunId: number | null;
  createdAt: Date;
}

/** Parses stored JSON text; null and undefined stay null. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  return text == null ? fallback : (JSON.parse(text) as T);
}

export function fromRunRow(r: WorkflowRunRow): RunRecord {
  return {
    id: r.id, projectId: r.projectId, workflow: r.workflow, status: r.status as RunStatus, params: parseJson(r.params, {}),
    target: parseJson(r.targetFilter, {}), batchSize: r.batchSize, maxConcurrency: r.maxConcurrency, dryRun: Boolean(r.dryRun),
    totalTargets: r.totalTargets, startedBy: r.startedBy, startedByUserId: r.startedByUserId, scheduleId: r.scheduleId,
    reason: r.reason, createdAt: r.createdAt, startedAt: r.startedAt, finishedAt: r.finishedAt,
  };
}

export function fromTargetRow(r: WorkflowTargetRow): TargetRecord {
  return {
    id: r.id, runId: r.runId, position: r.position, deviceId: r.deviceId, deviceName: r.deviceName, device: parseJson(r.device, {} as TargetDevice),
    status: r.status as TargetStatus, attempts: r.attempts, tasks: parseJson(r.tasks, []), lastError: parseJson(r.lastError, null),
    startedAt: r.startedAt, finishedAt: r.finishedAt,
  };
}

export function fromEventRow(r: WorkflowEventRow): EventRecord {
  return {
    sequence: r.sequence, runId: r.runId, at: r.at, type: r.type as WorkflowEventType, targetId: r.targetId, deviceId: r.deviceId,
    task: r.task, attempt: r.attempt, message: r.message, data: parseJson(r.data, null),
  };
}

export function fromScheduleRow(r: WorkflowScheduleRow): ScheduleRecord {
  return {
    id: r.id, projectId: r.projectId, workflow: r.workflow, cron: r.cron, timezone: r.timezone, target: parseJson(r.targetFilter, {}),
    params: parseJson(r.params, {}), batchSize: r.batchSize, maxConcurrency: r.maxConcurrency, overlap: r.overlap,
    enabled: Boolean(r.enabled), createdBy: r.createdBy, createdByUserId: r.createdByUserId, lastFiredAt: r.lastFiredAt,
    lastRunId: r.lastRunId, createdAt: r.createdAt,
  };
}

const date = (v: unknown): Date | null => (v == null ? null : new Date(v as string));

/** Rebuilds a run record that went through JSON (pub/sub). */
export function runFromMessage(m: RunRecord): RunRecord {
  return { ...m, createdAt: date(m.createdAt)!, startedAt: date(m.startedAt), finishedAt: date(m.finishedAt) };
}

/** Rebuilds an event record that went through JSON (pub/sub). */
export function eventFromMessage(m: EventRecord): EventRecord {
  // One record per published message: every subscriber of the process gets the same object, so the
  // gateway executes each subscription's selection on it once (src/subscriptions.ts).
  let e = fromMessage.get(m);
  if (!e) fromMessage.set(m, (e = { ...m, at: date(m.at)! }));
  return e;
}

const fromMessage = new WeakMap<EventRecord, EventRecord>();
