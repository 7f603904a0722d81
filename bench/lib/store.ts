import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection, createPool, type Pool } from 'mysql2/promise';
import type { StoreConfig } from '../../src/config.js';

export type StoreKind = 'sqlite' | 'mysql';

/** A store the benchmark created (and drops): a SQLite file in the work dir, or a database on the MariaDB server. */
export interface BenchStore {
  kind: StoreKind;
  /** CRATON_DATABASE_URL of the store. */
  url: string;
  config: StoreConfig;
  /** SQLite file path, or MySQL database name. */
  where: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty store named `label`: `<dir>/<label>.sqlite`, or database `<admin db>_<label>` on the
 * server of `mysqlUrl` (dropped first if a previous run left it).
 */
export async function createBenchStore(kind: StoreKind, label: string, opts: { dir: string; mysqlUrl?: string }): Promise<BenchStore> {
  if (kind === 'sqlite') {
    mkdirSync(opts.dir, { recursive: true });
    const path = join(opts.dir, `${label}.sqlite`);
    const clean = () => { for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true }); };
    clean();
    return { kind, url: `sqlite:${path}`, config: { kind, path }, where: path, drop: async () => clean() };
  }
  if (!opts.mysqlUrl) throw new Error('mysql store requested without CRATON_BENCH_MYSQL_URL');
  const admin = new URL(opts.mysqlUrl);
  const base = admin.pathname.replace(/^\//, '') || 'craton_bench';
  const name = `${base}_${label}`.replace(/[^A-Za-z0-9_]/g, '_');
  const adminUrl = new URL(opts.mysqlUrl);
  adminUrl.pathname = '/';
  const run = async (sql: string) => {
    const conn = await createConnection({ uri: adminUrl.toString() });
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  };
  await run(`DROP DATABASE IF EXISTS \`${name}\``);
  await run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const url = new URL(opts.mysqlUrl);
  url.pathname = `/${name}`;
  return { kind, url: url.toString(), config: { kind, url: url.toString() }, where: name, drop: () => run(`DROP DATABASE IF EXISTS \`${name}\``) };
}

/** The hand-written baselines' own connection to a store: better-sqlite3 or a mysql2 pool, nothing else. */
export interface RawDb {
  kind: StoreKind;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  /** Runs `fn` in one transaction on one connection. */
  transaction(fn: (db: Pick<RawDb, 'query' | 'run'>) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export function openRaw(store: BenchStore): RawDb {
  if (store.kind === 'sqlite') {
    const db = new Database(store.where);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const cache = new Map<string, Database.Statement>();
    const prep = (sql: string) => {
      let s = cache.get(sql);
      if (!s) {
        if (cache.size > 200) cache.clear();
        s = db.prepare(sql);
        cache.set(sql, s);
      }
      return s;
    };
    const query = async <T>(sql: string, params: readonly unknown[] = []) => prep(sql).all(...params) as T[];
    const run = async (sql: string, params: readonly unknown[] = []) => void prep(sql).run(...params);
    return {
      kind: 'sqlite',
      query,
      run,
      async transaction(fn) {
        db.exec('BEGIN');
        try {
          await fn({ query, run });
          db.exec('COMMIT');
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      },
      close: async () => void db.close(),
    };
  }
  const pool: Pool = createPool({ uri: store.url, connectionLimit: 4, supportBigNumbers: true, bigNumberStrings: false, timezone: 'Z' });
  return {
    kind: 'mysql',
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await pool.query(sql, params as unknown[]))[0] as T[],
    run: async (sql: string, params: readonly unknown[] = []) => void (await pool.query(sql, params as unknown[])),
    async transaction(fn) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        await fn({
          query: async <T>(sql: string, params: readonly unknown[] = []) => (await conn.query(sql, params as unknown[]))[0] as T[],
          run: async (sql: string, params: readonly unknown[] = []) => void (await conn.query(sql, params as unknown[])),
        });
        await conn.commit();
      } catch (err) {
        await conn.rollback().catch(() => undefined);
        throw err;
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}
