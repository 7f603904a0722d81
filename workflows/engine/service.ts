import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { requireRole } from '../../src/auth/principal.js';
import { ConflictError, InputError, NotFoundError } from '../../src/errors.js';
import { refKey, toGlobalId } from '../../src/ids.js';
import { systemScope, type Scope } from '../../src/inventory/scope.js';
import { checkFilterIds, resolveTargets } from '../../src/inventory/targets.js';
import { setVariables } from '../../src/inventory/variables.js';
import { pageRequest, type Connection } from '../../src/pagination.js';
import { sqlScope } from '../../src/store/sql-counter.js';
import { createRegistry, type WorkflowRegistry } from '../registry.js';
import { WorkflowScheduler, type CreateScheduleInput } from '../scheduler.js';
import type { RunStatus, TargetStatus, WorkflowDefinition } from '../types.js';
import { plusMs, systemClock, type Clock } from './clock.js';
import type { Progress, RunOrigin, StartWorkflowInput, WorkflowServiceOptions } from './api.js';
import { CONTROL_TOPIC, publishRunUpdate } from './events.js';
import { abandonRun, RunExecutor, type ExecutorDeps } from './executor.js';
import { validateParams } from './params.js';
import { RunQueries } from './queries.js';
import type { EventRecord, RunRecord, ScheduleRecord, TargetRecord } from './records.js';
import { isTerminalRun } from './states.js';
import { RunStore } from './store.js';
import { followRunEvents, followRunUpdates, type Stream } from './stream.js';

export type { Progress, RunOrigin, StartWorkflowInput, WorkflowServiceOptions } from './api.js';

const LIMITS = { batchSize: [1, 100_000, 100], maxConcurrency: [1, 100, 10] } as const;

/**
 * The workflow engine as the rest of Craton sees it: start, cancel and read runs, follow their events,
 * manage schedules; plus the lifecycle (`start()` recovers interrupted runs and starts timers, `stop()`
 * parks running work for another process). Tenancy: every call takes the caller's Scope and only ever
 * sees runs and schedules of its project. Knows nothing of GraphQL.
 */
