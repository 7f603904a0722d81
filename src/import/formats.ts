import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { parseCsv } from './csv.js';
import { parseJson } from './json.js';
import type { SourceRow } from './types.js';
import { parseYaml } from './yaml.js';

export type ImportFormat = 'csv' | 'json' | 'yaml';

/** The format a file name implies: .csv; .json, .jsonl, .ndjson; .yaml, .yml. */
export function detectFormat(path: string): ImportFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

/** A source being read: its rows, and how far into it the reader is (for progress and ETA). */
export interface OpenedSource {
  rows: AsyncIterable<SourceRow>;
  format: ImportFormat;
  /** Bytes read so far. */
  bytesRead(): number;
  /** Size of the file, when known (not for stdin). */
  totalBytes?: number;
}

/** Opens a file (or `-` / a stream for stdin) as a stream of rows in the given or detected format. */
export function openSource(input: string | Readable, format?: ImportFormat): OpenedSource {
  const fmt = format ?? (typeof input === 'string' ? detectFormat(input) : undefined);
  if (!fmt) throw new Error(`cannot tell the format of ${typeof input === 'string' ? `'${input}'` : 'standard input'}: name it with --format csv|json|yaml`);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // Stat first: a missing file is a plain error here, before any stream exists to fail later unheard.
  let totalBytes: number | undefined;
  if (typeof input === 'string') {
    try {
      totalBytes = statSync(input).size;
    } catch (err) {
      throw new Error(`cannot read '${input}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  const raw = typeof input === 'string' ? createReadStream(input) : input;
  raw.on('error', (err: Error) => counter.destroy(err));
  const stream = raw.pipe(counter);
  const parse = { csv: parseCsv, json: parseJson, yaml: parseYaml }[fmt];
  return {
    rows: parse(stream),
    format: fmt,
    bytesRead: () => bytes,
    totalBytes,
  };
}
