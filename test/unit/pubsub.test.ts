// Live events between gateway replicas: in-process by default, Redis when REDIS_URL is set. CI sets
// REDIS_URL (a real Redis on 127.0.0.1); elsewhere the Redis half is skipped, loudly.
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { InProcessPubSub, RedisPubSub, type PubSub } from '../../src/pubsub.js';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) console.warn('\n*** Redis pub/sub tests SKIPPED: set REDIS_URL=redis://127.0.0.1:6379 ***\n');

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await Promise.race([it.next(), new Promise<IteratorResult<T>>((_, rej) => setTimeout(() => rej(new Error('no event within 5 s')), 5000))]);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('in-process pub/sub', () => {
  it('delivers events published after subscribing, in order, and stops after return()', async () => {
    const bus: PubSub = new InProcessPubSub();
    const sub = await bus.subscribe<number>('t');
    for (let i = 0; i < 5; i++) await bus.publish('t', i);
    expect(await take(sub, 5)).toEqual([0, 1, 2, 3, 4]);
    await sub.return();
    await bus.publish('t', 99);
    expect(await sub.next()).toEqual({ value: undefined, done: true });
  });
});

describe.skipIf(!redisUrl)('Redis pub/sub between two replicas', () => {
  const logger = createLogger('silent');
  const a = redisUrl ? new RedisPubSub(redisUrl, logger) : undefined;
  const b = redisUrl ? new RedisPubSub(redisUrl, logger) : undefined;
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('delivers what one replica publishes to the other, in publish order, as JSON', async () => {
    const topic = `craton-test:${process.pid}:${Date.now()}`;
    const sub = await a!.subscribe<{ n: number; at: string }>(topic);
    for (let n = 0; n < 20; n++) await b!.publish(topic, { n, at: 'x' });
    expect((await take(sub, 20)).map((e) => e.n)).toEqual([...Array(20).keys()]);
    await sub.return();
  });

  it('keeps a topic subscribed while another local subscriber still listens', async () => {
    const topic = `craton-test:${process.pid}:${Date.now()}:shared`;
    const first = await a!.subscribe<number>(topic);
    const second = await a!.subscribe<number>(topic);
    await first.return();
    await b!.publish(topic, 7);
    expect(await take(second, 1)).toEqual([7]);
    await second.return();
  });
});
