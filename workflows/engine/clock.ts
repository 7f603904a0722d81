/**
 * Time as the engine sees it: lease expiry, timestamps and retry backoff go through a Clock, so tests
 * skip time instead of sleeping (Temporal's time-skipping environment, Backstage's recording task runner).
 * Task timeouts and the cancellation grace period are real timers: they bound real I/O.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time and real timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Adds `ms` to an instant. */
export function plusMs(at: Date, ms: number): Date {
  return new Date(at.getTime() + ms);
}
