/**
 * One HTTP exchange with an OpenStack service, and the injected effects the driver needs (fetch, clock,
 * sleep, log). Nothing here knows about tokens; see keystone.ts.
 */
import { openstackError, type OpenStackErrorDetails } from './errors.js';

/** Structured debug events of the driver (requests, re-authentication, polling); never carries a token. */
export type OpenStackLog = (message: string, data?: Record<string, unknown>) => void;

/** Waits `ms`, rejecting with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Side effects the driver takes from its composition root (tests inject fakes). */
export interface OpenStackEffects {
  fetch: typeof fetch;
  /** Milliseconds since the epoch; used for token expiry and polling deadlines. */
  now: () => number;
  sleep: Sleep;
  log: OpenStackLog;
  /** Per-request limit on top of the caller's signal; a request that hits it fails with `Timeout`. */
  requestTimeoutMs: number;
}

/** A real-timer {@link Sleep}. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** What {@link send} returns for any HTTP status; the caller decides what is an error. */
export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, the raw text when it is not JSON, or undefined for an empty body. */
  body: unknown;
}

/** One request: method, absolute URL, headers and an optional JSON body. */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  signal: AbortSignal;
  /** For error details and logs. */
  describe: OpenStackErrorDetails;
}

/**
 * Sends one request and reads the whole body. Never throws for an HTTP status; throws a TaskError
 * `Aborted` when the caller's signal fires, `Timeout` when `requestTimeoutMs` does, and `NetworkError`
 * when no response arrives (refused, reset, DNS).
 */
export async function send(effects: OpenStackEffects, request: HttpRequest): Promise<HttpResult> {
  const { signal, describe } = request;
  throwIfAborted(signal, describe);
  const limit = AbortSignal.timeout(effects.requestTimeoutMs);
  const combined = AbortSignal.any([signal, limit]);
  const started = effects.now();
  try {
    const response = await effects.fetch(request.url, {
      method: request.method,
      headers: {
        Accept: 'application/json',
        ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...request.headers,
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: combined,
    });
    const text = await response.text();
    effects.log('openstack.http', { ...describe, status: response.status, ms: effects.now() - started });
    return { status: response.status, headers: response.headers, body: parseBody(text) };
  } catch (err) {
    throwIfAborted(signal, describe);
    if (limit.aborted) {
      throw openstackError('Timeout', `${describe.service} ${describe.method} ${describe.path} took more than ${effects.requestTimeoutMs} ms`, true, describe);
    }
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    effects.log('openstack.http.error', { ...describe, error: cause });
    throw openstackError('NetworkError', `${describe.service} ${describe.method} ${describe.path} got no response: ${cause}`, true, { ...describe, cause });
  }
}

/** Throws the driver's `Aborted` TaskError when the caller's signal has fired. */
export function throwIfAborted(signal: AbortSignal, describe?: Record<string, unknown>): void {
  if (!signal.aborted) return;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  throw openstackError('Aborted', `OpenStack call aborted: ${reason}`, true, { ...describe, reason });
}

/** Resolves or rejects with `promise`, but rejects with `Aborted` as soon as `signal` fires. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      try {
        throwIfAborted(signal);
      } catch (err) {
        reject(err);
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Sleeps through the injected {@link Sleep}, turning an abort into the driver's `Aborted` TaskError. */
export async function pause(effects: OpenStackEffects, ms: number, signal: AbortSignal): Promise<void> {
  try {
    await effects.sleep(ms, signal);
  } catch (err) {
    throwIfAborted(signal);
    throw err;
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Appends defined query parameters to a path, in the given order. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) params.append(key, String(value));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}
