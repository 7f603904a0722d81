import { TaskError } from '../types.js';

/** Thrown inside the engine when this process parks a run (shutdown, lost lease): stop, write nothing. */
export class ParkedError extends Error {
  constructor() {
    super('run parked by this process');
    this.name = 'ParkedError';
  }
}

/** Why a task's signal was aborted, as the failure the task is recorded with. */
export const abortReasons = {
  timeout: (ms: number) => new TaskError(`timed out after ${ms} ms`, 'Timeout', true),
  cancelled: () => new TaskError('the run was cancelled and the grace period ended', 'Cancelled', false),
  parked: () => new ParkedError(),
};

/**
 * Calls `fn` with a signal that aborts after `timeoutMs` or when any of `stops` aborts (each paired with
 * the reason to abort with). Settles as soon as the signal aborts, with the abort reason, even when `fn`
 * ignores its signal (its late result is dropped). A synchronous throw in `fn` becomes a rejection; a stop
 * already aborted throws its reason without calling `fn`.
 */
export async function invoke<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  stops: Array<[AbortSignal, () => Error]>,
): Promise<T> {
  for (const [signal, reason] of stops) if (signal.aborted) throw reason();
  const ac = new AbortController();
  const abort = (reason: Error) => {
    if (!ac.signal.aborted) ac.abort(reason);
  };
  const aborted = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }));
  aborted.catch(() => undefined);
  const listeners = stops.map(([signal, reason]) => {
    const l = () => abort(reason());
    signal.addEventListener('abort', l, { once: true });
    return () => signal.removeEventListener('abort', l);
  });
  const timer = setTimeout(() => abort(abortReasons.timeout(timeoutMs)), timeoutMs);
  try {
    const work = Promise.resolve().then(() => fn(ac.signal));
    work.catch(() => undefined);
    return await Promise.race([work, aborted]);
  } catch (err) {
    throw ac.signal.aborted ? ac.signal.reason : err;
  } finally {
    clearTimeout(timer);
    listeners.forEach((off) => off());
  }
}
