/** Percentile (nearest rank) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/**
 * Times `fn` `runs` times after `warmup` untimed calls, alternating nothing else: returns each run's ms.
 * Bounded: stops early once `budgetMs` is spent (at least 3 timed runs).
 */
export async function timeRuns(fn: () => Promise<unknown>, opts: { warmup: number; runs: number; budgetMs?: number }): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const out: number[] = [];
  const until = performance.now() + (opts.budgetMs ?? Number.POSITIVE_INFINITY);
  for (let i = 0; i < opts.runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
    if (out.length >= 3 && performance.now() > until) break;
  }
  return out;
}

/**
 * Runs `ours` and `base` interleaved (ours, base, ours, base, …) so that drift (caches, checkpoints, other
 * load) hits both alike; returns each side's timings in ms.
 */
export async function timePair(
  ours: () => Promise<unknown>,
  base: () => Promise<unknown>,
  opts: { warmup: number; runs: number; budgetMs?: number },
): Promise<{ ours: number[]; base: number[] }> {
  for (let i = 0; i < opts.warmup; i++) {
    await ours();
    await base();
  }
  const o: number[] = [];
  const b: number[] = [];
  const until = performance.now() + (opts.budgetMs ?? Number.POSITIVE_INFINITY);
  for (let i = 0; i < opts.runs; i++) {
    let t = performance.now();
    await ours();
    o.push(performance.now() - t);
    t = performance.now();
    await base();
    b.push(performance.now() - t);
    if (o.length >= 3 && performance.now() > until) break;
  }
  return { ours: o, base: b };
}

/** A fixed-resolution latency histogram (`bucketMs` buckets up to `maxMs`, the rest in the last bucket). */
export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  max = 0;

  constructor(readonly maxMs = 60_000, readonly bucketMs = 0.01) {
    this.counts = new Uint32Array(Math.ceil(maxMs / bucketMs) + 1);
  }

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.counts[Math.min(this.counts.length - 1, Math.floor(v / this.bucketMs))]! += 1;
    this.count += 1;
    if (v > this.max) this.max = v;
  }

  percentile(p: number): number {
    if (!this.count) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return (i + 1) * this.bucketMs;
    }
    return this.max;
  }
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function fmtRate(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '—';
  return `${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)} ${unit}`;
}
