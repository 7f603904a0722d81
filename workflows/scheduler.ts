import cron from 'node-cron';
import { exclusiveWrite, storeTransaction } from '../src/store/transaction.js';
import { In, type DataSource } from 'typeorm';
import { requireRole } from '../src/auth/principal.js';
import { InputError, NotFoundError } from '../src/errors.js';
import { refKey, toGlobalId } from '../src/ids.js';
import type { DeviceFilter } from '../src/inventory/catalog.js';
import { checkFilterIds } from '../src/inventory/targets.js';
import { systemScope, type Scope } from '../src/inventory/scope.js';
import type { Logger } from '../src/logger.js';
import { pageRequest, type Connection } from '../src/pagination.js';
import type { PubSub } from '../src/pubsub.js';
import { isUniqueViolation } from '../src/store/errors.js';
import { WorkflowRunRow, WorkflowScheduleFireRow, WorkflowScheduleRow } from '../src/store/workflow-entities.js';
import type { Clock } from './engine/clock.js';
import { CONTROL_TOPIC } from './engine/events.js';
import { validateParams } from './engine/params.js';
import { RunQueries } from './engine/queries.js';
import { fromScheduleRow, type RunRecord, type ScheduleRecord } from './engine/records.js';
import { ACTIVE_RUN_STATUSES } from './engine/states.js';
import type { WorkflowRegistry } from './registry.js';
import type { RunOrigin, StartWorkflowInput } from './engine/api.js';

/** Starts cron timers; node-cron in production, a fake in tests (which call `fire` themselves). */
export interface CronScheduler {
  /** Calls `onTick` with the scheduled instant at each match of `expression` in `timezone`. */
  schedule(expression: string, timezone: string, onTick: (fireTime: Date) => void): { stop(): void };
}

/** node-cron 4 timers. */
export const nodeCron: CronScheduler = {
  schedule(expression, timezone, onTick) {
    const task = cron.schedule(expression, (ctx) => onTick(ctx.date), { timezone });
    return { stop: () => void task.destroy() };
  },
};

/** The input of createWorkflowSchedule. */
export interface CreateScheduleInput {
  workflow: string;
  cron: string;
  /** IANA zone, e.g. Europe/Paris. @default 'UTC' */
  timezone?: string | null;
  target?: DeviceFilter | null;
  params?: unknown;
  /** @default true */
  enabled?: boolean | null;
  /** @default 'SKIP' */
  overlap?: 'SKIP' | 'ALLOW' | null;
  batchSize?: number | null;
  maxConcurrency?: number | null;
}

/** What a fired tick did: the run it started, or why it started none. */
export interface FireOutcome {
  runId: number | null;
  outcome: string;
}

export interface SchedulerDeps {
  ds: DataSource;
  pubsub: PubSub;
  registry: WorkflowRegistry;
  clock: Clock;
  logger: Logger;
  owner: string;
  cron?: CronScheduler;
  syncIntervalMs?: number;
  startRun(scope: Scope, input: StartWorkflowInput, origin: RunOrigin): Promise<RunRecord>;
}

/**
 * Cron schedules of workflow runs. Schedules live in the store and every gateway process keeps timers for
 * all enabled ones (re-read at start-up, on changes, and every `syncIntervalMs`). Each tick is claimed in
 * the store by inserting (schedule, fire time) under a primary key, so with several processes exactly one
 * starts the run. Overlap SKIP (default) starts nothing while the schedule's previous run is unfinished.
 */
