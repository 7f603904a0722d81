import type { PubSub } from '../../src/pubsub.js';
import type { RunStatus } from '../types.js';
import { runsTopic, runTopic } from './events.js';
import { eventFromMessage, runFromMessage, TERMINAL_EVENT_TYPES, type EventRecord, type RunRecord } from './records.js';
import { isTerminalRun } from './states.js';

/** An async iterator whose `return()` ends it at once, even while it waits for a live event. */
export type Stream<T> = AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> };

/** Events replayed per statement. */
const REPLAY_PAGE = 500;

/** The reads a run event stream needs. */
export interface EventSource {
  events(runId: number, afterSequence: number, limit: number): Promise<EventRecord[]>;
  status(runId: number): Promise<RunStatus | null>;
}

const isTerminal = (e: EventRecord) => TERMINAL_EVENT_TYPES.includes(e.type);

/**
 * The events of one run with sequence > `afterSequence`, in order, with no gap and no duplicate, ending
 * after the run's terminal event (RUN_FINISHED or RUN_CANCELLED). It subscribes to `run:<id>` FIRST,
 * then replays the store, then drains live events, skipping sequences it already sent and filling any
 * gap from the store; so an event is either replayed or live, never lost between the two. The caller
 * checks tenancy before calling.
 */
export async function followRunEvents(pubsub: PubSub, source: EventSource, runId: number, afterSequence: number): Promise<Stream<EventRecord>> {
  const live = await pubsub.subscribe<EventRecord>(runTopic(runId));

  async function* events(): AsyncGenerator<EventRecord> {
    let last = afterSequence;
    /** Store events in (last, upTo]; returns true after the terminal one. */
    async function* replay(upTo: number): AsyncGenerator<EventRecord, boolean> {
      for (;;) {
        const limit = Math.min(REPLAY_PAGE, upTo - last);
        const page = await source.events(runId, last, limit);
        for (const e of page) {
          last = e.sequence;
          yield e;
          if (isTerminal(e)) return true;
        }
        if (page.length < limit || last >= upTo) return false;
      }
    }
    try {
      // Read the status before replaying: a run that is already terminal has its terminal event persisted
      // (written in the same transaction), so the replay ends the stream, or it was before afterSequence.
      const status = await source.status(runId);
      if (yield* replay(Number.MAX_SAFE_INTEGER)) return;
      if (status === null || isTerminalRun(status)) return;
      for await (const message of live) {
        const e = eventFromMessage(message);
        if (e.sequence <= last) continue;
        if (e.sequence > last + 1 && (yield* replay(e.sequence - 1))) return;
        if (e.sequence <= last) continue;
        last = e.sequence;
        yield e;
        if (isTerminal(e)) return;
      }
    } finally {
      await live.return();
    }
  }
  return wrap(events(), () => live.return());
}

/**
 * Status changes of runs in one project (optionally one workflow), as published after they were
 * persisted; never completes on its own.
 */
export async function followRunUpdates(pubsub: PubSub, projectId: number, workflow?: string | null): Promise<Stream<RunRecord>> {
  const live = await pubsub.subscribe<RunRecord>(runsTopic(projectId));
  async function* updates(): AsyncGenerator<RunRecord> {
    try {
      for await (const message of live) {
        const run = runFromMessage(message);
        if (run.projectId === projectId && (workflow == null || run.workflow === workflow)) yield run;
      }
    } finally {
      await live.return();
    }
  }
  return wrap(updates(), () => live.return());
}

/** Makes `return()` close the subscription first, so a generator parked on a live read ends at once. */
function wrap<T>(gen: AsyncGenerator<T>, close: () => Promise<unknown>): Stream<T> {
  const it: Stream<T> = {
    next: () => gen.next(),
    return: async () => {
      await close();
      return gen.return(undefined);
    },
    throw: async (err?: unknown) => {
      await close();
      return gen.throw(err);
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}
