/**
 * The contract between the workflow engine (workflows/engine) and what it runs (workflows/definitions,
 * workflows/tasks). Definitions are data; tasks do the I/O; the engine decides how, and knows nothing of
 * OpenStack or GraphQL. Everything a task gets is injected through its TaskContext.
 */

/** AUDIT gathers facts and writes them back as variables; REMEDIATION changes hosts. */
export type WorkflowKind = 'AUDIT' | 'REMEDIATION';

/** Run states; the engine's transition table (workflows/engine/states.ts) is the only way to change them. */
export type RunStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'PARTIAL' | 'CANCELLING' | 'CANCELLED';

/** Target (one device of a run) states. */
export type TargetStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'REVERTED' | 'MANUAL' | 'SKIPPED';

/**
 * How a task is retried (Temporal's RetryPolicy as plain data). Validated when the definition registers.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 3 */
  maximumAttempts?: number;
  /** Delay before the second attempt, ms. @default 1000 */
  initialIntervalMs?: number;
  /** Multiplier of the delay after each attempt. @default 2 */
  backoffCoefficient?: number;
  /** Cap of the delay, ms. @default 30000 */
  maximumIntervalMs?: number;
  /** `TaskError.type`s that fail at once. @default [] */
  nonRetryableErrorTypes?: string[];
}

/** A failure as stored and shown: serialisable, never an Error object (TaskFlow's Failure). */
export interface FailureRecord {
  type: string;
  message: string;
  retryable: boolean;
  task?: string;
  attempt?: number;
  details?: unknown;
}

/**
 * What tasks throw to say how they failed. Anything else thrown counts as retryable with type 'Error'.
 */
export class TaskError extends Error {
  constructor(
    message: string,
    readonly type: string = 'TaskError',
    readonly retryable: boolean = true,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TaskError';
  }

  static nonRetryable(message: string, type = 'NonRetryable', details?: unknown): TaskError {
    return new TaskError(message, type, false, details);
  }
}

/** The device a target stands for, as resolved when the run started. */
export interface TargetDevice {
  /** Global id of the device (reference or federated). */
  id: string;
  name: string;
  ipAddress: string | null;
  /** Resolved variables at plan time. */
  variables: Record<string, unknown>;
}

/** Clients of the systems tasks act on, injected by the composition root (tests inject fakes' URLs). */
export interface Drivers {
  [name: string]: unknown;
}

/** Everything a task execution gets. */
export interface TaskContext {
  runId: string;
  target: TargetDevice;
  /** The run's validated parameters. */
  params: Record<string, unknown>;
  /** Values `provides`d by earlier tasks of this target, by name. */
  inputs: Record<string, unknown>;
  /** 1-based attempt number. */
  attempt: number;
  /** True when this execution follows a crash mid-task: check the world before acting again. */
  resumed: boolean;
  dryRun: boolean;
  /** Aborted on the task's timeout or when the run is cancelled and the task should stop. */
  signal: AbortSignal;
  /** Records a progress/log event on the run (persisted, then streamed). */
  log(message: string, data?: unknown): Promise<void>;
  drivers: Drivers;
}

/** One unit of I/O, with an optional undo (TaskFlow's Task, Temporal's Activity). */
export interface TaskDefinition {
  name: string;
  /** Names of values this task reads from earlier tasks' `provides`. */
  requires?: string[];
  /** Names of the values `execute` returns (keys of its result object). */
  provides?: string[];
  execute(ctx: TaskContext): Promise<Record<string, unknown> | void>;
  /** Undoes a completed execute when a later task of the same target exhausts its retries. */
  revert?(ctx: TaskContext & { result: Record<string, unknown> | undefined; failure: FailureRecord }): Promise<void>;
  retry?: RetryPolicy;
  /** Per-attempt timeout, ms. @default 60000 */
  timeoutMs?: number;
  /** In a dry run the engine skips tasks that are not `safeInDryRun` and reports what they would do. @default false */
  safeInDryRun?: boolean;
}

/** A parameter of a workflow, validated when a run starts. */
export interface ParameterSpec {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
  description: string;
  required?: boolean;
  default?: unknown;
  /** Allowed values. */
  enum?: unknown[];
}

/** A workflow as data: what runs, not how. */
export interface WorkflowDefinition {
  name: string;
  kind: WorkflowKind;
  description: string;
  parameters: Record<string, ParameterSpec>;
  /** Tasks in dependency order (each task's `requires` must be provided by an earlier one). */
  tasks: TaskDefinition[];
  /** What a target becomes when its retries run out (after reverts): FAILED, or MANUAL (handed to a person). @default 'FAILED' */
  onExhausted?: 'FAILED' | 'MANUAL';
  /**
   * AUDIT: which provided values are written back as variables of the target device when it succeeds:
   * variable key → provided value name.
   */
  writeBack?: Record<string, string>;
  /** Whether a run interrupted by a crash may resume (tasks are told `resumed`). @default true */
  resumable?: boolean;
  /**
   * The resolved variables tasks read from `target.variables`: only these keys are resolved and kept with
   * each target when a run starts. Omitted: every variable. A fleet host resolves dozens of variables
   * (6 KB of JSON per host in the benchmark fleet), so a run over 100,000 hosts would otherwise write and
   * read back some 600 MB its tasks never look at. @default every variable
   */
  variables?: readonly string[];
}
