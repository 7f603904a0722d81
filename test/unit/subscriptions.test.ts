// graphql-ws's subscribe in the gateway (src/subscriptions.ts): one execution per published event object
// for subscribers that would get the same answer (same operation, variables, user and project), one each
// otherwise.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { sharedSubscribe } from '../../src/subscriptions.js';

function setup() {
  const listeners = new Set<(e: object) => void>();
  let executions = 0;
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { x: Int } type Event { n: Int! seenBy: String! } type Subscription { events(tag: String): Event! }',
    resolvers: {
      Subscription: {
        events: {
          subscribe: () => {
            const queue: object[] = [];
            let wake: (() => void) | undefined;
            const listener = (e: object) => { queue.push(e); wake?.(); };
            listeners.add(listener);
            return (async function* () {
              try {
                for (;;) {
                  while (queue.length) yield queue.shift();
                  await new Promise<void>((r) => (wake = r));
                }
              } finally {
                listeners.delete(listener);
              }
            })();
          },
          resolve: (e: unknown) => e,
        },
      },
      Event: {
        seenBy: (_e: unknown, _a: unknown, ctx: { principal: { userId: number }; scope: { projectId: number } }) => {
          executions += 1;
          return `user ${ctx.principal.userId} in project ${ctx.scope.projectId}`;
        },
      },
    },
  });
  const subscribe = async (userId: number, projectId: number, query = 'subscription { events { n seenBy } }') => {
    const stream = await sharedSubscribe({ schema, document: parse(query), contextValue: { principal: { userId }, scope: { projectId } } });
    if (!(Symbol.asyncIterator in stream)) throw new Error(`no stream: ${JSON.stringify(stream)}`);
    return stream as AsyncGenerator<ExecutionResult>;
  };
  const publish = (e: object) => listeners.forEach((l) => l(e));
  return { subscribe, publish, executions: () => executions, listeners };
}

describe('sharedSubscribe', () => {
  it('executes an event once for subscribers of the same user, project and operation, and once more for each other', async () => {
    const t = setup();
    const same = await Promise.all([t.subscribe(1, 7), t.subscribe(1, 7), t.subscribe(1, 7)]);
    const otherUser = await t.subscribe(2, 7);
    const otherProject = await t.subscribe(1, 8);
    const otherQuery = await t.subscribe(1, 7, 'subscription { events { seenBy } }');
    const all = [...same, otherUser, otherProject, otherQuery];
    const firsts = all.map((s) => s.next());
    await new Promise((r) => setImmediate(r));
    t.publish({ n: 1 });
    const results = (await Promise.all(firsts)).map((r) => r.value as ExecutionResult);
    expect(results.slice(0, 3).map((r) => r.data)).toEqual(Array(3).fill({ events: { n: 1, seenBy: 'user 1 in project 7' } }));
    expect(results[3]!.data).toEqual({ events: { n: 1, seenBy: 'user 2 in project 7' } });
    expect(results[4]!.data).toEqual({ events: { n: 1, seenBy: 'user 1 in project 8' } });
    expect(results[5]!.data).toEqual({ events: { seenBy: 'user 1 in project 7' } });
    expect(t.executions()).toBe(4);

    // A new event object is executed anew.
    const seconds = all.map((s) => s.next());
    await new Promise((r) => setImmediate(r));
    t.publish({ n: 2 });
    expect(((await seconds[0]!).value as ExecutionResult).data).toEqual({ events: { n: 2, seenBy: 'user 1 in project 7' } });
    await Promise.all(seconds);
    expect(t.executions()).toBe(8);

    // Returning a stream ends its source subscription.
    await Promise.all(all.map((s) => s.return(undefined)));
    expect(t.listeners.size).toBe(0);
  });
});
