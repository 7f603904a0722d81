import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** One subscription result as graphql-ws delivers it. */
export interface WsResult {
  data?: any;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A running subscription: results arrive in `results` and through `next()`. */
export interface Subscription extends AsyncIterable<WsResult> {
  /** Every result received so far, in order. */
  readonly results: WsResult[];
  /** Resolves with the next result not yet taken by next(); rejects when the stream fails or ends first, or after timeoutMs. */
  next(timeoutMs?: number): Promise<WsResult>;
  /** Resolves when the stream completes; rejects with the error (a CloseEvent or Error) when it fails. */
  readonly done: Promise<void>;
  /** Unsubscribes and closes the socket. */
  dispose(): Promise<void>;
}

/** graphql-ws endpoint for a gateway base URL (http://host:port → ws://host:port/graphql). */
export function wsUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}/graphql`;
}

/**
 * Subscribes over graphql-ws (lazy client, no retries). `connectionParams` is sent in connection_init,
 * e.g. `{ authorization: 'Bearer <key>', project: '<project id>' }`.
 */
export function subscribe(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  connectionParams: Record<string, unknown> = {},
): Subscription {
  const client: Client = createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: true,
    retryAttempts: 0,
  });
  const results: WsResult[] = [];
  const waiters: Array<{ resolve: (r: WsResult) => void; reject: (e: unknown) => void }> = [];
  let taken = 0;
  let ended: { error?: unknown } | undefined;

  const done = new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          results.push(value as WsResult);
          const w = waiters.shift();
          if (w) {
            taken++;
            w.resolve(value as WsResult);
          }
        },
        error: (error) => {
          ended = { error };
          for (const w of waiters.splice(0)) w.reject(error);
          reject(error);
        },
        complete: () => {
          ended = {};
          for (const w of waiters.splice(0)) w.reject(new Error('subscription completed'));
          resolve();
        },
      },
    );
  });
  done.catch(() => undefined); // observed through next()/done by the test

  function next(timeoutMs = 10_000): Promise<WsResult> {
    if (taken < results.length) return Promise.resolve(results[taken++]!);
    if (ended) return Promise.reject(ended.error ?? new Error('subscription completed'));
    return new Promise<WsResult>((resolve, reject) => {
      const waiter = {
        resolve: (r: WsResult) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`no subscription result within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  }

  return {
    results,
    next,
    done,
    async dispose() {
      await client.dispose();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (ended && taken >= results.length) return;
        try {
          yield await next(60_000);
        } catch (err) {
          if (ended && !ended.error) return;
          throw err;
        }
      }
    },
  };
}

/** What happened to a bare graphql-ws connection: acknowledged, or closed by the server with a code. */
export type ConnectOutcome =
  | { acknowledged: true; ackPayload: unknown; close(): Promise<void> }
  | { acknowledged: false; closeCode: number; reason: string };

/**
 * Opens a raw `graphql-transport-ws` socket, sends connection_init with `connectionParams` (omitted when
 * undefined) and resolves when the server acknowledges or closes the socket. Rejects after timeoutMs.
 */
export function connectOnly(
  url: string,
  connectionParams?: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<ConnectOutcome> {
  return new Promise<ConnectOutcome>((resolve, reject) => {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
      }
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`graphql-ws: neither connection_ack nor close within ${timeoutMs} ms`)));
      socket.terminate();
    }, timeoutMs);

    socket.on('open', () => {
      socket.send(
        JSON.stringify(
          connectionParams === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload: connectionParams },
        ),
      );
    });
    socket.on('message', (raw) => {
      let msg: { type?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (msg.type === 'connection_ack') {
        settle(() =>
          resolve({
            acknowledged: true,
            ackPayload: msg.payload,
            close: () =>
              new Promise<void>((res) => {
                if (socket.readyState === WebSocket.CLOSED) return res();
                socket.once('close', () => res());
                socket.close(1000, 'test done');
              }),
          }),
        );
      }
    });
    socket.on('close', (code, reason) => {
      settle(() => resolve({ acknowledged: false, closeCode: code, reason: reason.toString() }));
    });
    socket.on('error', (err) => {
      // An HTTP-level refusal (e.g. 401 on upgrade) shows up as an error without a close frame.
      settle(() => reject(err));
    });
  });
}
