import cliProgress from 'cli-progress';
import type { ImportProgress } from '../import/types.js';
import type { OutStream } from './io.js';

/** Shows an import's progress on stderr: a bar with rows/s and ETA on a terminal, a plain line every few seconds otherwise. */
export interface ImportProgressView {
  update(p: ImportProgress): void;
  stop(): void;
}

export function importProgressView(err: OutStream, source: { bytesRead(): number; totalBytes?: number }, intervalMs = 2000): ImportProgressView {
  const rate = (p: ImportProgress) => (p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0);
  if (err.isTTY) {
    const total = source.totalBytes ?? 0;
    const bar = new cliProgress.SingleBar(
      {
        stream: err as unknown as NodeJS.WritableStream,
        format: total
          ? 'import {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {created} new, {updated} changed, {rejected} rejected'
          : 'import {rows} rows | {rate} rows/s | {created} new, {updated} changed, {rejected} rejected',
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total || 1, 0, { rows: 0, rate: 0, created: 0, updated: 0, rejected: 0 });
    return {
      update: (p) => bar.update(total ? Math.min(total, source.bytesRead()) : 0, { rows: p.rows, rate: rate(p), created: p.created, updated: p.updated, rejected: p.rejected }),
      stop: () => {
        if (total) bar.update(total);
        bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      const pct = source.totalBytes ? ` ${Math.floor((100 * source.bytesRead()) / source.totalBytes)}%,` : '';
      err.write(`import:${pct} ${p.rows} rows (${rate(p)} rows/s): ${p.created} created, ${p.updated} updated, ${p.unchanged} unchanged, ${p.rejected} rejected\n`);
    },
    stop: () => undefined,
  };
}

/** A workflow run's progress: a bar of finished targets on a terminal; nothing otherwise (events are printed). */
export interface RunProgressView {
  update(done: number, total: number, failed: number): void;
  log(line: string): void;
  stop(): void;
}

export function runProgressView(err: OutStream): RunProgressView {
  if (!err.isTTY) return { update: () => undefined, log: (line) => { err.write(`${line}\n`); }, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: err as unknown as NodeJS.WritableStream,
      format: 'run {bar} {value}/{total} targets | {failed} failed | ETA {eta_formatted}',
      hideCursor: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total, failed) => {
      if (!started) { bar.start(Math.max(total, 1), done, { failed }); started = true; return; }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { failed });
    },
    log: (line) => {
      if (!started) { err.write(`${line}\n`); return; }
      // Clear the bar's line, print, and let the bar redraw below.
      err.write(`\r\x1b[K${line}\n`);
      bar.render();
    },
    stop: () => { if (started) bar.stop(); },
  };
}
