import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Event fan-out between the writers (inventory commits, the workflow engine) and subscribers (graphql-ws).
 * Events are persisted by their writers BEFORE they are published, so a subscriber that misses a live
 * event can always replay it from the store; pub/sub only carries the live tail.
 */
export interface PubSub {
  /** Publishes one JSON-serialisable event on a topic (e.g. `changes:42`, `run:7`). */
  publish(topic: string, event: unknown): Promise<void>;
  /**
   * Subscribes to a topic. Events published after this call resolves are delivered in publish order,
   * buffered until read. `return()` on the iterator unsubscribes.
   */
  subscribe<T>(topic: string): Promise<AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> }>;
  close(): Promise<void>;
}

/** Most events buffered for one slow subscriber before the oldest are dropped (it can replay from the store). */
const MAX_BUFFER = 10_000;

/** An async iterator fed by pushes, ended by `return()`. */
function channel<T>(onClose: () => void): AsyncIterableIterator<T> & { push(v: T): void; return(): Promise<IteratorResult<T>> } {
  const buffer: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let done = false;
  const it = {
    push(value: T) {
      if (done) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value, done: false });
      } else {
        buffer.push(value);
        if (buffer.length > MAX_BUFFER) buffer.shift();
      }
    },
    next(): Promise<IteratorResult<T>> {
      if (buffer.length) return Promise.resolve({ value: buffer.shift()!, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((r) => (waiting = r));
    },
    return(): Promise<IteratorResult<T>> {
      if (!done) {
        done = true;
        buffer.length = 0;
        onClose();
        waiting?.({ value: undefined, done: true });
        waiting = undefined;
      }
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it as never;
}

/** One process: events go straight from publisher to subscribers. */
export class InProcessPubSub implements PubSub {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(topic: string, event: unknown): Promise<void> {
    this.emitter.emit(topic, event);
  }

  async subscribe<T>(topic: string) {
    const listener = (e: T) => ch.push(e);
    const ch = channel<T>(() => this.emitter.off(topic, listener));
    this.emitter.on(topic, listener);
    return ch;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/**
 * Redis pub/sub, so several gateway replicas share events. One subscriber connection per process,
 * multiplexed over topics; a topic is SUBSCRIBEd while it has local listeners.
 */
export class RedisPubSub implements PubSub {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly local = new InProcessPubSub();
  private readonly counts = new Map<string, number>();
  /** Redis's confirmation of each topic's SUBSCRIBE, while the topic has local listeners. */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(url: string, private readonly logger: Logger) {
    this.pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.sub = new Redis(url, { lazyConnect: false });
    for (const c of [this.pub, this.sub]) c.on('error', (err) => this.logger.warn({ err }, 'redis pub/sub error'));
    this.sub.on('message', (topic: string, message: string) => {
      try {
        void this.local.publish(topic, JSON.parse(message));
      } catch (err) {
        this.logger.warn({ err, topic }, 'undecodable pub/sub message');
      }
    });
  }

  async publish(topic: string, event: unknown): Promise<void> {
    await this.pub.publish(topic, JSON.stringify(event));
  }

  async subscribe<T>(topic: string) {
    this.counts.set(topic, (this.counts.get(topic) ?? 0) + 1);
    // Listen locally before Redis confirms, and let every subscriber of the topic wait for that one
    // confirmation: a message that arrives with it is not dropped, and a second subscriber does not
    // return while the first SUBSCRIBE is still on its way.
    const inner = await this.local.subscribe<T>(topic);
    let ready = this.subscribed.get(topic);
    if (!ready) this.subscribed.set(topic, (ready = this.sub.subscribe(topic)));
    const innerReturn = inner.return.bind(inner);
    inner.return = async () => {
      const left = (this.counts.get(topic) ?? 1) - 1;
      if (left <= 0) {
        this.counts.delete(topic);
        this.subscribed.delete(topic);
        await this.sub.unsubscribe(topic).catch(() => undefined);
      } else this.counts.set(topic, left);
      return innerReturn();
    };
    try {
      await ready;
    } catch (err) {
      await inner.return();
      throw err;
    }
    return inner;
  }

  async close(): Promise<void> {
    await this.local.close();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}

export function createPubSub(redisUrl: string | undefined, logger: Logger): PubSub {
  return redisUrl ? new RedisPubSub(redisUrl, logger) : new InProcessPubSub();
}