export class WorkflowService {
  readonly registry: WorkflowRegistry;
  readonly owner: string;
  readonly scheduler: WorkflowScheduler;
  readonly queries: RunQueries;
  private readonly store: RunStore;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly exec: ExecutorDeps;
  private readonly active = new Map<number, { executor: RunExecutor; done: Promise<void> }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private control?: Stream<{ action: string; runId?: number }>;
  private recovering?: Promise<number>;
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly opts: WorkflowServiceOptions) {
    this.registry = opts.registry ?? createRegistry();
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.clock = opts.clock ?? systemClock;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.store = new RunStore(opts.ds);
    this.queries = new RunQueries(opts.ds);
    const maxVariableBytes = opts.maxVariableBytes ?? 64 * 1024;
    this.exec = {
      registry: this.registry, store: this.store, pubsub: opts.pubsub, clock: this.clock, logger: opts.logger, owner: this.owner,
      drivers: opts.drivers ?? {}, cancelGraceMs: opts.cancelGraceMs ?? 30_000,
      writeBack: async (run, target, values) => {
        const actor = { userId: run.startedByUserId ?? 0, name: `workflow:${toGlobalId('WorkflowRun', run.id)}` };
        const scope = systemScope(opts.ds, run.projectId, actor, opts.pubsub);
        // setVariables takes the store's write queue itself (src/store/transaction.ts).
        await setVariables(scope, target.deviceId, values, maxVariableBytes);
      },
    };
    this.scheduler = new WorkflowScheduler({
      ds: opts.ds, pubsub: opts.pubsub, registry: this.registry, clock: this.clock, logger: opts.logger, owner: this.owner,
      cron: opts.cron, syncIntervalMs: opts.scheduleSyncIntervalMs, startRun: (scope, input, origin) => this.startRun(scope, input, origin),
    });
  }

  /** Resumes interrupted runs, then renews leases, looks for orphaned runs and fires schedules on timers. */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    this.control = await this.opts.pubsub.subscribe(CONTROL_TOPIC);
    void this.followControl(this.control);
    await this.recover();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((err) => this.opts.logger.warn({ err }, 'workflow engine timer failed')), ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(this.opts.renewIntervalMs ?? Math.max(1, Math.floor(this.leaseMs / 3)), () => this.renewLeases());
    every(this.opts.recoveryIntervalMs ?? Math.max(1, Math.floor(this.leaseMs / 2)), () => this.recover());
    await this.scheduler.start();
  }

  /** Stops timers and schedules, parks running runs and releases their leases so another process resumes them. */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.timers.splice(0).forEach(clearInterval);
    await this.scheduler.stop();
    await this.control?.return();
    const runs = [...this.active.entries()];
    runs.forEach(([, a]) => a.executor.park());
    const settled = Promise.allSettled(runs.map(([, a]) => a.done));
    await Promise.race([settled, new Promise((r) => setTimeout(r, this.opts.stopGraceMs ?? 5000).unref?.())]);
    await this.store.release(runs.map(([id]) => id), this.owner).catch((err) => this.opts.logger.warn({ err }, 'releasing leases failed'));
    this.state = 'stopped';
  }

  /** Every workflow this process can run, by name. */
  definitions(): WorkflowDefinition[] {
    return this.registry.list();
  }

  /**
   * Starts a run (OPERATOR): validates the workflow, parameters and limits (BAD_USER_INPUT naming the
   * argument) and the filter's ids (NOT_FOUND), resolves the target devices (none: BAD_USER_INPUT, except
   * for a schedule's tick), persists the run and one target per device in one transaction, and begins
   * executing it in this process. Returns the PENDING run.
   */
  async startRun(scope: Scope, input: StartWorkflowInput, origin?: RunOrigin): Promise<RunRecord> {
    requireRole(scope.principal, 'OPERATOR', 'startWorkflow');
    if (this.state !== 'started') throw new ConflictError('the workflow engine is not running (starting or shutting down); try again');
    const def = this.registry.require(input.workflow, 'input.workflow');
    const params = validateParams(def, input.params, 'input.params');
    const batchSize = intArg('input.batchSize', input.batchSize, LIMITS.batchSize);
    const maxConcurrency = intArg('input.maxConcurrency', input.maxConcurrency, LIMITS.maxConcurrency);
    const maxTargets = this.opts.maxTargets ?? 100_000;
    await checkFilterIds(scope, input.target, 'input.target');
    const devices = await resolveTargets(scope, this.opts.catalog, input.target, maxTargets,
      (n) => new InputError(`input.target matches more than ${n} devices; narrow the filter or split the run`, { argument: 'input.target', limit: n }), def.variables);
    // Most likely a mistyped filter. A schedule's tick that finds nothing records an empty run instead.
    if (!devices.length && !origin) throw new InputError('input.target matches no device of this project: nothing to run', { argument: 'input.target' });
    const now = this.clock.now();
    const tasks = JSON.stringify(def.tasks.map((t) => ({ name: t.name, status: 'PENDING', attempt: 0 })));
    const run = await this.store.insertRun({
      projectId: scope.projectId, workflow: def.name, status: 'PENDING', params: JSON.stringify(params), targetFilter: JSON.stringify(input.target ?? {}),
      batchSize, maxConcurrency, dryRun: Boolean(input.dryRun), totalTargets: devices.length,
      startedBy: origin?.startedBy ?? scope.principal.userName, startedByUserId: scope.principal.userId, scheduleId: origin?.scheduleId ?? null,
      reason: null, owner: this.owner, leaseExpiresAt: plusMs(now, this.leaseMs), createdAt: now, startedAt: null, finishedAt: null, updatedAt: null,
    }, devices.map((d, position) => ({
      projectId: scope.projectId, position, deviceId: d.id, deviceName: d.name, device: JSON.stringify(d), status: 'PENDING', attempts: 0, tasks,
      lastError: null, startedAt: null, finishedAt: null,
    })));
    publishRunUpdate(this.opts.pubsub, run, (err) => this.opts.logger.warn({ err }, 'run update publish failed'));
    await this.launch(run);
    return run;
  }

  /**
   * Cancels a run (OPERATOR): it becomes CANCELLING at once and CANCELLED when its owner has wound it down.
   * Cancelling a CANCELLING run returns it; a finished run is CONFLICT; another project's run NOT_FOUND.
   */
  async cancelRun(scope: Scope, id: string): Promise<RunRecord> {
    requireRole(scope.principal, 'OPERATOR', 'cancelWorkflowRun');
    for (let tries = 0; ; tries++) {
      const run = await this.requireRun(scope, id);
      if (isTerminalRun(run.status)) throw new ConflictError(`workflow run '${id}' already finished (${run.status}); only PENDING or RUNNING runs can be cancelled`, { status: run.status });
      if (run.status === 'CANCELLING') return run;
      const now = this.clock.now();
      const moved = await this.store.tx((em) => this.store.setRunStatus(em, run.id, null, run.status, 'CANCELLING', { updatedAt: now }));
      if (!moved && tries < 3) continue; // it moved meanwhile (e.g. PENDING → RUNNING): look again
      if (!moved) throw new ConflictError(`workflow run '${id}' changed state while being cancelled; try again`);
      const cancelling = { ...run, status: 'CANCELLING' as const };
      publishRunUpdate(this.opts.pubsub, cancelling, () => undefined);
      const local = this.active.get(run.id);
      if (local) local.executor.requestCancel();
      else await this.opts.pubsub.publish(CONTROL_TOPIC, { action: 'cancel', runId: run.id });
      return cancelling;
    }
  }

  /** A run of the caller's project by global id, or null. */
  async getRun(scope: Scope, id: string): Promise<RunRecord | null> {
    return this.queries.run(scope.projectId, refKey(id, 'WorkflowRun').key);
  }

  /** Runs of the caller's project, newest first. */
  listRuns(scope: Scope, args: { first?: number | null; after?: string | null; status?: readonly RunStatus[] | null; workflow?: string | null }): Promise<Connection<RunRecord>> {
    return this.queries.runs(scope.projectId, pageRequest(args.first, args.after), args);
  }

  /** Targets of a run the caller already holds, in position order. */
  listTargets(run: RunRecord, args: { first?: number | null; after?: string | null; status?: readonly TargetStatus[] | null }): Promise<Connection<TargetRecord>> {
    return this.queries.targets(run.id, pageRequest(args.first, args.after), args.status);
  }

  /** Persisted events of a run the caller already holds, after `afterSequence`, at most `first` (≤ 1000). */
  listEvents(run: RunRecord, args: { afterSequence?: number | null; first?: number | null }): Promise<EventRecord[]> {
    const page = pageRequest(args.first, null);
    return this.queries.events(run.id, Math.max(0, args.afterSequence ?? 0), page.first);
  }

  /** Progress of many runs: one GROUP BY statement. */
  async progress(runs: readonly RunRecord[]): Promise<Progress[]> {
    const counts = await this.store.countByStatus(runs.map((r) => r.id));
    return runs.map((r) => {
      const c = counts.get(r.id) ?? {};
      return {
        total: r.totalTargets, pending: c.PENDING ?? 0, running: c.RUNNING ?? 0, succeeded: c.SUCCEEDED ?? 0, failed: c.FAILED ?? 0,
        manual: c.MANUAL ?? 0, skipped: c.SKIPPED ?? 0, reverted: c.REVERTED ?? 0,
      };
    });
  }

  /** The events of a run of the caller's project: replayed after `afterSequence`, then live (see followRunEvents). NOT_FOUND first otherwise. */
  async runEvents(scope: Scope, id: string, afterSequence?: number | null): Promise<Stream<EventRecord>> {
    const run = await this.requireRun(scope, id);
    return followRunEvents(this.opts.pubsub, this.queries, run.id, Math.max(0, afterSequence ?? 0));
  }

  /** Status changes of the caller's project's runs, optionally of one workflow. */
  runUpdates(scope: Scope, workflow?: string | null): Promise<Stream<RunRecord>> {
    return followRunUpdates(this.opts.pubsub, scope.projectId, workflow);
  }

  createSchedule(scope: Scope, input: CreateScheduleInput): Promise<ScheduleRecord> {
    return this.scheduler.create(scope, input);
  }

  deleteSchedule(scope: Scope, id: string): Promise<string> {
    return this.scheduler.delete(scope, id);
  }

  /**
   * One recovery pass: claims unfinished runs nobody holds (lease expired, released, or held by this
   * owner before a restart) and resumes or ends them. Runs on a timer; returns how many it claimed.
   */
  recover(): Promise<number> {
    // One pass at a time: a claim by this owner also succeeds for a run it already holds.
    this.recovering ??= this.recoverOnce().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async recoverOnce(): Promise<number> {
    if (this.state !== 'started') return 0;
    const room = (this.opts.maxActiveRuns ?? 50) - this.active.size;
    if (room <= 0) return 0;
    const now = this.clock.now();
    let claimed = 0;
    for (const id of await this.store.claimable(this.owner, now, [...this.active.keys()], room)) {
      if (this.active.has(id) || !(await this.store.claim(id, this.owner, now, plusMs(now, this.leaseMs)))) continue;
      const run = await this.store.loadRun(id);
      if (!run) continue;
      claimed += 1;
      await this.launch(run);
    }
    return claimed;
  }

  /** Renews the leases of runs executing here; parks runs another process took; notices remote cancellations. */
  async renewLeases(): Promise<void> {
    const ids = [...this.active.keys()];
    if (!ids.length) return;
    const owned: number[] = [];
    for (const s of await this.store.leaseState(ids)) {
      const a = this.active.get(s.id);
      if (!a) continue;
      if (s.owner !== this.owner) a.executor.park();
      else {
        owned.push(s.id);
        if (s.status === 'CANCELLING') a.executor.requestCancel();
      }
    }
    await this.store.renew(owned, this.owner, plusMs(this.clock.now(), this.leaseMs));
  }

  /** Executes a run this process holds, or ends it when it cannot go on. Returns once it is under way. */
  private async launch(run: RunRecord): Promise<void> {
    if (this.active.has(run.id)) return;
    const def = this.registry.get(run.workflow);
    const started = run.status !== 'PENDING';
    const reason = !def
      ? `workflow '${run.workflow}' is no longer registered; known workflows: ${this.registry.names().join(', ')}`
      : started && def.resumable === false
        ? `workflow '${run.workflow}' is not resumable and its run was interrupted (the process running it stopped)`
        : null;
    if (reason || !def) {
      await abandonRun(this.exec, run, reason!).catch((err) => this.opts.logger.warn({ err, runId: run.id }, 'could not end an unresumable run'));
      await this.store.release([run.id], this.owner);
      return;
    }
    const executor = new RunExecutor(this.exec, run, def);
    // Outside the starting request's SQL tally: the run's statements are not that request's cost.
    const done = sqlScope.exit(() => executor.execute())
      .catch((err) => this.opts.logger.error({ err, runId: run.id }, 'workflow run failed unexpectedly; it will be retried by recovery'))
      .finally(async () => {
        this.active.delete(run.id);
        await this.store.release([run.id], this.owner).catch(() => undefined);
      });
    this.active.set(run.id, { executor, done });
  }

  /** Acts on requests published by other processes (cancellations of runs executing here, schedule changes). */
  private async followControl(stream: Stream<{ action: string; runId?: number }>): Promise<void> {
    for await (const m of stream) {
      if (m.action === 'cancel' && typeof m.runId === 'number') this.active.get(m.runId)?.executor.requestCancel();
      if (m.action === 'schedules') await this.scheduler.sync().catch((err) => this.opts.logger.warn({ err }, 'schedule sync failed'));
    }
  }

  private async requireRun(scope: Scope, id: string): Promise<RunRecord> {
    const run = await this.getRun(scope, id);
    if (!run) throw new NotFoundError('WorkflowRun', id);
    return run;
  }
}

/** Validates an optional integer argument within [min, max]; `dflt` when absent. */
function intArg(argument: string, value: number | null | undefined, [min, max, dflt]: readonly [number, number, number]): number {
  if (value == null) return dflt;
  if (!Number.isInteger(value) || value < min || value > max) throw new InputError(`${argument} must be an integer from ${min} to ${max}, got ${value}`, { argument });
  return value;
}

/** Builds the workflow service (the composition root calls start() after migrations and stop() on shutdown). */
export function createWorkflowService(opts: WorkflowServiceOptions): WorkflowService {
  return new WorkflowService(opts);
}
