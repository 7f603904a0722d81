import type { EntityManager } from 'typeorm';
import type { PubSub } from '../../src/pubsub.js';
import type { Clock } from './clock.js';
import type { EventRecord, RunRecord, WorkflowEventType } from './records.js';
import type { RunStore, TargetPatch } from './store.js';

/** Pub/sub topic of one run's events. */
export const runTopic = (runId: number): string => `run:${runId}`;
/** Pub/sub topic of run status changes in a project. */
export const runsTopic = (projectId: number): string => `runs:${projectId}`;
/** Pub/sub topic on which any process asks a run's owner to act (cancel). */
export const CONTROL_TOPIC = 'workflow-control';

/** What a writer says about an event; the log adds the run, the sequence and the time. */
export interface EventInput {
  type: WorkflowEventType;
  target?: { id: number; deviceId: string } | null;
  task?: string | null;
  attempt?: number | null;
  message?: string | null;
  data?: unknown;
}

/** Longest message stored, in characters; longer ones are cut. */
const MAX_MESSAGE = 2000;
/** Largest `data` stored, in characters of JSON; larger data is replaced by a truncated preview. */
const MAX_DATA = 16_000;

/** Most events written in one transaction. */
const MAX_GROUP = 200;

/** A target's state change that is recorded with its event. */
export interface TargetChange {
  targetId: number;
  patch: TargetPatch;
}

interface Pending {
  input: EventInput;
  alsoInTx?: (em: EntityManager) => Promise<void>;
  /** A target change that commits with this event but may share the transaction with other events. */
  change?: TargetChange;
  resolve(e: EventRecord): void;
  reject(err: unknown): void;
}

/**
 * The event log of one run, held by its owner. Events get sequence numbers 1, 2, 3… in the order `emit`
 * is called, are written to the store (fenced by the lease), and only then published on `run:<id>`, so
 * pub/sub order equals sequence order and a subscriber can always replay what it missed. Events emitted
 * while a write is under way are written together in the next transaction (one commit for many targets'
 * events); an event with `alsoInTx` gets a transaction of its own. State changes that have an event
 * (a target's status, a task's state) are written with it by {@link RunEventLog.record}, in the same
 * transaction, so a crash never leaves a change without its event, or an event without its change.
 */
export class RunEventLog {
  private readonly queue: Pending[] = [];
  private draining = false;

  private constructor(
    private readonly deps: { store: RunStore; pubsub: PubSub; clock: Clock; owner: string; onError: (err: unknown) => void },
    readonly runId: number,
    private next: number,
  ) {}

  /** Opens the log of a run, continuing after its last persisted event (one statement). */
  static async open(deps: RunEventLog['deps'], runId: number): Promise<RunEventLog> {
    return new RunEventLog(deps, runId, (await deps.store.maxSequence(runId)) + 1);
  }

  /**
   * Persists then publishes one event; resolves once it is persisted. `alsoInTx` runs in the same
   * transaction as the insert (status changes that must become visible together with their event);
   * if it throws, neither lands. Rejects with LeaseLostError when another process now owns the run.
   */
  emit(input: EventInput, alsoInTx?: (em: EntityManager) => Promise<void>): Promise<EventRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, alsoInTx, resolve, reject });
      void this.drain();
    });
  }

  /**
   * Persists a target's change and the event in one transaction (which may also carry other events and
   * their changes: they commit or fail together), then publishes the event. Rejects like {@link emit}.
   */
  record(input: EventInput, change: TargetChange): Promise<EventRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, change, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        // A group changes each target at most once (one UPDATE for all of them); its runners await each
        // event before the next, so this only splits groups in theory.
        let n = 1;
        const targets = new Set<number>();
        if (this.queue[0]!.change) targets.add(this.queue[0]!.change.targetId);
        if (!this.queue[0]!.alsoInTx) {
          for (; n < this.queue.length && n < MAX_GROUP && !this.queue[n]!.alsoInTx; n++) {
            const id = this.queue[n]!.change?.targetId;
            if (id === undefined) continue;
            if (targets.has(id)) break;
            targets.add(id);
          }
        }
        const group = this.queue.splice(0, n);
        try {
          const events = await this.write(group);
          group.forEach((p, i) => p.resolve(events[i]!));
        } catch (err) {
          group.forEach((p) => p.reject(err));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async write(group: Pending[]): Promise<EventRecord[]> {
    const { store, pubsub, clock, owner } = this.deps;
    const at = clock.now();
    const events = group.map(({ input }, i): EventRecord => ({
      sequence: this.next + i,
      runId: this.runId,
      at,
      type: input.type,
      targetId: input.target?.id ?? null,
      deviceId: input.target?.deviceId ?? null,
      task: input.task ?? null,
      attempt: input.attempt ?? null,
      message: input.message == null ? null : input.message.slice(0, MAX_MESSAGE),
      data: bounded(input.data),
    }));
    const alsoInTx = group[0]!.alsoInTx;
    const changes = group.flatMap((p) => (p.change ? [p.change] : []));
    if (!alsoInTx && !changes.length) {
      // One statement: alone in the store's write queue on SQLite, so it never joins another writer's open transaction.
      await store.exclusive(() => store.insertEvents(store.ds.manager, owner, events));
    } else {
      // Two statements for the whole group (its events, its targets' changes), plus the run's own change.
      await store.tx(async (em) => {
        await store.insertEvents(em, owner, events);
        await store.updateTargets(em, owner, this.runId, changes);
        await alsoInTx?.(em);
      });
    }
    this.next += events.length;
    // Not awaited, so a slow broker does not hold the run back; both pub/subs keep the call order.
    for (const e of events) pubsub.publish(runTopic(this.runId), e).catch(this.deps.onError);
    return events;
  }
}

/** Publishes a run's new status on `runs:<projectId>` (after it was persisted). */
export function publishRunUpdate(pubsub: PubSub, run: RunRecord, onError: (err: unknown) => void): void {
  pubsub.publish(runsTopic(run.projectId), run).catch(onError);
}

function bounded(data: unknown): unknown {
  if (data === undefined || data === null) return null;
  const text = JSON.stringify(data);
  if (text === undefined) return null;
  return text.length <= MAX_DATA ? JSON.parse(text) : { truncated: true, preview: text.slice(0, 1000) };
}
