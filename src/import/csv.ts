import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { RECORD_FIELDS, type ImportRecord, type SourceRow } from './types.js';
import { autoType } from './values.js';

// CSV rows → records. A header row names the columns: any of the record fields, plus `var.<key>` columns whose
// cells are auto-typed values. csv-parse streams (quoted fields with commas and newlines, BOM, CRLF), so only
// one row is held at a time.
//
// Empty cells: a column that is present speaks for every row. An empty cell of a field that applies to the
// row's kind clears it (cell, parent, ip_address, note…), gives no labels, or — for device_type, active, vars and
// var.<key> — means "not given" (kept as stored; the default on create). Cells of fields that do not apply to
// the row's kind (a region row's ip_address) must be empty.

const NULLABLE = new Set(['cell', 'parent', 'parent_region', 'ip_address', 'note', 'model_name', 'os_version']);
const KNOWN = new Set<string>(RECORD_FIELDS);
const APPLIES: Record<string, (kind: string) => boolean> = {
  cloud: (k) => k !== 'cloud',
  region: (k) => k !== 'cloud' && k !== 'region',
  note: () => true,
  vars: () => true,
};
const isDevice = (kind: string) => kind === 'host' || kind === 'network_device';

/** Checks a header; throws naming the first unknown or repeated column. */
export function checkCsvHeader(header: string[]): string[] {
  const seen = new Set<string>();
  for (const col of header) {
    if (!KNOWN.has(col) && !/^var\..+/.test(col)) {
      throw new Error(`CSV header: unknown column '${col}' (known: ${RECORD_FIELDS.join(', ')}, and var.<key>)`);
    }
    if (seen.has(col)) throw new Error(`CSV header: column '${col}' appears twice`);
    seen.add(col);
  }
  for (const col of ['kind', 'name']) if (!seen.has(col)) throw new Error(`CSV header: a '${col}' column is required`);
  return header;
}

/** Decodes one CSV row (column → cell text) into a record, or the reason it cannot be one. */
export function decodeCsvRow(line: number, cells: Record<string, string>): SourceRow {
  const kind = cells.kind ?? '';
  const rec: Record<string, unknown> = {};
  const vars: Record<string, unknown> = {};
  try {
    for (const [col, raw] of Object.entries(cells)) {
      const applies = col.startsWith('var.') || col === 'kind' || col === 'name' || (APPLIES[col] ?? isDevice)(kind);
      if (raw === '' && (!applies || !NULLABLE.has(col) && col !== 'labels')) continue;
      if (col.startsWith('var.')) vars[col.slice(4)] = autoType(raw);
      else if (NULLABLE.has(col)) rec[col] = raw === '' ? null : raw;
      else if (col === 'labels') rec.labels = raw === '' ? [] : raw.startsWith('[') ? json(col, raw) : raw.split(';').map((l) => l.trim()).filter(Boolean);
      else if (col === 'active') rec.active = bool(raw);
      else if (col === 'vlans') rec.vlans = json(col, raw);
      else if (col === 'vars') {
        const v = json(col, raw);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`vars must be a JSON object, got ${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}`);
        Object.assign(vars, v);
      } else rec[col] = raw;
    }
  } catch (err) {
    return { line, error: (err as Error).message, record: rec };
  }
  if (Object.keys(vars).length) {
    const both = Object.keys(cells).filter((c) => c.startsWith('var.') && cells.vars && c.slice(4) in JSON.parse(cells.vars));
    if (both.length) return { line, error: `variable '${both[0]!.slice(4)}' is given both in vars and in a ${both[0]} column`, record: rec };
    rec.vars = vars;
  }
  return { line, record: rec as unknown as ImportRecord };
}

function json(col: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new Error(`${col}: not valid JSON (${(err as Error).message}): ${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}`);
  }
}

function bool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', 'yes', '1', 'y'].includes(v)) return true;
  if (['false', 'no', '0', 'n'].includes(v)) return false;
  throw new Error(`active must be true or false, got '${raw}'`);
}

/** Streams a CSV text stream as rows; a malformed row (bad quoting, wrong column count) is a rejected row. */
export async function* parseCsv(input: Readable): AsyncGenerator<SourceRow> {
  const skipped: SourceRow[] = [];
  const parser = input.pipe(parse({ columns: checkCsvHeader, info: true, bom: true, skip_empty_lines: true, skip_records_with_error: true }));
  parser.on('skip', (err: Error & { lines?: number }) => skipped.push({ line: err.lines ?? 0, error: `CSV: ${err.message}` }));
  input.on('error', (err) => parser.destroy(err));
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    // Malformed rows are reported (by the 'skip' event) as the parser reaches them, possibly ahead of rows
    // still buffered: hand them out in line order.
    while (skipped.length && skipped[0]!.line < item.info.lines) yield skipped.shift()!;
    yield decodeCsvRow(item.info.lines, item.record);
  }
  while (skipped.length) yield skipped.shift()!;
}
