import { pino } from 'pino';
import type { SourceDeps } from '../../sources/source.js';

/** A settable clock for SourceDeps.now. */
export interface TestClock {
  now: () => number;
  advance: (ms: number) => void;
}

export function testClock(start = 1_700_000_000_000): TestClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Dependencies for a source under test: the real fetch, a silent logger, the given clock and environment. */
export function testDeps(options: { clock?: TestClock; env?: Record<string, string> } = {}): SourceDeps {
  return {
    fetch: globalThis.fetch,
    logger: pino({ level: 'silent' }),
    now: (options.clock ?? testClock()).now,
    env: options.env ?? {},
  };
}
