import { randomUUID } from 'node:crypto';
import type { ExecutionArgs } from 'graphql';
import { getOperationAST } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { CratonError } from '../errors.js';
import { operationName } from './metrics.js';
import { codeOf, type OperationObserver, type OperationRecord } from './observer.js';

type AnyOptions = ServerOptions<any, any>;

function isAsyncIterable(x: unknown): boolean {
  return x != null && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

type Live = OperationRecord & { live?: boolean };

/**
 * Wraps graphql-ws server options with observability: each operation over the socket is logged and counted
 * like an HTTP one when it ends, open subscriptions are counted in `craton_active_subscriptions`, and
 * errors by code. The given hooks still run first, and their return values are kept.
 *
 * A subscription stops counting as active as soon as it ends for the client: its stream finishes or fails,
 * or graphql-ws calls `return()` on it (client `complete`, socket closed). The stream is wrapped for that,
 * because a resolver's generator may only honour `return()` at its next event, and graphql-ws calls
 * onComplete only after that.
 */
export function observeWebSocket<T extends AnyOptions>(observer: OperationObserver, options: T): T {
  const ops = new WeakMap<object, Map<string, Live>>();
  const recordsOf = (ctx: object) => {
    let m = ops.get(ctx);
    if (!m) ops.set(ctx, (m = new Map()));
    return m;
  };
  const notLive = (rec: Live) => {
    if (!rec.live) return;
    rec.live = false;
    observer.metrics?.subscriptionEnded();
  };
  const end = (ctx: object, id: string) => {
    const m = ops.get(ctx);
    const rec = m?.get(id);
    if (!rec) return;
    m!.delete(id);
    notLive(rec);
    observer.finish(rec);
  };

  const wrapped: AnyOptions = {
    ...options,
    onSubscribe: async (ctx, id, payload) => {
      const rec = observer.start('ws', randomUUID());
      rec.operation = operationName(payload.operationName);
      recordsOf(ctx).set(id, rec);
      return options.onSubscribe?.(ctx, id, payload);
    },
    onOperation: async (ctx, id, payload, args: ExecutionArgs, result) => {
      const replaced = await options.onOperation?.(ctx, id, payload, args, result);
      const outcome = replaced ?? result;
      const rec = ops.get(ctx)?.get(id);
      if (!rec) return replaced;
      const op = getOperationAST(args.document, args.operationName);
      rec.type = op?.operation ?? 'unknown';
      rec.operation = operationName(op?.name?.value ?? args.operationName);
      const cv = args.contextValue as { requestId?: string; principal?: { userName?: string }; scope?: { projectId?: number } } | undefined;
      if (cv?.requestId) rec.requestId = cv.requestId;
      rec.user = cv?.principal?.userName;
      rec.projectId = cv?.scope?.projectId;
      if (!isAsyncIterable(outcome)) {
        for (const e of (outcome as { errors?: readonly unknown[] }).errors ?? []) rec.codes.push(codeOf(errorForCode(e)));
        return replaced;
      }
      rec.live = true;
      observer.metrics?.subscriptionStarted();
      return tracked(outcome as AsyncIterable<unknown>, {
        finished: () => notLive(rec),
        returned: () => end(ctx, id),
      }) as never;
    },
    onNext: async (ctx, id, payload, args, result) => {
      if (result.errors?.length) observer.metrics?.errorCodes(result.errors.map((e) => codeOf(errorForCode(e))));
      return options.onNext?.(ctx, id, payload, args, result);
    },
    onError: async (ctx, id, payload, errors) => {
      const rec = ops.get(ctx)?.get(id);
      if (rec) {
        for (const e of errors) rec.codes.push(codeOf(errorForCode(e, rec.type === 'unknown' ? 'GRAPHQL_VALIDATION_FAILED' : 'BAD_USER_INPUT')));
        // Errors before execution (limits, validation) are not followed by onComplete.
        if (!rec.live) end(ctx, id);
      }
      return options.onError?.(ctx, id, payload, errors);
    },
    onComplete: async (ctx, id, payload) => {
      end(ctx, id);
      return options.onComplete?.(ctx, id, payload);
    },
  };
  return wrapped as T;
}

/** The same stream, telling when it finishes by itself (done or failed) and when the consumer ends it. */
function tracked<V>(source: AsyncIterable<V>, on: { finished(): void; returned(): void }): AsyncGenerator<V> {
  const it = source[Symbol.asyncIterator]();
  const self: AsyncGenerator<V> = {
    async next(...args: [] | [unknown]) {
      try {
        const r = await it.next(...args);
        if (r.done) on.finished();
        return r;
      } catch (err) {
        on.finished();
        throw err;
      }
    },
    async return(value?: unknown) {
      on.returned();
      return it.return ? it.return(value) : { value: value as never, done: true };
    },
    async throw(err?: unknown) {
      on.finished();
      if (it.throw) return it.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return self;
    },
  } as AsyncGenerator<V>;
  return self;
}

/** Raw GraphQLErrors over graphql-ws: the code is on the error, or on the domain error it wraps. */
function errorForCode(e: unknown, graphqlOwn = 'BAD_USER_INPUT'): unknown {
  const err = e as { extensions?: { code?: unknown }; originalError?: unknown };
  if (typeof err?.extensions?.code === 'string') return err;
  if (err?.originalError instanceof CratonError) return { extensions: { code: err.originalError.code } };
  // graphql-js's own errors (validation, variable coercion) carry no original error: they are about the request.
  if (err && typeof err === 'object' && !err.originalError) return { extensions: { code: graphqlOwn } };
  return err;
}
