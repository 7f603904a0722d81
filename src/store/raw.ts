import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

type ColumnMetadata = EntityMetadata['columns'][number];

/**
 * Hot reads without TypeORM's query builder: SQL with positional parameters, and rows turned into entities
 * by the store's own column conversions. Building the SQL and the entities was a fifth of a small
 * request's time (dashboard profile); the builder also writes numbers into the SQL text, so each page
 * cursor and id list made a statement of its own for SQLite to prepare.
 */

/**
 * `sql` with TypeORM-style named parameters (`:name`, `:...list`) rewritten as positional `?` with their
 * values in order. Names must be given in `params`; nothing inside quotes may look like a parameter.
 */
export function positional(sql: string, params: Record<string, unknown>): [string, unknown[]] {
  const values: unknown[] = [];
  const text = sql.replace(/:(\.\.\.)?([A-Za-z_][A-Za-z0-9_]*)/g, (_whole, spread: string | undefined, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) throw new Error(`SQL parameter :${name} has no value`);
    const value = params[name];
    if (!spread) {
      values.push(value);
      return '?';
    }
    if (!Array.isArray(value) || value.length === 0) throw new Error(`SQL parameter :...${name} needs a non-empty array`);
    values.push(...value);
    return value.map(() => '?').join(', ');
  });
  return [text, values];
}

/** `?, ?, …` for n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

const hydrators = new WeakMap<DataSource, Map<unknown, (row: Record<string, unknown>) => ObjectLiteral>>();

/**
 * Turns raw rows (`SELECT *`-style, database column names) into entities as TypeORM's own reads would:
 * an instance of the entity class with each column converted by the store's driver (dates, booleans).
 */
export function hydrate<T extends ObjectLiteral>(ds: DataSource, entity: EntityTarget<T>, rows: ReadonlyArray<Record<string, unknown>>): T[] {
  let byEntity = hydrators.get(ds);
  if (!byEntity) hydrators.set(ds, (byEntity = new Map()));
  let make = byEntity.get(entity);
  if (!make) {
    const meta = ds.getMetadata(entity);
    const columns: ColumnMetadata[] = meta.columns;
    const driver = ds.driver;
    make = (row) => {
      const out = meta.create() as ObjectLiteral;
      for (const c of columns) out[c.propertyName] = driver.prepareHydratedValue(row[c.databaseName], c);
      return out;
    };
    byEntity.set(entity, make);
  }
  return rows.map(make) as T[];
}

/** The entity's table and its columns as a select list (`alias.column`, …). */
export function selectList(ds: DataSource, entity: EntityTarget<ObjectLiteral>, alias: string): { table: string; columns: string } {
  const meta = ds.getMetadata(entity);
  return { table: ds.driver.escape(meta.tableName), columns: meta.columns.map((c) => `${alias}.${ds.driver.escape(c.databaseName)}`).join(', ') };
}
