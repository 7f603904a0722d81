import { setMaxListeners } from 'node:events';
import { yieldToIo } from '../../src/store/transaction.js';
import type { Logger } from '../../src/logger.js';
import type { PubSub } from '../../src/pubsub.js';
import type { WorkflowRegistry } from '../registry.js';
import type { Drivers, FailureRecord, RunStatus, TargetStatus, WorkflowDefinition } from '../types.js';
import type { Clock } from './clock.js';
import { publishRunUpdate, RunEventLog, type EventInput } from './events.js';
import { ParkedError } from './invoke.js';
import type { RunRecord, TargetRecord } from './records.js';
import { targetTransition } from './states.js';
import { LeaseLostError, type RunStore } from './store.js';
import { runTarget, type RunEnv } from './target-runner.js';

/** What executing runs needs from the service. */
export interface ExecutorDeps {
  registry: WorkflowRegistry;
  store: RunStore;
  pubsub: PubSub;
  clock: Clock;
  logger: Logger;
  owner: string;
  drivers: Drivers;
  /** How long running tasks may go on after a cancellation before their signals abort, ms. */
  cancelGraceMs: number;
  writeBack(run: RunRecord, target: TargetRecord, values: Record<string, unknown>): Promise<void>;
}

/** Targets read per statement while a batch runs. */
const PAGE = 1000;

/** A run's status moved under us (another process cancelled it): re-read and act on what it is now. */
class StatusMoved extends Error {}

/**
 * Executes one run this process holds the lease of: RUN_STARTED (or RUN_RESUMED), then batches of
 * `batchSize` targets in position order, each with at most `maxConcurrency` targets at once, then the
 * final status through the transition table together with its terminal event. Cancellation stops new
 * targets, winds running ones down and SKIPs the rest. `park()` abandons it silently for another process.
 */
