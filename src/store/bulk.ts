import type { Dialect } from './data-source.js';

// Hand-written multi-row statements for bulk work (imports, exports, a workflow run's targets), valid on
// SQLite and MySQL/MariaDB alike (backtick quoting works on both). Every statement stays below both stores' limits: SQLite's 32766 placeholders and MySQL's
// max_allowed_packet (16 MiB by default), so a chunk of N rows costs ceil(size / budget) statements per table,
// whatever the total size of the import.

/** Something that runs SQL: a DataSource or a transaction's EntityManager. */
export interface Runner {
  query(sql: string, params?: unknown[]): Promise<any>;
}

export const MAX_PARAMS = 30_000;
export const MAX_BYTES = 4 * 1024 * 1024;

const q = (name: string) => `\`${name}\``;

/** A value as the driver binds it: booleans as 0/1, dates as the store keeps them, never undefined. */
export function bindable(dialect: Dialect, v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return dialect === 'sqlite' ? v.toISOString().replace('T', ' ').replace('Z', '') : v;
  return v;
}

function sizeOf(row: readonly unknown[]): number {
  let n = 8;
  for (const v of row) n += typeof v === 'string' ? v.length * 2 + 4 : 12;
  return n;
}

/** Splits rows into statement-sized groups by placeholder count and estimated bytes. */
export function* batches<T extends readonly unknown[]>(rows: readonly T[], width: number): Generator<T[]> {
  let group: T[] = [];
  let params = 0;
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (group.length && (params + width > MAX_PARAMS || bytes + size > MAX_BYTES)) {
      yield group;
      group = [];
      params = 0;
      bytes = 0;
    }
    group.push(row);
    params += width;
    bytes += size;
  }
  if (group.length) yield group;
}

export interface InsertOptions {
  /** Upsert: on a duplicate of the table's primary key or a unique key, overwrite these columns. */
  update?: { conflict: string[]; columns: string[] };
}

/** Multi-row INSERT (or upsert) of `rows` (values in `columns` order); one statement per budget-sized group. */
export async function insertRows(db: Runner, dialect: Dialect, table: string, columns: string[], rows: readonly unknown[][], opts: InsertOptions = {}): Promise<void> {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let tail = '';
  if (opts.update) {
    tail = dialect === 'sqlite'
      ? ` ON CONFLICT (${opts.update.conflict.map(q).join(', ')}) DO UPDATE SET ${opts.update.columns.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`
      : ` ON DUPLICATE KEY UPDATE ${opts.update.columns.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`;
  }
  for (const group of batches(rows, columns.length)) {
    const sql = `INSERT INTO ${q(table)} (${columns.map(q).join(', ')}) VALUES ${group.map(() => tuple).join(', ')}${tail}`;
    await db.query(sql, group.flatMap((row) => row.map((v) => bindable(dialect, v))));
  }
}

/**
 * Updates several rows by id in one statement: `col = CASE id WHEN ? THEN ? … ELSE col END` per column, so
 * each row gets only its own changed columns. `changes` maps id → { column: value }.
 */
export async function updateRows(db: Runner, dialect: Dialect, table: string, changes: Map<number, Record<string, unknown>>): Promise<void> {
  const entries = [...changes.entries()];
  const perRow = Math.max(1, ...entries.map(([, c]) => Object.keys(c).length)) * 2 + 1;
  for (const group of batches(entries.map((e) => [e] as const), perRow)) {
    const rows = group.map(([e]) => e);
    const columns = [...new Set(rows.flatMap(([, c]) => Object.keys(c)))];
    const params: unknown[] = [];
    const sets = columns.map((col) => {
      const whens = rows.filter(([, c]) => col in c).map(([id, c]) => {
        params.push(id, bindable(dialect, c[col]));
        return 'WHEN ? THEN ?';
      });
      return `${q(col)} = CASE ${q('id')} ${whens.join(' ')} ELSE ${q(col)} END`;
    });
    params.push(...rows.map(([id]) => id));
    await db.query(`UPDATE ${q(table)} SET ${sets.join(', ')} WHERE ${q('id')} IN (${rows.map(() => '?').join(', ')})`, params);
  }
}

/** SELECT … WHERE <column> IN (values) AND <extra>, split into budget-sized lists; the rows of every part. */
export async function selectIn<T = Record<string, unknown>>(db: Runner, sqlPrefix: string, column: string, values: readonly unknown[], extraParams: unknown[] = [], suffix = ''): Promise<T[]> {
  const out: T[] = [];
  const unique = [...new Set(values)];
  for (let i = 0; i < unique.length; i += MAX_PARAMS / 2) {
    const part = unique.slice(i, i + MAX_PARAMS / 2);
    if (!part.length) continue;
    const rows = await db.query(`${sqlPrefix} ${column} IN (${part.map(() => '?').join(', ')})${suffix}`, [...extraParams, ...part]);
    out.push(...rows);
  }
  return out;
}

/** DELETE … WHERE <column> IN (values) [AND …], split into budget-sized lists. */
export async function deleteIn(db: Runner, table: string, column: string, values: readonly unknown[]): Promise<void> {
  const unique = [...new Set(values)];
  for (let i = 0; i < unique.length; i += MAX_PARAMS / 2) {
    const part = unique.slice(i, i + MAX_PARAMS / 2);
    await db.query(`DELETE FROM ${q(table)} WHERE ${q(column)} IN (${part.map(() => '?').join(', ')})`, part);
  }
}

/** Deletes label pairs grouped by device: `(device_id = ? AND label IN (…)) OR …`. */
export async function deleteLabelPairs(db: Runner, pairs: Map<number, string[]>): Promise<void> {
  const entries = [...pairs.entries()].filter(([, labels]) => labels.length);
  const width = Math.max(2, ...entries.map(([, l]) => l.length + 1));
  for (const group of batches(entries.map((e) => [e] as const), width)) {
    const params: unknown[] = [];
    const conds = group.map(([[id, labels]]) => {
      params.push(id, ...labels);
      return `(${q('device_id')} = ? AND ${q('label')} IN (${labels.map(() => '?').join(', ')}))`;
    });
    await db.query(`DELETE FROM ${q('labels')} WHERE ${conds.join(' OR ')}`, params);
  }
}

/** Numbers come back as numbers or strings (MySQL bigints, SQLite aggregates); this makes them numbers. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Nullable numeric column. */
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** Boolean columns come back as 0/1 (or true/false). */
export function boolOf(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}
