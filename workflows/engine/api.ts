import type { DataSource } from 'typeorm';
import type { Catalog, DeviceFilter } from '../../src/inventory/catalog.js';
import type { Logger } from '../../src/logger.js';
import type { PubSub } from '../../src/pubsub.js';
import type { WorkflowRegistry } from '../registry.js';
import type { CronScheduler } from '../scheduler.js';
import type { Drivers } from '../types.js';
import type { Clock } from './clock.js';

// The types of the WorkflowService's public surface (workflows/engine/service.ts re-exports them).

/** Everything the workflow service is built from; only the first four are required. */
export interface WorkflowServiceOptions {
  ds: DataSource;
  pubsub: PubSub;
  logger: Logger;
  catalog: Catalog;
  /** @default createRegistry() (the built-ins) */
  registry?: WorkflowRegistry;
  /** Clients tasks use (e.g. `nova`), handed to every TaskContext. @default {} */
  drivers?: Drivers;
  /** @default systemClock */
  clock?: Clock;
  /** This process's identity in `workflow_runs.owner`; keep it stable across restarts to reclaim at once. @default host:pid:random */
  owner?: string;
  /** How long a claimed run stays ours without renewal, ms. @default 30000 */
  leaseMs?: number;
  /** How often leases are renewed (and other processes' cancellations noticed), ms. @default leaseMs / 3 */
  renewIntervalMs?: number;
  /** How often unowned or expired runs are looked for, ms. @default leaseMs / 2 */
  recoveryIntervalMs?: number;
  /** How long running tasks may go on after a cancellation before their signals abort, ms. @default 30000 */
  cancelGraceMs?: number;
  /** How long stop() waits for parked runs to settle, ms. @default 5000 */
  stopGraceMs?: number;
  /** Largest variable value written back, bytes. @default 65536 */
  maxVariableBytes?: number;
  /** Most targets one run may have; more is BAD_USER_INPUT. @default 100000 */
  maxTargets?: number;
  /** Most runs this process executes at once from recovery (runs it starts itself always execute). @default 50 */
  maxActiveRuns?: number;
  /** Cron timers for schedules (tests inject one that never fires and call `scheduler.fire`). @default node-cron */
  cron?: CronScheduler;
  /** How often schedules are re-read from the store to follow other processes' changes, ms. @default 60000 */
  scheduleSyncIntervalMs?: number;
}

/** The input of startWorkflow, as the API takes it. */
export interface StartWorkflowInput {
  workflow: string;
  target?: DeviceFilter | null;
  params?: unknown;
  batchSize?: number | null;
  maxConcurrency?: number | null;
  dryRun?: boolean | null;
}

/** Who a run is started for when no user starts it directly (schedules). */
export interface RunOrigin {
  scheduleId: number;
  startedBy: string;
}

/** Progress counters of a run, as WorkflowProgress shows them. */
export type Progress = Record<'total' | 'pending' | 'running' | 'succeeded' | 'failed' | 'manual' | 'skipped' | 'reverted', number>;