export class WorkflowScheduler {
  private readonly timers = new Map<number, { key: string; stop(): void }>();
  private interval: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    this.running = true;
    await this.sync();
    this.interval = setInterval(() => void this.sync().catch((err) => this.deps.logger.warn({ err }, 'schedule sync failed')), this.deps.syncIntervalMs ?? 60_000);
    this.interval.unref?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.interval);
    for (const t of this.timers.values()) t.stop();
    this.timers.clear();
  }

  /** Makes the timers match the enabled schedules in the store (all projects): one statement. */
  async sync(): Promise<void> {
    if (!this.running) return;
    const rows = await this.deps.ds.getRepository(WorkflowScheduleRow).find({ where: { enabled: true } });
    const seen = new Set<number>();
    for (const s of rows) {
      seen.add(s.id);
      const key = `${s.cron}|${s.timezone}`;
      const current = this.timers.get(s.id);
      if (current?.key === key) continue;
      current?.stop();
      const timer = (this.deps.cron ?? nodeCron).schedule(s.cron, s.timezone, (at) => {
        this.fire(s.id, at).catch((err) => this.deps.logger.error({ err, scheduleId: s.id }, 'schedule tick failed'));
      });
      this.timers.set(s.id, { key, stop: () => timer.stop() });
    }
    for (const [id, t] of this.timers) if (!seen.has(id)) (t.stop(), this.timers.delete(id));
  }

  /**
   * Creates a schedule (OPERATOR). The workflow, cron expression (5 fields, or 6 with seconds), IANA
   * timezone, parameters and target filter are checked now: BAD_USER_INPUT naming the argument (NOT_FOUND
   * for a filter id that names nothing of the project).
   */
  async create(scope: Scope, input: CreateScheduleInput): Promise<ScheduleRecord> {
    requireRole(scope.principal, 'OPERATOR', 'createWorkflowSchedule');
    const def = this.deps.registry.require(input.workflow, 'input.workflow');
    const params = validateParams(def, input.params, 'input.params');
    if (typeof input.cron !== 'string' || input.cron.length > 255 || !cron.validate(input.cron)) {
      throw new InputError(`input.cron: '${String(input.cron).slice(0, 100)}' is not a cron expression (e.g. '*/15 * * * *': minute hour day month weekday)`, { argument: 'input.cron' });
    }
    const timezone = input.timezone ?? 'UTC';
    if (!isTimeZone(timezone)) throw new InputError(`input.timezone: '${timezone.slice(0, 64)}' is not an IANA time zone (e.g. UTC, Europe/Paris)`, { argument: 'input.timezone' });
    await checkFilterIds(scope, input.target, 'input.target');
    for (const [arg, v, max] of [['batchSize', input.batchSize, 100_000], ['maxConcurrency', input.maxConcurrency, 100]] as const) {
      if (v != null && (!Number.isInteger(v) || v < 1 || v > max)) throw new InputError(`input.${arg} must be an integer from 1 to ${max}, got ${v}`, { argument: `input.${arg}` });
    }
    const repo = this.deps.ds.getRepository(WorkflowScheduleRow);
    const row = await exclusiveWrite(this.deps.ds, () => repo.save(repo.create({
      projectId: scope.projectId, workflow: def.name, cron: input.cron, timezone, targetFilter: JSON.stringify(input.target ?? {}),
      params: JSON.stringify(params), batchSize: input.batchSize ?? null, maxConcurrency: input.maxConcurrency ?? null,
      overlap: input.overlap ?? 'SKIP', enabled: input.enabled ?? true, createdBy: scope.principal.userName, createdByUserId: scope.principal.userId,
      lastFiredAt: null, lastRunId: null, createdAt: this.deps.clock.now(), updatedAt: null,
    })));
    await this.changed();
    return fromScheduleRow(row);
  }

  /** Deletes a schedule of the caller's project (OPERATOR); returns its id. Runs it started stay. */
  async delete(scope: Scope, id: string): Promise<string> {
    requireRole(scope.principal, 'OPERATOR', 'deleteWorkflowSchedule');
    const key = refKey(id, 'WorkflowSchedule').key;
    const res = await exclusiveWrite(this.deps.ds, () => this.deps.ds.getRepository(WorkflowScheduleRow).delete({ id: key, projectId: scope.projectId }));
    if (!res.affected) throw new NotFoundError('WorkflowSchedule', id);
    await this.changed();
    return id;
  }

  /** Schedules of the caller's project, oldest first. */
  list(scope: Scope, args: { first?: number | null; after?: string | null }): Promise<Connection<ScheduleRecord>> {
    return new RunQueries(this.deps.ds).schedules(scope.projectId, pageRequest(args.first, args.after));
  }

  /**
   * Handles one tick of a schedule: claims (schedule, fireTime to the second) in the store, then starts a
   * run unless overlap SKIP finds the previous one unfinished. Returns null when another process (or an
   * earlier call) claimed the tick, or the schedule is gone or disabled.
   */
  async fire(scheduleId: number, fireTime: Date): Promise<FireOutcome | null> {
    const { ds, owner } = this.deps;
    const schedule = await ds.getRepository(WorkflowScheduleRow).findOneBy({ id: scheduleId });
    if (!schedule?.enabled) return null;
    const tick = new Date(Math.floor(fireTime.getTime() / 1000) * 1000);
    try {
      await exclusiveWrite(ds, () => ds.getRepository(WorkflowScheduleFireRow).insert({ scheduleId, fireTime: tick, claimedBy: owner, runId: null, outcome: null }));
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
    const result = await this.startFor(fromScheduleRow(schedule));
    await storeTransaction(ds, async (em) => {
      await em.getRepository(WorkflowScheduleFireRow).update({ scheduleId, fireTime: tick }, { runId: result.runId, outcome: result.outcome });
      await em.getRepository(WorkflowScheduleRow).update({ id: scheduleId }, {
        lastFiredAt: tick, ...(result.runId ? { lastRunId: result.runId } : {}), updatedAt: this.deps.clock.now(),
      });
    });
    return result;
  }

  private async startFor(s: ScheduleRecord): Promise<FireOutcome> {
    if (s.overlap === 'SKIP') {
      const busy = await this.deps.ds.getRepository(WorkflowRunRow).findOne({
        select: { id: true }, where: { scheduleId: s.id, status: In([...ACTIVE_RUN_STATUSES]) },
      });
      if (busy) return { runId: null, outcome: `skipped: run ${toGlobalId('WorkflowRun', busy.id)} of this schedule is still unfinished` };
    }
    const startedBy = `schedule:${toGlobalId('WorkflowSchedule', s.id)}`;
    const scope = systemScope(this.deps.ds, s.projectId, { userId: s.createdByUserId, name: startedBy }, this.deps.pubsub);
    try {
      const run = await this.deps.startRun(scope, {
        workflow: s.workflow, target: s.target as DeviceFilter, params: s.params, batchSize: s.batchSize, maxConcurrency: s.maxConcurrency,
      }, { scheduleId: s.id, startedBy });
      return { runId: run.id, outcome: 'started' };
    } catch (err) {
      this.deps.logger.warn({ err, scheduleId: s.id }, 'scheduled run could not start');
      return { runId: null, outcome: `failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 2000) };
    }
  }

  /** Re-syncs here and tells other processes to. */
  private async changed(): Promise<void> {
    await this.sync();
    await this.deps.pubsub.publish(CONTROL_TOPIC, { action: 'schedules' });
  }
}

/** True for a time zone name the runtime knows (IANA, as Intl resolves it). */
export function isTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || !tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
