import { createSourceEventStream, execute, print, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Context } from './context.js';

/**
 * graphql-ws's `subscribe`, executing each published event once for every subscriber that would get the
 * same answer: same event object (the pub/sub hands one object to all of a process's subscribers), same
 * operation text, variables, user and project. graphql-js executes the selection per subscriber: with a
 * thousand dashboards following one run that was a thousand executions of every event (34 events/s in the
 * fan-out benchmark, the publishing run held back by its own subscribers).
 *
 * The answer depends on nothing else: a subscriber sees its own project (tenancy is checked when it
 * subscribes, and every field loads through the request's project-scoped loaders) with its own role, so
 * the key holds the user and the project. Events replayed from the store are objects of their own per
 * subscriber and are executed as before.
 */
export async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source;
  const ctx = args.contextValue as Partial<Context> | undefined;
  const key = [textOf(args.document), args.operationName ?? '', JSON.stringify(args.variableValues ?? {}), ctx?.principal?.userId ?? '', ctx?.scope?.projectId ?? ''].join('\u0000');
  return mapStream(source, (payload) => {
    if (payload === null || typeof payload !== 'object') return execute({ ...args, rootValue: payload });
    let byKey = results.get(payload);
    if (!byKey) results.set(payload, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) {
      result = Promise.resolve(execute({ ...args, rootValue: payload }));
      byKey.set(key, result);
    }
    return result;
  });
}

/** Results per event object (dropped with it) and subscription key. */
const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
/** Each subscription's operation text, printed once. */
const texts = new WeakMap<DocumentNode, string>();

function textOf(document: DocumentNode): string {
  let text = texts.get(document);
  if (text === undefined) texts.set(document, (text = print(document)));
  return text;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** `source` mapped through `fn`, ending (and ending `source`) when the consumer returns. */
function mapStream<T, R>(source: AsyncIterable<T>, fn: (value: T) => R | Promise<R>): AsyncGenerator<R> {
  const it = source[Symbol.asyncIterator]();
  const close = async (): Promise<IteratorResult<R>> => {
    await it.return?.();
    return { value: undefined, done: true };
  };
  const self: AsyncGenerator<R> = {
    async next() {
      const r = await it.next();
      return r.done ? { value: undefined, done: true } : { value: await fn(r.value), done: false };
    },
    return: close,
    async throw(err: unknown) {
      await close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return self;
    },
  } as AsyncGenerator<R>;
  return self;
}