export class RunExecutor {
  private readonly cancelAc = new AbortController();
  private readonly hardAc = new AbortController();
  private readonly parkAc = new AbortController();
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ExecutorDeps, private run: RunRecord, private readonly def: WorkflowDefinition) {
    // Every running task listens to these run-wide signals (timeouts, backoff sleeps): a few listeners per
    // concurrent target, removed when it ends. Not a leak, so no warning up to that many.
    setMaxListeners(Math.max(10, run.maxConcurrency * 4 + 10), this.cancelAc.signal, this.hardAc.signal, this.parkAc.signal);
  }

  get runId(): number {
    return this.run.id;
  }

  /** Stops starting targets and tasks now; aborts running tasks' signals after the grace period. */
  requestCancel(): void {
    if (this.cancelAc.signal.aborted) return;
    this.cancelAc.abort();
    this.graceTimer = setTimeout(() => this.hardAc.abort(), this.deps.cancelGraceMs);
    this.graceTimer.unref?.();
  }

  /** Abandons the run in this process without writing anything more (shutdown, lost lease). */
  park(): void {
    this.parkAc.abort();
  }

  /** Runs to the end; resolves quietly when parked or when the lease was lost. */
  async execute(): Promise<void> {
    const d = this.deps;
    const onError = (err: unknown) => d.logger.warn({ err, runId: this.run.id }, 'workflow event publish failed');
    try {
      const events = await RunEventLog.open({ store: d.store, pubsub: d.pubsub, clock: d.clock, owner: d.owner, onError }, this.run.id);
      const env: RunEnv = {
        run: this.run, def: this.def, registry: d.registry, store: d.store, events, clock: d.clock, owner: d.owner, drivers: d.drivers,
        cancelled: this.cancelAc.signal, hardStop: this.hardAc.signal, parked: this.parkAc.signal,
        writeBack: (target, values) => d.writeBack(this.run, target, values),
      };
      if (this.run.status === 'CANCELLING') this.requestCancel();
      if (this.run.status === 'PENDING') {
        const startedAt = d.clock.now();
        const r = this.run;
        const started = await this.move(events, 'PENDING', 'RUNNING', { startedAt }, {
          type: 'RUN_STARTED', data: { workflow: r.workflow, total: r.totalTargets, batchSize: r.batchSize, maxConcurrency: r.maxConcurrency, dryRun: r.dryRun },
        });
        if (!started) return this.finishCancelled(env);
      } else if (this.run.startedAt) {
        // Another process started it (or this one before a restart): go on from the last recorded step.
        await events.emit({ type: 'RUN_RESUMED', data: { status: this.run.status, owner: d.owner } });
      }
      if (!this.cancelAc.signal.aborted) await this.runBatches(env);
      if (this.parkAc.signal.aborted) return;
      if (this.cancelAc.signal.aborted) return this.finishCancelled(env);
      const counts = (await d.store.countByStatus([this.run.id])).get(this.run.id)!;
      const succeeded = counts.SUCCEEDED ?? 0;
      const total = this.run.totalTargets;
      const final: RunStatus = succeeded === total ? 'SUCCEEDED' : succeeded === 0 ? 'FAILED' : 'PARTIAL';
      const done = await this.move(events, 'RUNNING', final, { finishedAt: d.clock.now() }, { type: 'RUN_FINISHED', message: final, data: { status: final, progress: counts } });
      if (!done) return this.finishCancelled(env);
    } catch (err) {
      if (err instanceof ParkedError || err instanceof LeaseLostError) return;
      throw err;
    } finally {
      clearTimeout(this.graceTimer);
    }
  }

  /**
   * Moves the run's status together with its event (one transaction). Returns false when the run is no
   * longer in `from` because another process cancelled it (the executor then cancels too).
   */
  private async move(events: RunEventLog, from: RunStatus, to: RunStatus, fields: { startedAt?: Date; finishedAt?: Date; reason?: string }, event: EventInput): Promise<boolean> {
    const d = this.deps;
    try {
      await events.emit(event, async (em) => {
        if (!(await d.store.setRunStatus(em, this.run.id, d.owner, from, to, { ...fields, updatedAt: d.clock.now() }))) throw new StatusMoved();
      });
    } catch (err) {
      if (!(err instanceof StatusMoved)) throw err;
      const now = await d.store.loadRun(this.run.id);
      if (now?.status !== 'CANCELLING') throw new LeaseLostError(this.run.id);
      this.run = { ...this.run, status: 'CANCELLING' };
      this.requestCancel();
      return false;
    }
    this.run = { ...this.run, ...fields, status: to };
    publishRunUpdate(d.pubsub, this.run, (e) => d.logger.warn({ err: e }, 'run update publish failed'));
    return true;
  }

  /** Batches from the first one with work left; within one, a pool of maxConcurrency workers. */
  private async runBatches(env: RunEnv): Promise<void> {
    const { store } = this.deps;
    const { id, batchSize, totalTargets } = this.run;
    const first = await store.firstOpenPosition(id);
    if (first === null) return;
    const batches = Math.ceil(totalTargets / batchSize);
    for (let b = Math.floor(first / batchSize); b < batches; b++) {
      if (this.cancelAc.signal.aborted || this.parkAc.signal.aborted) return;
      const from = b * batchSize;
      const size = Math.min(batchSize, totalTargets - from);
      await env.events.emit({ type: 'BATCH_STARTED', data: { batch: b + 1, batches, size } });
      await this.pool(env, this.openTargets(from - 1, from + batchSize));
      if (this.parkAc.signal.aborted) return;
      await env.events.emit({ type: 'BATCH_FINISHED', data: { batch: b + 1, batches, cancelled: this.cancelAc.signal.aborted } });
    }
  }

  /** Open targets with position in (after, below), read a page at a time. */
  private async *openTargets(after: number, below: number, only?: TargetStatus): AsyncGenerator<TargetRecord> {
    for (let last = after; ;) {
      const page = await this.deps.store.openTargets(this.run.id, last, below, PAGE);
      for (const t of page) if (!only || t.status === only) yield t;
      if (page.length < PAGE) return;
      last = page.at(-1)!.position;
    }
  }

  /** Runs targets from `source` with at most maxConcurrency at once; the first unexpected error parks the run. */
  private async pool(env: RunEnv, source: AsyncGenerator<TargetRecord>, evenIfCancelled = false): Promise<void> {
    let failure: unknown;
    const worker = async () => {
      for (;;) {
        if ((!evenIfCancelled && this.cancelAc.signal.aborted) || this.parkAc.signal.aborted) return;
        const next = await source.next();
        if (next.done) return;
        try {
          await runTarget(env, next.value);
          await yieldToIo(); // synchronous SQLite would otherwise starve every request until the run ends
        } catch (err) {
          failure ??= err;
          this.park();
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.run.maxConcurrency) }, worker));
    await source.return(undefined);
    if (failure) throw failure;
  }

  /** Ends a cancelled run: targets left RUNNING (by a crash) wind down, PENDING ones are SKIPPED, then CANCELLED. */
  private async finishCancelled(env: RunEnv): Promise<void> {
    const d = this.deps;
    await this.pool(env, this.openTargets(-1, Number.MAX_SAFE_INTEGER, 'RUNNING'), true);
    if (this.parkAc.signal.aborted) return;
    targetTransition('PENDING', 'SKIPPED');
    const skipped = await d.store.moveTargets(d.owner, this.run.id, 'PENDING', 'SKIPPED', { finishedAt: d.clock.now() });
    const counts = (await d.store.countByStatus([this.run.id])).get(this.run.id)!;
    const done = await this.move(env.events, 'CANCELLING', 'CANCELLED', { finishedAt: d.clock.now() }, {
      type: 'RUN_CANCELLED', message: `cancelled; ${skipped} targets skipped`, data: { skipped, progress: counts },
    });
    if (!done) throw new LeaseLostError(this.run.id);
  }
}

/**
 * Ends a run that cannot go on (its definition is gone, or it crashed and is not resumable): RUNNING
 * targets FAILED (interrupted), PENDING ones SKIPPED, the run FAILED with `reason` (CANCELLED when it was
 * being cancelled), with its terminal event. The caller holds the lease.
 */
export async function abandonRun(deps: ExecutorDeps, run: RunRecord, reason: string): Promise<void> {
  const { store, owner, clock } = deps;
  const events = await RunEventLog.open({ store, pubsub: deps.pubsub, clock, owner, onError: () => undefined }, run.id);
  const now = clock.now();
  const interrupted: FailureRecord = { type: 'Interrupted', message: reason, retryable: false };
  targetTransition('RUNNING', 'FAILED');
  await store.moveTargets(owner, run.id, 'RUNNING', 'FAILED', { finishedAt: now, lastError: JSON.stringify(interrupted) });
  targetTransition('PENDING', 'SKIPPED');
  await store.moveTargets(owner, run.id, 'PENDING', 'SKIPPED', { finishedAt: now });
  const to: RunStatus = run.status === 'CANCELLING' ? 'CANCELLED' : 'FAILED';
  await events.emit({ type: to === 'FAILED' ? 'RUN_FINISHED' : 'RUN_CANCELLED', message: reason, data: { status: to, reason } }, async (em) => {
    if (!(await store.setRunStatus(em, run.id, owner, run.status, to, { finishedAt: now, reason, updatedAt: now }))) throw new LeaseLostError(run.id);
  });
  publishRunUpdate(deps.pubsub, { ...run, status: to, reason, finishedAt: now }, () => undefined);
}
